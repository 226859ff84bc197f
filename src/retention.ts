import { type Backup, newestFirst } from './api-types.js'
import { isOwnRepository, parseTag } from './description.js'
import type { Runtime } from './runtime.js'

/**
 * The backups of this server that this action created for this repository and that may be
 * deleted (not running, not `except`), newest first. Backups without our tag, or with another
 * repository's, are never returned, so never deleted.
 */
export function ownDeletable(backups: Backup[], rt: Runtime, except?: number): Backup[] {
  return backups
    .filter(
      (b) =>
        b.id !== except &&
        b.status !== 'in_progress' &&
        isOwnRepository(parseTag(b.description), rt.context)
    )
    .sort(newestFirst)
}

export async function deleteBackups(rt: Runtime, backups: Backup[], why: string): Promise<void> {
  for (const backup of backups) {
    const deleted = await rt.client.deleteBackup(backup.id)
    rt.outcome.deleted.push(backup.id)
    rt.log.info(
      `${deleted ? 'Deleted' : 'Already gone:'} backup ${backup.id} (${backup.created_at}, ${backup.status}) ${why}`
    )
  }
}

/** keep_backups: after a completed backup, keep the newest N of our own, the new one included. */
export async function prune(rt: Runtime, newest: Backup): Promise<void> {
  const { keepBackups, serverId } = rt.settings
  const backups = await rt.client.listBackups(serverId, 'manual')
  // A failed backup is no restore point: it never takes one of the N places.
  const own = ownDeletable(backups, rt, newest.id)
  const excess = [
    ...own.filter((b) => b.status === 'completed').slice(keepBackups - 1),
    ...own.filter((b) => b.status !== 'completed')
  ]
  if (!excess.length) {
    rt.log.info(`Nothing to prune: this repository has at most ${keepBackups} backups here.`)
  }
  await deleteBackups(rt, excess, `to keep the newest ${keepBackups} (keep_backups)`)
}
