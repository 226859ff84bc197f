import { afterEach, describe, expect, it } from 'vitest'
import { runBackup } from '../../../src/modes/backup.js'
import { runDelete } from '../../../src/modes/delete.js'
import { ActionError, ApiError, CancelledError } from '../../../src/common/errors.js'
import { pendingOf, serverRuntimes } from '../../../src/runtime/fleet.js'
import { runRestore } from '../../../src/modes/restore.js'
import { prune, pruneAfter } from '../../../src/modes/retention.js'
import type { Runtime } from '../../../src/runtime/runtime.js'
import type { Reply } from '../../../simulator/validation.js'
import { BACKUPS, RESTORE } from '../../helpers/api.js'
import { EPOCH } from '../../helpers/fake-clock.js'
import { RUN, TOKEN, closeAgents, setup } from '../../helpers/fake-runtime.js'
import type { MemoryLogger } from '../../helpers/memory-logger.js'
import { rejection } from '../../helpers/rejection.js'
import { STEP, own } from '../../helpers/run-context.js'
import {
  type ApiCall,
  type InProcessApi,
  answerPosts,
  connectionReset
} from '../../helpers/vpsorg.js'

const OWN = `[gha:acme/shop#${RUN}/1/${STEP}/0a1b2c3d]`

const foreign = (run = '1111') => `Pre-deployment backup [gha:other/shop#${run}]`
/** The description attempt `attempt` of step `step` of this run wrote. */
const earlier = (attempt = 1, step = STEP, nonce = 'aaaaaaa1') =>
  `Pre-deployment backup [gha:acme/shop#${RUN}/${attempt}/${step}/${nonce}]`

afterEach(closeAgents)

/** The API lists backup `id` with this created_at (one that is not a date-time, say). */
const listCreatedAt = (api: InProcessApi, id: number, createdAt: string): void => {
  api.hook = (call, fake) => {
    const reply = fake.handle(call)
    if (call.method !== 'GET' || call.url.pathname !== BACKUPS) return reply
    const page = reply.body as { results: Array<{ id: number; created_at: string }> }
    for (const b of page.results) if (b.id === id) b.created_at = createdAt
    return reply
  }
}

/** A backup still being made, ending `forMs` from now. */
const addRunning = (api: InProcessApi, id: number, description: string, forMs: number): void => {
  api.addBackup({ id, description, status: 'in_progress', durationMs: forMs })
}

/** Runs the backup step; it sends `posts` creates and ends with backup `id` completed. */
async function expectCompleted(
  rt: Runtime,
  api: InProcessApi,
  { posts, id }: { posts: number; id: number }
): Promise<void> {
  await runBackup(rt, [rt])
  expect(api.made('POST', BACKUPS)).toHaveLength(posts)
  expect(rt.outcome.backup).toMatchObject({ id, status: 'completed' })
}

/** What run() does in a backup step: the backup, then (completed, keep_backups) the prune. */
async function backupThenPrune(rt: Runtime): Promise<void> {
  await runBackup(rt, [rt])
  const own = rt.outcome.backup
  if (own?.status === 'completed' && rt.settings.keepBackups > 0) await pruneAfter(rt, own)
}

