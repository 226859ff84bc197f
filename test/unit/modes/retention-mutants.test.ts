import { afterEach, describe, expect, it } from 'vitest'
import type { Backup } from '../../../src/vpsorg/api-types.js'
import type { VpsOrgClient } from '../../../src/vpsorg/client.js'
import { ApiError, CancelledError } from '../../../src/common/errors.js'
import { deleteBackups, isCapRefusal, prune, pruneAfter } from '../../../src/modes/retention.js'
import { closeAgents, setup } from '../../helpers/fake-runtime.js'
import { rejection } from '../../helpers/rejection.js'
import { own } from '../../helpers/run-context.js'
import type { InProcessApi } from '../../helpers/vpsorg.js'

/** Tests that kill the surviving mutants of src/retention.ts (docs/mutation.md). */

afterEach(closeAgents)

/** The step's own backup (600) and an older one of the repository (501); returns the step's. */
function ownAndOlder(api: InProcessApi): Backup {
  api.addBackup({ id: 501, description: own('1'), createdAt: '2025-01-11T10:00:00Z' })
  return api.addBackup({ id: 600, description: own('2'), createdAt: '2025-01-12T10:00:00Z' })
}

const refusal = (status: number, message: string) => new ApiError('create', status, message)

describe('isCapRefusal', () => {
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

describe('deleteBackups', () => {
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

describe('prune', () => {
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

describe('pruneAfter', () => {
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
