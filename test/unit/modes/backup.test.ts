import { afterEach, describe, expect, it } from 'vitest'
import { runBackup } from '../../../src/modes/backup.js'
import { formatDuration } from '../../../src/common/duration.js'
import { ActionError, ApiError } from '../../../src/common/errors.js'
import { serverRuntimes } from '../../../src/runtime/fleet.js'
import type { ServerRuntime } from '../../../src/runtime/runtime.js'
import { overrideFields } from '../../../simulator/faults.js'
import type { Reply } from '../../../simulator/validation.js'
import { BACKUPS } from '../../helpers/api.js'
import { EPOCH } from '../../helpers/fake-clock.js'
import { backupThenPrune, earlier, foreign } from '../../helpers/backup-step.js'
import { RUN, TOKEN, closeAgents, setup } from '../../helpers/fake-runtime.js'
import type { MemoryLogger } from '../../helpers/memory-logger.js'
import { rejection } from '../../helpers/rejection.js'
import { STEP, own } from '../../helpers/run-context.js'
import { type InProcessApi, answerPosts, connectionReset } from '../../helpers/vpsorg.js'

const OWN = `[gha:acme/shop#${RUN}/1/${STEP}/0a1b2c3d]`

afterEach(closeAgents)

/** A backup still being made, ending `forMs` from now. */
const addRunning = (api: InProcessApi, id: number, description: string, forMs: number): void => {
  api.addBackup({ id, description, status: 'in_progress', durationMs: forMs })
}

/** Runs the backup step; it sends `posts` creates and ends with backup `id` completed. */
async function expectCompleted(
  rt: ServerRuntime,
  api: InProcessApi,
  { posts, id }: { posts: number; id: number }
): Promise<void> {
  await runBackup(rt, [rt])
  expect(api.made('POST', BACKUPS)).toHaveLength(posts)
  expect(rt.outcome.backup).toMatchObject({ id, status: 'completed' })
}

const tagged = (repository: string, run: string, attempt: number, step = STEP) =>
  `Pre-deployment backup [gha:${repository}#${run}/${attempt}/${step}/aaaaaaa1]`

/** Every listing of backups asked the API for manual backups only. */
function listedManualOnly(api: InProcessApi): void {
  const lists = api.made('GET', BACKUPS)
  expect(lists.length).toBeGreaterThan(0)
  for (const list of lists) expect(list.url.searchParams.get('backup_type')).toBe('manual')
}

const cap = (api: InProcessApi, ownCount: number) => {
  for (let i = 0; i < 10; i++) {
    api.addBackup({
      id: 501 + i,
      description:
        i < ownCount
          ? `Pre-deployment backup of acme/shop (run ${i}) [gha:acme/shop#${i}]`
          : `Pre-deployment backup [gha:other/shop#${i}]`,
      createdAt: `2025-01-${String(2 + i).padStart(2, '0')}T10:00:00Z`
    })
  }
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
})