describe('runBackup', () => {
  it('creates a tagged backup, waits until it has completed, and reports it', async () => {
    const { rt, api, clock } = setup()
    const start = clock.now()
    await runBackup(rt, [rt])
    const posts = api.made('POST', BACKUPS)
    expect(posts).toHaveLength(1)
    expect(posts[0]!.body).toEqual({ server_id: 12345, description: rt.settings.description })
    expect(rt.settings.description.endsWith(OWN)).toBe(true)
    expect(posts[0]!.authorization).toBe(`Bearer ${TOKEN}`)
    expect(rt.outcome.backup).toMatchObject({ id: 600, status: 'completed', size_mb: 4400 })
    expect(rt.outcome.status).toBe('completed')
    expect(rt.outcome.pending).toBeUndefined()
    // Noticed within max(2 s, 10%) of the 3 minutes it took.
    expect(clock.now() - start).toBeGreaterThanOrEqual(api.backupDurationMs)
    expect(clock.now() - start).toBeLessThanOrEqual(api.backupDurationMs * 1.1)
  })

  it('with wait: false, returns the running backup and says it is still running', async () => {
    const { rt, api } = setup({ wait: 'false' })
    await runBackup(rt, [rt])
    expect(rt.outcome.backup).toMatchObject({ id: 600, status: 'in_progress' })
    expect(rt.outcome.status).toBe('in_progress')
    expect(rt.outcome.pending).toContain('600')
    expect(api.made('GET', BACKUPS)).toHaveLength(1)
  })

  it('warns once when the description had to be shortened, and not otherwise', async () => {
    const long = setup({ description: 'x'.repeat(300) })
    await runBackup(long.rt, [long.rt])
    const warnings = long.log.of('warning').filter((l) => l.includes('shortened'))
    expect(warnings).toEqual([
      `The description input is too long for VPS.org: it was shortened to "${long.rt.settings.description}".`
    ])
    expect(long.rt.settings.description).toHaveLength(255)
    const short = setup({ description: 'Before the deploy' })
    await runBackup(short.rt, [short.rt])
    expect(short.log.of('warning')).toEqual([])
  })

  it('fails when the backup fails, naming it', async () => {
    const { rt, api } = setup()
    api.model.nextBackupOutcomes.push('failed')
    const error = await rejection(runBackup(rt, [rt]))
    expect(error).toBeInstanceOf(ActionError)
    expect(error.message).toContain('Backup 600 of server 12345 failed')
    expect(rt.outcome.status).toBe('failed')
  })

  describe('on a re-run', () => {
    it('reuses the backup an earlier attempt of the same run made: no POST', async () => {
      const { rt, api } = setup({}, { runAttempt: 2 })
      api.addBackup({ id: 550, description: earlier(1), createdAt: '2025-01-16T15:30:00Z' })
      api.addBackup({ id: 540, description: own('1111'), createdAt: '2025-01-16T15:00:00Z' })
      api.addBackup({ id: 541, description: own(RUN), createdAt: '2025-01-16T15:00:00Z' })
      await runBackup(rt, [rt])
      expect(api.made('POST', BACKUPS)).toHaveLength(0)
      expect(rt.outcome.reused).toBe(true)
      expect(rt.outcome.backup?.id).toBe(550)
      expect(rt.outcome.status).toBe('completed')
    })

    it('reuses a backup that is still running, and waits for it', async () => {
      const { rt, api } = setup({}, { runAttempt: 3 })
      addRunning(api, 550, earlier(2), 60_000)
      await expectCompleted(rt, api, { posts: 0, id: 550 })
    })

    it('prefers a completed backup of the run to a running one', async () => {
      const { rt, api } = setup({}, { runAttempt: 2 })
      addRunning(api, 560, earlier(1), 1e6)
      api.addBackup({ id: 550, description: earlier(1, STEP, 'aaaaaaa2'), status: 'completed' })
      await runBackup(rt, [rt])
      expect(rt.outcome.backup?.id).toBe(550)
    })

    it('creates a new one when the run’s earlier backup failed, or is another repository’s', async () => {
      const { rt, api } = setup({}, { runAttempt: 2 })
      api.addBackup({ id: 550, description: earlier(1), status: 'failed' })
      api.addBackup({ id: 551, description: foreign(RUN) })
      api.addBackup({ id: 552, description: own('1111') })
      // The same run's v1.0.0 tag says no step; another step's; a later attempt's.
      api.addBackup({ id: 553, description: own(RUN) })
      api.addBackup({ id: 554, description: earlier(1, 'ffffffff') })
      api.addBackup({ id: 555, description: earlier(2) })
      await runBackup(rt, [rt])
      expect(api.made('POST', BACKUPS)).toHaveLength(1)
      expect(rt.outcome.reused).toBeFalsy()
      expect(rt.outcome.backup?.id).toBe(600)
    })

    it('on a first attempt, makes its own backup even if one of the same run exists', async () => {
      const { rt, api } = setup({}, { runAttempt: 1 })
      api.addBackup({ id: 550, description: earlier(1) })
      await runBackup(rt, [rt])
      expect(api.made('POST', BACKUPS)).toHaveLength(1)
      expect(rt.outcome.backup?.id).toBe(600)
    })

    it('does not reuse a backup of the same run on another server', async () => {
      const { rt, api } = setup({}, { runAttempt: 2 })
      api.ignoreServerFilter = true
      api.addBackup({ id: 550, description: earlier(1), serverId: 999 })
      await runBackup(rt, [rt])
      expect(api.made('POST', BACKUPS)).toHaveLength(1)
      expect(rt.outcome.backup?.id).toBe(600)
    })
  })

  it('adopts a backup whose create was carried out although its answer was lost', async () => {
    const { rt, api } = setup()
    let dropped = false
    api.hook = (request, fake) => {
      if (request.method === 'POST' && !dropped) {
        dropped = true
        fake.handle(request)
        throw connectionReset()
      }
      return undefined
    }
    await runBackup(rt, [rt])
    expect(api.made('POST', BACKUPS)).toHaveLength(1)
    expect(api.model.backups()).toHaveLength(1)
    expect(rt.outcome.backup).toMatchObject({ id: 600, status: 'completed' })
  })

  it('retries a create that was refused with a 503, and makes one backup', async () => {
    const { rt, api } = setup()
    let refused = 0
    api.hook = (request) =>
      request.method === 'POST' && refused++ === 0 ? { status: 503, body: '' } : undefined
    await runBackup(rt, [rt])
    expect(api.made('POST', BACKUPS)).toHaveLength(2)
    expect(api.model.backups()).toHaveLength(1)
  })

  describe('identity of the step’s own backup', () => {
    /** The first POST is carried out but its answer is lost; `before` runs first. */
    function loseFirstCreate(api: InProcessApi, before: () => void = () => {}): void {
      api.hook = (request, fake) => {
        if (request.method === 'POST' && fake.made('POST', BACKUPS).length === 1) {
          before()
          fake.handle(request)
          throw connectionReset()
        }
        return undefined
      }
    }

    it('after a lost create, adopts only the backup carrying its own nonce, not another job’s', async () => {
      const { rt, api } = setup()
      // Another job of the same run, same default description but its own nonce, creates meanwhile.
      loseFirstCreate(api, () =>
        addRunning(api, 590, rt.settings.description.replace('0a1b2c3d', 'bbbbbbbb'), 1e9)
      )
      await expectCompleted(rt, api, { posts: 1, id: 600 })
    })

    it('on a re-run with a custom description, never adopts the earlier attempt’s failed backup', async () => {
      const { rt, api } = setup({ description: 'Before deploy' }, { runAttempt: 2 })
      const failed = `Before deploy [gha:acme/shop#${RUN}/1/${STEP}/aaaaaaa1]`
      api.addBackup({ id: 550, description: failed, status: 'failed' })
      loseFirstCreate(api)
      await expectCompleted(rt, api, { posts: 1, id: 600 })
      expect(rt.outcome.backup?.description).toBe(rt.settings.description)
    })

    it('gives a backup not yet in the list after its 201 time to appear', async () => {
      const { rt, api, clock, log } = setup()
      let visibleFrom = Infinity
      api.hook = (request, fake) => {
        if (request.method === 'POST') {
          visibleFrom = clock.now() + 10_000
          return fake.handle(request)
        }
        if (request.method === 'GET' && clock.now() < visibleFrom) {
          return { status: 200, body: { count: 0, next: null, results: [] } }
        }
        return undefined
      }
      await runBackup(rt, [rt])
      expect(rt.outcome.backup).toMatchObject({ id: 600, status: 'completed' })
      expect(log.of('info').some((l) => l.startsWith('Backup 600: not listed yet ('))).toBe(true)
    })

    it('fails after the grace period when the created backup never appears, saying so', async () => {
      const { rt, api, clock } = setup()
      const start = clock.now()
      api.hook = (request, fake) =>
        request.method === 'GET'
          ? { status: 200, body: { count: 0, next: null, results: [] } }
          : fake.handle(request)
      const error = await rejection(runBackup(rt, [rt]))
      expect(error.message).toContain('has not appeared in the server')
      expect(clock.now() - start).toBeGreaterThanOrEqual(30_000)
      expect(clock.now() - start).toBeLessThan(40_000)
    })

    it.each([
      ['204 without a body', { status: 204 }],
      ['201 with an empty body', { status: 201, body: '' }],
      ['201 with an id that is not an integer', { status: 201, body: { id: 'x', status: 'ok' } }]
    ])('after a %s, finds the backup it created by its description', async (_, reply) => {
      const { rt, api, log } = setup()
      answerPosts(api, reply as Reply)
      await expectCompleted(rt, api, { posts: 1, id: 600 })
      expect(log.of('warning').join('\n')).toContain('without a usable backup')
    })

    it('after a create answer naming another server, says so and finds its own', async () => {
      const { rt, api, log } = setup()
      api.hook = (request, fake) => {
        if (request.method !== 'POST') return undefined
        const reply = fake.handle(request)
        const body = reply.body as Record<string, unknown>
        return { ...reply, body: { ...body, id: 777, server: { id: 999, name: 'someone-else' } } }
      }
      await runBackup(rt, [rt])
      expect(rt.outcome.backup).toMatchObject({ id: 600, status: 'completed' })
      expect(log.of('warning').join('\n')).toContain('names backup 777 of server 999')
    })
  })

  it('with wait: false, fails when the create is answered with a failed backup', async () => {
    const { rt, api } = setup({ wait: 'false' })
    api.hook = (request, fake) => {
      if (request.method !== 'POST') return undefined
      const reply = fake.handle(request)
      return { ...reply, body: { ...(reply.body as object), status: 'failed' } }
    }
    const error = await rejection(runBackup(rt, [rt]))
    expect(error.message).toContain('Backup 600 of server 12345 failed')
    expect(rt.outcome.status).toBe('failed')
    expect(rt.outcome.pending).toBeUndefined()
  })

  it('reports the last status seen, not the first, when the wait times out', async () => {
    const { rt, api } = setup({ timeout: '10m' })
    api.hook = (request, fake) => {
      if (request.method !== 'POST') return undefined
      const reply = fake.handle(request)
      Object.assign(fake.model.backup(600), { runningStatus: 'error', durationMs: Infinity })
      return reply
    }
    await rejection(runBackup(rt, [rt]))
    expect(rt.outcome.status).toBe('error')
  })

  it('clears what is still running once the backup is seen gone', async () => {
    const { rt, api, clock } = setup()
    api.hook = (request, fake) => {
      if (request.method === 'POST') return fake.handle(request)
      if (clock.now() > EPOCH + 5000) fake.removeAllBackups()
      return undefined
    }
    const error = await rejection(runBackup(rt, [rt]))
    expect(error.message).toContain('disappeared')
    expect(rt.outcome.pending).toBeUndefined()
  })

  describe('keep_backups', () => {
    it('deletes only this repository’s older backups beyond the newest N', async () => {
      const { rt, api } = setup({ keep_backups: '2' })
      api.ignoreServerFilter = true
      api.addBackup({ id: 501, description: own('1'), createdAt: '2025-01-10T10:00:00Z' })
      api.addBackup({ id: 503, description: own('3'), createdAt: '2025-01-12T10:00:00Z' })
      api.addBackup({ id: 502, description: own('2'), createdAt: '2025-01-11T10:00:00Z' })
      api.addBackup({
        id: 505,
        description: own('5'),
        status: 'in_progress',
        createdAt: '2025-01-09T10:00:00Z',
        durationMs: 1e9
      })
      api.addBackup({ id: 510, description: foreign('1'), createdAt: '2025-01-01T10:00:00Z' })
      api.addBackup({
        id: 511,
        description: 'Pre-update backup',
        createdAt: '2025-01-01T10:00:00Z'
      })
      api.addBackup({ id: 512, description: '', createdAt: '2025-01-01T10:00:00Z' })
      api.addBackup({
        id: 513,
        description: `${own('7')} edited`,
        createdAt: '2025-01-01T10:00:00Z'
      })
      api.addBackup({
        id: 520,
        description: own('4'),
        serverId: 999,
        createdAt: '2025-01-01T10:00:00Z'
      })
      api.addBackup({
        id: 530,
        description: own('6'),
        backupType: 'automatic',
        createdAt: '2025-01-01T10:00:00Z'
      })
      await backupThenPrune(rt)
      expect(rt.outcome.backup).toMatchObject({ id: 600, status: 'completed' })
      expect([...api.deletedIds()].sort()).toEqual([501, 502])
      expect([...rt.outcome.deleted].sort()).toEqual([501, 502])
      expect(
        api.model
          .backups()
          .map((b) => b.id)
          .sort()
      ).toEqual([503, 505, 510, 511, 512, 513, 520, 530, 600])
    })

    it('matches the repository case-insensitively', async () => {
      const { rt, api } = setup({ keep_backups: '1' }, { repository: 'Acme/Shop' })
      api.addBackup({ id: 501, description: own('1') })
      await backupThenPrune(rt)
      expect(api.deletedIds()).toEqual([501])
    })

    it('deletes nothing when there are no more than N', async () => {
      const { rt, api, log } = setup({ keep_backups: '3' })
      api.addBackup({ id: 501, description: own('1') })
      api.addBackup({ id: 502, description: own('2') })
      await backupThenPrune(rt)
      expect(api.deletedIds()).toEqual([])
      expect(log.text()).toContain('Nothing to prune')
    })

    it('does not prune with keep_backups: 0', async () => {
      const { rt, api } = setup()
      for (let id = 501; id <= 505; id++) api.addBackup({ id, description: own(String(id)) })
      await backupThenPrune(rt)
      expect(api.deletedIds()).toEqual([])
    })

    it('does not prune before the new backup has completed', async () => {
      const { rt, api } = setup({ keep_backups: '1', wait: 'false' })
      api.addBackup({ id: 501, description: own('1') })
      await backupThenPrune(rt)
      expect(api.deletedIds()).toEqual([])
    })

    it.each(['pending', 'queued', 'creating', 'in_progress', 'error'])(
      'never deletes an own backup whose status is %s (not final)',
      async (status) => {
        const { rt, api } = setup({ keep_backups: '1' })
        api.addBackup({
          id: 501,
          description: own('1'),
          status: 'in_progress',
          runningStatus: status,
          durationMs: 1e9
        })
        api.addBackup({ id: 502, description: own('2'), status: 'failed' })
        await backupThenPrune(rt)
        expect(api.deletedIds()).toEqual([502])
      }
    )

    it('never deletes an own backup newer than the step’s (a concurrent run’s)', async () => {
      const { rt, api } = setup({ keep_backups: '1' })
      const mine = api.addBackup({
        id: 550,
        description: own(RUN),
        createdAt: '2025-01-12T10:00:00Z'
      })
      api.addBackup({ id: 560, description: own('2'), createdAt: '2025-01-13T10:00:00Z' })
      api.addBackup({ id: 540, description: own('3'), createdAt: '2025-01-11T10:00:00Z' })
      await prune(rt, mine)
      expect(api.deletedIds()).toEqual([540])
    })

    // "Older" is "created earlier": on a re-run the step's backup (reused) can have a higher id
    // than one created after it, and an id says nothing of a backup whose time is not a date.
    it('compares creation times, not ids: never deletes a backup created after the step’s', async () => {
      const { rt, api } = setup({ keep_backups: '1' })
      const mine = api.addBackup({
        id: 550,
        description: own(RUN),
        createdAt: '2025-01-12T10:00:00Z'
      })
      // Created later with a smaller id (one in another time zone), at the same time, earlier
      // with a larger id, or at an unknown time.
      api.addBackup({ id: 530, description: own('2'), createdAt: '2025-01-12T10:30:00+01:00' })
      api.addBackup({ id: 534, description: own('7'), createdAt: '2025-01-12T09:30:00-01:00' })
      api.addBackup({ id: 531, description: own('3'), createdAt: '2025-01-13T10:00:00Z' })
      api.addBackup({ id: 532, description: own('4'), createdAt: '2025-01-12T10:00:00Z' })
      api.addBackup({ id: 560, description: own('5'), createdAt: '2025-01-11T10:00:00Z' })
      api.addBackup({ id: 533, description: own('6') })
      listCreatedAt(api, 533, 'unknown')
      await prune(rt, mine)
      // 530 was created at 09:30Z (534 at 10:30Z), 532 at the same time as 550 with a smaller
      // id: those are older.
      expect([...api.deletedIds()].sort()).toEqual([530, 532, 560])
    })

    it('a prune that fails is a warning, not a failure of the step', async () => {
      const { rt, api, log } = setup({ keep_backups: '1' })
      api.addBackup({ id: 501, description: own('1') })
      api.hook = (request) =>
        request.method === 'DELETE' ? { status: 500, body: { detail: 'Boom.' } } : undefined
      await backupThenPrune(rt)
      expect(rt.outcome.backup).toMatchObject({ id: 600, status: 'completed' })
      expect(log.of('warning').join('\n')).toContain('Pruning older backups did not finish')
      expect(log.of('warning').join('\n')).toContain('Boom.')
    })

    it('a prune ends within its bound, even with the step’s whole timeout left', async () => {
      const { rt, api, clock } = setup({ keep_backups: '1', timeout: '2h' })
      api.addBackup({ id: 501, description: own('1') })
      api.hook = (request) =>
        request.method === 'DELETE'
          ? { status: 503, body: '', headers: { 'retry-after': '30' } }
          : undefined
      await runBackup(rt, [rt])
      const start = clock.now()
      await pruneAfter(rt, rt.outcome.backup!)
      expect(clock.now() - start).toBeLessThanOrEqual(60_000)
    })

    it('prune() keeps the newest N, the given backup included', async () => {
      const { rt, api } = setup({ keep_backups: '2' })
      const newest = api.addBackup({
        id: 600,
        description: own(RUN),
        createdAt: '2025-01-16T15:45:00Z'
      })
      api.addBackup({ id: 501, description: own('1'), createdAt: '2025-01-10T10:00:00Z' })
      api.addBackup({ id: 502, description: own('2'), createdAt: '2025-01-11T10:00:00Z' })
      api.addBackup({ id: 503, description: own('3'), createdAt: '2025-01-12T10:00:00Z' })
      await prune(rt, newest)
      expect([...api.deletedIds()].sort()).toEqual([501, 502])
    })
  })

  describe('at the cap of 10 manual backups', () => {
    function fill(api: InProcessApi, ownCount: number): void {
      for (let i = 0; i < 10; i++) {
        api.addBackup({
          id: 501 + i,
          description: i < ownCount ? own(String(i)) : foreign(String(i)),
          createdAt: `2025-01-${String(2 + i).padStart(2, '0')}T10:00:00Z`
        })
      }
    }

    it('with keep_backups: 0, fails naming the limit and keep_backups, deleting nothing', async () => {
      const { rt, api } = setup()
      fill(api, 4)
      const error = await rejection(backupThenPrune(rt))
      expect(error).toBeInstanceOf(ActionError)
      expect(error.message).toContain('10')
      expect(error.message).toContain('keep_backups')
      expect(error.message).toContain('Maximum of 10 manual backups per server reached')
      expect(api.made('POST', BACKUPS)).toHaveLength(1)
      expect(api.deletedIds()).toEqual([])
      expect(rt.outcome.backup).toBeUndefined()
    })

    it('with keep_backups > 0, deletes its own oldest, creates again, then prunes', async () => {
      const { rt, api } = setup({ keep_backups: '3' })
      fill(api, 4) // own: 501..504 (oldest first); foreign: 505..510
      await backupThenPrune(rt)
      expect(api.made('POST', BACKUPS)).toHaveLength(2)
      // 501 to make room, then 502 to keep 3 (600, 504, 503).
      expect(api.deletedIds()).toEqual([501, 502])
      expect(rt.outcome.backup).toMatchObject({ id: 600, status: 'completed' })
      for (let id = 505; id <= 510; id++)
        expect(api.model.backups().some((b) => b.id === id)).toBe(true)
    })

    it('with keep_backups > 0 but none of its own to delete, fails and deletes nothing', async () => {
      const { rt, api } = setup({ keep_backups: '3' })
      fill(api, 0)
      const error = await rejection(backupThenPrune(rt))
      expect(error).toBeInstanceOf(ActionError)
      expect(error.message).toContain('Only 0 of them')
      expect(api.deletedIds()).toEqual([])
    })

    it('never deletes its own running backup to make room', async () => {
      const { rt, api } = setup({ keep_backups: '3' })
      fill(api, 0)
      Object.assign(api.model.backup(501), { description: own('0'), durationMs: Infinity })
      await rejection(backupThenPrune(rt))
      expect(api.deletedIds()).toEqual([])
    })

    it('a 400 that is not the cap, with 10 backups, deletes nothing and fails', async () => {
      const { rt, api } = setup({ keep_backups: '3' })
      fill(api, 4)
      api.hook = (request) =>
        request.method === 'POST'
          ? {
              status: 400,
              body: { description: ['Ensure this field has no more than 255 characters.'] }
            }
          : undefined
      const error = await rejection(backupThenPrune(rt))
      expect(error).toBeInstanceOf(ApiError)
      expect(api.deletedIds()).toEqual([])
      expect(api.made('POST', BACKUPS)).toHaveLength(1)
    })

    it('never deletes an own backup that is not final to make room', async () => {
      const { rt, api } = setup({ keep_backups: '3' })
      fill(api, 1)
      Object.assign(api.model.backup(501), { runningStatus: 'queued', durationMs: Infinity })
      const error = await rejection(backupThenPrune(rt))
      expect(error.message).toContain('Only 0 of them')
      expect(api.deletedIds()).toEqual([])
    })

    it('passes on a 400 that is not about the cap, deleting nothing', async () => {
      const { rt, api } = setup({ keep_backups: '3' })
      api.addBackup({ id: 501, description: own('1') })
      api.hook = (request) =>
        request.method === 'POST'
          ? {
              status: 400,
              body: { description: ['Ensure this field has no more than 255 characters.'] }
            }
          : undefined
      const error = await rejection(backupThenPrune(rt))
      expect(error).toBeInstanceOf(ApiError)
      expect(error.message).toContain('description: Ensure this field')
      expect(api.deletedIds()).toEqual([])
    })
  })
})

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

