import { type Backup, isFinal } from '../vpsorg/api-types.js'
import { formatDuration } from '../common/duration.js'
import { ActionError } from '../common/errors.js'
import type { Runtime, ServerRuntime } from '../runtime/runtime.js'
import { WaitTimeoutError, waitFor } from '../common/wait.js'
import { clearPending, markPending, recordBackup, recordTook } from '../runtime/outcome.js'

/** How long a backup the API said it created may take to appear in the server's list. */
export const LIST_GRACE_MS = 30_000
export const NOT_LISTED = 'not listed yet'

/** Records the last state seen of the step's backup: the outputs and what is still running. */
export function track(rt: ServerRuntime, backup: Backup): void {
  recordBackup(rt.outcome, backup)
  if (isFinal(backup)) {
    clearPending(rt.outcome)
    return
  }
  markPending(
    rt.outcome,
    `Backup ${backup.id} of server ${backup.server.id} is still being created on VPS.org. If it is not needed, delete it once it has completed (mode: delete, backup_id: ${backup.id}).`
  )
}

/** A failed backup is no restore point: it fails the step, whether it was waited for or not. */
export function assertNotFailed(backup: Backup): void {
  if (backup.status === 'failed') throw failure(backup)
}

export const failure = (backup: Backup): ActionError =>
  new ActionError(
    `Backup ${backup.id} of server ${backup.server.id} failed on VPS.org: there is no restore point from it. Check the server in the VPS.org panel and run the job again.`
  )

/** Follows a backup until it has completed. `failed` or gone: an error. */
export async function awaitBackup(rt: ServerRuntime, backup: Backup): Promise<Backup> {
  const final = await awaitFinal(rt, backup, true)
  assertNotFailed(final)
  return final
}

/** A backup to follow, with its server's ServerRuntime; `listed`: seen in its list already. */
export interface Followed {
  rt: ServerRuntime
  backup: Backup
  listed: boolean
}

/**
 * How a follower looks at the backups of several servers: the account's list (one list without
 * server_id) while it takes no more pages than there are servers to look at, else each server's
 * own list. `accountPages`: what the last look learned of the account's list (undefined before).
 */
interface Looking {
  accountPages?: number
}

/**
 * The backups as the API lists them now, by id. The one place a follower reads backups' state:
 * one server's list for one server's backups; for several servers', the cheaper of the account's
 * list and each server's own (see Looking), so that a look costs at most one request per server
 * however large the account, and one request in all while the account is small. A list of the
 * account that would take more pages than that, or is larger than the size cap, is given up for
 * the servers' own (once: the look remembers it). A backup listed under another server than its
 * own is not taken for it.
 */
async function look(
  rt: Runtime,
  following: readonly Followed[],
  looking: Looking
): Promise<Map<number, Backup>> {
  const servers = [...new Set(following.map((f) => f.backup.server.id))]
  const manual = following.every((f) => f.backup.backup_type === 'manual') ? 'manual' : undefined
  let listed: Backup[] | undefined
  if (servers.length > 1 && (looking.accountPages ?? 1) <= servers.length) {
    const account = await rt.client.listBackupsWithin(undefined, manual, servers.length)
    looking.accountPages = account.pages
    listed = account.backups
    if (!listed) {
      rt.log.info(
        `The account's list of backups takes more than ${servers.length} requests: following each server's own list instead.`
      )
    }
  }
  listed ??= (
    await Promise.all(servers.map((server) => rt.client.listBackups(server, manual)))
  ).flat()
  const expected = new Map(following.map((f) => [f.backup.id, f.backup.server.id]))
  return new Map(listed.filter((b) => expected.get(b.id) === b.server.id).map((b) => [b.id, b]))
}

/**
 * Follows a backup in its server's list until it is final (`completed` or `failed`), recording
 * every status seen. One that is gone is an error; one the API has just created (`listed` false)
 * gets LIST_GRACE_MS to appear in the list first, as a list may lag behind a create.
 */
export async function awaitFinal(
  rt: ServerRuntime,
  backup: Backup,
  listed: boolean
): Promise<Backup> {
  const [result] = await awaitFinals(rt, [{ rt, backup, listed }])
  if (result instanceof Error) throw result
  return result!
}

