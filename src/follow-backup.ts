import { type Backup, isFinal } from './api-types.js'
import { formatDuration } from './duration.js'
import { ActionError } from './errors.js'
import type { Runtime } from './runtime.js'
import { waitFor } from './wait.js'

/** How long a backup the API said it created may take to appear in the server's list. */
export const LIST_GRACE_MS = 30_000
export const NOT_LISTED = 'not listed yet'

/** Records the last state seen of the step's backup: the outputs and what is still running. */
export function track(rt: Runtime, backup: Backup): void {
  rt.outcome.backup = backup
  rt.outcome.status = backup.status
  rt.outcome.pending = isFinal(backup)
    ? undefined
    : `Backup ${backup.id} of server ${backup.server.id} is still being created on VPS.org. If it is not needed, delete it once it has completed (mode: delete, backup_id: ${backup.id}).`
}

/** A failed backup is no restore point: it fails the step, whether it was waited for or not. */
export function assertNotFailed(backup: Backup): void {
  if (backup.status !== 'failed') return
  throw new ActionError(
    `Backup ${backup.id} of server ${backup.server.id} failed on VPS.org: there is no restore point from it. Check the server in the VPS.org panel and run the job again.`
  )
}

/** Follows a backup until it has completed. `failed` or gone: an error. */
export async function awaitBackup(rt: Runtime, backup: Backup, listed = true): Promise<Backup> {
  const final = await awaitFinal(rt, backup, listed)
  assertNotFailed(final)
  return final
}

/**
 * The backup as the API lists it now, or undefined when it is not listed. The one place a
 * follower reads a backup's state: following many backups with one list would start here.
 */
async function look(rt: Runtime, backup: Backup): Promise<Backup | undefined> {
  const type = backup.backup_type === 'manual' ? 'manual' : undefined
  return (await rt.client.listBackups(backup.server.id, type)).find((b) => b.id === backup.id)
}

/**
 * Follows a backup in its server's list until it is final (`completed` or `failed`), recording
 * every status seen. One that is gone is an error; one the API has just created (`listed` false)
 * gets LIST_GRACE_MS to appear in the list first, as a list may lag behind a create.
 */
export function awaitFinal(rt: Runtime, backup: Backup, listed: boolean): Promise<Backup> {
  const where = `Backup ${backup.id} of server ${backup.server.id}`
  const graceEnds = rt.clock.now() + LIST_GRACE_MS
  let seen = listed
  return waitFor(
    async () => {
      const current = await look(rt, backup)
      if (!current && !seen && rt.clock.now() < graceEnds)
        return { done: false, status: NOT_LISTED }
      if (!current) throw gone(rt, where, seen)
      seen = true
      track(rt, current)
      return isFinal(current)
        ? { done: true, value: current }
        : { done: false, status: current.status }
    },
    {
      ...rt,
      what: `backup ${backup.id} of server ${backup.server.id} to complete`,
      initialStatus: backup.status,
      onStatus: (status, ms) =>
        rt.log.info(`Backup ${backup.id}: ${status} (${formatDuration(ms)})`)
    }
  )
}

function gone(rt: Runtime, where: string, seen: boolean): ActionError {
  if (!seen) {
    return new ActionError(
      `${where} was created but has not appeared in the server's list within ${formatDuration(LIST_GRACE_MS)}. Look for it in the VPS.org panel before relying on it.`
    )
  }
  rt.outcome.pending = undefined
  return new ActionError(
    `${where} disappeared while the action was waiting for it: it was deleted, or it failed and was removed.`
  )
}
