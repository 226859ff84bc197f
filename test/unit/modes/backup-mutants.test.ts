import { afterEach, describe, expect, it } from 'vitest'
import { runBackup } from '../../../src/modes/backup.js'
import { formatDuration } from '../../../src/common/duration.js'
import { ActionError, ApiError } from '../../../src/common/errors.js'
import { runRestore } from '../../../src/modes/restore.js'
import { overrideFields } from '../../../simulator/faults.js'
import { BACKUPS } from '../../helpers/api.js'
import { RUN, closeAgents, setup } from '../../helpers/fake-runtime.js'
import { rejection } from '../../helpers/rejection.js'
import { STEP } from '../../helpers/run-context.js'
import { type InProcessApi, connectionReset } from '../../helpers/vpsorg.js'

/** Tests that kill the surviving mutants of src/backup.ts (docs/mutation.md). */

const tagged = (repository: string, run: string, attempt: number, step = STEP) =>
  `Pre-deployment backup [gha:${repository}#${run}/${attempt}/${step}/aaaaaaa1]`

afterEach(closeAgents)

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

describe('runBackup, creating', () => {
  it('adopts the backup of a lost create, saying so, listing manual backups only', async () => {
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

describe('awaitBackup (from a restore)', () => {
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