describe('runBackup, as the log tells it', () => {
  it('logs its phases in groups, the backup created, each status and the result', async () => {
    const { rt, api, clock, log } = setup()
    const start = clock.now()
    await runBackup(rt, [rt])
    expect(log.of('group')).toEqual(['Create the backup', 'Wait for backup 600 to complete'])
    const info = log.of('info')
    expect(info).toContain(`Backup 600 of server 12345 created: "${rt.settings.description}"`)
    expect(info).toContain('Backup 600: in_progress (0s)')
    expect(info.at(-1)).toBe(
      `Backup 600 completed in ${formatDuration(clock.now() - start)}: 4400 MB.`
    )
    listedManualOnly(api)
  })

  it('with wait: false, says nothing of completion', async () => {
    const { rt, log } = setup({ wait: 'false' })
    await runBackup(rt, [rt])
    expect(log.text()).not.toContain('completed in')
  })

  it('reuses a completed backup without waiting, and logs an unknown size as ?', async () => {
    const { rt, api, log } = setup({}, { runAttempt: 2 })
    api.addBackup({ id: 550, description: tagged('acme/shop', RUN, 1) })
    api.hook = (request, fake) => overrideFields(fake.handle(request), { size_mb: null })
    await runBackup(rt, [rt])
    expect(log.of('group')).toEqual(['Create the backup'])
    expect(log.of('info')).toContain(
      `Attempt 2 of run ${RUN} reuses backup 550 (completed), created by an earlier attempt of this step: it holds the pre-deploy state.`
    )
    expect(log.of('info').at(-1)).toBe('Backup 550 completed in 0s: ? MB.')
  })

  it('says a reused backup that vanishes disappeared, at once', async () => {
    const { rt, api, clock } = setup({}, { runAttempt: 2 })
    api.addBackup({
      id: 550,
      description: tagged('acme/shop', RUN, 1),
      status: 'in_progress',
      durationMs: 1e9
    })
    api.vanishAfterFirstList()
    const start = clock.now()
    const error = await rejection(runBackup(rt, [rt]))
    expect(error.message).toBe(
      'Backup 550 of server 12345 disappeared while the action was waiting for it: it was deleted, or it failed and was removed.'
    )
    expect(clock.now() - start).toBeLessThan(30_000)
  })
})

describe('runBackup, what it reuses on a re-run', () => {
  it.each([
    ['another repository’s backup of the same run and step', tagged('other/shop', RUN, 1), 2],
    ['a backup of another run, same step', tagged('acme/shop', '1111', 1), 2],
    ['a backup tagged attempt 0, on a first attempt', tagged('acme/shop', RUN, 0), 1]
  ])('never reuses %s', async (_, description, runAttempt) => {
    const { rt, api } = setup({}, { runAttempt })
    api.addBackup({ id: 550, description })
    await runBackup(rt, [rt])
    expect(api.made('POST', BACKUPS)).toHaveLength(1)
    expect(rt.outcome.backup?.id).toBe(600)
  })

  it('never reuses an automatic backup', async () => {
    const { rt, api } = setup({}, { runAttempt: 2 })
    api.addBackup({ id: 550, description: tagged('acme/shop', RUN, 1), backupType: 'automatic' })
    await runBackup(rt, [rt])
    expect(rt.outcome.backup?.id).toBe(600)
  })

  it.each([
    [560, 550],
    [550, 560]
  ])(
    'prefers a completed backup to a running one, whatever the order (%i listed first)',
    async (first, second) => {
      const { rt, api } = setup({}, { runAttempt: 2 })
      const add = (id: number) =>
        api.addBackup(
          id === 560
            ? {
                id,
                description: tagged('acme/shop', RUN, 1),
                status: 'in_progress',
                durationMs: 1e9
              }
            : { id, description: tagged('acme/shop', RUN, 1) }
        )
      add(first)
      add(second)
      await runBackup(rt, [rt])
      expect(rt.outcome.backup?.id).toBe(550)
    }
  )

  it('among completed backups, reuses the newest id', async () => {
    const { rt, api } = setup({}, { runAttempt: 2 })
    api.addBackup({ id: 550, description: tagged('acme/shop', RUN, 1) })
    api.addBackup({ id: 551, description: tagged('acme/shop', RUN, 1) })
    await runBackup(rt, [rt])
    expect(rt.outcome.backup?.id).toBe(551)
  })
})