/**
 * Follows backups until each is final, or has gone (its error), with one poll loop and one look
 * (see look()) per poll, each backup's statuses recorded in its own server's outcome. A backup is
 * gone only when confirmed: missing from two looks in a row once it has been seen (a list read
 * page by page can miss one that moves between pages meanwhile), or not seen by the end of the
 * grace; one missing once is followed on, and stays pending meanwhile. The loop ends when the
 * last one is final. The step's timeout ends it with a WaitTimeoutError; when another of the
 * fleet's backups failed (`failedElsewhere`: its create, say), each backup still open gets its own
 * instead, so that the timeout hides no other server's outcome.
 */
export async function awaitFinals(
  step: Runtime,
  following: readonly Followed[],
  failedElsewhere = false
): Promise<Array<Backup | ActionError>> {
  const graceEnds = step.clock.now() + LIST_GRACE_MS
  const states: Following[] = following.map((f) => ({
    ...f,
    seen: f.listed,
    missed: false,
    status: f.backup.status
  }))
  const results = new Map<number, Backup | ActionError>()
  const looking: Looking = {}
  const open = (): Following[] => states.filter((s) => !results.has(s.backup.id))
  const say = (s: Following): void =>
    s.rt.log.info(
      `Backup ${s.backup.id}: ${s.status} (${formatDuration(step.clock.now() - step.startedAt)})`
    )
  states.forEach(say)
  try {
    await waitFor(
      async () => {
        const listed = await look(step, open(), looking)
        for (const s of open()) observe(s, listed.get(s.backup.id))
        const left = open()
        return left.length
          ? { done: false, status: statusOf(left) }
          : { done: true, value: undefined }
      },
      {
        ...step,
        what:
          states.length === 1
            ? `backup ${states[0]!.backup.id} of server ${states[0]!.backup.server.id} to complete`
            : `the backups of servers ${states.map((s) => s.backup.server.id).join(', ')} to complete`,
        initialStatus: statusOf(states)
      }
    )
  } catch (error) {
    const failed = [...results.values()].some((r) => r instanceof Error || r.status === 'failed')
    if (!(error instanceof WaitTimeoutError) || !(failedElsewhere || failed)) throw error
    for (const s of open()) {
      const what = `backup ${s.backup.id} of server ${s.backup.server.id} to complete`
      results.set(s.backup.id, new WaitTimeoutError(what, error.waitedMs, s.status))
    }
  }
  return states.map((s) => results.get(s.backup.id)!)

  /** What a look saw of one backup: `current` undefined when it was not in the list. */
  function observe(s: Following, current: Backup | undefined): void {
    if (!current) {
      if (s.seen ? s.missed : step.clock.now() >= graceEnds) {
        results.set(s.backup.id, gone(s))
      } else if (s.seen) {
        s.missed = true
        s.rt.log.info(
          `Backup ${s.backup.id} is missing from the list: looking again before taking it as deleted.`
        )
      } else if (s.status !== NOT_LISTED) {
        s.status = NOT_LISTED
        say(s)
      }
      return
    }
    s.seen = true
    s.missed = false
    track(s.rt, current)
    if (isFinal(current)) {
      results.set(s.backup.id, current)
      recordTook(s.rt.outcome, step.clock.now() - step.startedAt)
    } else if (current.status !== s.status) {
      s.status = current.status
      say(s)
    }
  }
}

/** A backup being followed: whether it was seen in a list yet, whether the last look missed it, and its status as last logged. */
interface Following extends Followed {
  seen: boolean
  missed: boolean
  status: string
}

/** Where the backups stand, for a wait's progress line and timeout: one's status, or each server's. */
const statusOf = (left: readonly Following[]): string =>
  left.length === 1
    ? left[0]!.status
    : left.map((s) => `${s.backup.server.id}: ${s.status}`).join(', ')

function gone({ rt, backup, seen }: Following): ActionError {
  const where = `Backup ${backup.id} of server ${backup.server.id}`
  if (!seen) {
    return new ActionError(
      `${where} was created but has not appeared in the server's list within ${formatDuration(LIST_GRACE_MS)}. Look for it in the VPS.org panel before relying on it.`
    )
  }
  clearPending(rt.outcome)
  return new ActionError(
    `${where} disappeared while the action was waiting for it: it was deleted, or it failed and was removed.`
  )
}
