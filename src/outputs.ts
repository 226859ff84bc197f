import type { Target } from './inputs.js'
import type { Outcome } from './runtime.js'

/** ISO-8601 date and time, as the API documents `created_at` (e.g. 2025-01-16T15:45:00Z). */
const ISO_8601 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:?\d{2})$/

/** The outputs action.yml declares, in its order; `npm run check:action` compares the two. */
export const OUTPUTS = [
  'backup_id',
  'status',
  'size_mb',
  'created_at',
  'server_name',
  'health'
] as const
type Name = (typeof OUTPUTS)[number]

/** What each output promises, as a test of its text and the words for a warning. */
const CHECKS: Record<Name, { valid: (value: string) => boolean; expected: string }> = {
  backup_id: { valid: (v) => /^[1-9]\d*$/.test(v), expected: 'a backup id' },
  status: { valid: (v) => /^[A-Za-z][\w-]{0,63}$/.test(v), expected: 'one word' },
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
 */
export function stepOutputs(
  outcome: Outcome,
  target: Target,
  warn: (message: string) => void
): Record<string, string> {
  const { backup, server } = outcome
  // Set in every mode: a backup deleted or not found still has the id it was asked for.
  const asked = 'backupId' in target ? target.backupId : undefined
  const backupId = backup?.id ?? (typeof asked === 'object' ? undefined : asked)
  const outputs: Record<Name, string | undefined> = {
    backup_id: backupId?.toString(),
    status: outcome.status,
    // Empty when no check ran to its end.
    health:
      outcome.health?.healthy === undefined
        ? undefined
        : outcome.health.healthy
          ? 'healthy'
          : 'unhealthy',
    size_mb: backup?.size_mb?.toString(),
    created_at: backup?.created_at,
    server_name: server?.name || backup?.server.name || undefined
  }
  if (backup?.status === 'completed' && backup.size_mb === null) {
    warn('Output size_mb is not set: the API gave no size in MB (a number) for the backup.')
  }
  const valid: Record<string, string> = {}
  for (const [name, value] of Object.entries(outputs) as Array<[Name, string | undefined]>) {
    if (value === undefined) continue
    if (CHECKS[name].valid(value)) valid[name] = value
    else warn(`Output ${name} is not set: the API's value is not ${CHECKS[name].expected}.`)
  }
  return valid
}
