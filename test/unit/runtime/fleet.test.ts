import { afterEach, describe, expect, it } from 'vitest'
import { runBackup } from '../../../src/modes/backup.js'
import { runDelete } from '../../../src/modes/delete.js'
import {
  FleetError,
  pendingOf,
  phase,
  serverRuntimes,
  settle,
  stepStatus,
  valuesOf
} from '../../../src/runtime/fleet.js'
import { CancelledError } from '../../../src/common/errors.js'
import { WaitTimeoutError } from '../../../src/common/wait.js'
import { stepOutputs } from '../../../src/report/outputs.js'
import { runRestore } from '../../../src/modes/restore.js'
import { resolveRunBackups } from '../../../src/modes/run-reference.js'
import { renderSummary } from '../../../src/report/summary.js'
import type { ServerSeed } from '../../../simulator/types.js'
import { BACKUPS } from '../../helpers/api.js'
import { closeAgents, setup } from '../../helpers/fake-runtime.js'
import { rejection } from '../../helpers/rejection.js'
import type { InProcessApi } from '../../helpers/vpsorg.js'

afterEach(closeAgents)

const FLEET = [101, 102, 103]
/** A description as this action writes it for this repository (backup_id: latest takes only those). */
const OURS = 'Pre-deployment backup [gha:acme/shop#1111]'

/** A step on the fleet's three servers, and each server's Runtime. */
function fleet(
  inputs: Record<string, string> = {},
  seeds: Record<number, Partial<ServerSeed>> = {}
) {
  const step = setup({ server_id: '101, 102, 103', ...inputs }, {}, seeds)
  return { ...step, servers: serverRuntimes(step.rt) }
}

