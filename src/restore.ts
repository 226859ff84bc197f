import { type Backup, type Server, newestFirst } from './api-types.js'
import { awaitBackup } from './backup.js'
import { formatDuration } from './duration.js'
import { ActionError, ApiError } from './errors.js'
import { backoffDelay, isTransient } from './retry.js'
import type { Runtime } from './runtime.js'
import { waitFor } from './wait.js'

const RESTORING = 'restoring'
const ACTIVE = 'active'
/** Server states a restore does not pass through: seeing one means it failed. */
const TERMINAL = new Set(['error', 'stopped', 'suspended'])
/** Transient failures of the restore request tolerated before giving up. */
const MAX_RESTORE_ATTEMPTS = 5

/**
 * How long after the API accepted a restore (202) the restore is assumed to start (assumed: the
 * contract only says the server shows `restoring` while it runs). A restore that is queued, the
 * server still `active`, is followed until it has been seen `restoring` and then `active`; a
 * server never seen restoring within this time (nor the timeout) is taken for one whose restore
 * ran between two looks. `updated_at` is never taken for evidence: an API changes it on its own.
 */
const START_GRACE_MS = 60_000

/** What this step knows of its restore: the server as last seen, and whether it was seen under way. */
interface Evidence {
  server: Server
  /** The API answered 200 with the server, or the server was seen restoring after our request. */
  begun: boolean
}

/**
 * mode: restore. Restores the server from one of its own backups (an id, or `latest`) and waits
 * until it is `active` again. Every refusal happens before the restore request.
 */
export async function runRestore(rt: Runtime, ref: number | 'latest'): Promise<void> {
  const { settings, log, outcome } = rt
  let backup = await log.group('Find the backup', () => findBackup(rt, ref))
  outcome.backup = backup
  if (backup.status !== 'completed') {
    backup = await log.group(`Wait for backup ${backup.id} to complete`, () =>
      awaitBackup(rt, backup)
    )
    outcome.backup = backup
  }
  const evidence = await log.group(
    `Restore server ${settings.serverId} from backup ${backup.id}`,
    () => requestRestore(rt, backup)
  )
  see(rt, evidence.server, backup)
  const done = evidence.begun && evidence.server.status === ACTIVE
  if (!done && settings.wait) {
    await log.group(`Wait for server ${settings.serverId} to be active`, () =>
      awaitRestore(rt, backup, evidence.begun)
    )
  }
  if (done || settings.wait) {
    outcome.pending = undefined
    outcome.restored = true
    log.info(
      `Server ${settings.serverId} is active again, restored from backup ${backup.id} (${backup.created_at}) in ${formatDuration(rt.clock.now() - rt.startedAt)}.`
    )
  }
}

