import { type Backup, type Server, newestFirst } from '../vpsorg/api-types.js'
import { sentence } from '../vpsorg/api-errors.js'
import { isOwnRepository, parseTag } from '../github/description.js'
import { formatDuration } from '../common/duration.js'
import { ActionError } from '../common/errors.js'
import { announceDataLoss } from './data-loss.js'
import { stillBeingMade } from './dry-run.js'
import { awaitBackup } from './follow-backup.js'
import {
  ACTIVE,
  RESTORING,
  awaitOtherRestore,
  awaitRestore,
  awaitStart,
  see
} from './follow-server.js'
import { phase, valuesOf } from '../runtime/fleet.js'
import type { Runtime, ServerRuntime } from '../runtime/runtime.js'
import { sendOnce } from './send-once.js'
import {
  markDryRun,
  markPending,
  markRestored,
  markWouldGoAhead,
  recordRestorePoint,
  recordServer
} from '../runtime/outcome.js'

/** What this step knows of its restore: the server as last seen, and whether it was seen under way. */
interface Evidence {
  server: Server
  /** The API answered 200 with the server, or the server was seen restoring after our request. */
  begun: boolean
}

/**
 * mode: restore. Restores each server from one of its own backups (an id, or `latest`: the newest
 * completed backup this action made for this repository, see findBackup) and waits
 * until it is `active` again. Every server's backup is found, and every refusal made, before any
 * restore request: a fleet is never half restored because one server had no such backup. The
 * restores then run at once; one that fails does not stop the others, which are followed to their
 * end, and the step fails naming each server's outcome.
 */
export async function runRestore(
  step: Runtime,
  servers: readonly ServerRuntime[],
  refs: ReadonlyArray<number | 'latest'>
): Promise<Backup[]> {
  const n = servers.length
  const { dryRun } = step.settings
  markDryRun(step.outcome, dryRun)
  const backups = valuesOf(
    await phase(step, servers, `Find the backups of ${n} servers`, (rt, i) =>
      rt.log.group('Find the backup', () => findBackup(rt, refs[i]!))
    ),
    (backup) => `backup ${backup.id} found; no restore was requested`
  )
  return valuesOf(
    await phase(step, servers, `${dryRun ? 'Dry run: r' : 'R'}estore ${n} servers`, (rt, i) =>
      restoreFrom(rt, backups[i]!)
    ),
    (backup) => `${dryRun ? 'would be ' : ''}restored from backup ${backup.id}`
  )
}

/**
 * A dry run's restore of one server, once its backup is found and checked as a real run does
 * (findBackup, restoreFrom) and its data-loss window said: reads the server (a real run reads it before its
 * request, and fails if it cannot), says what a real run would do, and requests nothing.
 */
async function previewRestore(rt: ServerRuntime, backup: Backup): Promise<Backup> {
  const { settings, log, outcome, serverId } = rt
  const server = await rt.client.getServer(serverId)
  recordServer(outcome, server)
  markWouldGoAhead(outcome)
  if (server.status === RESTORING) {
    log.info(
      `Server ${serverId} is being restored right now: a real run would wait for that restore to end first.`
    )
  }
  const checks = settings.health.checks.length ? ', then check the app (health_url)' : ''
  const then = settings.wait ? `, wait until it is active${checks}` : ''
  log.info(
    `Dry run: no restore was requested. A real run of this step (dry_run: false) would restore server ${serverId} from backup ${backup.id}${then}.`
  )
  return backup
}

/** Restores one server from its backup (waiting for it to complete first) and waits until it is active. */
async function restoreFrom(rt: ServerRuntime, from: Backup): Promise<Backup> {
  const { settings, log, outcome, serverId } = rt
  let backup = from
  recordRestorePoint(outcome, backup)
  if (backup.status !== 'completed' && settings.dryRun) {
    stillBeingMade(rt, backup, 'restore from it (and fail if it failed)')
  } else if (backup.status !== 'completed') {
    // awaitBackup records each state of the backup it sees (track), the completed one last.
    backup = await log.group(`Wait for backup ${backup.id} to complete`, () =>
      awaitBackup(rt, backup)
    )
  }
  announceDataLoss(rt, backup)
  if (settings.dryRun) return previewRestore(rt, backup)
  const evidence = await log.group(`Restore server ${serverId} from backup ${backup.id}`, () =>
    requestRestore(rt, backup)
  )
  see(rt, evidence.server, backup)
  const done = evidence.begun && evidence.server.status === ACTIVE
  if (!done && settings.wait) {
    await log.group(`Wait for server ${serverId} to be active`, () =>
      awaitRestore(rt, backup, evidence.begun)
    )
  }
  if (done || settings.wait) {
    markRestored(outcome)
    log.info(
      `Server ${serverId} is active again, restored from backup ${backup.id} (${backup.created_at}) in ${formatDuration(rt.clock.now() - rt.startedAt)}.`
    )
  }
  return backup
}

/**
 * The backup, among the server's own: by id; or for `latest`, the newest completed backup this
 * action made for this repository (its description's tag). Not the server's newest backup: an
 * automatic daily backup, or another repository's, taken after a bad deploy holds the broken state.
 */
