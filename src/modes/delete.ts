import { type Backup, isFinal } from '../vpsorg/api-types.js'
import { ActionError } from '../common/errors.js'
import { awaitFinal } from './follow-backup.js'
import { retryLine } from '../vpsorg/retry.js'
import { phase, valuesOf } from '../runtime/fleet.js'
import type { Runtime, ServerRuntime } from '../runtime/runtime.js'
import { sendOnce } from './send-once.js'
import {
  clearPending,
  markDeleted,
  markDryRun,
  markNotFound,
  recordBackup
} from '../runtime/outcome.js'
import { previewDelete, stillBeingMade } from './dry-run.js'

/**
 * mode: delete. Deletes one backup of each server, all at once (`undefined`: none to delete on that
 * server, already said); a failure on one server does not stop the others.
 */
export async function runDelete(
  step: Runtime,
  servers: readonly ServerRuntime[],
  ids: ReadonlyArray<number | undefined>
): Promise<void> {
  markDryRun(step.outcome, step.settings.dryRun)
  valuesOf(
    await phase(step, servers, `Delete the backups of ${servers.length} servers`, (rt, i) =>
      ids[i] === undefined ? Promise.resolve('none of the run') : deleteBackup(rt, ids[i])
    ),
    (what) => what
  )
}

/**
 * Deletes one of the server's backups. One that is already gone is a success with a warning, so
 * cleanup steps are idempotent; one of another server is never touched, and fails the step; one
 * still being made is waited for (wait: true) within the timeout. Returns what it did, in a few words.
 */
async function deleteBackup(rt: ServerRuntime, backupId: number): Promise<string> {
  const { client, log, outcome, serverId } = rt
  const backup = (await client.listBackups(serverId)).find((b) => b.id === backupId)
  if (!backup) return notFound(rt, backupId)
  recordBackup(outcome, backup)
  if (!isFinal(backup)) await awaitDeletable(rt, backup)
  if (rt.settings.dryRun) return previewDelete(rt, backup)
  if (await deleteOne(rt, backupId)) {
    markDeleted(outcome, backupId)
    log.info(`Backup ${backupId} of server ${serverId} deleted.`)
    return `backup ${backupId} deleted`
  }
  markNotFound(outcome)
  log.warning(
    `Backup ${backupId} of server ${serverId} was deleted by someone else meanwhile. Nothing was deleted.`
  )
  return `backup ${backupId} already gone`
}

/**
 * Not among the server's backups: another server's (a failure), or already gone (a warning). An
 * account's list too large to read (over the size cap) cannot say which: nothing was deleted, so
 * it is a warning that says both.
 */
async function notFound(rt: ServerRuntime, backupId: number): Promise<string> {
  const { serverId } = rt
  const { backups } = await rt.client.listBackupsWithin(undefined, undefined, Infinity)
  const elsewhere = backups?.find((b) => b.id === backupId)
  if (elsewhere) {
    throw new ActionError(
      `Backup ${backupId} belongs to server ${elsewhere.server.id}, not to server ${serverId}: it was not deleted. Set server_id to the backup's server to delete it.`
    )
  }
  markNotFound(rt.outcome)
  rt.log.warning(
    backups
      ? `Backup ${backupId} is not among server ${serverId}'s backups: it is already gone. Nothing was deleted.`
      : `Backup ${backupId} is not among server ${serverId}'s backups: it is already gone, or another server's (the account's list is too large to tell). Nothing was deleted.`
  )
  return `backup ${backupId} already gone`
}

/** A backup still being made cannot be deleted (the API answers 409): wait for it, if allowed. */
function awaitDeletable(rt: ServerRuntime, backup: Backup): Promise<Backup> {
  const where = `Backup ${backup.id} of server ${rt.serverId}`
  if (!rt.settings.wait) {
    throw new ActionError(
      `${where} is still being made (${backup.status}) and can only be deleted once it has finished: set wait: true to wait for it, or delete it later. Nothing was deleted.`
    )
  }
  if (rt.settings.dryRun) {
    stillBeingMade(rt, backup, 'delete it')
    return Promise.resolve(backup)
  }
  rt.log.info(`${where} is still being made (${backup.status}): waiting for it to finish.`)
  return rt.log.group(`Wait for backup ${backup.id} to finish`, () => awaitFinal(rt, backup, true))
}

/**
 * Deletes one backup: true, or false when it was already gone. Sent once in effect (sendOnce):
 * sending a delete again does no harm, and its answer tells what the lost one would have, except
 * that a 404 after an attempt whose answer was lost means that attempt deleted it. While the
 * request is out, a cancellation says that it may have been carried out.
 */
export async function deleteOne(rt: ServerRuntime, backupId: number): Promise<boolean> {
  const deleted = await sendOnce(rt, {
    pending: `A request to delete backup ${backupId} of server ${rt.serverId} was sent and may have been carried out: check the server's backups.`,
    send: async ({ lost }) => (await rt.client.deleteBackup(backupId)) || lost !== undefined,
    retryLine
  })
  clearPending(rt.outcome)
  return deleted
}
