import { type Backup, isFinal, isOlder, newestFirst } from '../vpsorg/api-types.js'
import { deleteOne } from './delete.js'
import { isOwnRepository, parseTag } from '../github/description.js'
import { CancelledError, ApiError } from '../common/errors.js'
import type { Runtime, ServerRuntime } from '../runtime/runtime.js'
import { recordDeleted } from '../runtime/outcome.js'

/** The longest pruning may take: it is best effort, once the backup is safe. */
const PRUNE_BUDGET_MS = 60_000

/**
 * The backups of this server that this action created for this repository and that have
 * finished (`completed` or `failed`), newest first. Backups without our tag, with another
 * repository's, or not final (whatever their status says) are never returned, so never deleted.
 */
export function ownFinal(backups: Backup[], rt: Runtime): Backup[] {
  return backups
    .filter((b) => isFinal(b) && isOwnRepository(parseTag(b.description), rt.context))
    .sort(newestFirst)
}

/** VPS.org keeps at most this many manual backups per server, running ones included. */
export const MANUAL_BACKUP_CAP = 10

/**
 * The API's refusal at the cap of manual backups (contract, assumed: a 400 with an error body, in
 * any words and shape: a `detail`, a bare list, or a field error on `server_id`, as a DRF
 * `validate_server_id()` raises it). A 400 to a create is the cap when the server's list shows
 * `manualBackups` at the cap; else when its message speaks of a maximum, limit or "more than N"
 * backups (the second signal). Never a 400 that names another field of the create (e.g.
 * `description: Ensure this field has no more than 255 characters.`).
 */
export function isCapRefusal(error: unknown, manualBackups: number): error is ApiError {
  if (!(error instanceof ApiError) || error.status !== 400) return false
  const message = error.serverMessage
  if (/^(description|backup_type):/i.test(message)) return false
  return (
    manualBackups >= MANUAL_BACKUP_CAP ||
    (/\b(maximum|max|limit|cap|more than \d+)\b/i.test(message) && /\bbackups?\b/i.test(message))
  )
}

export async function deleteBackups(
  rt: ServerRuntime,
  backups: Backup[],
  why: string
): Promise<void> {
  for (const backup of backups) {
    const deleted = await deleteOne(rt, backup.id)
    if (deleted) recordDeleted(rt.outcome, backup.id)
    rt.log.info(
      `${deleted ? 'Deleted' : 'Already gone:'} backup ${backup.id} (${backup.created_at}, ${backup.status}) ${why}`
    )
  }
}

/**
 * keep_backups: after a completed backup, keep the newest N of our own, the new one included.
 * Only backups created before the step's own (isOlder: by created_at, never by id alone) are
 * candidates: a newer one is a concurrent run's, or on a re-run of an old run the newest restore
 * point, and is never this step's to delete; nor is one whose creation time is unknown.
 */
export async function prune(rt: ServerRuntime, own: Backup): Promise<void> {
  const { keepBackups } = rt.settings
  const backups = await rt.client.listBackups(rt.serverId, 'manual')
  const older = ownFinal(backups, rt).filter((b) => isOlder(b, own))
  // A failed backup is no restore point: it never takes one of the N places.
  const excess = [
    ...older.filter((b) => b.status === 'completed').slice(keepBackups - 1),
    ...older.filter((b) => b.status !== 'completed')
  ]
  if (!excess.length) {
    rt.log.info(
      `Nothing to prune: this repository has at most ${keepBackups} backups here up to backup ${own.id}.`
    )
  }
  await deleteBackups(rt, excess, `to keep the newest ${keepBackups} (keep_backups)`)
}

/**
 * prune(), best effort and bounded: it runs once the backup is safe (outputs and rollback state
 * written), ends within PRUNE_BUDGET_MS (and the step's timeout), and a failure is a warning,
 * never a failure of the step. Only a cancellation passes through.
 */
export async function pruneAfter(rt: ServerRuntime, own: Backup): Promise<void> {
  const deadline = Math.min(rt.deadline, rt.clock.now() + PRUNE_BUDGET_MS)
  const bounded: ServerRuntime = { ...rt, deadline, client: rt.client.withDeadline(deadline) }
  try {
    await prune(bounded, own)
  } catch (error) {
    if (error instanceof CancelledError) throw error
    rt.log.warning(
      `Pruning older backups did not finish (${(error as Error).message}). Backup ${own.id} is safe; older backups of this repository may remain until the next run prunes them.`
    )
  }
}