const restores = (api: InProcessApi): number[] =>
  api.requests
    .filter((r) => r.method === 'POST' && r.url.pathname.endsWith('/restore/'))
    .map((r) => Number(/servers\/(\d+)\//.exec(r.url.pathname)![1]))

describe('a step of several servers', () => {
  it('backs up every server at once and follows them with one list of the account per look', async () => {
    const { rt, api, servers, clock } = fleet({}, { 103: { backupDurationMs: 5 * 60_000 } })
    const start = clock.now()
    await runBackup(rt, servers)
    expect(
      api.made('POST', BACKUPS).map((r) => (r.body as { server_id: number }).server_id)
    ).toEqual(FLEET)
    for (const s of servers) expect(s.outcome.backup).toMatchObject({ status: 'completed' })
    expect(servers.map((s) => s.outcome.backup!.server.id)).toEqual(FLEET)
    // Waiting lists the account's manual backups, not each server's.
    const looks = api.made('GET', BACKUPS).filter((r) => !r.url.searchParams.has('server_id'))
    expect(looks.length).toBeGreaterThan(0)
    for (const look of looks) expect(look.url.searchParams.get('backup_type')).toBe('manual')
    // The slowest (5 min) is noticed within 10% of its time: one loop, not three.
    expect(clock.now() - start).toBeGreaterThanOrEqual(5 * 60_000)
    expect(clock.now() - start).toBeLessThanOrEqual(5 * 60_000 * 1.1)
  })

  it('costs no more status requests than one server does', async () => {
    const one = setup()
    await runBackup(one.rt, [one.rt])
    const { rt, api, servers } = fleet()
    await runBackup(rt, servers)
    const gets = (a: InProcessApi): number => a.made('GET', BACKUPS).length
    // One list per server to create (re-run check), then one per look for all three.
    expect(gets(api) - FLEET.length).toBe(gets(one.api) - 1)
  })

  it('fails when one backup fails, naming it, and keeps and reports the others', async () => {
    const { rt, api, servers } = fleet({}, { 102: { failNextBackup: true } })
    const error = await rejection(runBackup(rt, servers))
    expect(error).toBeInstanceOf(FleetError)
    expect(error.message).toMatch(
      /^1 of 3 servers failed\. Server 102: Backup \d+ of server 102 failed on VPS\.org/
    )
    expect(error.message).toContain('server 101: backup 600 completed')
    expect(servers.map((s) => s.outcome.status)).toEqual(['completed', 'failed', 'completed'])
    expect(api.deletedIds()).toEqual([])
    const outputs = stepOutputs(rt.outcome, rt.settings.target, FLEET, () => undefined)
    expect(outputs).toEqual({
      backup_ids: '{"101":600,"102":601,"103":602}',
      status: 'failed',
      statuses: '{"101":"completed","102":"failed","103":"completed"}'
    })
  })

  it('says the least advanced status: in_progress while any backup runs (wait: false)', async () => {
    const { rt, api, servers } = fleet({ wait: 'false' })
    api.addBackup({ id: 1, serverId: 101 })
    await runBackup(rt, servers)
    const outputs = stepOutputs(rt.outcome, rt.settings.target, FLEET, () => undefined)
    expect(outputs.status).toBe('in_progress')
    expect(outputs.backup_id).toBeUndefined()
  })

  it('restores every server from backup_ids at once and waits for all', async () => {
    const { rt, api, servers } = fleet({ mode: 'restore', backup_id: '{"101":1,"102":2,"103":3}' })
    FLEET.forEach((serverId, i) => api.addBackup({ id: i + 1, serverId }))
    const backups = await runRestore(rt, servers, [1, 2, 3])
    expect(backups.map((b) => b.id)).toEqual([1, 2, 3])
    expect(restores(api).sort()).toEqual(FLEET)
    for (const s of servers) expect(s.outcome).toMatchObject({ restored: true, status: 'active' })
  })

  it('refuses every restore when one server has no such backup: never half a fleet', async () => {
    const { rt, api, servers } = fleet({ mode: 'restore', backup_id: 'latest' })
    api.addBackup({ id: 1, serverId: 101, description: OURS })
    api.addBackup({ id: 3, serverId: 103, description: OURS })
    const error = await rejection(runRestore(rt, servers, ['latest', 'latest', 'latest']))
    expect(error.message).toContain(
      'Server 102: Server 102 has no completed backup made by this action for acme/shop'
    )
    expect(error.message).toContain('server 101: backup 1 found; no restore was requested')
    expect(restores(api)).toEqual([])
  })

  it('restores each server from its own newest completed backup with latest', async () => {
    const { rt, api, servers } = fleet({ mode: 'restore', backup_id: 'latest' })
    api.addBackup({ id: 1, serverId: 101, createdAt: '2025-01-09T10:00:00Z', description: OURS })
    api.addBackup({ id: 4, serverId: 101, description: OURS })
    api.addBackup({ id: 2, serverId: 102, description: OURS })
    api.addBackup({ id: 3, serverId: 103, description: OURS })
    const backups = await runRestore(rt, servers, ['latest', 'latest', 'latest'])
    expect(backups.map((b) => b.id)).toEqual([4, 2, 3])
  })

  it('deletes each server’s backup from backup_ids; one already gone is a warning', async () => {
    const { rt, api, servers } = fleet({ mode: 'delete', backup_id: '{"101":1,"102":2,"103":3}' })
    api.addBackup({ id: 1, serverId: 101 })
    api.addBackup({ id: 3, serverId: 103 })
    await runDelete(rt, servers, [1, 2, 3])
    expect(api.deletedIds().sort()).toEqual([1, 3])
    expect(servers.map((s) => s.outcome.status)).toEqual(['deleted', 'not_found', 'deleted'])
    const outputs = stepOutputs(rt.outcome, rt.settings.target, FLEET, () => undefined)
    expect(outputs.status).toBe('not_found')
  })

  it('prefixes each server’s log lines with its id', async () => {
    const { rt, servers, log } = fleet()
    await runBackup(rt, servers)
    expect(log.of('info')).toContain('[server 102] Create the backup')
    expect(log.of('info').some((l) => l.startsWith('[server 103] Backup 602 completed in'))).toBe(
      true
    )
  })

  it('renders one summary row per server, and the rollback step for all of them', async () => {
    const { rt, servers } = fleet()
    await runBackup(rt, servers)
    const markdown = renderSummary({
      mode: 'backup',
      serverIds: FLEET,
      outcome: rt.outcome,
      elapsedMs: 200_000,
      actionRef: 'vpsorg/backup-action@v1',
      stepId: 'backup'
    })
    expect(markdown).toContain('## ✅ VPS.org backup of 3 servers')
    expect(markdown).toMatch(
      /<tr><td>web-2 \(102\)<\/td><td>601<\/td><td>completed<\/td><td>\d+ MB<\/td><td>3m\d+s<\/td>/
    )
    expect(markdown).toContain('    server_id: 101, 102, 103')
    expect(markdown).toContain('    backup_id: ${{ steps.backup.outputs.backup_ids }}')
  })

  it('finds each server’s backup of a run (run:<run_id>); a restore refuses all if one has none', async () => {
    const { rt, api, servers } = fleet({ mode: 'restore', backup_id: 'run:555' })
    api.addBackup({ id: 1, serverId: 101, description: 'x [gha:acme/shop#555]' })
    api.addBackup({ id: 2, serverId: 102, description: 'x [gha:acme/shop#555]' })
    api.addBackup({ id: 3, serverId: 103, description: 'x [gha:acme/shop#556]' })
    const error = await rejection(resolveRunBackups(rt, servers, { runId: 555 }, 'restore'))
    expect(error.message).toMatch(
      /^1 of 3 servers failed\. Server 103: Run 555 made no completed backup of server 103/
    )
    api.addBackup({ id: 4, serverId: 103, description: 'y [gha:acme/shop#555]' })
    expect(await resolveRunBackups(rt, servers, { runId: 555 }, 'restore')).toEqual([1, 2, 4])
  })

  it('deletes what a run made on each server, and says not_found for a server it left alone', async () => {
    const { rt, api, servers } = fleet({ mode: 'delete', backup_id: 'run:555' })
    api.addBackup({ id: 1, serverId: 101, description: 'x [gha:acme/shop#555]' })
    api.addBackup({ id: 3, serverId: 103, description: 'x [gha:acme/shop#555]' })
    const ids = await resolveRunBackups(rt, servers, { runId: 555 }, 'delete')
    expect(ids).toEqual([1, undefined, 3])
    await runDelete(rt, servers, ids!)
    expect(api.deletedIds().sort()).toEqual([1, 3])
    expect(servers.map((s) => s.outcome.status)).toEqual(['deleted', 'not_found', 'deleted'])
  })

  it('never takes a backup the account’s list shows under another server for that server’s', async () => {
    const { rt, api, servers } = fleet()
    api.hook = (call, inProcess) => {
      if (call.method !== 'GET' || call.url.searchParams.has('server_id')) return undefined
      const reply = inProcess.handle(call)
      const page = reply.body as { results: Array<{ id: number; server: { id: number } }> }
      for (const b of page.results) if (b.id === 601) b.server.id = 999
      return reply
    }
    const error = await rejection(runBackup(rt, servers))
    expect(error.message).toMatch(
      /^1 of 3 servers failed\. Server 102: Backup 601 of server 102 was created but has not appeared in the server's list/
    )
    expect(servers.map((s) => s.outcome.status)).toEqual(['completed', 'in_progress', 'completed'])
  })

  it('times out naming every server still waited for and its status', async () => {
    const { rt, servers } = fleet({ timeout: '2m' })
    const error = await rejection(runBackup(rt, servers))
    expect(error).toBeInstanceOf(WaitTimeoutError)
    expect(error.message).toMatch(
      /^Timed out after 2m\d*s? waiting for the backups of servers 101, 102, 103 to complete; its last status was '101: in_progress, 102: in_progress, 103: in_progress'$/
    )
  })

  it('says each server’s failure and success in one line, failures first', async () => {
    const { servers } = fleet()
    const settled = await settle(servers, async (rt) => {
      if (rt.serverId === 101) return 'ok'
      throw new Error(`broke ${rt.serverId}.`)
    })
    const error = (() => {
      try {
        valuesOf(settled, (value) => `said ${value}`)
      } catch (e) {
        return e as Error
      }
      throw new Error('expected a FleetError')
    })()
    expect(error).toBeInstanceOf(FleetError)
    expect(error.name).toBe('FleetError')
    expect(error.message).toBe(
      '2 of 3 servers failed. Server 102: broke 102; server 103: broke 103; server 101: said ok.'
    )
  })

  it('a cancellation on any server is the step’s cancellation, not a server’s failure', async () => {
    const { servers } = fleet()
    const settled = await settle(servers, async (rt) => {
      if (rt.serverId === 102) throw new CancelledError()
      throw new Error('broke')
    })
    expect(() => valuesOf(settled, () => '')).toThrow(CancelledError)
  })

  it('the step’s status is unknown while a server has none, and pending joins every server’s', () => {
    const { rt, servers } = fleet()
    servers[0]!.outcome.status = 'completed'
    servers[2]!.outcome.status = 'in_progress'
    expect(stepStatus(rt.outcome)).toBeUndefined()
    servers[1]!.outcome.status = 'completed'
    expect(stepStatus(rt.outcome)).toBe('in_progress')
    expect(pendingOf(rt.outcome)).toBeUndefined()
    servers[0]!.outcome.pending = 'A on 101.'
    servers[2]!.outcome.pending = 'C on 103.'
    expect(pendingOf(rt.outcome)).toBe('A on 101. C on 103.')
  })

  it('tags each server’s warnings and debug lines with its server', () => {
    const { servers, log } = fleet()
    servers[1]!.log.warning('careful')
    servers[2]!.log.debug('detail')
    expect(log.of('warning')).toContain('[server 102] careful')
    expect(log.of('debug')).toContain('[server 103] detail')
  })

  it('a step of one server is its own server: no per-server outcomes', () => {
    const { rt } = setup()
    const [only, ...others] = serverRuntimes(rt)
    expect(serverRuntimes(rt)).toEqual([rt])
    expect(only!.serverId).toBe(12345)
    expect(only!.outcome).toBe(rt.outcome)
    expect(only!.log).toBe(rt.log)
    expect(others).toEqual([])
    expect(rt.outcome.servers).toBeUndefined()
  })

  it('gives each server a fresh outcome, and records how long its work took', async () => {
    const { rt, servers, clock, log } = fleet()
    for (const s of servers) expect(s.outcome).toEqual({ deleted: [] })
    await phase(rt, servers, 'Do it', () => clock.sleep(5000))
    const took = servers.map((s) => s.outcome.tookMs)
    expect(took).toEqual(servers.map((s) => clock.now() - s.startedAt))
    expect(took[0]).toBeGreaterThanOrEqual(5000)
    expect(log.of('group')).toEqual(['Do it'])
  })

  it('of equally advanced statuses, the step’s is the first server’s, in server_id’s order', () => {
    const { rt, servers } = fleet()
    for (const [i, status] of ['completed', 'stopped', 'error'].entries()) {
      servers[i]!.outcome.status = status
    }
    expect(stepStatus(rt.outcome)).toBe('stopped')
    servers[0]!.outcome.status = 'error'
    expect(stepStatus(rt.outcome)).toBe('error')
  })

  it('the step’s status is unknown while a server has none, even beside a failure', () => {
    const { rt, servers } = fleet()
    servers[0]!.outcome.status = 'failed'
    servers[2]!.outcome.status = 'completed'
    expect(stepStatus(rt.outcome)).toBeUndefined()
  })
})
