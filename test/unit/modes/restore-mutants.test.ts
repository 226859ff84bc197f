import { afterEach, describe, expect, it } from 'vitest'
import { formatDuration } from '../../../src/common/duration.js'
import { ActionError, ApiError } from '../../../src/common/errors.js'
import { isOlder, newestFirst } from '../../../src/vpsorg/api-types.js'
import { runRestore } from '../../../src/modes/restore.js'
import { overrideFields } from '../../../simulator/faults.js'
import { RESTORE, SERVER } from '../../helpers/api.js'
import { closeAgents, setup } from '../../helpers/fake-runtime.js'
import { rejection } from '../../helpers/rejection.js'
import { backup } from '../../helpers/backup.js'
import { type InProcessApi, answerPosts, connectionReset } from '../../helpers/vpsorg.js'

/** Tests that kill the surviving mutants of src/restore.ts (docs/mutation.md). */

afterEach(closeAgents)

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

describe('runRestore, following the server', () => {
  it('waits out a restore already running, saying so once and while it lasts', async () => {
    const { rt, api, log } = setup({ mode: 'restore', backup_id: '501' })
    api.addBackup({ id: 501 })
    api.startOtherRestore(501, 90_000)
    await runRestore(rt, [rt], [501])
    const info = log.of('info')
    expect(
      info.filter((l) => l === 'Server 12345 is already restoring; waiting for that to end first.')
    ).toHaveLength(1)
    expect(
      info.some((l) =>
        l.startsWith('Waiting for the restore already running on server 12345 to end:')
      )
    ).toBe(true)
  })

  it('times its looks from the request, not from the step’s start', async () => {
    const { rt, api, clock } = setup({ mode: 'restore', backup_id: '540' })
    const ready = clock.now() + 20 * 60_000
    api.addBackup({ id: 540, status: 'in_progress', durationMs: ready - clock.now() })
    await runRestore(rt, [rt], [540])
    const requested = api.made('POST', RESTORE)[0]!.at
    expect(requested).toBeLessThanOrEqual(ready + 2 * 60_000)
    expect(clock.now() - requested).toBeLessThanOrEqual(api.restoreDurationMs * 1.1 + 2000)
  })

  it('a queued restore seen under way and ended within the grace is done when it ends', async () => {
    const { rt, api, clock, log } = setup({ mode: 'restore', backup_id: '501' })
    api.addBackup({ id: 501 })
    // Accepted, queued for 30 s, then 10 s of restoring.
    api.options.restoreQueueMs = 30_000
    api.restoreDurationMs = 10_000
    const start = clock.now()
    await runRestore(rt, [rt], [501])
    expect(clock.now() - start).toBeLessThan(55_000)
    expect(log.text()).not.toContain('was not seen restoring')
  })

  it('a restore never seen under way counts as done exactly when the grace ends', async () => {
    const { rt, api, clock, log } = setup({ mode: 'restore', backup_id: '501' })
    rt.policy = () => 10_000
    api.addBackup({ id: 501 })
    api.hook = (request) =>
      request.method === 'POST' ? { status: 202, body: { detail: 'Done quickly.' } } : undefined
    await runRestore(rt, [rt], [501])
    const requested = api.made('POST', RESTORE)[0]!.at
    expect(clock.now() - requested).toBe(60_000)
    expect(log.of('info')).toContain(
      'Server 12345 is active and was not seen restoring within 1m of the request: the restore ran between two looks.'
    )
  })
})

describe('after a lost answer, the watch for a queued restore', () => {
  const lose = (api: InProcessApi): void => {
    api.hook = (call, fake) => {
      if (call.method !== 'POST') return undefined
      fake.handle(call)
      throw connectionReset()
    }
  }

  it('ends as soon as the restore is seen under way: one that ends within the grace is restored', async () => {
    const { rt, api } = setup({ mode: 'restore', backup_id: '501' })
    api.addBackup({ id: 501 })
    // Queued 20 s, then 10 s of restoring: over before the 60 s grace ends.
    api.options.restoreQueueMs = 20_000
    api.restoreDurationMs = 10_000
    lose(api)
    await runRestore(rt, [rt], [501])
    expect(api.made('POST', RESTORE)).toHaveLength(1)
    expect(rt.outcome.restored).toBe(true)
  })

  it('is not waited for when updated_at has moved: the outcome is unknown at once', async () => {
    const { rt, api, clock } = setup({ mode: 'restore', backup_id: '501' })
    api.addBackup({ id: 501 })
    api.hook = (call, fake) => {
      if (call.method !== 'POST') return undefined
      fake.model.touchServers()
      throw connectionReset()
    }
    const start = clock.now()
    const error = await rejection(runRestore(rt, [rt], [501]))
    expect(error.message).toContain('is unknown')
    expect(clock.now() - start).toBeLessThan(10_000)
  })
})

describe('newestFirst and isOlder: by creation time, ids only for the same millisecond', () => {
  const at = (id: number, createdAt: string) => backup(id, { created_at: createdAt })

  it('reads the date-times the API writes: without seconds, with a fraction, with an offset', () => {
    const base = at(1, '2025-01-10T10:00:30Z')
    for (const later of [
      '2025-01-10T10:01Z',
      '2025-01-10T10:00:30.123456Z',
      '2025-01-10T10:30:00+00:15',
      '2025-01-10T09:30:00-01:00'
    ]) {
      expect(isOlder(base, at(0, later))).toBe(true)
      expect(isOlder(at(0, later), base)).toBe(false)
      expect([base, at(0, later)].sort(newestFirst).map((b) => b.id)).toEqual([0, 1])
    }
  })

  it('newer first whatever the ids; ids only between backups of the same time', () => {
    const newerSmallId = at(3, '2025-01-11T10:00:00Z')
    const olderBigId = at(9, '2025-01-10T10:00:00Z')
    expect(Math.sign(newestFirst(newerSmallId, olderBigId))).toBe(-1)
    expect(Math.sign(newestFirst(olderBigId, newerSmallId))).toBe(1)
    const same = (id: number) => at(id, '2025-01-10T10:00:00Z')
    expect(Math.sign(newestFirst(same(5), same(3)))).toBe(-1)
    expect(Math.sign(newestFirst(same(3), same(5)))).toBe(1)
    expect(isOlder(same(3), same(5))).toBe(true)
    expect(isOlder(same(5), same(3))).toBe(false)
  })

  it('backups of an unknown time last, by id among themselves; never older', () => {
    const undated = (id: number) => at(id, '2026')
    const dated = at(1, '2025-01-10T10:00:00Z')
    expect(Math.sign(newestFirst(undated(9), dated))).toBe(1)
    expect(Math.sign(newestFirst(dated, undated(9)))).toBe(-1)
    expect(Math.sign(newestFirst(undated(5), undated(3)))).toBe(-1)
    expect(Math.sign(newestFirst(undated(3), undated(5)))).toBe(1)
    expect(isOlder(undated(1), dated)).toBe(false)
    expect(isOlder(dated, undated(9))).toBe(false)
  })
})