async function findBackup(rt: ServerRuntime, ref: number | 'latest'): Promise<Backup> {
  const { serverId } = rt
  // listBackups returns this server's backups only, so another server's is never restored here.
  const backups = await rt.client.listBackups(serverId)
  const backup =
    ref === 'latest'
      ? backups
          .filter(
            (b) => b.status === 'completed' && isOwnRepository(parseTag(b.description), rt.context)
          )
          .sort(newestFirst)[0]
      : backups.find((b) => b.id === ref)
  if (!backup) {
    throw new ActionError(
      ref === 'latest'
        ? `Server ${serverId} has no completed backup made by this action for ${rt.context.repository} (backup_id: latest restores only those, never an automatic backup or another repository's); no restore was requested.`
        : `Backup ${ref} is not one of server ${serverId}'s backups (it does not exist, or belongs to another server); no restore was requested.`
    )
  }
  rt.log.info(
    `Backup ${backup.id}: ${backup.backup_type}, ${backup.status}, created ${backup.created_at}, "${backup.description ?? ''}"`
  )
  if (backup.status === 'failed') {
    throw new ActionError(
      `Backup ${backup.id} of server ${serverId} failed when it was made: it cannot be restored; no restore was requested.`
    )
  }
  return backup
}

/**
 * Sends the restore request once in effect (sendOnce). A server already restoring is waited out
 * first; a 409 (busy) is waited out within the timeout. When an answer is lost (5xx, network),
 * the server is read again: `restoring` is evidence that the request was carried out; a server
 * untouched since (same status, same `updated_at`) has not run a restore yet, but the API may
 * have queued one: it is watched for START_GRACE_MS after the request (awaitStart) and the
 * request is sent again only if none starts (a queued one would make the API answer 409);
 * anything else leaves the outcome unknown: a failure that says so, rather than a second restore
 * or a claimed one. An answer of 200 naming another server is no evidence of this restore: the
 * server is followed instead.
 */
function requestRestore(rt: ServerRuntime, backup: Backup): Promise<Evidence> {
  const { client, log, serverId } = rt
  /** The server as last read before an attempt, and before the first whose answer was lost. */
  let last: Server
  let before: Server | undefined
  /** When the latest request was sent. */
  let sentAt = rt.clock.now()
  return sendOnce(rt, {
    pending: `Server ${serverId} is being restored from backup ${backup.id} on VPS.org (or the request to do so was sent); the restore goes on. Check the server is active before you deploy to it again.`,
    reconcile: async ({ lost }) => {
      let server = await client.getServer(serverId)
      if (lost) {
        before ??= last
        if (server.status === before.status && server.updated_at === before.updated_at) {
          server = await awaitStart(rt, server.status, sentAt)
        }
        if (server.status === RESTORING) return { value: carriedOut(rt, server) }
        if (server.status !== before.status || server.updated_at !== before.updated_at) {
          throw unknownOutcome(
            rt,
            backup,
            lost,
            `server ${server.id} is now '${server.status}' (updated ${server.updated_at ?? '?'}) but was not seen restoring`
          )
        }
        // The timeout cut the watch short: a queued restore may still start.
        if (rt.clock.now() >= rt.deadline) {
          throw unknownOutcome(rt, backup, lost, 'the timeout came before the grace had passed')
        }
      }
      while (server.status === RESTORING) {
        await awaitOtherRestore(rt)
        server = await client.getServer(serverId)
      }
      last = server
      return undefined
    },
    send: async () => {
      sentAt = rt.clock.now()
      const { server } = await client.restore(serverId, backup.id)
      log.info(`Restore of server ${serverId} from backup ${backup.id} requested.`)
      if (server && server.id !== serverId) {
        log.warning(
          `The API answered the restore of server ${serverId} with server ${server.id} ('${server.status}'): that is no evidence of this restore, so server ${serverId} is followed instead.`
        )
      }
      return server?.id === serverId
        ? { server, begun: true }
        : { server: { ...last, status: RESTORING }, begun: false }
    },
    onBusy: ({ lost }) => {
      if (lost) {
        throw unknownOutcome(rt, backup, lost, 'the API now answers that the server is busy (409)')
      }
    },
    retryLine: (failure, delayMs) =>
      `${sentence(failure)} Checking the server again in ${formatDuration(delayMs)}`
  })
}

function carriedOut(rt: ServerRuntime, server: Server): Evidence {
  rt.log.info(
    `Server ${server.id} is restoring: the request was carried out although its answer was lost, so it is not sent again.`
  )
  return { server, begun: true }
}

/** A restore whose answer was lost, and no evidence either way: fail, saying so. */
function unknownOutcome(
  rt: ServerRuntime,
  backup: Backup,
  lost: unknown,
  why: string
): ActionError {
  const { serverId } = rt
  markPending(
    rt.outcome,
    `A restore of server ${serverId} from backup ${backup.id} may be queued or running on VPS.org.`
  )
  return new ActionError(
    `The answer to the restore request was lost (${(lost as Error).message}) and ${why}: whether server ${serverId} is being restored from backup ${backup.id} is unknown. Check the server in the VPS.org panel (restoring, or restored from backup ${backup.id}?) before deploying to it or restoring again.`
  )
}
