import { afterEach, describe, expect, it } from 'vitest'
import { runBackup } from '../../../src/modes/backup.js'
import { runDelete } from '../../../src/modes/delete.js'
import { FleetError, serverRuntimes } from '../../../src/runtime/fleet.js'
import { awaitBackup, awaitFinal, awaitFinals } from '../../../src/modes/follow-backup.js'
import { runRestore } from '../../../src/modes/restore.js'
import { renderSummary } from '../../../src/report/summary.js'
import { WaitTimeoutError } from '../../../src/common/wait.js'
import { BACKUPS } from '../../helpers/api.js'
import { closeAgents, setup } from '../../helpers/fake-runtime.js'
import { rejection } from '../../helpers/rejection.js'
import type { ApiCall, InProcessApi } from '../../helpers/vpsorg.js'

afterEach(closeAgents)

/** An account of 300 other backups, 10 a page: its list takes 31 requests. */
const LARGE = { pageSize: 10, accountBackups: 300 }
/** An account whose list, without pagination, is larger than the client's 4 MiB cap. */
const HUGE = { accountBackups: 12_000 }

/** The list requests after the last create: the looks' cost. */
function looks(api: InProcessApi): ApiCall[] {
  const lastPost = api.requests.findLastIndex((r) => r.method === 'POST')
  return api.requests
    .slice(lastPost + 1)
    .filter((r) => r.method === 'GET' && r.url.pathname === BACKUPS)
}

/** A step on `servers`, with each server's Runtime. */
function fleet(serverIds: string, world: Parameters<typeof setup>[3] = {}) {
  const step = setup({ server_id: serverIds }, {}, {}, world)
  return { ...step, servers: serverRuntimes(step.rt) }
}

/** Drops backup `id` from the answer to the `nth` list request after the creates (0-based). */
function missOnce(api: InProcessApi, id: number, nth: number, onMiss?: () => void): void {
  let lists = 0
  api.hook = (call, inProcess) => {
    if (call.method !== 'GET' || !inProcess.made('POST', BACKUPS).length) return undefined
    const reply = inProcess.handle(call)
    if (lists++ !== nth) return reply
    onMiss?.()
    const page = reply.body as { results: Array<{ id: number }> }
    return { ...reply, body: { ...page, results: page.results.filter((b) => b.id !== id) } }
  }
}

