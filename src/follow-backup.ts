import { type Backup, isFinal } from './api-types.js'
import { formatDuration } from './duration.js'
import { ActionError } from './errors.js'
import type { Runtime } from './runtime.js'
import { waitFor } from './wait.js'

/** How long a backup the API said it created may take to appear in the server's list. */
export const LIST_GRACE_MS = 30_000
export const NOT_LISTED = 'not listed yet'

/** Records the last state seen of the step's backup: the outputs and what is still running. */
export function track(rt: Runtime, backup: Backup): void {
  rt.outcome.backup = backup
  rt.outcome.status = backup.status
  rt.outcome.pending = isFinal(backup)
    ? undefined
    : `Backup ${backup.id} of server ${backup.server.id} is still being created on VPS.org. If it is not needed, delete it once it has completed (mode: delete, backup_id: ${backup.id}).`
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
export async function awaitBackup(rt: Runtime, backup: Backup): Promise<Backup> {
  const final = await awaitFinal(rt, backup, true)
  assertNotFailed(final)
  return final
}

/** A backup to follow, with the Runtime of its server; `listed`: seen in its list already. */
export interface Followed {
  rt: Runtime
  backup: Backup
  listed: boolean
}

/**
 * The backups as the API lists them now, by id. The one place a follower reads backups' state:
 * one server's list for one server's backups; for several servers' manual backups, one list of
 * the account's (the list without server_id), so that following N backups costs one request per
 * look, not N. A backup listed under another server than its own is not taken for it.
 */
async function look(rt: Runtime, following: readonly Followed[]): Promise<Map<number, Backup>> {
  const servers = new Set(following.map((f) => f.backup.server.id))
  const manual = following.every((f) => f.backup.backup_type === 'manual') ? 'manual' : undefined
  const listed = await rt.client.listBackups(
    servers.size === 1 ? [...servers][0] : undefined,
    manual
  )
  const expected = new Map(following.map((f) => [f.backup.id, f.backup.server.id]))
  return new Map(listed.filter((b) => expected.get(b.id) === b.server.id).map((b) => [b.id, b]))
}

/**
 * Follows a backup in its server's list until it is final (`completed` or `failed`), recording
 * every status seen. One that is gone is an error; one the API has just created (`listed` false)
 * gets LIST_GRACE_MS to appear in the list first, as a list may lag behind a create.
 */
export async function awaitFinal(rt: Runtime, backup: Backup, listed: boolean): Promise<Backup> {
  const [result] = await awaitFinals(rt, [{ rt, backup, listed }])
  if (result instanceof Error) throw result
  return result!
}

/**
 * Follows backups until each is final, or has gone (its error), with one poll loop and one list
 * request per look (see look()), each backup's statuses recorded in its own server's outcome. The
 * loop ends when the last one is final; the step's timeout ends it with a WaitTimeoutError.
 */
export async function awaitFinals(
  step: Runtime,
  following: readonly Followed[]
): Promise<Array<Backup | ActionError>> {
  const graceEnds = step.clock.now() + LIST_GRACE_MS
  const states: Following[] = following.map((f) => ({
    ...f,
    seen: f.listed,
    status: f.backup.status
  }))
  const results = new Map<number, Backup | ActionError>()
  const open = (): Following[] => states.filter((s) => !results.has(s.backup.id))
  const say = (s: Following): void =>
    s.rt.log.info(
      `Backup ${s.backup.id}: ${s.status} (${formatDuration(step.clock.now() - step.startedAt)})`
    )
  states.forEach(say)
  await waitFor(
    async () => {
      const listed = await look(step, open())
      for (const s of open()) {
        const current = listed.get(s.backup.id)
        if (!current && (s.seen || step.clock.now() >= graceEnds)) {
          results.set(s.backup.id, gone(s))
          continue
        }
        s.seen ||= current !== undefined
        if (current) track(s.rt, current)
        if (current && isFinal(current)) {
          results.set(s.backup.id, current)
          s.rt.outcome.tookMs = step.clock.now() - step.startedAt
        } else if ((current?.status ?? NOT_LISTED) !== s.status) {
          s.status = current?.status ?? NOT_LISTED
          say(s)
        }
      }
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
  return states.map((s) => results.get(s.backup.id)!)
}

/** A backup being followed: whether it was seen in a list yet, and its status as last logged. */
interface Following extends Followed {
  seen: boolean
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
  rt.outcome.pending = undefined
  return new ActionError(
    `${where} disappeared while the action was waiting for it: it was deleted, or it failed and was removed.`
  )
}