describe('runDelete', () => {
  it('never deletes another server’s backup, though the named server has backups of its own', async () => {
    const { rt, api } = setup({ mode: 'delete', backup_id: '777' })
    // A careless API that lists every server's backups, whatever server_id says.
    api.ignoreServerFilter = true
    api.addBackup({ id: 501 })
    api.addBackup({ id: 502 })
    api.addBackup({ id: 777, serverId: 999 })
    const error = await rejection(runDelete(rt, [rt], [777]))
    expect(error).toBeInstanceOf(ActionError)
    expect(error.message).toBe(
      "Backup 777 belongs to server 999, not to server 12345: it was not deleted. Set server_id to the backup's server to delete it."
    )
    expect(api.requests.filter((r) => r.method === 'DELETE')).toEqual([])
    expect(api.model.backups().map((b) => b.id)).toEqual([501, 502, 777])
  })

  it('deletes a backup of the server', async () => {
    const { rt, api } = setup({ mode: 'delete', backup_id: '501' })
    api.addBackup({ id: 501 })
    await runDelete(rt, [rt], [501])
    expect(api.deletedIds()).toEqual([501])
    expect(rt.outcome.status).toBe('deleted')
    expect(rt.outcome.deleted).toEqual([501])
    expect(rt.outcome.backup?.id).toBe(501)
  })

  it('treats a missing backup as a warning, not an error', async () => {
    const { rt, api, log } = setup({ mode: 'delete', backup_id: '501' })
    await runDelete(rt, [rt], [501])
    expect(api.deletedIds()).toEqual([])
    expect(rt.outcome.status).toBe('not_found')
    expect(rt.outcome.deleted).toEqual([])
    expect(log.of('warning').join('\n')).toContain('Backup 501')
  })

  it('never deletes a backup of another server, and fails saying whose it is', async () => {
    const { rt, api } = setup({ mode: 'delete', backup_id: '777' })
    api.ignoreServerFilter = true
    api.addBackup({ id: 777, serverId: 999 })
    const error = await rejection(runDelete(rt, [rt], [777]))
    expect(error).toBeInstanceOf(ActionError)
    expect(error.message).toContain('Backup 777 belongs to server 999, not to server 12345')
    expect(api.deletedIds()).toEqual([])
    expect(api.model.backups().map((b) => b.id)).toEqual([777])
  })

  it('treats a backup deleted meanwhile (404 on DELETE) as a warning', async () => {
    const { rt, api, log } = setup({ mode: 'delete', backup_id: '501' })
    api.addBackup({ id: 501 })
    api.hook = (request) =>
      request.method === 'DELETE' ? { status: 404, body: { detail: 'Not found.' } } : undefined
    await runDelete(rt, [rt], [501])
    expect(rt.outcome.status).toBe('not_found')
    expect(log.of('warning')).toHaveLength(1)
  })

  it('fails on a refusal other than 404', async () => {
    const { rt, api } = setup({ mode: 'delete', backup_id: '501' })
    api.addBackup({ id: 501 })
    api.hook = (request) =>
      request.method === 'DELETE'
        ? { status: 403, body: { detail: 'You do not have permission.' } }
        : undefined
    const error = await rejection(runDelete(rt, [rt], [501]))
    expect(error).toBeInstanceOf(ApiError)
    expect(error.message).toContain('You do not have permission.')
  })
  it('a delete whose answer was lost and whose retry gets 404 was deleted by this step', async () => {
    const { rt, api } = setup({ mode: 'delete', backup_id: '501' })
    api.addBackup({ id: 501 })
    api.hook = (request, fake) => {
      if (request.method === 'DELETE' && fake.made('DELETE', '/api/v1/backups/501/').length === 1) {
        fake.handle(request)
        throw connectionReset()
      }
      return undefined
    }
    await runDelete(rt, [rt], [501])
    expect(rt.outcome.status).toBe('deleted')
    expect(rt.outcome.deleted).toEqual([501])
  })

  it('waits for a backup still being made, then deletes it', async () => {
    const { rt, api, clock } = setup({ mode: 'delete', backup_id: '501' })
    const ready = clock.now() + 60_000
    api.addBackup({
      id: 501,
      status: 'in_progress',
      runningStatus: 'pending',
      durationMs: ready - clock.now()
    })
    await runDelete(rt, [rt], [501])
    expect(api.made('DELETE', '/api/v1/backups/501/')[0]!.at).toBeGreaterThanOrEqual(ready)
    expect(rt.outcome.status).toBe('deleted')
    expect(rt.outcome.pending).toBeUndefined()
  })

  it('with wait: false, fails without a request on a backup still being made', async () => {
    const { rt, api } = setup({ mode: 'delete', backup_id: '501', wait: 'false' })
    api.addBackup({ id: 501, status: 'in_progress', durationMs: 60_000 })
    const error = await rejection(runDelete(rt, [rt], [501]))
    expect(error.message).toContain('still being made')
    expect(api.deletedIds()).toEqual([])
  })

  it('names the delete request as what may be left while it is out', async () => {
    const { rt, api } = setup({ mode: 'delete', backup_id: '501' })
    api.addBackup({ id: 501 })
    let pending: string | undefined
    api.hook = (request) => {
      if (request.method === 'DELETE') pending = rt.outcome.pending
      return undefined
    }
    await runDelete(rt, [rt], [501])
    expect(pending).toContain('delete backup 501')
    expect(rt.outcome.pending).toBeUndefined()
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

  it('delete: every other server’s backup is deleted, and each server’s outcome is reported', async () => {
    const { rt, api } = setup({
      mode: 'delete',
      server_id: '101, 102, 103',
      backup_id: '{"101":1,"102":2,"103":3}'
    })
    const servers = serverRuntimes(rt)
    for (const [i, serverId] of [101, 102, 103].entries()) api.addBackup({ id: i + 1, serverId })
    api.hook = (call) =>
      call.method === 'DELETE' && call.url.pathname.endsWith('/1/')
        ? { status: 403, body: { detail: 'Not allowed.' } }
        : undefined
    const error = await rejection(runDelete(rt, servers, [1, 2, 3]))
    expect(error.message).toMatch(
      /^1 of 3 servers failed\. Server 101: .*Not allowed; server 102: backup 2 deleted; server 103: backup 3 deleted\.$/
    )
    expect(servers.map((s) => s.outcome.status)).toEqual(['completed', 'deleted', 'deleted'])
    expect(api.deletedIds().sort()).toEqual([1, 2, 3])
  })
})

describe('long waits', () => {
  /** The progress lines of the log: what waitFor writes when a minute would pass in silence. */
  const progress = (log: MemoryLogger) => log.of('info').filter((l) => l.startsWith('Waiting for'))

  it('say where a backup stands at least once a minute', async () => {
    const { rt, api, log } = setup()
    api.backupDurationMs = 12 * 60_000
    await runBackup(rt, [rt])
    const lines = progress(log)
    expect(lines.length).toBeGreaterThanOrEqual(11)
    expect(lines[0]).toMatch(
      /^Waiting for backup 600 of server 12345 to complete: in_progress, 55s elapsed, next check in [\d.]+s$/
    )
  })

  it('say where a restore stands at least once a minute', async () => {
    const { rt, api, log } = setup({ mode: 'restore', backup_id: '501' })
    api.addBackup({ id: 501 })
    api.restoreDurationMs = 6 * 60_000
    await runRestore(rt, [rt], [501])
    const lines = progress(log)
    expect(lines.length).toBeGreaterThanOrEqual(5)
    expect(lines[0]).toMatch(/^Waiting for server 12345 .*: restoring, .* elapsed, next check in /)
  })
})