describe('runBackup, creating: retries, refusals and making room at the cap', () => {
  it('adopts the backup of a lost create, saying so, listing manual backups only; no warning, no further search', async () => {
    const { rt, api, log } = setup()
    api.hook = (request, fake) => {
      if (request.method === 'POST' && fake.made('POST', BACKUPS).length === 1) {
        fake.handle(request)
        throw connectionReset()
      }
      return undefined
    }
    await runBackup(rt, [rt])
    expect(log.of('info')).toContain(
      'The earlier create request was carried out although its answer was lost: adopting backup 600 instead of creating a duplicate.'
    )
    listedManualOnly(api)
    expect(log.of('warning')).toEqual([])
    expect(log.text()).not.toContain('looking for it')
    expect(rt.outcome.backup).toMatchObject({ id: 600, status: 'completed' })
  })

  it('while the create is out, says what may be left and how to find it', async () => {
    const { rt, api } = setup()
    let pending: string | undefined
    api.hook = (request) => {
      if (request.method === 'POST') pending = rt.outcome.pending
      return undefined
    }
    await runBackup(rt, [rt])
    expect(pending).toBe(
      `A request to create a backup of server 12345 was sent; the backup may exist on VPS.org. Look for "${rt.settings.description}" among the server's backups and delete it if it is not needed.`
    )
  })

  it('a refused create (400) leaves nothing running', async () => {
    const { rt, api } = setup()
    api.hook = (request) =>
      request.method === 'POST' ? { status: 400, body: { detail: 'No.' } } : undefined
    await rejection(runBackup(rt, [rt]))
    expect(rt.outcome.pending).toBeUndefined()
  })

  it('a create answered 500 every time may have been carried out: it says so', async () => {
    const { rt, api } = setup()
    api.hook = (request) =>
      request.method === 'POST' ? { status: 500, body: { detail: 'Oops.' } } : undefined
    await rejection(runBackup(rt, [rt]))
    expect(rt.outcome.pending).toContain('A request to create a backup of server 12345 was sent')
  })

  it('a cap refusal with fewer than 10 backups listed deletes nothing and is passed on', async () => {
    const { rt, api, log } = setup({ keep_backups: '3' })
    api.addBackup({ id: 501, description: tagged('acme/shop', '1', 1) })
    api.hook = (request) =>
      request.method === 'POST'
        ? { status: 400, body: { detail: 'The maximum of 10 manual backups is reached.' } }
        : undefined
    const error = await rejection(runBackup(rt, [rt]))
    expect(error).toBeInstanceOf(ApiError)
    expect(api.made('POST', BACKUPS)).toHaveLength(1)
    expect(api.deletedIds()).toEqual([])
    expect(log.text()).not.toContain('at the cap')
  })

  it('after a 429 to the create, sends it again without listing first: nothing was done', async () => {
    const { rt, api, log } = setup()
    api.hook = (request) =>
      request.method === 'POST' && api.made('POST', BACKUPS).length <= 2
        ? {
            status: 429,
            headers: { 'retry-after': '2' },
            body: { detail: 'Request was throttled. Expected available in 2 seconds.' }
          }
        : undefined
    await runBackup(rt, [rt])
    expect(rt.outcome.backup?.id).toBe(600)
    const calls = api.requests.map((c) => c.method)
    // One list (the reuse check), three creates, then the follow's lists.
    expect(calls.slice(0, 4)).toEqual(['GET', 'POST', 'POST', 'POST'])
    expect(log.of('info')).toContain(
      'Could not create a backup of server 12345: HTTP 429: Request was throttled. Expected available in 2 seconds. Retrying in 2s, as the API asked (Retry-After)'
    )
  })

  it('after a lost answer and then a 429, lists before every create again', async () => {
    const { rt, api } = setup()
    api.hook = (request) => {
      const posts = api.made('POST', BACKUPS).length
      if (request.method !== 'POST' || posts > 2) return undefined
      if (posts === 1) throw connectionReset()
      return { status: 429, headers: { 'retry-after': '1' }, body: { detail: 'Slow down.' } }
    }
    await runBackup(rt, [rt])
    expect(api.requests.map((c) => c.method).slice(0, 6)).toEqual([
      'GET',
      'POST',
      'GET',
      'POST',
      'GET',
      'POST'
    ])
  })

  it.each([
    ['a field error', { server_id: ['You cannot have more than 10 manual backups per server.'] }],
    ['a bare list', ['You cannot have more than 10 manual backups per server.']],
    ['other words', { detail: 'Request rejected.' }]
  ])('at the cap (10 listed), takes a 400 in %s for the cap and makes room', async (_, body) => {
    const { rt, api, log } = setup({ keep_backups: '3' })
    cap(api, 2)
    api.hook = (request) =>
      request.method === 'POST' && api.made('POST', BACKUPS).length === 1
        ? { status: 400, body }
        : undefined
    await runBackup(rt, [rt])
    expect(api.deletedIds()).toEqual([501])
    expect(rt.outcome.backup?.id).toBe(600)
    expect(log.of('info')).toContain('Server 12345 is at the cap of 10 manual backups.')
  })

  it('with 9 listed, a 400 in the cap’s words deletes nothing, says why and is passed on', async () => {
    const { rt, api, log } = setup({ keep_backups: '3' })
    for (let i = 0; i < 9; i++) {
      api.addBackup({
        id: 501 + i,
        description: `Pre-deployment backup of acme/shop (run ${i}) [gha:acme/shop#${i}]`,
        createdAt: `2025-01-${String(2 + i).padStart(2, '0')}T10:00:00Z`
      })
    }
    api.hook = (request) =>
      request.method === 'POST'
        ? {
            status: 400,
            body: { server_id: ['You cannot have more than 10 manual backups per server.'] }
          }
        : undefined
    const error = await rejection(runBackup(rt, [rt]))
    expect(error).toBeInstanceOf(ApiError)
    expect(error.message).toBe(
      'Could not create a backup of server 12345: HTTP 400: server_id: You cannot have more than 10 manual backups per server.'
    )
    expect(api.made('POST', BACKUPS)).toHaveLength(1)
    expect(api.deletedIds()).toEqual([])
    expect(log.of('warning')).toEqual([
      "The API's refusal speaks of its limit of 10 manual backups, but server 12345's list shows 9: nothing is deleted to make room."
    ])
  })

  it('with 9 listed, a 400 in other words is passed on without a word of the cap', async () => {
    const { rt, api, log } = setup({ keep_backups: '3' })
    for (let i = 0; i < 9; i++) api.addBackup({ id: 501 + i, description: `[gha:acme/shop#${i}]` })
    api.hook = (request) =>
      request.method === 'POST' ? { status: 400, body: ['Request rejected.'] } : undefined
    const error = await rejection(runBackup(rt, [rt]))
    expect(error.message).toBe(
      'Could not create a backup of server 12345: HTTP 400: Request rejected.'
    )
    expect(api.deletedIds()).toEqual([])
    expect(log.of('warning')).toEqual([])
  })

  it('the cap refused with too few own backups names the count and the API’s words, one sentence each', async () => {
    const { rt, api } = setup({ keep_backups: '3' })
    cap(api, 0)
    const error = await rejection(runBackup(rt, [rt]))
    expect(error.message).toBe(
      'Server 12345 already has 10 manual backups, the most VPS.org allows is 10. The API said: Maximum of 10 manual backups per server reached. Delete an existing manual backup to create a new one. Only 0 of them were created by this action for this repository and have finished, so it will not delete any; delete some with mode: delete.'
    )
  })

  it('at the cap with exactly one own backup, deletes it to make room, saying so', async () => {
    const { rt, api, log } = setup({ keep_backups: '3' })
    cap(api, 1)
    await runBackup(rt, [rt])
    expect(api.deletedIds()).toEqual([501])
    expect(rt.outcome.backup?.id).toBe(600)
    const info = log.of('info')
    expect(info).toContain('Server 12345 is at the cap of 10 manual backups.')
    expect(info).toContain(
      'Deleted backup 501 (2025-01-02T10:00:00Z, completed) to make room (keep_backups)'
    )
  })
})

