import { afterEach, describe, expect, it } from 'vitest'
import { runDelete } from '../../../src/modes/delete.js'
import { BACKUPS } from '../../helpers/api.js'
import { closeAgents, setup } from '../../helpers/fake-runtime.js'
import { rejection } from '../../helpers/rejection.js'

/** Tests that kill the surviving mutants of src/delete.ts (docs/mutation.md). */

afterEach(closeAgents)

describe('runDelete', () => {
  it('deletes the backup named, not the first listed, and says so', async () => {
    const { rt, api, log } = setup({ mode: 'delete', backup_id: '502' })
    api.addBackup({ id: 501 })
    api.addBackup({ id: 502 })
    await runDelete(rt, [rt], [502])
    expect(api.deletedIds()).toEqual([502])
    expect(log.of('info')).toContain('Backup 502 of server 12345 deleted.')
    expect(rt.outcome.backup?.id).toBe(502)
  })

  it('a delete refused as busy (409) fails at once with the API’s message: one request, no waiting', async () => {
    const { rt, api, clock } = setup({ mode: 'delete', backup_id: '501' })
    api.addBackup({ id: 501 })
    api.hook = (request) =>
      request.method === 'DELETE'
        ? { status: 409, body: { detail: 'Backup is locked.' } }
        : undefined
    const start = clock.now()
    const error = await rejection(runDelete(rt, [rt], [501]))
    expect(error.message).toContain('Backup is locked.')
    expect(api.made('DELETE', `${BACKUPS}501/`)).toHaveLength(1)
    expect(clock.now()).toBe(start)
  })

  it('with wait: false, deletes a completed backup', async () => {
    const { rt, api } = setup({ mode: 'delete', backup_id: '501', wait: 'false' })
    api.addBackup({ id: 501 })
    await runDelete(rt, [rt], [501])
    expect(api.deletedIds()).toEqual([501])
  })

  it('says a backup deleted meanwhile was deleted by someone else', async () => {
    const { rt, api, log } = setup({ mode: 'delete', backup_id: '501' })
    api.addBackup({ id: 501 })
    api.hook = (request) =>
      request.method === 'DELETE' ? { status: 404, body: { detail: 'Not found.' } } : undefined
    await runDelete(rt, [rt], [501])
    expect(log.of('warning')).toEqual([
      'Backup 501 of server 12345 was deleted by someone else meanwhile. Nothing was deleted.'
    ])
  })

  it('a missing backup is not taken for another server’s because another backup is there', async () => {
    const { rt, api } = setup({ mode: 'delete', backup_id: '501' })
    api.addBackup({ id: 777, serverId: 999 })
    await runDelete(rt, [rt], [501])
    expect(rt.outcome.status).toBe('not_found')
  })

  it('waits for a backup being made in a group, saying so', async () => {
    const { rt, api, log } = setup({ mode: 'delete', backup_id: '501' })
    api.addBackup({ id: 501, status: 'in_progress', runningStatus: 'pending', durationMs: 60_000 })
    await runDelete(rt, [rt], [501])
    expect(log.of('info')).toContain(
      'Backup 501 of server 12345 is still being made (pending): waiting for it to finish.'
    )
    expect(log.of('group')).toEqual(['Wait for backup 501 to finish'])
  })

  it('says a backup that vanishes while being made disappeared, at once', async () => {
    const { rt, api, clock } = setup({ mode: 'delete', backup_id: '501' })
    api.addBackup({ id: 501, status: 'in_progress', runningStatus: 'pending', durationMs: 1e9 })
    api.vanishAfterFirstList()
    const start = clock.now()
    const error = await rejection(runDelete(rt, [rt], [501]))
    expect(error.message).toContain('disappeared')
    expect(clock.now() - start).toBeLessThan(30_000)
  })

  it('a refused delete (403) leaves nothing running', async () => {
    const { rt, api } = setup({ mode: 'delete', backup_id: '501' })
    api.addBackup({ id: 501 })
    api.hook = (request) =>
      request.method === 'DELETE' ? { status: 403, body: { detail: 'No.' } } : undefined
    await rejection(runDelete(rt, [rt], [501]))
    expect(rt.outcome.pending).toBeUndefined()
  })

  it('a delete answered 500 every time may have been carried out: it says so', async () => {
    const { rt, api } = setup({ mode: 'delete', backup_id: '501' })
    api.addBackup({ id: 501 })
    api.hook = (request) =>
      request.method === 'DELETE' ? { status: 500, body: { detail: 'Oops.' } } : undefined
    await rejection(runDelete(rt, [rt], [501]))
    expect(rt.outcome.pending).toContain('A request to delete backup 501 of server 12345 was sent')
  })
})
