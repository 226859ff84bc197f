import { afterEach, describe, expect, it } from 'vitest'
import { runDelete } from '../../../src/modes/delete.js'
import { runRestore } from '../../../src/modes/restore.js'
import { stepOutputs } from '../../../src/report/outputs.js'
import { renderSummary } from '../../../src/report/summary.js'
import { serverRuntimes } from '../../../src/runtime/fleet.js'
import { closeAgents, setup } from '../../helpers/fake-runtime.js'
import { rejection } from '../../helpers/rejection.js'
import type { InProcessApi } from '../../helpers/vpsorg.js'

afterEach(closeAgents)

const OURS = 'Pre-deployment backup [gha:acme/shop#1111]'

/** Every request that changes something: a dry run sends none. */
const changes = (api: InProcessApi) => api.requests.filter((r) => r.method !== 'GET')

const summaryOf = (rt: ReturnType<typeof setup>['rt'], mode: 'restore' | 'delete') =>
  renderSummary({
    mode,
    serverIds: rt.settings.serverIds,
    outcome: rt.outcome,
    elapsedMs: 1000,
    actionRef: 'vpsorg/backup-action@v1'
  })

describe('dry_run: true with mode: restore', () => {
  it('finds and checks the backup, says what a real run would do and discards, and requests nothing', async () => {
    const { rt, api, log } = setup({ mode: 'restore', backup_id: '501', dry_run: 'true' })
    api.addBackup({ id: 501, createdAt: '2025-01-16T15:03:00Z' })
    const [backup] = await runRestore(rt, [rt], [501])
    expect(backup!.id).toBe(501)
    expect(changes(api)).toEqual([])
    expect(rt.outcome.status).toBe('dry_run')
    expect(rt.outcome.restored).toBeUndefined()
    expect(log.of('info')).toContain(
      'Dry run: Restoring server 12345 to backup 501, created 2025-01-16T15:03:00Z (42m ago): anything written to the server since then is lost.'
    )
    expect(log.text()).toContain(
      'Dry run: no restore was requested. A real run of this step (dry_run: false) would restore server 12345 from backup 501, wait until it is active.'
    )
    const outputs = stepOutputs(rt.outcome, rt.settings.target, [12345], () => {})
    expect(outputs).toMatchObject({ backup_id: '501', status: 'dry_run' })
    const summary = summaryOf(rt, 'restore')
    expect(summary).toContain('### Dry run: nothing was restored')
    expect(summary).toContain('Restoring server 12345 to backup 501, created 2025-01-16T15:03:00Z')
    expect(summary).toMatch(/mode: restore\n {4}backup_id: 501\n```/)
  })

  it.each([
    [{ wait: 'false' }, 'would restore server 12345 from backup 501.'],
    [
      { health_url: 'https://shop.example.com/health' },
      'would restore server 12345 from backup 501, wait until it is active, then check the app (health_url).'
    ]
  ])('says what a real run would do after the request: %j', async (inputs, said) => {
    const { rt, api, log } = setup({
      mode: 'restore',
      backup_id: '501',
      dry_run: 'true',
      ...inputs
    })
    api.addBackup({ id: 501 })
    await runRestore(rt, [rt], [501])
    expect(log.text()).toContain(said)
  })

  it('latest: the backup a real run would restore, pinned in the step that would do it', async () => {
    const { rt, api } = setup({ mode: 'restore', backup_id: 'latest', dry_run: 'true' })
    api.addBackup({ id: 501, description: OURS, createdAt: '2025-01-16T15:00:00Z' })
    api.addBackup({ id: 502, description: OURS, createdAt: '2025-01-16T15:10:00Z' })
    api.addBackup({ id: 503, description: 'daily', createdAt: '2025-01-16T15:20:00Z' })
    const [backup] = await runRestore(rt, [rt], ['latest'])
    expect(backup!.id).toBe(502)
    expect(changes(api)).toEqual([])
    expect(summaryOf(rt, 'restore')).toContain('    backup_id: 502\n')
  })

  it.each([
    ['a failed backup', { status: 'failed' }, /failed when it was made: it cannot be restored/],
    ["another server's backup", { serverId: 102 }, /is not one of server 12345's backups/]
  ] as const)('%s: fails exactly as a real run does', async (_, seed, why) => {
    const real = setup({ mode: 'restore', backup_id: '501' })
    real.api.addBackup({ id: 501, ...seed })
    const dry = setup({ mode: 'restore', backup_id: '501', dry_run: 'true' })
    dry.api.addBackup({ id: 501, ...seed })
    const [realError, dryError] = [
      await rejection(runRestore(real.rt, [real.rt], [501])),
      await rejection(runRestore(dry.rt, [dry.rt], [501]))
    ]
    expect(dryError.message).toMatch(why)
    expect(dryError.message).toBe(realError.message)
    expect(changes(dry.api)).toEqual([])
    expect(dry.rt.outcome.dataLoss).toBeUndefined()
  })

  it('a backup still being made: says a real run would wait for it, and waits for nothing', async () => {
    const { rt, api, log, clock } = setup({ mode: 'restore', backup_id: '501', dry_run: 'true' })
    api.addBackup({ id: 501, status: 'in_progress', durationMs: 10 * 60_000 })
    const started = clock.now()
    await runRestore(rt, [rt], [501])
    expect(clock.now() - started).toBeLessThan(1000)
    expect(log.text()).toContain(
      'is still being made (in_progress): a real run would wait for it to finish (within timeout), then restore from it'
    )
    expect(changes(api)).toEqual([])
    expect(rt.outcome.status).toBe('dry_run')
  })

  it('several servers: each previewed, one data-loss line each, no request that changes anything', async () => {
    const step = setup({
      server_id: '101, 102, 103',
      mode: 'restore',
      backup_id: '{"101":501,"102":502,"103":503}',
      dry_run: 'true'
    })
    for (const [server, id] of [
      [101, 501],
      [102, 502],
      [103, 503]
    ])
      step.api.addBackup({ id: id!, serverId: server })
    const servers = serverRuntimes(step.rt)
    await runRestore(step.rt, servers, [501, 502, 503])
    expect(changes(step.api)).toEqual([])
    expect(servers.map((s) => s.outcome.status)).toEqual(['dry_run', 'dry_run', 'dry_run'])
    expect(step.log.of('info').filter((l) => l.includes('anything written'))).toHaveLength(3)
    const outputs = stepOutputs(step.rt.outcome, step.rt.settings.target, [101, 102, 103], () => {})
    expect(outputs).toMatchObject({
      backup_ids: '{"101":501,"102":502,"103":503}',
      status: 'dry_run'
    })
    expect(summaryOf(step.rt, 'restore')).toContain(`backup_id: '{"101":501,"102":502,"103":503}'`)
  })
})

describe('dry_run: true with mode: delete', () => {
  it('finds the backup, says what would be deleted, and sends no DELETE', async () => {
    const { rt, api, log } = setup({ mode: 'delete', backup_id: '501', dry_run: 'true' })
    api.addBackup({ id: 501, createdAt: '2025-01-16T14:45:00Z' })
    await runDelete(rt, [rt], [501])
    expect(changes(api)).toEqual([])
    expect(api.model.backups({ serverId: 12345 }).map((b) => b.id)).toContain(501)
    expect(rt.outcome.status).toBe('dry_run')
    expect(rt.outcome.deleted).toEqual([])
    expect(log.text()).toContain(
      'Dry run: nothing was deleted. A real run of this step (dry_run: false) would delete backup 501 of server 12345, created 2025-01-16T14:45:00Z (1h ago): it could no longer be restored.'
    )
    expect(summaryOf(rt, 'delete')).toContain('### Dry run: nothing was deleted')
  })

  it('a backup still being made: says a real run would wait to delete it, waits for nothing', async () => {
    const { rt, api, log, clock } = setup({ mode: 'delete', backup_id: '501', dry_run: 'true' })
    api.addBackup({ id: 501, status: 'in_progress', durationMs: 10 * 60_000 })
    const started = clock.now()
    await runDelete(rt, [rt], [501])
    expect(clock.now() - started).toBeLessThan(1000)
    expect(log.of('info').slice(0, 2)).toEqual([
      'Backup 501 of server 12345 is still being made (in_progress): a real run would wait for it to finish (within timeout), then delete it.',
      expect.stringMatching(
        /^Dry run: nothing was deleted\. A real run .* would delete backup 501 /
      )
    ])
    expect(changes(api)).toEqual([])
    expect(rt.outcome.status).toBe('dry_run')
  })

  it("another server's backup, or one still being made with wait: false: fails as a real run does", async () => {
    const other = setup({ mode: 'delete', backup_id: '501', dry_run: 'true' })
    other.api.addBackup({ id: 501, serverId: 102 })
    expect((await rejection(runDelete(other.rt, [other.rt], [501]))).message).toMatch(
      /^Backup 501 belongs to server 102, not to server 12345/
    )
    const running = setup({ mode: 'delete', backup_id: '501', dry_run: 'true', wait: 'false' })
    running.api.addBackup({ id: 501, status: 'in_progress', durationMs: 60_000 })
    expect((await rejection(runDelete(running.rt, [running.rt], [501]))).message).toMatch(
      /is still being made \(in_progress\) and can only be deleted once it has finished/
    )
    expect([...changes(other.api), ...changes(running.api)]).toEqual([])
  })
})