describe('runBackup, finding a backup the API did not describe', () => {
  it('gives up exactly when the grace ends', async () => {
    const { rt, api, clock } = setup()
    rt.policy = () => 10_000
    api.hook = (request, fake) =>
      request.method === 'GET'
        ? { status: 200, body: { count: 0, next: null, results: [] } }
        : fake.handle(request)
    const start = clock.now()
    await rejection(runBackup(rt, [rt]))
    expect(clock.now() - start).toBe(30_000)
  })

  it('after a 204 and no backup listed, fails within the grace, naming the description', async () => {
    const { rt, api, clock } = setup()
    api.hook = (request, fake) => {
      if (request.method === 'POST') {
        fake.handle(request)
        return { status: 204 }
      }
      return { status: 200, body: { count: 0, next: null, results: [] } }
    }
    const start = clock.now()
    const error = await rejection(runBackup(rt, [rt]))
    expect(error).toBeInstanceOf(ActionError)
    expect(error.message).toBe(
      `The API accepted the backup of server 12345, but the API answered without a usable backup, and no backup described "${rt.settings.description}" appeared in the server's list within ${formatDuration(clock.now() - start)}. Look for it in the VPS.org panel and delete it if it is not needed.`
    )
    expect(clock.now() - start).toBeLessThanOrEqual(31_000)
    listedManualOnly(api)
  })
  it('after a 204, passes on a failure to list (not "it did not appear")', async () => {
    const { rt, api } = setup()
    api.hook = (request, fake) => {
      if (request.method === 'POST') {
        fake.handle(request)
        return { status: 204 }
      }
      return fake.made('POST', BACKUPS).length
        ? { status: 403, body: { detail: 'Forbidden.' } }
        : undefined
    }
    const error = await rejection(runBackup(rt, [rt]))
    expect(error).toBeInstanceOf(ApiError)
    expect(error.message).toContain('Forbidden.')
  })
})

