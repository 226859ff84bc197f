import type { Backup, Server } from '../vpsorg/api-types.js'
import { formatDuration } from '../common/duration.js'
import { ActionError } from '../common/errors.js'
import type { ServerRuntime } from '../runtime/runtime.js'
import { waitFor } from '../common/wait.js'
import { clearPending, recordServer } from '../runtime/outcome.js'

export const RESTORING = 'restoring'
export const ACTIVE = 'active'
/** Server states a restore does not pass through: seeing one means it failed. */
const TERMINAL = new Set(['error', 'stopped', 'suspended'])

/**
 * How long after the API accepted a restore (202) the restore is assumed to start (assumed: the
 * contract only says the server shows `restoring` while it runs). A restore that is queued, the
 * server still `active`, is followed until it has been seen `restoring` and then `active`; a
 * server never seen restoring within this time (nor the timeout) is taken for one whose restore
 * ran between two looks. `updated_at` is never taken for evidence: an API changes it on its own.
 * After a restore request whose answer was lost, the server is watched as long for a queued
 * restore to start before the request is sent again (awaitStart).
 */
const START_GRACE_MS = 60_000

/**
 * Polls the server until `done` says so (or throws), logging each status it goes through. The
 * delays grow with the time since `since` (by default the step's start). The one place a
 * follower reads a server's state.
 */
function followServer(
  rt: ServerRuntime,
  what: string,
  initialStatus: string,
  done: (server: Server) => boolean,
  since = rt.startedAt
): Promise<Server> {
  const { serverId } = rt
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

/** Waits until a restore that was running before this step asked for one has ended. */
export function awaitOtherRestore(rt: ServerRuntime): Promise<Server> {
  const { serverId } = rt
  rt.log.info(`Server ${serverId} is already restoring; waiting for that to end first.`)
  return followServer(
    rt,
    `the restore already running on server ${serverId} to end`,
    RESTORING,
    (current) => current.status !== RESTORING
  )
}

/**
 * After a restore request whose answer was lost, on a server untouched since (still `status`): an
 * API that accepted the request may have queued the restore, so before the request is sent again
 * the server is watched for it to start, until START_GRACE_MS after the request (or the timeout).
 * Returns the server as last seen: at once when its status is no longer `status` (`restoring`:
 * the request was carried out); else when the grace ends. A queued restore that starts later than
 * that is not seen: the API then refuses the second request while it waits (409), or, if it
 * queues that one too, the server is restored twice (RELIABILITY.md).
 */
export function awaitStart(
  rt: ServerRuntime,
  status: string,
  requestedAt: number
): Promise<Server> {
  const graceEnds = Math.min(rt.deadline, requestedAt + START_GRACE_MS)
  return followServer(
    rt,
    `server ${rt.serverId} to start a restore whose request's answer was lost`,
    status,
    (server) => server.status !== status || rt.clock.now() >= graceEnds,
    requestedAt
  )
}

/** Records the server as seen; fails at once when it is in a state a restore does not pass through. */
export function see(rt: ServerRuntime, server: Server, backup: Backup): void {
  recordServer(rt.outcome, server)
  if (!TERMINAL.has(server.status)) return
  clearPending(rt.outcome)
  throw new ActionError(
    `Server ${server.id} is '${server.status}' after restoring from backup ${backup.id}: the restore did not bring it back. Check the server in the VPS.org panel.`
  )
}

/**
 * Polls the server until it is `active` after an accepted restore. `active` counts once the restore
 * has been seen under way (`begun`: a 200 with the server, or `restoring` seen), or when it has
 * not been seen under way within START_GRACE_MS of the request (see there).
 */
export function awaitRestore(rt: ServerRuntime, backup: Backup, begun: boolean): Promise<Server> {
  const requestedAt = rt.clock.now()
  const graceEnds = Math.min(rt.deadline, requestedAt + START_GRACE_MS)
  let seen = begun
  return followServer(
    rt,
    `server ${rt.serverId} to be active after restoring from backup ${backup.id}`,
    'restore requested',
    (server) => {
      see(rt, server, backup)
      seen ||= server.status !== ACTIVE
      if (seen) return server.status === ACTIVE
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
