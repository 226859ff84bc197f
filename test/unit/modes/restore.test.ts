import { afterEach, describe, expect, it } from 'vitest'
import { formatDuration } from '../../../src/common/duration.js'
import { ActionError, ApiError, CancelledError } from '../../../src/common/errors.js'
import { pendingOf, serverRuntimes } from '../../../src/runtime/fleet.js'
import { runRestore } from '../../../src/modes/restore.js'
import { overrideFields } from '../../../simulator/faults.js'
import { BACKUPS, RESTORE, SERVER } from '../../helpers/api.js'
import { foreign, listCreatedAt } from '../../helpers/backup-step.js'
import { closeAgents, setup } from '../../helpers/fake-runtime.js'
import { rejection } from '../../helpers/rejection.js'
import { own } from '../../helpers/run-context.js'
import {
  type ApiCall,
  type InProcessApi,
  answerPosts,
  connectionReset
} from '../../helpers/vpsorg.js'

afterEach(closeAgents)

describe('runRestore', () => {
  it('restores from a backup id and waits until the server is active again', async () => {
    const { rt, api, clock } = setup({ mode: 'restore', backup_id: '501' })
    api.addBackup({ id: 501 })
    const start = clock.now()
    await runRestore(rt, [rt], [501])
    const posts = api.made('POST', RESTORE)
    expect(posts).toHaveLength(1)
    expect(posts[0]!.body).toEqual({ backup_id: 501 })
    expect(rt.outcome.status).toBe('active')
    expect(rt.outcome.server?.status).toBe('active')
    expect(rt.outcome.pending).toBeUndefined()
    expect(clock.now() - start).toBeGreaterThanOrEqual(api.restoreDurationMs)
    expect(clock.now() - start).toBeLessThanOrEqual(api.restoreDurationMs * 1.1 + 2000)
  })

  it('backup_id: N restores exactly backup N, wherever the API lists it', async () => {
    const { rt, api } = setup({ mode: 'restore', backup_id: '503' })
    for (const id of [501, 502, 503, 504, 505]) {
      api.addBackup({ id, createdAt: `2025-01-1${id - 500}T10:00:00Z`, description: own() })
    }
    // The API lists them in an order of its own: 503 neither first nor last, nor newest.
    api.hook = (call, fake) => {
      const reply = fake.handle(call)
      if (call.method === 'GET' && call.url.pathname === BACKUPS) {
        const page = reply.body as { results: Array<{ id: number }> }
        const order = [502, 505, 503, 501, 504]
        page.results.sort((a, b) => order.indexOf(a.id) - order.indexOf(b.id))
      }
      return reply
    }
    await runRestore(rt, [rt], [503])
    expect(api.made('POST', RESTORE).map((r) => r.body)).toEqual([{ backup_id: 503 }])
    expect(rt.outcome.backup?.id).toBe(503)
    expect(rt.outcome.restored).toBe(true)
  })

  it('a backup that fails while the restore waits for it stops the restore: no request at all', async () => {
    const { rt, api, clock } = setup({ mode: 'restore', backup_id: '540', timeout: '30m' })
    api.addBackup({ id: 540, status: 'in_progress', durationMs: 4 * 60_000 })
    api.model.backup(540).outcome = 'failed'
    const start = clock.now()
    const error = await rejection(runRestore(rt, [rt], [540]))
    expect(error).toBeInstanceOf(ActionError)
    expect(error.message).toContain('Backup 540 of server 12345 failed on VPS.org')
    expect(api.requests.filter((r) => r.method === 'POST')).toEqual([])
    // Stopped when the failure was seen, not at the timeout.
    expect(clock.now() - start).toBeLessThan(5 * 60_000)
    expect(rt.outcome.pending).toBeUndefined()
  })

  it('a cancellation while the restore request is in flight never says nothing is left running', async () => {
    const { rt, api, cancel } = setup({ mode: 'restore', backup_id: '501' })
    api.addBackup({ id: 501 })
    api.hook = (call, fake) => {
      if (call.method !== 'POST') return undefined
      fake.handle(call)
      cancel()
      throw connectionReset()
    }
    const error = await rejection(runRestore(rt, [rt], [501]))
    expect(error).toBeInstanceOf(CancelledError)
    expect(api.made('POST', RESTORE)).toHaveLength(1)
    expect(pendingOf(rt.outcome)).toBe(
      'Server 12345 is being restored from backup 501 on VPS.org (or the request to do so was sent); the restore goes on. Check the server is active before you deploy to it again.'
    )
  })

  it('a 200 naming another server is no evidence: the server is followed, and the answer logged', async () => {
    const { rt, api, clock, log } = setup({ mode: 'restore', backup_id: '501' })
    api.addBackup({ id: 501 })
    answerPosts(api, {
      status: 200,
      body: { id: 999, name: 'someone-else', status: 'active', updated_at: '2025-01-15T10:20:00Z' }
    })
    const start = clock.now()
    await runRestore(rt, [rt], [501])
    expect(api.made('POST', RESTORE)).toHaveLength(1)
    expect(rt.outcome.restored).toBe(true)
    expect(rt.outcome.server?.id).toBe(12345)
    // Done when this server's restore ended, not when the answer came.
    expect(clock.now() - start).toBeGreaterThanOrEqual(api.restoreDurationMs)
    expect(log.of('warning')).toEqual([
      "The API answered the restore of server 12345 with server 999 ('active'): that is no evidence of this restore, so server 12345 is followed instead."
    ])
  })

  it('after a lost answer on an untouched server, a restore the API queued is watched for, not sent again', async () => {
    const { rt, api, clock, log } = setup({ mode: 'restore', backup_id: '501' })
    api.addBackup({ id: 501 })
    // Accepted and queued: it starts 40 s after the request, well after the answer was lost.
    api.options.restoreQueueMs = 40_000
    api.hook = (call, fake) => {
      if (call.method !== 'POST') return undefined
      fake.handle(call)
      throw connectionReset()
    }
    const start = clock.now()
    await runRestore(rt, [rt], [501])
    expect(api.made('POST', RESTORE)).toHaveLength(1)
    expect(api.model.restores).toHaveLength(1)
    expect(rt.outcome.restored).toBe(true)
    expect(clock.now() - start).toBeGreaterThanOrEqual(40_000 + api.restoreDurationMs)
    expect(log.of('info')).toContain(
      'Server 12345 is restoring: the request was carried out although its answer was lost, so it is not sent again.'
    )
  })

  it('after a lost answer on an untouched server, sends again only once the grace has passed', async () => {
    const { rt, api } = setup({ mode: 'restore', backup_id: '501' })
    api.addBackup({ id: 501 })
    // The first request never reached the API.
    api.hook = (call, fake) => {
      if (call.method === 'POST' && fake.made('POST', RESTORE).length === 1) throw connectionReset()
      return undefined
    }
    await runRestore(rt, [rt], [501])
    const posts = api.made('POST', RESTORE)
    expect(posts).toHaveLength(2)
    expect(posts[1]!.at - posts[0]!.at).toBeGreaterThanOrEqual(60_000)
    expect(posts[1]!.at - posts[0]!.at).toBeLessThan(70_000)
    expect(api.model.restores).toHaveLength(1)
    expect(rt.outcome.restored).toBe(true)
  })

  it('after a lost answer, a watch cut short by the timeout sends nothing again: outcome unknown', async () => {
    const { rt, api, clock } = setup({ mode: 'restore', backup_id: '501', timeout: '30s' })
    api.addBackup({ id: 501 })
    api.hook = (call) => {
      if (call.method === 'POST') throw connectionReset()
      return undefined
    }
    const start = clock.now()
    const error = await rejection(runRestore(rt, [rt], [501]))
    expect(error).toBeInstanceOf(ActionError)
    expect(error.message).toContain(
      'and the timeout came before the grace had passed: whether server 12345 is being restored from backup 501 is unknown.'
    )
    expect(api.made('POST', RESTORE)).toHaveLength(1)
    expect(clock.now() - start).toBeLessThanOrEqual(30_000)
    expect(rt.outcome.pending).toContain('may be queued or running')
  })

  it('with wait: false, returns once the restore is accepted', async () => {
    const { rt, api } = setup({ mode: 'restore', backup_id: '501', wait: 'false' })
    api.addBackup({ id: 501 })
    await runRestore(rt, [rt], [501])
    expect(api.made('POST', RESTORE)).toHaveLength(1)
    expect(rt.outcome.status).toBe('restoring')
    expect(rt.outcome.pending).toContain('501')
  })

  it.each([
    ['a backup of another server', 777],
    ['a backup that does not exist', 778]
  ])('refuses %s without any restore request', async (_, id) => {
    const { rt, api } = setup({ mode: 'restore', backup_id: String(id) })
    api.ignoreServerFilter = true
    api.addBackup({ id: 777, serverId: 999 })
    const error = await rejection(runRestore(rt, [rt], [id]))
    expect(error).toBeInstanceOf(ActionError)
    expect(error.message).toContain(`Backup ${id} is not one of server 12345's backups`)
    expect(error.message).toContain('no restore was requested')
    expect(api.requests.filter((r) => r.url.pathname.endsWith('/restore/'))).toEqual([])
  })

  it('refuses a failed backup without any restore request', async () => {
    const { rt, api } = setup({ mode: 'restore', backup_id: '501' })
    api.addBackup({ id: 501, status: 'failed' })
    const error = await rejection(runRestore(rt, [rt], [501]))
    expect(error.message).toContain('failed')
    expect(api.made('POST', RESTORE)).toEqual([])
  })

  it('latest: picks the newest completed backup of this server, whatever the list order', async () => {
    const { rt, api } = setup({ mode: 'restore', backup_id: 'latest' })
    api.ignoreServerFilter = true
    const ours = { description: own() }
    api.addBackup({ id: 510, createdAt: '2025-01-10T10:00:00Z', ...ours })
    api.addBackup({ id: 530, status: 'failed', createdAt: '2025-01-15T10:00:00Z', ...ours })
    api.addBackup({ id: 519, createdAt: '2025-01-14T10:00:00Z', ...ours })
    // Running for another minute: the server is busy (409) until it ends, as the simulator says.
    api.addBackup({
      id: 540,
      status: 'in_progress',
      createdAt: '2025-01-16T15:00:00Z',
      durationMs: 60_000,
      ...ours
    })
    api.addBackup({ id: 520, createdAt: '2025-01-14T10:00:00Z', ...ours })
    api.addBackup({
      id: 600,
      serverId: 999,
      createdAt: '2025-01-16T12:00:00Z',
      ...ours
    })
    api.addBackup({ id: 525, backupType: 'automatic', createdAt: '2025-01-14T03:00:00Z' })
    api.addBackup({ id: 505, createdAt: '2025-01-13T23:59:59Z', ...ours })
    // Created at the same time as 520: the ids tell only then.
    api.addBackup({ id: 517, createdAt: '2025-01-14T10:00:00Z', ...ours })
    await runRestore(rt, [rt], ['latest'])
    const asked = api.made('POST', RESTORE).map((r) => r.body)
    expect(asked.length).toBeGreaterThan(0)
    expect(asked).toEqual(asked.map(() => ({ backup_id: 520 })))
    expect(rt.outcome.backup?.id).toBe(520)
  })

  // A rollback tool's latest: an automatic daily backup, or anyone else's, taken after a bad
  // deploy holds the broken state.
  it('latest: only a backup this action made for this repository, even when others are newer', async () => {
    const { rt, api } = setup({ mode: 'restore', backup_id: 'latest' })
    api.addBackup({ id: 510, createdAt: '2025-01-10T10:00:00Z', description: own() })
    api.addBackup({ id: 525, backupType: 'automatic', createdAt: '2025-01-16T03:00:00Z' })
    api.addBackup({ id: 526, createdAt: '2025-01-16T04:00:00Z', description: foreign() })
    api.addBackup({ id: 527, createdAt: '2025-01-16T05:00:00Z', description: 'by hand' })
    await runRestore(rt, [rt], ['latest'])
    expect(api.made('POST', RESTORE).map((r) => r.body)).toEqual([{ backup_id: 510 }])
  })

  it('latest: a backup whose creation time is not a date is never taken for the newest', async () => {
    const { rt, api } = setup({ mode: 'restore', backup_id: 'latest' })
    api.addBackup({ id: 510, createdAt: '2025-01-10T10:00:00Z', description: own() })
    api.addBackup({ id: 590, createdAt: '2025-01-16T05:00:00Z', description: own() })
    listCreatedAt(api, 590, '2026')
    await runRestore(rt, [rt], ['latest'])
    expect(api.made('POST', RESTORE).map((r) => r.body)).toEqual([{ backup_id: 510 }])
  })

  it('latest: fails without any restore request when no backup of this action has completed', async () => {
    const { rt, api } = setup({ mode: 'restore', backup_id: 'latest' })
    api.addBackup({ id: 530, status: 'failed', description: own() })
    api.addBackup({ id: 540, status: 'in_progress', durationMs: 1e9, description: own() })
    api.addBackup({ id: 550, backupType: 'automatic' })
    api.addBackup({ id: 551, description: foreign() })
    const error = await rejection(runRestore(rt, [rt], ['latest']))
    expect(error.message).toBe(
      "Server 12345 has no completed backup made by this action for acme/shop (backup_id: latest restores only those, never an automatic backup or another repository's); no restore was requested."
    )
    expect(api.made('POST', RESTORE)).toEqual([])
  })

  it('waits for a backup that is still being made, then restores from it', async () => {
    const { rt, api, clock } = setup({ mode: 'restore', backup_id: '540' })
    const ready = clock.now() + 4 * 60_000
    api.addBackup({ id: 540, status: 'in_progress', durationMs: ready - clock.now() })
    await runRestore(rt, [rt], [540])
    const posts = api.made('POST', RESTORE)
    expect(posts).toHaveLength(1)
    expect(posts[0]!.at).toBeGreaterThanOrEqual(ready)
    expect(rt.outcome.backup).toMatchObject({ id: 540, status: 'completed' })
    expect(rt.outcome.status).toBe('active')
  })

  it('waits out a busy server (409) with short delays early on, then restores once', async () => {
    const { rt, api, clock, log } = setup({ mode: 'restore', backup_id: '501' })
    api.addBackup({ id: 501 })
    let busy = 2
    api.hook = (request) =>
      request.method === 'POST' && busy-- > 0
        ? { status: 409, body: { detail: 'Another operation is running.' } }
        : undefined
    const start = clock.now()
    await runRestore(rt, [rt], [501])
    expect(api.made('POST', RESTORE)).toHaveLength(3)
    expect(api.made('POST', RESTORE)[2]!.at - start).toBeLessThanOrEqual(10_000)
    expect(rt.outcome.status).toBe('active')
    expect(log.text()).toContain('(busy: waiting for the other operation to end)')
  })

  it('after a restore whose answer was lost, sees the server restoring and does not send another', async () => {
    const { rt, api } = setup({ mode: 'restore', backup_id: '501' })
    api.addBackup({ id: 501 })
    api.hook = (request: ApiCall, fake) => {
      if (request.method === 'POST' && fake.made('POST', RESTORE).length === 1) {
        fake.handle(request)
        throw connectionReset()
      }
      return undefined
    }
    await runRestore(rt, [rt], [501])
    expect(api.made('POST', RESTORE)).toHaveLength(1)
    expect(rt.outcome.status).toBe('active')
    expect(api.model.server(12345).status).toBe('active')
  })

  it('after a restore refused with a 503, sends it again', async () => {
    const { rt, api } = setup({ mode: 'restore', backup_id: '501' })
    api.addBackup({ id: 501 })
    let refused = 1
    api.hook = (request) =>
      request.method === 'POST' && refused-- > 0 ? { status: 503, body: '' } : undefined
    await runRestore(rt, [rt], [501])
    expect(api.made('POST', RESTORE)).toHaveLength(2)
    expect(rt.outcome.status).toBe('active')
  })

  it('waits for a restore already running to end before sending its own', async () => {
    const { rt, api, clock } = setup({ mode: 'restore', backup_id: '501' })
    api.addBackup({ id: 501 })
    api.startOtherRestore(501, 90_000)
    const otherEnds = clock.now() + 90_000
    await runRestore(rt, [rt], [501])
    const posts = api.made('POST', RESTORE)
    expect(posts).toHaveLength(1)
    expect(posts[0]!.at).toBeGreaterThanOrEqual(otherEnds)
    expect(clock.now()).toBeGreaterThanOrEqual(otherEnds + api.restoreDurationMs)
    expect(rt.outcome.status).toBe('active')
  })

  it('fails when the server ends in error', async () => {
    const { rt, api } = setup({ mode: 'restore', backup_id: '501' })
    api.addBackup({ id: 501 })
    api.model.nextRestoreOutcomes.push('error')
    const error = await rejection(runRestore(rt, [rt], [501]))
    expect(error).toBeInstanceOf(ActionError)
    expect(error.message).toContain("'error'")
    expect(rt.outcome.status).toBe('error')
  })

  it('does not take the server for restored before the restore has visibly begun', async () => {
    const { rt, api, clock } = setup({ mode: 'restore', backup_id: '501' })
    api.addBackup({ id: 501 })
    // The API accepts the restore but starts it 30 s later; it then runs for 2 minutes.
    api.options.restoreQueueMs = 30_000
    const start = clock.now()
    await runRestore(rt, [rt], [501])
    expect(rt.outcome.status).toBe('active')
    expect(clock.now() - start).toBeGreaterThanOrEqual(30_000 + api.restoreDurationMs)
  })

  it('does not take a 202 that carries the server, still active, for a finished restore', async () => {
    const { rt, api, clock } = setup({ mode: 'restore', backup_id: '501' })
    api.addBackup({ id: 501 })
    // The restore is accepted; the body is the server as it was when the request arrived.
    answerPosts(api, {
      status: 202,
      body: {
        id: 12345,
        name: 'web-server-01',
        status: 'active',
        updated_at: '2025-01-15T10:20:00Z'
      }
    })
    const start = clock.now()
    await runRestore(rt, [rt], [501])
    expect(clock.now() - start).toBeGreaterThanOrEqual(api.restoreDurationMs)
    expect(api.model.server(12345).status).toBe('active')
  })
  describe('decides "restored" from evidence of this restore only', () => {
    /** The API changes the server's updated_at on its own, at every read. */
    function touchOnRead(api: InProcessApi): void {
      const previous = api.hook
      api.hook = (request, fake) => {
        if (request.method === 'GET' && request.url.pathname.startsWith('/api/v1/servers/')) {
          fake.model.touchServers()
        }
        return previous?.(request, fake)
      }
    }

    it('a 503 then an updated_at changed for another reason: fails, outcome unknown, one request', async () => {
      const { rt, api } = setup({ mode: 'restore', backup_id: '501' })
      api.addBackup({ id: 501 })
      api.hook = (request) =>
        request.method === 'POST' ? { status: 503, body: { detail: 'Down.' } } : undefined
      touchOnRead(api)
      const error = await rejection(runRestore(rt, [rt], [501]))
      expect(error).toBeInstanceOf(ActionError)
      expect(error.message).toContain('is unknown')
      expect(error.message).toContain('Down.')
      expect(api.made('POST', RESTORE)).toHaveLength(1)
      expect(rt.outcome.status).not.toBe('active')
    })

    it('a queued restore, with updated_at changing meanwhile, is not taken for finished', async () => {
      const { rt, api, clock } = setup({ mode: 'restore', backup_id: '501' })
      api.addBackup({ id: 501 })
      api.options.restoreQueueMs = 20_000
      touchOnRead(api)
      const start = clock.now()
      await runRestore(rt, [rt], [501])
      expect(rt.outcome.status).toBe('active')
      expect(clock.now() - start).toBeGreaterThanOrEqual(20_000 + api.restoreDurationMs)
    })

    it('a fast restore that never bumps updated_at nor shows restoring succeeds', async () => {
      const { rt, api, clock } = setup({ mode: 'restore', backup_id: '501', timeout: '10m' })
      api.addBackup({ id: 501 })
      api.hook = (request) =>
        request.method === 'POST' ? { status: 202, body: { detail: 'Done quickly.' } } : undefined
      const start = clock.now()
      await runRestore(rt, [rt], [501])
      expect(rt.outcome.status).toBe('active')
      expect(rt.outcome.pending).toBeUndefined()
      expect(clock.now() - start).toBeLessThanOrEqual(65_000)
    })

    it('after a lost answer, an untouched active server gets the request again; a 409 then is unknown', async () => {
      const { rt, api } = setup({ mode: 'restore', backup_id: '501' })
      api.addBackup({ id: 501 })
      api.hook = (request, fake) => {
        if (request.method !== 'POST') return undefined
        if (fake.made('POST', RESTORE).length === 1) throw connectionReset()
        return { status: 409, body: { detail: 'A restore is queued.' } }
      }
      const error = await rejection(runRestore(rt, [rt], [501]))
      expect(error.message).toContain('is unknown')
      expect(error.message).toContain('busy (409)')
      expect(api.made('POST', RESTORE)).toHaveLength(2)
      expect(rt.outcome.pending).toContain('may be queued or running')
    })

    it.each(['stopped', 'suspended', 'error'] as const)(
      'fails at once when the server is left %s after the restore',
      async (status) => {
        const { rt, api, clock } = setup({ mode: 'restore', backup_id: '501' })
        api.addBackup({ id: 501 })
        api.model.nextRestoreOutcomes.push(status)
        const start = clock.now()
        const error = await rejection(runRestore(rt, [rt], [501]))
        expect(error.message).toContain(`'${status}'`)
        expect(rt.outcome.status).toBe(status)
        expect(rt.outcome.pending).toBeUndefined()
        expect(clock.now() - start).toBeLessThanOrEqual(api.restoreDurationMs * 1.1 + 2000)
      }
    )

    it('a server busy (409) for longer than timeout ends at the deadline', async () => {
      const { rt, api, clock } = setup({ mode: 'restore', backup_id: '501', timeout: '5m' })
      api.addBackup({ id: 501 })
      api.hook = (request) =>
        request.method === 'POST' ? { status: 409, body: { detail: 'Busy.' } } : undefined
      const start = clock.now()
      const error = await rejection(runRestore(rt, [rt], [501]))
      expect(error).toBeInstanceOf(ApiError)
      expect(error.message).toContain('Busy.')
      expect(clock.now() - start).toBeLessThanOrEqual(5 * 60_000)
      expect(clock.now() - start).toBeGreaterThan(4 * 60_000)
      expect(rt.outcome.pending).toBeUndefined()
    })
  })
})

