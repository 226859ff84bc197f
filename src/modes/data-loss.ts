import { type Backup, createdAt } from '../vpsorg/api-types.js'
import { formatDuration } from '../common/duration.js'
import { recordDataLoss } from '../runtime/outcome.js'
import type { ServerRuntime } from '../runtime/runtime.js'

/**
 * When the backup was taken, as this action shows it: the API's created_at read as a date and
 * written back by the action (`2026-11-27T21:47:18Z`), so no text of the server's reaches the log
 * or the summary; with its age on `now`'s clock.
 */
export function taken(backup: Backup, now: number): string {
  const ms = createdAt(backup)
  if (Number.isNaN(ms)) return 'at a time the API did not give as a date-time'
  const date = new Date(ms).toISOString().replace('.000Z', 'Z')
  const age = now - ms
  return age < 0
    ? `${date} (${formatDuration(-age)} ahead of this runner's clock)`
    : `${date} (${formatDuration(age)} ago)`
}

/**
 * The data-loss window of restoring the server to `backup`: `Restoring server 12345 to backup
 * 501, created 2026-11-27T21:47:18Z (42m ago): anything written to the server since then is
 * lost.` A restore replaces the whole disk.
 */
export function dataLossLine(serverId: number, backup: Backup, now: number): string {
  return `Restoring server ${serverId} to backup ${backup.id}, created ${taken(backup, now)}: anything written to the server since then is lost.`
}

/**
 * Says what the restore of this server discards, before the restore request (a dry run: what it
 * would discard, the line prefixed `Dry run:`), in the log and, through the outcome, in the job
 * summary.
 */
export function announceDataLoss(rt: ServerRuntime, backup: Backup): void {
  const line = dataLossLine(rt.serverId, backup, rt.clock.now())
  recordDataLoss(rt.outcome, line)
  rt.log.info(rt.settings.dryRun ? `Dry run: ${line}` : line)
}
