import type { Runtime } from './runtime.js'

/**
 * mode: delete. Deletes one of the server's backups. One that is already gone is a success with a
 * warning, so cleanup steps are idempotent; one of another server is never touched.
 */
export async function runDelete(rt: Runtime, backupId: number): Promise<void> {
  const { client, settings, log, outcome } = rt
  const backup = (await client.listBackups(settings.serverId)).find((b) => b.id === backupId)
  const deleted = backup !== undefined && (await client.deleteBackup(backupId))
  outcome.backup = backup
  outcome.status = deleted ? 'deleted' : 'not_found'
  if (deleted) {
    outcome.deleted.push(backupId)
    log.info(`Backup ${backupId} of server ${settings.serverId} deleted.`)
  } else {
    log.warning(
      `Backup ${backupId} is not among server ${settings.serverId}'s backups: it is already gone. Nothing was deleted.`
    )
  }
}
