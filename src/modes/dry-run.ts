import type { Backup } from '../vpsorg/api-types.js'
import { markWouldGoAhead } from '../runtime/outcome.js'
import type { ServerRuntime } from '../runtime/runtime.js'
import { taken } from './data-loss.js'

/*
 * dry_run: the previews of restore.ts and delete.ts, here without the restore's modules, which a
 * step loads only when it restores.
 */

/**
 * A backup still being made, in a dry run with wait: true: a real run would wait for it (and a
 * restore would then fail if it failed); a dry run does not wait, and says so.
 */
export function stillBeingMade(rt: ServerRuntime, backup: Backup, then: string): void {
  rt.log.info(
    `Backup ${backup.id} of server ${rt.serverId} is still being made (${backup.status}): a real run would wait for it to finish (within timeout), then ${then}.`
  )
}

/** A dry run's deletion of one backup, found and checked as a real run does (delete.ts). */
export function previewDelete(rt: ServerRuntime, backup: Backup): string {
  const { serverId } = rt
  markWouldGoAhead(rt.outcome)
  rt.log.info(
    `Dry run: nothing was deleted. A real run of this step (dry_run: false) would delete backup ${backup.id} of server ${serverId}, created ${taken(backup, rt.clock.now())}: it could no longer be restored.`
  )
  return `backup ${backup.id} would be deleted`
}