describe('a fleet whose first server fails', () => {
  const refuseFirst = (api: InProcessApi, method: string): void => {
    api.hook = (call) =>
      call.method === method && call.url.pathname.includes('101')
        ? { status: 403, body: { detail: 'Not allowed.' } }
        : undefined
  }

  it('restore: every other server is restored, and each server’s outcome is reported', async () => {
    const { rt, api, log } = setup({
      mode: 'restore',
      server_id: '101, 102, 103',
      backup_id: 'latest'
    })
    const servers = serverRuntimes(rt)
    for (const [i, serverId] of [101, 102, 103].entries()) api.addBackup({ id: i + 1, serverId })
    refuseFirst(api, 'POST')
    const error = await rejection(runRestore(rt, servers, [1, 2, 3]))
    expect(error.message).toMatch(
      /^1 of 3 servers failed\. Server 101: .*Not allowed.*; server 102: restored from backup 2; server 103: restored from backup 3\.$/
    )
    expect(servers.map((s) => s.outcome.restored)).toEqual([undefined, true, true])
    expect(log.of('group')).toEqual(['Find the backups of 3 servers', 'Restore 3 servers'])
    expect(servers.map((s) => s.outcome.status)).toEqual([undefined, 'active', 'active'])
    expect([...rt.outcome.servers!.keys()]).toEqual([101, 102, 103])
  })
})

