import { type Backup, type Server, newestFirst } from './api-types.js'
import { awaitBackup } from './backup.js'
import { formatDuration } from './duration.js'
import type { RestoreAnswer } from './client.js'
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
  const { answer, before } = await log.group(
    `Restore server ${settings.serverId} from backup ${backup.id}`,
    () => requestRestore(rt, backup)
  )
  outcome.server = answer.server ?? { ...before, status: RESTORING }
  outcome.status = outcome.server.status
  assertNotFailed(rt, outcome.server, backup)
  if (outcome.status !== ACTIVE && settings.wait) {
    outcome.server = await log.group(`Wait for server ${settings.serverId} to be active`, () =>
      awaitRestore(rt, backup, answer.acceptedAt)
    )
    outcome.status = outcome.server.status
  }
  if (outcome.status === ACTIVE) {
    outcome.pending = undefined
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
 * Sends the restore request exactly once in effect. The server is read before every attempt:
 * after an attempt whose answer was lost, a server that has changed since (restoring, or already
 * back with a newer `updated_at`) means the request was carried out, and it is not sent again.
 * A server already restoring is waited out first; a 409 (busy) is waited out within the timeout.
 */
async function requestRestore(
  rt: Runtime,
  backup: Backup
): Promise<{ answer: RestoreAnswer; before: Server }> {
  const { client, settings, log, clock, outcome } = rt
  /** The server as read before an attempt whose answer was lost. */
  let sent: Server | undefined
  for (let failures = 0; ;) {
    const server = await client.getServer(settings.serverId)
    if (sent && (server.status !== sent.status || server.updated_at !== sent.updated_at)) {
      log.info(
        `Server ${settings.serverId} is ${server.status} and has changed since the request: it was carried out although its answer was lost, so it is not sent again.`
      )
      return { answer: server.status === RESTORING ? {} : { server }, before: sent }
    }
    if (server.status === RESTORING) {
      log.info(`Server ${settings.serverId} is already restoring; waiting for that to end first.`)
      await followServer(
        rt,
        `the restore already running on server ${settings.serverId} to end`,
        RESTORING,
        (current) => current.status !== RESTORING
      )
      continue
    }
    outcome.pending = `Server ${settings.serverId} is being restored from backup ${backup.id} on VPS.org (or the request to do so was sent); the restore goes on. Check the server is active before you deploy to it again.`
    try {
      const answer = await client.restore(settings.serverId, backup.id)
      log.info(`Restore of server ${settings.serverId} from backup ${backup.id} requested.`)
      return { answer, before: server }
    } catch (error) {
      // An answer below 500 is a refusal: no restore was started.
      const refused = error instanceof ApiError && error.status < 500
      if (refused) outcome.pending = undefined
      else sent = server
      const busy = error instanceof ApiError && error.status === 409
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

/** Polls the server until `done` says so (or throws), logging each status it goes through. */
function followServer(
  rt: Runtime,
  what: string,
  initialStatus: string,
  done: (server: Server) => boolean
): Promise<Server> {
  const { serverId } = rt.settings
  return waitFor(
    async () => {
      const server = await rt.client.getServer(serverId)
      return done(server) ? { done: true, value: server } : { done: false, status: server.status }
    },
    {
      ...rt,
      what,
      initialStatus,
      onStatus: (status, ms) => rt.log.info(`Server ${serverId}: ${status} (${formatDuration(ms)})`)
    }
  )
}

/** Fails when a server answered in a state a restore does not pass through. */
function assertNotFailed(rt: Runtime, server: Server, backup: Backup): void {
  if (!TERMINAL.has(server.status)) return
  rt.outcome.server = server
  rt.outcome.status = server.status
  throw new ActionError(
    `Server ${server.id} is '${server.status}' after restoring from backup ${backup.id}: the restore did not bring it back. Check the server in the VPS.org panel.`
  )
}

/**
 * Polls the server until it is `active` after an accepted restore. `active` counts once the restore
 * has visibly begun: a non-active status was seen, or the server was updated at or after the
 * second the API accepted the request (by the API's clock, so runner clock skew does not matter).
 * A restore the API queues is not taken for finished, and one that ended before the first poll is
 * not waited for in vain. Without those timestamps, `active` means done, as the contract says.
 */
function awaitRestore(
  rt: Runtime,
  backup: Backup,
  acceptedAt: number | undefined
): Promise<Server> {
  let begun = acceptedAt === undefined
  return followServer(
    rt,
    `server ${rt.settings.serverId} to be active after restoring from backup ${backup.id}`,
    'restore requested',
    (server) => {
      assertNotFailed(rt, server, backup)
      const updatedAt = Date.parse(server.updated_at ?? '')
      begun ||= server.status !== ACTIVE || Number.isNaN(updatedAt) || updatedAt >= acceptedAt!
      return server.status === ACTIVE && begun
    }
  )
}
