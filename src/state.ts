import * as core from '@actions/core'

/**
 * The state the main step leaves for the post step (one dist/index.js serves both, as in
 * actions/checkout: the post step is recognised by the state the main step saved).
 */
const IS_POST = 'isPost'
const ROLLBACK_BACKUP_ID = 'rollback_backup_id'

export const isPost = (): boolean => core.getState(IS_POST) === 'true'
export const markMainStarted = (): void => core.saveState(IS_POST, 'true')

/** Saved only once the backup has completed, and only with rollback_on_failure: true. */
export const saveRollbackBackupId = (id: number): void =>
  core.saveState(ROLLBACK_BACKUP_ID, String(id))
export const rollbackBackupId = (): string => core.getState(ROLLBACK_BACKUP_ID)
