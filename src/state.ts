import * as core from '@actions/core'

/**
 * The state the main step leaves for the post step (one dist/index.js serves both, as in
 * actions/checkout: the post step is recognised by the state the main step saved).
 */
const IS_POST = 'isPost'
const ROLLBACK_BACKUP_ID = 'rollback_backup_id'
const ROLLBACK_SERVER_ID = 'rollback_server_id'

export const isPost = (): boolean => core.getState(IS_POST) === 'true'
export const markMainStarted = (): void => core.saveState(IS_POST, 'true')

/** What the post step restores from: saved as read, checked by the post step before use. */
export interface SavedRollback {
  backupId: string
  serverId: string
}

/**
 * Saved only once the backup has completed, and only with rollback_on_failure: true, with the
 * server it is a backup of, so that the post step can check it restores that server.
 */
export function saveRollback(backupId: number, serverId: number): void {
  core.saveState(ROLLBACK_BACKUP_ID, String(backupId))
  core.saveState(ROLLBACK_SERVER_ID, String(serverId))
}

export const savedRollback = (): SavedRollback => ({
  backupId: core.getState(ROLLBACK_BACKUP_ID),
  serverId: core.getState(ROLLBACK_SERVER_ID)
})