describe('runRestore, as the log tells it', () => {
  it('logs each phase in a group, the backup, the request, each status and the result', async () => {
    const { rt, api, clock, log } = setup({ mode: 'restore', backup_id: '501' })
    api.addBackup({ id: 501 })
    const start = clock.now()
    await runRestore(rt, [rt], [501])
    expect(log.of('group')).toEqual([
      'Find the backup',
      'Restore server 12345 from backup 501',
      'Wait for server 12345 to be active'
    ])
    const info = log.of('info')
    expect(info).toContain(
      'Backup 501: manual, completed, created 2025-01-10T10:00:00Z, "Pre-update backup"'
    )
    expect(info).toContain('Restore of server 12345 from backup 501 requested.')
    expect(info).toContain('Server 12345: restore requested (0s)')
    expect(info.some((line) => line.startsWith('Server 12345: restoring ('))).toBe(true)
    expect(info.at(-1)).toBe(
      `Server 12345 is active again, restored from backup 501 (2025-01-10T10:00:00Z) in ${formatDuration(clock.now() - start)}.`
    )
    expect(rt.outcome.restored).toBe(true)
  })

  it('logs a backup without a description as ""', async () => {
    const { rt, api, log } = setup({ mode: 'restore', backup_id: '501' })
    api.addBackup({ id: 501 })
    api.hook = (request, fake) => overrideFields(fake.handle(request), { description: null })
    await runRestore(rt, [rt], [501])
    expect(log.of('info')).toContain(
      'Backup 501: manual, completed, created 2025-01-10T10:00:00Z, ""'
    )
  })

  it('waits for a running backup in a group of its own', async () => {
    const { rt, api, log } = setup({ mode: 'restore', backup_id: '540' })
    api.addBackup({ id: 540, status: 'in_progress', durationMs: 60_000 })
    await runRestore(rt, [rt], [540])
    expect(log.of('group')).toContain('Wait for backup 540 to complete')
  })
})

