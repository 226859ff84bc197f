import { ActionError, CancelledError } from '../common/errors.js'
import type { Logger } from '../common/log.js'
import { type Outcome, recordTook, splitByServer } from './outcome.js'
import type { Runtime, ServerRuntime } from './runtime.js'

/**
 * The servers of a step (server_id lists them), each as a ServerRuntime: its id, its own Outcome
 * and a log that names it, over the step's one client (its gate bounds the requests in flight),
 * clock, signal and deadline. The one server of a one-server step shares the step's Outcome and
 * log: every mode then runs exactly as it always has.
 */
export function serverRuntimes(step: Runtime): ServerRuntime[] {
  const ids = step.settings.serverIds
  if (ids.length <= 1) return [{ ...step, serverId: ids[0] ?? 0 }]
  const outcomes = splitByServer(step.outcome, ids)
  return ids.map((serverId, i) => ({
    ...step,
    serverId,
    outcome: outcomes[i]!,
    log: serverLog(step.log, serverId)
  }))
}

/**
 * One server's log in a step of several: each line says its server, and groups (which cannot
 * interleave in a workflow log) become a plain line: the step groups its phases itself.
 */
function serverLog(log: Logger, serverId: number): Logger {
  const tag = (message: string): string => `[server ${serverId}] ${message}`
  return {
    debug: (message) => log.debug(tag(message)),
    info: (message) => log.info(tag(message)),
    warning: (message) => log.warning(tag(message)),
    group: (name, fn) => {
      log.info(tag(name))
      return fn()
    }
  }
}

/** Each server's outcome with its id, in server_id's order: one, or the fleet's. */
export function perServer(
  outcome: Outcome,
  serverIds: readonly number[]
): Array<[number, Outcome]> {
  return outcome.servers ? [...outcome.servers] : [[serverIds[0] ?? 0, outcome]]
}

/** How one server's work ended. */
export type Settled<T> = { rt: ServerRuntime; value: T } | { rt: ServerRuntime; error: unknown }

/**
 * Runs `work` for every server at once and waits for all of them, whatever each one's end: one
 * server's failure never stops another's work (a restore under way must be followed to its end).
 */
export function settle<T>(
  servers: readonly ServerRuntime[],
  work: (rt: ServerRuntime, index: number) => Promise<T>
): Promise<Array<Settled<T>>> {
  return Promise.all(
    servers.map(async (rt, index): Promise<Settled<T>> => {
      try {
        return { rt, value: await work(rt, index) }
      } catch (error) {
        return { rt, error }
      } finally {
        recordTook(rt.outcome, rt.clock.now() - rt.startedAt)
      }
    })
  )
}

/** settle(), in a log group named `title` when there are several servers (one server's own groups are the step's). */
export function phase<T>(
  step: Runtime,
  servers: readonly ServerRuntime[],
  title: string,
  work: (rt: ServerRuntime, index: number) => Promise<T>
): Promise<Array<Settled<T>>> {
  return servers.length > 1
    ? step.log.group(title, () => settle(servers, work))
    : settle(servers, work)
}

/**
 * The values, when every server's work succeeded. Otherwise throws: a cancellation as such; one
 * server's failure as it is; several servers' as one FleetError naming each server's outcome.
 */
export function valuesOf<T>(settled: ReadonlyArray<Settled<T>>, done: (value: T) => string): T[] {
  const failed = settled.filter((s) => 'error' in s)
  if (failed.some((s) => s.error instanceof CancelledError)) throw new CancelledError()
  if (settled.length === 1 && 'error' in settled[0]!) throw settled[0].error
  if (failed.length) throw new FleetError(settled, done)
  return settled.map((s) => (s as { value: T }).value)
}

/** Some servers of a step failed: the one line names every server's outcome, failures first. */
export class FleetError extends ActionError {
  override name = 'FleetError'
  constructor(settled: ReadonlyArray<Settled<unknown>>, done: (value: never) => string) {
    const id = (s: Settled<unknown>): number => s.rt.serverId
    const failed = settled.filter((s) => 'error' in s)
    const lines = failed.map((s) => `server ${id(s)}: ${(s.error as Error).message}`)
    const ok = settled.flatMap((s) =>
      'value' in s ? [`server ${id(s)}: ${done(s.value as never)}`] : []
    )
    const each = [...lines, ...ok].map((line) => line.replace(/\.$/, '')).join('; ')
    super(`${failed.length} of ${settled.length} servers failed. S${each.slice(1)}.`)
  }
}

/**
 * A JSON object from server id to value (`{"101":501}`), in the servers' order, which
 * JSON.stringify would not keep (it sorts integer keys). Values are JSON already.
 */
export const byServer = (entries: Iterable<readonly [number, string | number]>): string =>
  `{${[...entries].map(([server, value]) => `"${server}":${value}`).join(',')}}`

/** What is still running on VPS.org, on every server: for a cancellation or a failure. */
export function pendingOf(outcome: Outcome): string | undefined {
  if (!outcome.servers) return outcome.pending
  const pending = [...outcome.servers.values()].flatMap((o) => (o.pending ? [o.pending] : []))
  return pending.length ? pending.join(' ') : undefined
}

/**
 * How far a status has come, to tell the least advanced of several servers': a failure first, then
 * a status the action does not know, then the stages of the work, each mode's end last.
 */
const PROGRESS: Record<string, number> = {
  failed: 0,
  error: 0,
  stopped: 0,
  suspended: 0,
  pending: 2,
  in_progress: 3,
  restoring: 3,
  not_found: 4,
  skipped: 5,
  active: 6,
  completed: 6,
  deleted: 6
}
const UNKNOWN = 1

/**
 * The step's status: one server's, or the least advanced of several (`in_progress` while any
 * backup still runs); undefined while a server has none (its work failed before it had one).
 */
export function stepStatus(outcome: Outcome): string | undefined {
  if (!outcome.servers) return outcome.status
  const statuses = [...outcome.servers.values()].map((o) => o.status)
  if (statuses.some((s) => s === undefined)) return undefined
  const rank = (s: string): number => (Object.hasOwn(PROGRESS, s) ? PROGRESS[s]! : UNKNOWN)
  return (statuses as string[]).reduce((least, s) => (rank(s) < rank(least) ? s : least))
}