/** The backup, among the server's own: by id, or the newest completed one for `latest`. */
async function findBackup(rt: Runtime, ref: number | 'latest'): Promise<Backup> {
  const { serverId } = rt.settings
  // listBackups returns this server's backups only, so another server's is never restored here.
  const backups = await rt.client.listBackups(serverId)
  const backup =
    ref === 'latest'
      ? backups.filter((b) => b.status === 'completed').sort(newestFirst)[0]
      : backups.find((b) => b.id === ref)
  if (!backup) {
    throw new ActionError(
      ref === 'latest'
        ? `Server ${serverId} has no completed backup to restore (backup_id: latest); no restore was requested.`
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
 * Sends the restore request once in effect. A server already restoring is waited out first; a
 * 409 (busy) is waited out within the timeout. When an answer is lost (5xx, network), the server
 * is read again: `restoring` is evidence that the request was carried out; a server untouched
 * since (same status, same `updated_at`) cannot have run a restore, so the request is sent again
 * (a queued one would make the API answer 409); anything else leaves the outcome unknown: a
 * failure that says so, rather than a second restore or a claimed one.
 */
async function requestRestore(rt: Runtime, backup: Backup): Promise<Evidence> {
  const { client, settings, log, clock, outcome } = rt
  /** The server as read before the first attempt whose answer was lost. */
  let before: Server | undefined
  let lost: unknown
  for (let failures = 0; ;) {
    const server = await client.getServer(settings.serverId)
    if (before) {
      if (server.status === RESTORING) return carriedOut(rt, server)
      if (server.status !== before.status || server.updated_at !== before.updated_at) {
        throw unknownOutcome(
          rt,
          backup,
          lost,
          `server ${server.id} is now '${server.status}' (updated ${server.updated_at ?? '?'}) but was not seen restoring`
        )
      }
    } else if (server.status === RESTORING) {
      await waitOutOtherRestore(rt)
      continue
    }
    outcome.pending = `Server ${settings.serverId} is being restored from backup ${backup.id} on VPS.org (or the request to do so was sent); the restore goes on. Check the server is active before you deploy to it again.`
    try {
      const answer = await client.restore(settings.serverId, backup.id)
      log.info(`Restore of server ${settings.serverId} from backup ${backup.id} requested.`)
      return answer.server
        ? { server: answer.server, begun: true }
        : { server: { ...server, status: RESTORING }, begun: false }
    } catch (error) {
      // An answer below 500 is a refusal: no restore was started.
      const refused = error instanceof ApiError && error.status < 500
      const busy = error instanceof ApiError && error.status === 409
      if (busy && before) {
        throw unknownOutcome(rt, backup, lost, 'the API now answers that the server is busy (409)')
      }
      if (refused) outcome.pending = undefined
      else [before, lost] = [before ?? server, error]
      if (!busy && (!isTransient(error) || ++failures >= MAX_RESTORE_ATTEMPTS)) throw error
      const delay = busy
        ? rt.policy(clock.now() - rt.startedAt, rt.random)
        : backoffDelay(failures, error, { ...rt, baseDelayMs: 1000, maxDelayMs: 30_000 })
      if (clock.now() + delay >= rt.deadline) throw error
      log.info(
        `${(error as Error).message}; checking the server again in ${formatDuration(delay)}${busy ? ' (busy: waiting for the other operation to end)' : ''}`
      )
      await clock.sleep(delay, rt.signal)
    }
  }
}

function carriedOut(rt: Runtime, server: Server): Evidence {
  rt.log.info(
    `Server ${server.id} is restoring: the request was carried out although its answer was lost, so it is not sent again.`
  )
  return { server, begun: true }
}

/** A restore whose answer was lost, and no evidence either way: fail, saying so. */
function unknownOutcome(rt: Runtime, backup: Backup, lost: unknown, why: string): ActionError {
  const { serverId } = rt.settings
  rt.outcome.pending = `A restore of server ${serverId} from backup ${backup.id} may be queued or running on VPS.org.`
  return new ActionError(
    `The answer to the restore request was lost (${(lost as Error).message}) and ${why}: whether server ${serverId} is being restored from backup ${backup.id} is unknown. Check the server in the VPS.org panel (restoring, or restored from backup ${backup.id}?) before deploying to it or restoring again.`
  )
}

function waitOutOtherRestore(rt: Runtime): Promise<Server> {
  const { serverId } = rt.settings
  rt.log.info(`Server ${serverId} is already restoring; waiting for that to end first.`)
  return followServer(
    rt,
    `the restore already running on server ${serverId} to end`,
    RESTORING,
    (current) => current.status !== RESTORING
  )
}

/**
 * Polls the server until `done` says so (or throws), logging each status it goes through. The
 * delays grow with the time since `since` (by default the step's start).
 */
function followServer(
  rt: Runtime,
  what: string,
  initialStatus: string,
  done: (server: Server) => boolean,
  since = rt.startedAt
): Promise<Server> {
  const { serverId } = rt.settings
  return waitFor(
    async () => {
      const server = await rt.client.getServer(serverId)
      return done(server) ? { done: true, value: server } : { done: false, status: server.status }
    },
    {
      ...rt,
      policy: (elapsedMs, random) => rt.policy(elapsedMs - (since - rt.startedAt), random),
      what,
      initialStatus,
      onStatus: (status, ms) => rt.log.info(`Server ${serverId}: ${status} (${formatDuration(ms)})`)
    }
  )
}

/** Records the server as seen; fails at once when it is in a state a restore does not pass through. */
function see(rt: Runtime, server: Server, backup: Backup): void {
  rt.outcome.server = server
  rt.outcome.status = server.status
  if (!TERMINAL.has(server.status)) return
  rt.outcome.pending = undefined
  throw new ActionError(
    `Server ${server.id} is '${server.status}' after restoring from backup ${backup.id}: the restore did not bring it back. Check the server in the VPS.org panel.`
  )
}

/**
 * Polls the server until it is `active` after an accepted restore. `active` counts once the restore
 * has been seen under way (`begun`: a 200 with the server, or `restoring` seen), or when it has
 * not been seen under way within START_GRACE_MS of the request (see there).
 */
function awaitRestore(rt: Runtime, backup: Backup, begun: boolean): Promise<Server> {
  const requestedAt = rt.clock.now()
  const graceEnds = Math.min(rt.deadline, requestedAt + START_GRACE_MS)
  let seen = begun
  return followServer(
    rt,
    `server ${rt.settings.serverId} to be active after restoring from backup ${backup.id}`,
    'restore requested',
    (server) => {
      see(rt, server, backup)
      seen ||= server.status !== ACTIVE
      if (server.status !== ACTIVE || seen) return server.status === ACTIVE
      if (rt.clock.now() < graceEnds) return false
      rt.log.info(
        `Server ${server.id} is active and was not seen restoring within ${formatDuration(rt.clock.now() - requestedAt)} of the request: the restore ran between two looks.`
      )
      return true
    },
    // The first look a second after the request, so a short restore is seen under way.
    requestedAt
  )
}
