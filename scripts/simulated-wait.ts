/**
 * The waiting policy on a simulated clock, for the unit tests (which assert the targets) and the
 * benchmark (which reports the figures): both measure the same thing.
 */
import type { Clock } from '../src/common/clock.js'
import { awaitHealthy, newHealthReport } from '../src/health/health.js'
import { watchHealthy } from '../src/health/watch.js'
import { CONFIRM_INTERVAL_MS, type HealthCheck } from '../src/inputs/inputs.js'
import type { Logger } from '../src/common/log.js'
import { type PollPolicy, waitFor } from '../src/common/wait.js'

export interface SimulatedWait {
  /** When the step learned of the completion, minus the completion. */
  latenessMs: number
  /** Status requests made. */
  requests: number
  /** The delays waitFor slept between requests, in order. */
  delays: number[]
}

/**
 * One wait, with `policy`, for an operation that completes `targetMs` after it started. Each
 * status request takes `latencyMs` of simulated time: the server answers with the state at the
 * request's arrival (half-way), and the step learns it when the answer is back.
 */
export async function simulateWait(
  policy: PollPolicy,
  targetMs: number,
  random: () => number,
  latencyMs = 0
): Promise<SimulatedWait> {
  const { clock, ask, result } = simulatedClock(targetMs, latencyMs)
  await waitFor(
    async () =>
      (await ask()) ? { done: true, value: undefined } : { done: false, status: 'in_progress' },
    {
      what: 'the simulated operation',
      clock,
      random,
      policy,
      startedAt: 0,
      initialStatus: 'in_progress',
      deadline: 24 * 3_600_000
    }
  )
  return result(0)
}

/**
 * A clock whose sleeps advance at once, and a request (`ask`) that costs `latencyMs` and answers
 * whether the operation, done at `targetMs`, was done when the request arrived (half-way).
 */
function simulatedClock(targetMs: number, latencyMs: number) {
  let now = 0
  let requests = 0
  const delays: number[] = []
  const clock: Clock = {
    now: () => now,
    sleep: async (ms) => {
      delays.push(ms)
      now += Math.max(0, ms)
    }
  }
  const ask = async (): Promise<boolean> => {
    requests++
    now += latencyMs / 2
    const done = now >= targetMs
    now += latencyMs / 2
    return done
  }
  /** The figures, lateness less `allowedMs` (the time the caller's rules add on purpose). */
  const result = (allowedMs: number): SimulatedWait => ({
    latenessMs: now - targetMs - allowedMs,
    requests,
    delays
  })
  return { clock, ask, result }
}

/** A logger that drops every line. */
export const SILENT: Logger = { debug() {}, info() {}, warning() {}, group: (_, fn) => fn() }
const CHECK: HealthCheck = { kind: 'http', target: 'http://app.example/health' }

/**
 * App checks (awaitHealthy, adaptive policy) for an app that becomes healthy `targetMs` after the
 * checks start, needing `threshold` rounds in a row. Lateness is counted without the
 * (threshold − 1) confirming rounds of CONFIRM_INTERVAL_MS that the threshold adds on purpose.
 */
export async function simulateHealth(
  targetMs: number,
  threshold: number,
  random: () => number,
  latencyMs = 0
): Promise<SimulatedWait> {
  const { clock, ask, result } = simulatedClock(targetMs, latencyMs)
  await awaitHealthy({
    checks: [CHECK],
    probe: async () =>
      (await ask()) ? { ok: true, answer: 'HTTP 200' } : { ok: false, answer: 'HTTP 503' },
    threshold,
    clock,
    random,
    deadline: 24 * 3_600_000,
    signal: new AbortController().signal,
    log: SILENT,
    report: newHealthReport([CHECK])
  })
  return result((threshold - 1) * CONFIRM_INTERVAL_MS)
}

/**
 * The watch after the app became healthy (watchHealthy, health_watch) for an app that breaks
 * `breaksAtMs` into a watch of `watchMs` and stays broken, needing `threshold` failing rounds in a
 * row. `latenessMs`: from the break to the step's failure (when the last failing answer is back).
 */
export async function simulateWatch(
  watchMs: number,
  breaksAtMs: number,
  threshold: number,
  latencyMs = 0
): Promise<SimulatedWait & { broke: boolean }> {
  const { clock, ask, result } = simulatedClock(breaksAtMs, latencyMs)
  const watch = await watchHealthy({
    checks: [CHECK],
    probe: async () =>
      (await ask()) ? { ok: false, answer: 'HTTP 500' } : { ok: true, answer: 'HTTP 200' },
    threshold,
    clock,
    random: () => 0.5,
    watchMs,
    deadline: 24 * 3_600_000,
    signal: new AbortController().signal,
    log: SILENT,
    report: newHealthReport([CHECK])
  })
  return { ...result(0), broke: watch.broke !== undefined }
}
