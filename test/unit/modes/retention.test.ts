import { afterEach, describe, expect, it } from 'vitest'
import type { Backup } from '../../../src/vpsorg/api-types.js'
import type { VpsOrgClient } from '../../../src/vpsorg/client.js'
import { ApiError, CancelledError } from '../../../src/common/errors.js'
import { deleteBackups, isCapRefusal, prune, pruneAfter } from '../../../src/modes/retention.js'
import { runBackup } from '../../../src/modes/backup.js'
import { backupThenPrune, foreign, listCreatedAt } from '../../helpers/backup-step.js'
import { RUN, closeAgents, setup } from '../../helpers/fake-runtime.js'
import { rejection } from '../../helpers/rejection.js'
import { own } from '../../helpers/run-context.js'
import type { InProcessApi } from '../../helpers/vpsorg.js'

afterEach(closeAgents)

/** The step's own backup (600) and an older one of the repository (501); returns the step's. */
function ownAndOlder(api: InProcessApi): Backup {
  api.addBackup({ id: 501, description: own('1'), createdAt: '2025-01-11T10:00:00Z' })
  return api.addBackup({ id: 600, description: own('2'), createdAt: '2025-01-12T10:00:00Z' })
}

const refusal = (status: number, message: string) => new ApiError('create', status, message)

describe('keep_backups: the prune after a completed backup', () => {
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

describe('isCapRefusal: the cap by the API’s words or by the count, nothing else', () => {
  it.each([
    'This server already has the maximum of 10 manual backups.',
    'Limit of 1 backup reached.',
    'The maximum of 10 backups is reached (see description: in the docs).',
    'server_id: You cannot have more than 10 manual backups per server.',
    'You cannot have more than 10 manual backups per server.'
  ])('takes a 400 "%s" for the cap by its words, with fewer than 10 listed', (message) => {
    expect(isCapRefusal(refusal(400, message), 9)).toBe(true)
  })

  it.each([
    [403, 'This server already has the maximum of 10 manual backups.'],
    [409, 'Limit of 10 backups reached.'],
    [400, 'Limit reached.'],
    [400, 'Too many backups.'],
    [400, 'You cannot have more than ten manual backups.'],
    [400, 'description: the maximum length of a backup description is 255.']
  ])('does not take a %i "%s" for the cap, with fewer than 10 listed', (status, message) => {
    expect(isCapRefusal(refusal(status, message), 9)).toBe(false)
  })

  it.each([
    'server_id: Invalid server.',
    'Not allowed.',
    'Request rejected.',
    'non-field text that names no field'
  ])('takes any 400 ("%s") for the cap when 10 manual backups are listed', (message) => {
    expect(isCapRefusal(refusal(400, message), 10)).toBe(true)
    expect(isCapRefusal(refusal(400, message), 11)).toBe(true)
  })

  it.each([
    [400, 'description: Ensure this field has no more than 255 characters.'],
    [400, 'backup_type: "automatic" is not a valid choice.'],
    [400, 'DESCRIPTION: the maximum of 10 backups.'],
    [403, 'You do not have permission to perform this action.'],
    [500, 'Maximum of 10 manual backups per server reached.']
  ])('does not take a %i "%s" for the cap, even with 10 listed', (status, message) => {
    expect(isCapRefusal(refusal(status, message), 10)).toBe(false)
  })

  it('does not take an error that is not the API’s for the cap', () => {
    const error = Object.assign(new Error('maximum of 10 backups'), {
      status: 400,
      serverMessage: 'maximum of 10 backups'
    })
    expect(isCapRefusal(error, 10)).toBe(false)
  })
})

describe('deleteBackups: records and says what it deleted and why', () => {
  it('records and logs what it deleted, and why', async () => {
    const { rt, api, log } = setup()
    const backup = api.addBackup({ id: 501 })
    await deleteBackups(rt, [backup], 'for a reason')
    expect(rt.outcome.deleted).toEqual([501])
    expect(log.of('info')).toContain(
      'Deleted backup 501 (2025-01-10T10:00:00Z, completed) for a reason'
    )
  })

  it('does not record a backup already gone, and says so', async () => {
    const { rt, api, log } = setup()
    const backup = api.addBackup({ id: 501 })
    api.removeAllBackups()
    await deleteBackups(rt, [backup], 'for a reason')
    expect(rt.outcome.deleted).toEqual([])
    expect(log.of('info')).toContain(
      'Already gone: backup 501 (2025-01-10T10:00:00Z, completed) for a reason'
    )
  })
})

describe('prune: says why it deletes', () => {
  it('says why it deletes, and does not say there is nothing to prune', async () => {
    const { rt, api, log } = setup({ keep_backups: '1' })
    const mine = ownAndOlder(api)
    await prune(rt, mine)
    expect(log.of('info')).toContain(
      'Deleted backup 501 (2025-01-11T10:00:00Z, completed) to keep the newest 1 (keep_backups)'
    )
    expect(log.text()).not.toContain('Nothing to prune')
  })
})

describe('pruneAfter: retries within its budget, and lets a cancellation through', () => {
  it('retries a delete refused with a 503 within its budget', async () => {
    const { rt, api, log } = setup({ keep_backups: '1' })
    const mine = ownAndOlder(api)
    let refused = 1
    api.hook = (request) =>
      request.method === 'DELETE' && refused-- > 0 ? { status: 503, body: '' } : undefined
    await pruneAfter(rt, mine)
    expect(log.of('warning')).toEqual([])
    expect(api.model.backups().map((b) => b.id)).toEqual([600])
  })

  it('lets a cancellation through', async () => {
    const { rt, api } = setup({ keep_backups: '1' })
    const mine = api.addBackup({ id: 600, description: own('2') })
    const cancelled = {
      withDeadline: () => ({ listBackups: () => Promise.reject(new CancelledError()) })
    } as unknown as VpsOrgClient
    const error = await rejection(pruneAfter({ ...rt, client: cancelled }, mine))
    expect(error).toBeInstanceOf(CancelledError)
  })
})
