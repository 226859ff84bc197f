/**
 * The waiting policy on a simulated clock, for the unit tests (which assert the targets) and the
 * benchmark (which reports the figures): both measure the same thing.
 */
import type { Clock } from '../src/common/clock.js'
import { awaitHealthy, newHealthReport } from '../src/health/health.js'
import { watchHealthy } from '../src/health/watch.js'
import { CONFIRM_INTERVAL_MS, type HealthCheck } from '../src/inputs/settings.js'
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
export const simulateWait = (
  policy: PollPolicy,
  targetMs: number,
  random: () => number,
  latencyMs = 0
): Promise<SimulatedWait> =>
  simulate(targetMs, latencyMs, 0, (clock, ask) =>
    waitFor(
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
  )

/**
 * Runs `wait` on a clock whose sleeps advance at once, with a request (`ask`) that costs
 * `latencyMs` and answers whether the operation, done at `targetMs`, was done when the request
 * arrived (half-way). The figures: lateness less `allowedMs` (the time the caller's rules add on
 * purpose), the requests, the delays slept.
 */
async function simulate(
  targetMs: number,
  latencyMs: number,
  allowedMs: number,
  wait: (clock: Clock, ask: () => Promise<boolean>) => Promise<unknown>
): Promise<SimulatedWait> {
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
  await wait(clock, async () => {
    requests++
    now += latencyMs / 2
    const done = now >= targetMs
    now += latencyMs / 2
    return done
  })
  return { latenessMs: now - targetMs - allowedMs, requests, delays }
}

/** A logger that drops every line. */
export const SILENT: Logger = { debug() {}, info() {}, warning() {}, group: (_, fn) => fn() }
const CHECK: HealthCheck = { kind: 'http', target: 'http://app.example/health' }

/**
 * App checks (awaitHealthy, adaptive policy) for an app that becomes healthy `targetMs` after the
 * checks start, needing `threshold` rounds in a row. Lateness is counted without the
 * (threshold − 1) confirming rounds of CONFIRM_INTERVAL_MS that the threshold adds on purpose.
 */
export const simulateHealth = (
  targetMs: number,
  threshold: number,
  { random, latencyMs = 0 }: { random: () => number; latencyMs?: number }
): Promise<SimulatedWait> =>
  simulate(targetMs, latencyMs, (threshold - 1) * CONFIRM_INTERVAL_MS, (clock, ask) =>
    awaitHealthy({
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
  )

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
  let broke = false
  const figures = await simulate(breaksAtMs, latencyMs, 0, async (clock, ask) => {
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
    broke = watch.broke !== undefined
  })
  return { ...figures, broke }
}
