import type { Backup } from '../vpsorg/api-types.js'
import type { Runtime } from '../runtime/runtime.js'
import { taken } from './data-loss.js'
import { RESTORING } from './follow-server.js'

/** The `status` of a dry run that would go ahead: every check passed, nothing was changed. */
export const DRY_RUN = 'dry_run'

/**
 * A dry run's restore of one server, once its backup is found and checked as a real run does
 * (restore.ts) and its data-loss window said: reads the server (a real run reads it before its
 * request, and fails if it cannot), says what a real run would do, and requests nothing.
 */
export async function previewRestore(rt: Runtime, backup: Backup): Promise<Backup> {
  const { settings, log, outcome } = rt
  const server = await rt.client.getServer(settings.serverId)
  outcome.server = server
  outcome.status = DRY_RUN
  if (server.status === RESTORING) {
    log.info(
      `Server ${settings.serverId} is being restored right now: a real run would wait for that restore to end first.`
    )
  }
  const checks = settings.health.checks.length ? ', then check the app (health_url)' : ''
  log.info(
    `Dry run: no restore was requested. A real run of this step (dry_run: false) would restore server ${settings.serverId} from backup ${backup.id}, wait until it is active${checks}.`
  )
  return backup
}

/**
 * A backup still being made, in a dry run with wait: true: a real run would wait for it (and a
 * restore would then fail if it failed); a dry run does not wait, and says so.
 */
export function stillBeingMade(rt: Runtime, backup: Backup, then: string): void {
  rt.log.info(
    `Backup ${backup.id} of server ${rt.settings.serverId} is still being made (${backup.status}): a real run would wait for it to finish (within timeout), then ${then}.`
  )
}

/** A dry run's deletion of one backup, found and checked as a real run does (delete.ts). */
export function previewDelete(rt: Runtime, backup: Backup): string {
  const { serverId } = rt.settings
  rt.outcome.status = DRY_RUN
  rt.log.info(
    `Dry run: nothing was deleted. A real run of this step (dry_run: false) would delete backup ${backup.id} of server ${serverId}, created ${taken(backup, rt.clock.now())}: it could no longer be restored.`
  )
  return `backup ${backup.id} would be deleted`
}
