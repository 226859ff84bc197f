import type { Target } from '../inputs/settings.js'
import { byServer, perServer, stepStatus } from '../runtime/fleet.js'
import type { Outcome } from '../runtime/outcome.js'

/** ISO-8601 date and time, as the API documents `created_at` (e.g. 2025-01-16T15:45:00Z). */
const ISO_8601 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:?\d{2})$/

/** The outputs action.yml declares, in its order; `npm run check:action` compares the two. */
export const OUTPUTS = [
  'backup_id',
  'backup_ids',
  'status',
  'statuses',
  'size_mb',
  'created_at',
  'server_name',
  'health',
  'deployment_id'
] as const
type Name = (typeof OUTPUTS)[number]

const ID = /^[1-9]\d*$/
const WORD = /^[A-Za-z][\w-]{0,63}$/

const BY_SERVER = (value: string): RegExp =>
  new RegExp(`^\\{("[1-9]\\d*":${value})(,"[1-9]\\d*":${value})*\\}$`)

/** What each output promises, as a test of its text and the words for a warning. */
const CHECKS: Record<Name, { valid: (value: string) => boolean; expected: string }> = {
  backup_id: { valid: (v) => ID.test(v), expected: 'a backup id' },
  backup_ids: {
    valid: (v) => BY_SERVER('[1-9]\\d*').test(v),
    expected: 'server ids to backup ids'
  },
  status: { valid: (v) => WORD.test(v), expected: 'one word' },
  deployment_id: { valid: (v) => ID.test(v), expected: 'a deployment id' },
  statuses: {
    valid: (v) => BY_SERVER('"[A-Za-z][\\w-]{0,63}"').test(v),
    expected: 'server ids to one word each'
  },
  health: { valid: (v) => v === 'healthy' || v === 'unhealthy', expected: 'healthy or unhealthy' },
  size_mb: { valid: (v) => /^\d+(\.\d+)?(e\+\d+)?$/.test(v), expected: 'a number' },
  created_at: {
    valid: (v) => ISO_8601.test(v) && !Number.isNaN(Date.parse(v)),
    expected: 'an ISO-8601 date and time'
  },
  server_name: {
    valid: (v) => /^[^\p{Cc}\p{Cf}\p{Zl}\p{Zp}]{1,255}$/u.test(v),
    expected: 'one line of at most 255 characters'
  }
}

/**
 * The step's outputs, each checked before it is set: a value from the API that is not what the
 * output promises is left unset, with a warning (its text is not repeated: it may be anything).
 * With several servers, backup_ids and statuses say each server's; backup_id, size_mb, created_at
 * and server_name, which are one server's, are left empty; status is the least advanced.
 */
export function stepOutputs(
  outcome: Outcome,
  target: Target,
  serverIds: readonly number[],
  warn: (message: string) => void
): Record<string, string> {
  const servers = perServer(outcome, serverIds)
  const one = servers.length === 1 ? servers[0]![1] : undefined
  const { backup, server } = one ?? {}
  // Set in every mode: a backup deleted or not found still has the id it was asked for.
  const asked = 'backupId' in target ? target.backupId : undefined
  const askedOf = (id: number): number | undefined =>
    asked instanceof Map ? asked.get(id) : typeof asked === 'number' ? asked : undefined
  const ids = servers.flatMap(([id, o]): Array<[number, string]> => {
    const backupId = o.backup?.id ?? askedOf(id)
    return backupId === undefined ? [] : [[id, String(backupId)]]
  })
  const statuses = servers.flatMap(([id, o]): Array<[number, string]> => {
    if (o.status === undefined) return []
    if (WORD.test(o.status)) return [[id, JSON.stringify(o.status)]]
    // One server's is said once, for status.
    if (!one) warn(`Output statuses leaves out server ${id}: the API's status is not one word.`)
    return []
  })
  const outputs: Record<Name, string | undefined> = {
    backup_id: one ? ids[0]?.[1] : undefined,
    backup_ids: ids.length ? byServer(ids) : undefined,
    status: stepStatus(outcome),
    statuses: statuses.length ? byServer(statuses) : undefined,
    // Empty when no check ran to its end.
    health:
      outcome.health?.healthy === undefined
        ? undefined
        : outcome.health.healthy
          ? 'healthy'
          : 'unhealthy',
    size_mb: backup?.size_mb?.toString(),
    created_at: backup?.created_at,
    server_name: server?.name || backup?.server.name || undefined,
    deployment_id: outcome.ledger?.deploymentId?.toString()
  }
  for (const [id, o] of servers) {
    if (o.backup?.status === 'completed' && o.backup.size_mb === null) {
      warn(
        `${one ? 'Output size_mb is not set' : `Server ${id}'s size is unknown`}: the API gave no size in MB (a number) for the backup.`
      )
    }
  }
  const valid: Record<string, string> = {}
  for (const [name, value] of Object.entries(outputs) as Array<[Name, string | undefined]>) {
    if (value === undefined) continue
    if (CHECKS[name].valid(value)) valid[name] = value
    else warn(`Output ${name} is not set: the API's value is not ${CHECKS[name].expected}.`)
  }
  return valid
}