describe('runBackup, a step of several servers', () => {
  it('groups each phase under a title for the fleet, naming how many backups it waits for', async () => {
    const { rt, api, log } = setup({ server_id: '101, 102, 103' }, { runAttempt: 2 })
    // Server 101's backup, by an earlier attempt of this step, has completed: only two are followed.
    api.addBackup({ id: 550, serverId: 101, description: earlier(1) })
    await runBackup(rt, serverRuntimes(rt))
    expect(log.of('group')).toEqual([
      'Create the backups of 3 servers',
      'Wait for the backups of 2 servers to complete'
    ])
  })
})

describe('runBackup, a create answered with a failed backup', () => {
  it('fails at once, without following it, whatever the list says later', async () => {
    const { rt, api, log } = setup()
    api.hook = (request, fake) => {
      if (request.method !== 'POST') return undefined
      const reply = fake.handle(request)
      return { ...reply, body: { ...(reply.body as object), status: 'failed' } }
    }
    const error = await rejection(runBackup(rt, [rt]))
    expect(error.message).toBe(
      'Backup 600 of server 12345 failed on VPS.org: there is no restore point from it. Check the server in the VPS.org panel and run the job again.'
    )
    expect(log.of('group')).toEqual(['Create the backup'])
    const created = api.made('POST', BACKUPS)[0]!.at
    expect(api.made('GET', BACKUPS).filter((r) => r.at > created)).toEqual([])
  })
})

describe('runBackup, which of its step’s earlier backups a re-run reuses', () => {
  /** The API lists backups in `order` of id, whatever order they were made in. */
  const listInOrder = (api: InProcessApi, order: 'ascending' | 'descending'): void => {
    api.hook = (call, fake) => {
      const reply = fake.handle(call)
      if (call.method !== 'GET' || call.url.pathname !== BACKUPS) return reply
      const page = reply.body as { results: Array<{ id: number }> }
      page.results.sort((a, b) => (order === 'ascending' ? a.id - b.id : b.id - a.id))
      return reply
    }
  }

  it.each(['ascending', 'descending'] as const)(
    'the newest completed one, never a running one, with ids listed in %s order',
    async (order) => {
      const { rt, api } = setup({}, { runAttempt: 3 })
      api.addBackup({ id: 550, description: earlier(1, STEP, 'aaaaaaa1') })
      api.addBackup({ id: 551, description: earlier(2, STEP, 'aaaaaaa2') })
      addRunning(api, 560, earlier(2, STEP, 'aaaaaaa3'), 1e9)
      listInOrder(api, order)
      await runBackup(rt, [rt])
      expect(api.made('POST', BACKUPS)).toHaveLength(0)
      expect(rt.outcome.backup).toMatchObject({ id: 551, status: 'completed' })
    }
  )
})
