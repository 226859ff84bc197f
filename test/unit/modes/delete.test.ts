import { afterEach, describe, expect, it } from 'vitest'
import { runDelete } from '../../../src/modes/delete.js'
import { ActionError, ApiError } from '../../../src/common/errors.js'
import { serverRuntimes } from '../../../src/runtime/fleet.js'
import { BACKUPS } from '../../helpers/api.js'
import { closeAgents, setup } from '../../helpers/fake-runtime.js'
import { rejection } from '../../helpers/rejection.js'
import { connectionReset } from '../../helpers/vpsorg.js'

afterEach(closeAgents)

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

  it("delete: one group for the fleet, and the line says each server's end in a few words", async () => {
    const { rt, api, log } = setup({
      mode: 'delete',
      server_id: '101, 102, 103, 999',
      backup_id: 'run:555',
      wait: 'false'
    })
    const servers = serverRuntimes(rt)
    api.addBackup({ id: 2, serverId: 102 })
    api.addBackup({ id: 4, serverId: 999, status: 'in_progress', durationMs: 60_000 })
    const error = await rejection(runDelete(rt, servers, [undefined, 2, 3, 4]))
    expect(log.of('group')).toContain('Delete the backups of 4 servers')
    expect(error.message).toBe(
      '1 of 4 servers failed. Server 999: Backup 4 of server 999 is still being made (in_progress) and can only be deleted once it has finished: set wait: true to wait for it, or delete it later. Nothing was deleted; server 101: none of the run; server 102: backup 2 deleted; server 103: backup 3 already gone.'
    )
  })

  /** Servers 101 and 102 delete backups 1 (101's) and 2 (server 999's): the failure line. */
  async function fleetLine(inputs: Record<string, string>, api404 = false): Promise<string> {
    const { rt, api } = setup({
      mode: 'delete',
      server_id: '101, 102',
      backup_id: '{"101":1,"102":2}',
      ...inputs
    })
    api.addBackup({ id: 1, serverId: 101 })
    api.addBackup({ id: 2, serverId: 999 })
    if (api404) {
      api.hook = (call) =>
        call.method === 'DELETE' ? { status: 404, body: { detail: 'Not found.' } } : undefined
    }
    return (await rejection(runDelete(rt, serverRuntimes(rt), [1, 2]))).message
  }

  it('a fleet: a backup deleted by someone else meanwhile is "already gone" in the line', async () => {
    expect(await fleetLine({}, true)).toMatch(/; server 101: backup 1 already gone\.$/)
  })

  it('a dry run of a fleet: each backup that would be deleted, in the failure line too', async () => {
    expect(await fleetLine({ dry_run: 'true' })).toMatch(
      /^1 of 2 servers failed\. Server 102: Backup 2 belongs to server 999, .*; server 101: backup 1 would be deleted\.$/
    )
  })
})

describe('runDelete, which backup it deletes, what it says and what it leaves running', () => {
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
