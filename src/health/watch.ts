import { formatDuration } from '../common/duration.js'
import { CONFIRM_INTERVAL_MS } from '../inputs/settings.js'
import type { WatchFailure, WatchReport } from '../runtime/outcome.js'
import { WaitTimeoutError, waitFor } from '../common/wait.js'
import type { HealthOptions } from './probing.js'

/** During the watch, a round of checks comes at least this often. */
export const WATCH_EVERY_MS = 10_000

/**
 * The watch's cadence: about ten rounds a watch, never more than WATCH_EVERY_MS apart nor less
 * than CONFIRM_INTERVAL_MS (a 3 s watch: every second; 100 s and up: every 10 s).
 */
export function watchInterval(watchMs: number): number {
  return Math.min(WATCH_EVERY_MS, Math.max(CONFIRM_INTERVAL_MS, watchMs / 10))
}

export interface WatchOptions extends Omit<HealthOptions, 'deadline'> {
  /** health_watch: how long to keep checking. */
  watchMs: number
  /** The step's deadline: the watch ends by it, and each probe is given the time left before it. */
  deadline: number
}

/**
 * health_watch: once the app is healthy (awaitHealthy), keeps probing every check for `watchMs`,
 * a round every watchInterval(watchMs). A round in which any check fails starts (or extends) a
 * streak, whose next rounds follow every CONFIRM_INTERVAL_MS: `threshold` failing rounds in a row
 * end the watch at once, the app broken (`broke`: the check, its answer, and how far into the
 * watch the streak began). So an app that breaks is noticed within watchInterval + (threshold −
 * 1) × CONFIRM_INTERVAL_MS plus the probes' time. Shorter streaks are tolerated and counted. The
 * watch ends at `watchMs`, or at the step's deadline if that comes first (the inputs leave room
 * for it: health_timeout + health_watch ≤ timeout).
 */
export async function watchHealthy(options: WatchOptions): Promise<WatchReport> {
  const { checks, clock, log, threshold, watchMs, report } = options
  const startedAt = clock.now()
  const watch: WatchReport = { ms: watchMs, rounds: 0, failedRounds: 0 }
  report.watch = watch
  const every = watchInterval(watchMs)
  let streak: WatchFailure[] = []
  log.info(
    `Watching the app for ${formatDuration(watchMs)} (health_watch): a round every ${formatDuration(every)}; the step fails after ${threshold} failing round${threshold > 1 ? 's' : ''} in a row.`
  )
  try {
    watch.broke = await waitFor(
      async () => {
        const afterMs = clock.now() - startedAt
        const results = await Promise.all(
          checks.map((c) => options.probe(c, options.signal, options.deadline - clock.now()))
        )
        watch.rounds++
        report.rounds++
        let failed: WatchFailure | undefined
        results.forEach((result, i) => {
          const check = report.checks[i]!
          check.lastAnswer = result.answer
          check.rounds++
          if (!result.ok) failed ??= { target: check.target, answer: result.answer, afterMs }
        })
        if (!failed) {
          streak = []
          return { done: false, status: 'every check passed' }
        }
        watch.failedRounds++
        watch.lastFailure = failed
        streak.push(failed)
        if (streak.length >= threshold)
          return { done: true, value: { ...failed, afterMs: streak[0]!.afterMs } }
        return {
          done: false,
          status: `${failed.target}: ${failed.answer} (${streak.length} of ${threshold} failing rounds in a row)`
        }
      },
      {
        what: 'the end of the watch',
        clock,
        random: options.random,
        policy: () => (streak.length ? CONFIRM_INTERVAL_MS : every),
        startedAt,
        initialStatus: 'every check passed',
        deadline: Math.min(startedAt + watchMs, options.deadline),
        signal: options.signal,
        onStatus: (status, ms) => log.info(`Watch: ${status} (${formatDuration(ms)})`)
      }
    )
  } catch (error) {
    if (!(error instanceof WaitTimeoutError)) throw error
    watch.ended = true
  }
  return watch
}