describe('runRestore, choosing the backup', () => {
  it('restores from the backup named by id, not the first listed', async () => {
    const { rt, api } = setup({ mode: 'restore', backup_id: '502' })
    api.addBackup({ id: 501 })
    api.addBackup({ id: 502 })
    await runRestore(rt, [rt], [502])
    expect(api.made('POST', RESTORE).map((r) => r.body)).toEqual([{ backup_id: 502 }])
  })

  it('refuses a failed backup saying so, before waiting or requesting anything', async () => {
    const { rt, api, log } = setup({ mode: 'restore', backup_id: '501' })
    api.addBackup({ id: 501, status: 'failed' })
    const error = await rejection(runRestore(rt, [rt], [501]))
    expect(error.message).toBe(
      'Backup 501 of server 12345 failed when it was made: it cannot be restored; no restore was requested.'
    )
    expect(log.of('group')).toEqual(['Find the backup'])
  })
})

describe('runRestore, the answer to the request', () => {
  it('a 200 with the server active, wait: false: restored, nothing left running', async () => {
    const { rt, api, log } = setup({ mode: 'restore', backup_id: '501', wait: 'false' })
    api.addBackup({ id: 501 })
    api.hook = (request, fake) =>
      request.method === 'POST'
        ? { status: 200, body: { ...fake.model.serverJson(12345), status: 'active' } }
        : undefined
    await runRestore(rt, [rt], [501])
    expect(rt.outcome.restored).toBe(true)
    expect(rt.outcome.pending).toBeUndefined()
    expect(rt.outcome.status).toBe('active')
    // This server's own answer is evidence: no warning that it is not.
    expect(log.of('warning')).toEqual([])
  })

  it('a refusal (400) fails at once: one request, nothing left running, no retry', async () => {
    const { rt, api, log } = setup({ mode: 'restore', backup_id: '501' })
    api.addBackup({ id: 501 })
    api.hook = (request) =>
      request.method === 'POST' ? { status: 400, body: { detail: 'Bad backup.' } } : undefined
    const error = await rejection(runRestore(rt, [rt], [501]))
    expect(error).toBeInstanceOf(ApiError)
    expect(api.made('POST', RESTORE)).toHaveLength(1)
    expect(rt.outcome.pending).toBeUndefined()
    expect(log.text()).not.toContain('busy')
  })

  it('a 503 every time: five requests, then the 503', async () => {
    const { rt, api, log } = setup({ mode: 'restore', backup_id: '501' })
    api.addBackup({ id: 501 })
    api.hook = (request) =>
      request.method === 'POST' ? { status: 503, body: { detail: 'Down.' } } : undefined
    const error = await rejection(runRestore(rt, [rt], [501]))
    expect(error).toBeInstanceOf(ApiError)
    expect(error.message).toContain('Down.')
    expect(api.made('POST', RESTORE)).toHaveLength(5)
    expect(log.text()).not.toContain('busy')
    const retries = log.of('info').filter((l) => l.includes('Checking the server again'))
    expect(retries).toHaveLength(4)
    for (const line of retries) {
      expect(line).toMatch(
        /^Could not restore server 12345 from backup 501: HTTP 503: Down\. Checking the server again in [\d.]+s$/
      )
    }
  })

  it('a 500 whose restore was carried out is not sent again', async () => {
    const { rt, api, log } = setup({ mode: 'restore', backup_id: '501' })
    api.addBackup({ id: 501 })
    answerPosts(api, { status: 500, body: { detail: 'Oops.' } })
    await runRestore(rt, [rt], [501])
    expect(api.made('POST', RESTORE)).toHaveLength(1)
    expect(log.of('info')).toContain(
      'Server 12345 is restoring: the request was carried out although its answer was lost, so it is not sent again.'
    )
  })

  it('after a lost answer, a restore seen under way then ended is restored at once, not after a grace', async () => {
    const { rt, api, clock, log } = setup({ mode: 'restore', backup_id: '501' })
    api.addBackup({ id: 501 })
    api.hook = (request, fake) => {
      if (request.method === 'POST') {
        fake.handle(request)
        throw connectionReset()
      }
      if (
        request.method === 'GET' &&
        request.url.pathname === SERVER &&
        fake.made('POST', RESTORE).length
      ) {
        const reply = fake.handle(request)
        // The restore, seen running, ends 100 ms later.
        const restore = fake.model.restores[0]
        if (restore && fake.model.server(12345).status === 'restoring') {
          restore.durationMs = clock.now() + 100 - restore.at
        }
        return reply
      }
      return undefined
    }
    const start = clock.now()
    await runRestore(rt, [rt], [501])
    expect(rt.outcome.restored).toBe(true)
    expect(clock.now() - start).toBeLessThan(30_000)
    expect(log.text()).not.toContain('was not seen restoring')
  })

  it('after a lost answer, a server whose status changed (same updated_at) is an unknown outcome', async () => {
    const { rt, api } = setup({ mode: 'restore', backup_id: '501' })
    api.addBackup({ id: 501 })
    // An API that shows no updated_at.
    api.hook = (request, fake) => {
      if (request.method === 'POST') {
        fake.model.setServerStatus(12345, 'stopped')
        throw connectionReset()
      }
      const reply = fake.handle(request)
      delete (reply.body as Record<string, unknown>).updated_at
      return reply
    }
    const error = await rejection(runRestore(rt, [rt], [501]))
    expect(error).toBeInstanceOf(ActionError)
    expect(error.message).toContain(
      "server 12345 is now 'stopped' (updated ?) but was not seen restoring: whether server 12345 is being restored from backup 501 is unknown."
    )
    expect(api.made('POST', RESTORE)).toHaveLength(1)
  })

  it('does not wait out a busy server when the next look would be at the deadline', async () => {
    const { rt, api } = setup({ mode: 'restore', backup_id: '501', timeout: '2m' })
    rt.policy = () => 60_000
    api.addBackup({ id: 501 })
    api.hook = (request) =>
      request.method === 'POST' ? { status: 409, body: { detail: 'Busy.' } } : undefined
    await rejection(runRestore(rt, [rt], [501]))
    expect(api.made('POST', RESTORE)).toHaveLength(2)
  })
})

