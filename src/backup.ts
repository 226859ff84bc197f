import type { Backup } from './api-types.js'
import { isOwnRepository, parseTag } from './description.js'
import { formatDuration } from './duration.js'
import { ActionError, ApiError } from './errors.js'
import { deleteBackups, ownDeletable, prune } from './retention.js'
import type { Runtime } from './runtime.js'
import { waitFor } from './wait.js'

/** VPS.org keeps at most this many manual backups per server, running ones included. */
const MANUAL_BACKUP_CAP = 10

/**
 * mode: backup. Creates one backup (or, on a re-run, reuses the one an earlier attempt of the same
 * run created), waits until it has completed, then prunes this repository's older backups.
 */
export async function runBackup(rt: Runtime): Promise<void> {
  const { settings, outcome, log } = rt
  let backup = await rt.log.group('Create the backup', async () => {
    const existing = await rt.client.listBackups(settings.serverId, 'manual')
    const reusable = findReusable(existing, rt)
    if (reusable) {
      log.info(
        `Attempt ${rt.context.runAttempt} of run ${rt.context.runId} reuses backup ${reusable.id} (${reusable.status}), created by an earlier attempt: it holds the pre-deploy state.`
      )
      outcome.reused = true
      return reusable
    }
    const created = await createWithinCap(rt, existing)
    log.info(
      `Backup ${created.id} of server ${settings.serverId} created: "${created.description}"`
    )
    return created
  })
  track(rt, backup)
  if (settings.wait && backup.status !== 'completed') {
    backup = await log.group(`Wait for backup ${backup.id} to complete`, () =>
      awaitBackup(rt, backup)
    )
    track(rt, backup)
  }
  if (backup.status === 'completed') {
    const took = formatDuration(rt.clock.now() - rt.startedAt)
    log.info(`Backup ${backup.id} completed in ${took}: ${backup.size_mb ?? '?'} MB.`)
    if (settings.keepBackups > 0) {
      await log.group('Prune older backups', () => prune(rt, backup))
    }
  }
}

function track(rt: Runtime, backup: Backup): void {
  rt.outcome.backup = backup
  rt.outcome.status = backup.status
  rt.outcome.pending =
    backup.status === 'completed' || backup.status === 'failed'
      ? undefined
      : `Backup ${backup.id} of server ${rt.settings.serverId} is still being created on VPS.org. If it is not needed, delete it once it has completed (mode: delete, backup_id: ${backup.id}).`
}

/** On a re-run, the backup an earlier attempt of the same run created, unless it failed. */
function findReusable(existing: Backup[], rt: Runtime): Backup | undefined {
  const { runId, runAttempt } = rt.context
  if (runAttempt < 2) return undefined
  return existing
    .filter((b) => {
      const tag = parseTag(b.description)
      return isOwnRepository(tag, rt.context) && tag?.runId === runId && b.status !== 'failed'
    })
    .sort(
      (a, b) => Number(b.status === 'completed') - Number(a.status === 'completed') || b.id - a.id
    )[0]
}

/** Creates the backup; when the server is at the cap, makes room among our own backups first. */
async function createWithinCap(rt: Runtime, existing: Backup[]): Promise<Backup> {
  try {
    return await createOnce(rt, existing)
  } catch (error) {
    if (
      !(error instanceof ApiError && error.status === 400) ||
      existing.length < MANUAL_BACKUP_CAP
    ) {
      throw error
    }
    const { keepBackups, serverId } = rt.settings
    const own = ownDeletable(existing, rt)
    const needed = existing.length - MANUAL_BACKUP_CAP + 1
    if (keepBackups === 0 || own.length < needed) {
      throw new ActionError(
        `Server ${serverId} already has ${existing.length} manual backups, the most VPS.org allows is ${MANUAL_BACKUP_CAP} (the API said: ${error.serverMessage}). ` +
          (keepBackups === 0
            ? 'Set keep_backups (e.g. 3) so that this action deletes its own oldest backups, or delete some with mode: delete.'
            : `Only ${own.length} of them were created by this action for this repository, so it will not delete any; delete some with mode: delete.`)
      )
    }
    rt.log.info(`Server ${serverId} is at the cap of ${MANUAL_BACKUP_CAP} manual backups.`)
    await deleteBackups(rt, own.slice(-needed), 'to make room (keep_backups)')
    return createOnce(rt, existing)
  }
}

/**
 * POST /backups/, retried on transient failures. A create whose answer was lost may still have
 * been carried out, so before every retry the server's backups are listed again, and a new one
 * carrying exactly our description is adopted instead of creating a duplicate.
 */
async function createOnce(rt: Runtime, existing: Backup[]): Promise<Backup> {
  const { client, settings, log } = rt
  const before = new Set(existing.map((b) => b.id))
  return client.retrying(async (attempt) => {
    if (attempt > 1) {
      const adopted = (await client.listBackups(settings.serverId, 'manual')).find(
        (b) => !before.has(b.id) && b.description === settings.description
      )
      if (adopted) {
        log.info(
          `The earlier create request was carried out although its answer was lost: adopting backup ${adopted.id} instead of creating a duplicate.`
        )
        return adopted
      }
    }
    rt.outcome.pending = `A request to create a backup of server ${settings.serverId} was sent; the backup may exist on VPS.org. Look for "${settings.description}" among the server's backups and delete it if it is not needed.`
    try {
      return await client.createBackup(settings.serverId, settings.description)
    } catch (error) {
      // A 4xx is a refusal: nothing was created.
      if (error instanceof ApiError && error.status < 500) rt.outcome.pending = undefined
      throw error
    }
  })
}

/** Follows a backup in its server's list until it has completed. `failed` or gone: an error. */
export function awaitBackup(rt: Runtime, backup: Backup): Promise<Backup> {
  const where = `Backup ${backup.id} of server ${backup.server.id}`
  const type = backup.backup_type === 'manual' ? 'manual' : undefined
  return waitFor(
    async () => {
      const current = (await rt.client.listBackups(backup.server.id, type)).find(
        (b) => b.id === backup.id
      )
      if (!current) {
        throw new ActionError(
          `${where} disappeared while the action was waiting for it: it was deleted, or it failed and was removed.`
        )
      }
      if (current.status === 'failed') {
        track(rt, current)
        throw new ActionError(
          `${where} failed on VPS.org: there is no restore point from it. Check the server in the VPS.org panel and run the job again.`
        )
      }
      return current.status === 'completed'
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
