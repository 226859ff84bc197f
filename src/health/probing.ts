import type { Clock } from '../common/clock.js'
import type { Logger } from '../common/log.js'
import type { HealthCheck } from '../inputs/settings.js'
import type { HealthReport } from '../runtime/outcome.js'

/** What one probe saw: `answer` is for people, e.g. `HTTP 503` or `connection refused`. */
export interface ProbeResult {
  ok: boolean
  answer: string
  /** No answer came within the probe's time limit: it was abandoned. */
  abandoned?: boolean
}

/**
 * Runs one check once, within `limitMs` (the time left before the checks' deadline); rejects only
 * with CancelledError (the workflow was cancelled).
 */
export type Prober = (
  check: HealthCheck,
  signal: AbortSignal,
  limitMs: number
) => Promise<ProbeResult>

export interface HealthOptions {
  checks: HealthCheck[]
  probe: Prober
  /** Consecutive rounds in which every check passes. */
  threshold: number
  clock: Clock
  random: () => number
  /** When the checks end in failure if not yet healthy: every probe ends by then. */
  deadline: number
  signal: AbortSignal
  log: Logger
  /** Filled in as the checks run. */
  report: HealthReport
}