describe('runRestore, a dry run (dry_run: true)', () => {
  /** Every request that would change something: a dry run sends none. */
  const changes = (api: InProcessApi): ApiCall[] => api.requests.filter((r) => r.method !== 'GET')

  it('a server being restored right now: says a real run would wait for that restore, and waits for nothing', async () => {
    const { rt, api, clock, log } = setup({ mode: 'restore', backup_id: '501', dry_run: 'true' })
    api.addBackup({ id: 501 })
    api.startOtherRestore(501, 90_000)
    const start = clock.now()
    await runRestore(rt, [rt], [501])
    expect(log.of('info')).toContain(
      'Server 12345 is being restored right now: a real run would wait for that restore to end first.'
    )
    expect(clock.now() - start).toBeLessThan(1000)
    expect(changes(api)).toEqual([])
    // The server as the dry run read it; the step's status is the dry run's.
    expect(rt.outcome.server).toMatchObject({ id: 12345, status: 'restoring' })
    expect(rt.outcome.status).toBe('dry_run')
  })

  it('an active server and a completed backup: no word of any wait, and the server as read is recorded', async () => {
    const { rt, api, log } = setup({ mode: 'restore', backup_id: '501', dry_run: 'true' })
    api.addBackup({ id: 501 })
    await runRestore(rt, [rt], [501])
    expect(log.text()).not.toContain('being restored right now')
    expect(log.text()).not.toContain('still being made')
    expect(rt.outcome.server).toMatchObject({ id: 12345, name: 'web-server-01', status: 'active' })
    expect(rt.outcome.backup).toMatchObject({ id: 501, status: 'completed' })
    expect(rt.outcome.status).toBe('dry_run')
  })

  it('several servers: the restore phase is titled a dry run, and a server that would be restored is said so', async () => {
    const { rt, api, log } = setup({
      mode: 'restore',
      server_id: '101, 102',
      backup_id: '{"101":501,"102":502}',
      dry_run: 'true'
    })
    api.addBackup({ id: 501, serverId: 101 })
    api.addBackup({ id: 502, serverId: 102 })
    // Server 102 cannot be read once its backup is found: its preview fails, 101's goes on.
    api.hook = (call) =>
      call.method === 'GET' && call.url.pathname === '/api/v1/servers/102/'
        ? { status: 403, body: { detail: 'Not allowed.' } }
        : undefined
    const servers = serverRuntimes(rt)
    const error = await rejection(runRestore(rt, servers, [501, 502]))
    expect(log.of('group')).toEqual(['Find the backups of 2 servers', 'Dry run: restore 2 servers'])
    expect(error.message).toMatch(
      /^1 of 2 servers failed\. Server 102: .*Not allowed.*; server 101: would be restored from backup 501\.$/
    )
    expect(changes(api)).toEqual([])
  })
})