describe('following a fleet in a large account', () => {
  it('costs at most a request per server per look, not the account’s pages (300 others, 10 a page)', async () => {
    const one = fleet('101', LARGE)
    await runBackup(one.rt, one.servers)
    const two = fleet('101, 102', LARGE)
    await runBackup(two.rt, two.servers)
    for (const s of two.servers) expect(s.outcome.status).toBe('completed')
    const perLook = looks(one.api).length
    // One look of the account's first page learns it takes 31; then each server's own list.
    expect(looks(two.api).length).toBeLessThanOrEqual(2 * perLook + 1)
    expect(looks(two.api).filter((r) => !r.url.searchParams.has('server_id'))).toHaveLength(1)
    expect(two.log.of('info')).toContain(
      "The account's list of backups takes more than 2 requests: following each server's own list instead."
    )
  })

  it('keeps the account’s list while it takes no more pages than there are servers', async () => {
    const { rt, api, servers, log } = fleet('101, 102, 103', { pageSize: 10, accountBackups: 15 })
    await runBackup(rt, servers)
    // 18 backups: 2 pages a look, for 3 servers.
    const all = looks(api)
    expect(all.every((r) => !r.url.searchParams.has('server_id'))).toBe(true)
    expect(all.length % 2).toBe(0)
    expect(log.of('info').filter((l) => l.includes('takes more than'))).toEqual([])
  })

  it('backs up a fleet when the account’s list is larger than the size cap', async () => {
    const { rt, servers, log } = fleet('101, 102', HUGE)
    await runBackup(rt, servers)
    for (const s of servers) expect(s.outcome.status).toBe('completed')
    expect(log.of('info')).toContain(
      "The account's list of backups takes more than 2 requests: following each server's own list instead."
    )
  })

  it.each([
    ['one server', '101', '777'],
    ['a fleet', '101, 102', '{"101":777,"102":777}']
  ])(
    'deletes a backup already gone, as a warning, when the account’s list is larger than the size cap (%s)',
    async (_, serverIds, backupId) => {
      const step = setup(
        { mode: 'delete', server_id: serverIds, backup_id: backupId },
        {},
        {},
        HUGE
      )
      const servers = serverRuntimes(step.rt)
      await runDelete(
        step.rt,
        servers,
        servers.map(() => 777)
      )
      for (const s of servers) expect(s.outcome.status).toBe('not_found')
      expect(step.log.of('warning')[0]).toMatch(
        /Backup 777 is not among server 101's backups: it is already gone, or another server's \(the account's list is too large to tell\)\. Nothing was deleted\.$/
      )
    }
  )
})

describe('a backup missing from one look', () => {
  it('is followed on in a fleet, and stays pending meanwhile', async () => {
    const { rt, api, servers, log } = fleet('101, 102')
    let pendingWhileMissed: string | undefined
    missOnce(api, 601, 2, () => undefined)
    api.hook = ((hook) => (call, inProcess) => {
      const reply = hook(call, inProcess)
      if (log.of('info').some((l) => l.includes('missing from the list'))) {
        pendingWhileMissed ??= servers[1]!.outcome.pending
      }
      return reply
    })(api.hook!)
    await runBackup(rt, servers)
    expect(servers.map((s) => s.outcome.status)).toEqual(['completed', 'completed'])
    expect(log.of('info')).toContain(
      '[server 102] Backup 601 is missing from the list: looking again before taking it as deleted.'
    )
    expect(pendingWhileMissed).toContain('Backup 601 of server 102 is still being created')
  })

  it('is followed on for one server whose own list spans pages', async () => {
    const { rt, api, log } = setup({}, {}, {}, { pageSize: 2 })
    for (const id of [1, 2, 3]) api.addBackup({ id })
    missOnce(api, 600, 3)
    await runBackup(rt, [rt])
    expect(rt.outcome.status).toBe('completed')
    expect(log.of('info')).toContain(
      'Backup 600 is missing from the list: looking again before taking it as deleted.'
    )
  })

  it('does not fail the step when page drift moves it off the pages read (the simulator’s)', async () => {
    const { rt, api, servers, log } = fleet('101, 102', {
      pageSize: 5,
      accountBackups: 8,
      pageDrift: true
    })
    await runBackup(rt, servers)
    expect(servers.map((s) => s.outcome.status)).toEqual(['completed', 'completed'])
    // The drift did hide one: the test would not show anything otherwise.
    expect(log.of('info').some((l) => l.includes('is missing from the list'))).toBe(true)
    expect(api.model.backups().filter((b) => b.id >= 10_000_000).length).toBeLessThan(8)
  })
})

describe('following one backup', () => {
  it('follows on a backup already listed that is missing from the very first look', async () => {
    const { rt, api, log } = setup({ mode: 'delete', backup_id: '501' })
    const backup = api.addBackup({ id: 501, status: 'in_progress', durationMs: 60_000 })
    let lists = 0
    api.hook = (call, inProcess) => {
      const reply = inProcess.handle(call)
      if (lists++ > 0) return reply
      return { ...reply, body: { count: 0, next: null, previous: null, results: [] } }
    }
    expect((await awaitFinal(rt, backup, true)).status).toBe('completed')
    expect(log.of('info')).toContain(
      'Backup 501 is missing from the list: looking again before taking it as deleted.'
    )
  })

  it('says each status once, when it changes, and "not listed yet" once', async () => {
    const { rt, api, log } = setup()
    let lists = 0
    api.hook = (call, inProcess) => {
      if (call.method !== 'GET' || !inProcess.made('POST', BACKUPS).length) return undefined
      const reply = inProcess.handle(call)
      const page = reply.body as { results: Array<{ id: number; status: string }> }
      lists++
      // Looks 1-2: not listed yet; 3-4: pending; then as the API says.
      if (lists <= 2) return { ...reply, body: { ...page, results: [] } }
      if (lists <= 4) for (const b of page.results) b.status = 'pending'
      return reply
    }
    await runBackup(rt, [rt])
    const said = log.of('info').filter((l) => /^Backup 600: /.test(l))
    expect(said.map((l) => l.replace(/ \(.*\)$/, ''))).toEqual([
      'Backup 600: in_progress',
      'Backup 600: not listed yet',
      'Backup 600: pending',
      'Backup 600: in_progress'
    ])
  })

  it('fails a backup that ends failed while waited for (restore)', async () => {
    const { rt, api } = setup({ mode: 'restore', backup_id: '540' })
    const backup = api.addBackup({ id: 540, status: 'in_progress', durationMs: 60_000 })
    api.model.backup(540).outcome = 'failed'
    const error = await rejection(awaitBackup(rt, backup))
    expect(error.message).toBe(
      'Backup 540 of server 12345 failed on VPS.org: there is no restore point from it. Check the server in the VPS.org panel and run the job again.'
    )
  })
})

describe('every server’s outcome', () => {
  it('keeps one timeout line when the only other outcome is a completed backup', async () => {
    const step = setup(
      { server_id: '101, 102', timeout: '2m' },
      {},
      { 101: { backupDurationMs: 30_000 } }
    )
    const error = await rejection(runBackup(step.rt, serverRuntimes(step.rt)))
    expect(error).toBeInstanceOf(WaitTimeoutError)
    expect(error.message).toMatch(
      /^Timed out after 2m\d*s? waiting for the backups of servers 101, 102 to complete; its last status was 'in_progress'$/
    )
  })

  it.each([
    ['failed', (api: InProcessApi) => (api.model.backup(601).outcome = 'failed')],
    ['gone', (api: InProcessApi) => api.model.removeBackup(601)]
  ])('names a backup that %s beside the others’ timeouts', async (what, end) => {
    const step = setup({ server_id: '101, 102, 103', timeout: '2m' })
    const servers = serverRuntimes(step.rt)
    step.api.hook = (call, inProcess) => {
      if (call.method === 'GET' && step.clock.now() - step.rt.startedAt > 10_000) {
        if (inProcess.model.backups().some((b) => b.id === 601 && b.status === 'in_progress')) {
          inProcess.model.backup(601).durationMs =
            step.clock.now() - inProcess.model.backup(601).createdAt
          end(inProcess)
        }
      }
      return undefined
    }
    const error = await rejection(runBackup(step.rt, servers))
    expect(error).toBeInstanceOf(FleetError)
    expect(error.message).toMatch(
      what === 'failed'
        ? /^3 of 3 servers failed\. Server 101: Timed out after 2m\d*s? waiting for backup 600 of server 101 to complete; its last status was 'in_progress'; server 102: Backup 601 of server 102 failed on VPS\.org/
        : /^3 of 3 servers failed\. Server 101: Timed out .*; server 102: Backup 601 of server 102 disappeared/
    )
  })

  it('names a refused create beside the others’ timeouts, in the error and the summary', async () => {
    const step = setup({ server_id: '101, 102, 103', timeout: '2m' })
    const servers = serverRuntimes(step.rt)
    step.api.hook = (call) =>
      call.method === 'POST' && (call.body as { server_id: number }).server_id === 101
        ? { status: 400, body: { detail: 'Server 101 is being migrated.' } }
        : undefined
    const error = await rejection(runBackup(step.rt, servers))
    expect(error).toBeInstanceOf(FleetError)
    expect(error.message).toMatch(
      /^3 of 3 servers failed\. Server 101: Could not create a backup of server 101: HTTP 400: Server 101 is being migrated; server 102: Timed out after 2m\d*s? waiting for backup 600 of server 102 to complete; its last status was 'in_progress'; server 103: Timed out after 2m\d*s? waiting for backup 601 of server 103 to complete; its last status was 'in_progress'\.$/
    )
    const summary = renderSummary({
      mode: 'backup',
      serverIds: [101, 102, 103],
      outcome: step.rt.outcome,
      elapsedMs: 120_000,
      actionRef: 'vpsorg/backup-action@v1',
      error: error.message
    })
    expect(summary).toContain('Server 101 is being migrated')
    expect(summary).toContain('Still running:')
  })
})

describe('awaitBackup, from a restore: follows any backup being made, and names one that vanishes', () => {
  it('follows an automatic backup still being made', async () => {
    const { rt, api } = setup({ mode: 'restore', backup_id: '540' })
    api.addBackup({
      id: 540,
      backupType: 'automatic',
      status: 'in_progress',
      durationMs: 60_000
    })
    await runRestore(rt, [rt], [540])
    expect(rt.outcome.restored).toBe(true)
  })

  it('says a backup that vanishes disappeared, at once', async () => {
    const { rt, api, clock } = setup({ mode: 'restore', backup_id: '540' })
    api.addBackup({ id: 540, status: 'in_progress', durationMs: 1e9 })
    api.vanishAfterFirstList()
    const start = clock.now()
    const error = await rejection(runRestore(rt, [rt], [540]))
    expect(error.message).toContain('disappeared')
    expect(clock.now() - start).toBeLessThan(30_000)
  })
})

describe('awaitFinals, following several backups of which one is not manual', () => {
  it('looks among all backups, not only manual ones, and sees each complete', async () => {
    const { rt, api, servers } = fleet('101, 102')
    api.addBackup({ id: 1, serverId: 101, status: 'in_progress', durationMs: 60_000 })
    api.addBackup({
      id: 2,
      serverId: 102,
      backupType: 'automatic',
      status: 'in_progress',
      durationMs: 60_000
    })
    const [manual] = await rt.client.listBackups(101)
    const [automatic] = await rt.client.listBackups(102)
    const finals = await awaitFinals(rt, [
      { rt: servers[0]!, backup: manual!, listed: true },
      { rt: servers[1]!, backup: automatic!, listed: true }
    ])
    expect(finals).toMatchObject([
      { id: 1, status: 'completed' },
      { id: 2, status: 'completed' }
    ])
    const lists = api.made('GET', BACKUPS).slice(2)
    expect(lists.length).toBeGreaterThan(0)
    for (const list of lists) expect(list.url.searchParams.has('backup_type')).toBe(false)
  })
})
