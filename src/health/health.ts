import { formatDuration } from '../common/duration.js'
import { ActionError } from '../common/errors.js'
import { CONFIRM_INTERVAL_MS, type HealthCheck } from '../inputs/settings.js'
import {
  type CheckReport,
  type HealthReport,
  type Outcome,
  recordHealth
} from '../runtime/outcome.js'
import type { Runtime } from '../runtime/runtime.js'
import { type PollPolicy, WaitTimeoutError, adaptivePolicy, waitFor } from '../common/wait.js'
import type { HealthOptions, Prober } from './probing.js'
import { watchHealthy } from './watch.js'

/** Records the checks to come, so that a step that ends before them reports them as not checked. */
export function planHealthChecks(outcome: Outcome, checks: HealthCheck[]): void {
  if (checks.length) recordHealth(outcome, newHealthReport(checks))
}

/** A report of checks not run yet. */
export function newHealthReport(checks: HealthCheck[]): HealthReport {
  return {
    checks: checks.map((c) => ({ target: c.target, lastAnswer: 'not checked', rounds: 0 })),
    rounds: 0
  }
}

/**
 * Probes every check each round (waitFor), until `threshold` rounds in a row pass: then the report
 * says healthy. The rounds keep their own cadence, whatever poll_interval says: the first at once,
 * then adaptivePolicy's (an app healthy after T is noticed within max(2 s, T/10)); once a round
 * passes, the confirming rounds follow every CONFIRM_INTERVAL_MS, so the threshold adds
 * (threshold − 1) × 1 s. Each probe is given only the time left before the deadline; at the
 * deadline the report says unhealthy, naming the check that failed last.
 */
export async function awaitHealthy(options: HealthOptions): Promise<HealthReport> {
  const { checks, clock, report, log, threshold, deadline } = options
  const startedAt = clock.now()
  let streak = 0
  let status = 'starting the checks'
  const policy: PollPolicy = (elapsedMs, random) => {
    if (streak > 0) return CONFIRM_INTERVAL_MS
    return report.rounds ? adaptivePolicy(elapsedMs, random) : 0
  }
  try {
    await waitFor(
      async () => {
        const limitMs = deadline - clock.now()
        // No time left for a probe: the deadline ends the checks, with the last answers seen.
        if (limitMs <= 0) return { done: false, status }
        const results = await Promise.all(
          checks.map((c) => options.probe(c, options.signal, limitMs))
        )
        report.rounds++
        let failed: CheckReport | undefined
        // A probe the deadline cut short says nothing of the app: it keeps its earlier answer.
        const cut = clock.now() >= deadline
        results.forEach((result, i) => {
          const check = report.checks[i]!
          if (!(cut && result.abandoned && check.rounds)) check.lastAnswer = result.answer
          check.rounds++
          if (!result.ok) failed ??= check
        })
        if (failed)
          report.failing = { target: failed.target, answer: failed.lastAnswer, lastRound: true }
        else if (report.failing) report.failing.lastRound = false
        streak = failed ? 0 : streak + 1
        if (streak < threshold) {
          status = failed
            ? `${failed.target}: ${failed.lastAnswer}`
            : `every check passed (${streak} of ${threshold} rounds in a row)`
          return { done: false, status }
        }
        for (const check of report.checks) check.healthyAfterMs = clock.now() - startedAt
        return { done: true, value: undefined }
      },
      {
        what: 'the app to be healthy',
        clock,
        random: options.random,
        policy,
        startedAt,
        initialStatus: status,
        deadline,
        signal: options.signal,
        onStatus: (status, ms) => log.info(`${status} (${formatDuration(ms)})`)
      }
    )
    report.healthy = true
    log.info(
      `The app is healthy: ${threshold} round${threshold > 1 ? 's' : ''} in a row passed, after ${formatDuration(clock.now() - startedAt)}.`
    )
  } catch (error) {
    if (!(error instanceof WaitTimeoutError)) throw error
    report.healthy = false
  }
  return report
}

/** The failing check and what it last answered, for the one failure line. */
export function unhealthyReason(report: HealthReport): string {
  const { failing } = report
  if (!failing) return 'no round of checks ended in time'
  const { target, answer, lastRound } = failing
  return lastRound
    ? `${target} last answered ${answer}`
    : `${target} last failed with ${answer} (too few rounds in a row passed since)`
}

/** What follows an unhealthy app, true whatever the workflow does next. */
const AFTER_RESTORE = 'This step fails and restores nothing more: the app needs attention.'
const AFTER_VERIFY =
  'This step fails: a backup step of this job with rollback_on_failure: true restores the server in its post step; without one, roll back with mode: restore.'

/**
 * Runs the app checks of `rt.settings.health` for a step: after a restore left the servers active
 * (`restored` says so: "Server 12345 was restored from backup 501 and is active"), or alone in
 * verify mode. Fills in `rt.outcome.health`. The checks end by health_timeout and by the step's
 * deadline (`timeout`), whichever comes first; when the app is not healthy by then, fails with one
 * line that says what is true: restored (or not), how long the checks took, which check failed
 * with what answer, and what follows.
 */
export async function checkHealth(rt: Runtime, probe: Prober, restored?: string): Promise<void> {
  const { checks, threshold, timeoutMs, watchMs } = rt.settings.health
  if (!checks.length) return
  const report = (rt.outcome.health ??= newHealthReport(checks))
  const startedAt = rt.clock.now()
  const deadline = Math.min(startedAt + timeoutMs, rt.deadline)
  await rt.log.group(
    `Check that the app is healthy (${checks.map((c) => c.target).join(', ')})`,
    () => awaitHealthy({ ...rt, checks, probe, threshold, deadline, report })
  )
  if (report.healthy && watchMs) return watch(rt, probe, report)
  if (report.healthy) return
  const cut =
    deadline < startedAt + timeoutMs
      ? `, when the step's timeout (${formatDuration(rt.settings.timeoutMs)}) ended the checks`
      : ''
  throw new ActionError(
    `${restored ? `${restored}, but the app` : 'The app'} is not healthy after ${formatDuration(rt.clock.now() - startedAt)}${cut}: ${unhealthyReason(report)}. ${restored ? AFTER_RESTORE : AFTER_VERIFY}`
  )
}

/**
 * health_watch, once the app is healthy: green only when the watch has ended (the `health` output
 * is empty while it runs); when the app breaks, fails at once with one line that says which check
 * failed, what it answered and how far into the watch. Only verify watches (the inputs refuse
 * health_watch in any other mode), so a watch never follows a restore.
 */
async function watch(rt: Runtime, probe: Prober, report: HealthReport): Promise<void> {
  const { checks, threshold, watchMs } = rt.settings.health
  report.healthy = undefined
  const { broke, rounds, failedRounds } = await rt.log.group(
    `Watch the app for ${formatDuration(watchMs)} (health_watch)`,
    () => watchHealthy({ ...rt, checks, probe, threshold, watchMs, report })
  )
  report.healthy = broke === undefined
  if (!broke) {
    const tolerated = failedRounds
      ? `, ${failedRounds} failing round${failedRounds > 1 ? 's' : ''} tolerated (fewer than ${threshold} in a row)`
      : ''
    rt.log.info(
      `The app stayed healthy through the ${formatDuration(watchMs)} watch: ${rounds} round${rounds > 1 ? 's' : ''}${tolerated}.`
    )
    return
  }
  throw new ActionError(
    `The app became healthy, then broke ${formatDuration(broke.afterMs)} into the ${formatDuration(watchMs)} watch (health_watch): ${broke.target} answered ${broke.answer}, ${threshold} round${threshold > 1 ? 's' : ''} in a row. ${AFTER_VERIFY}`
  )
}
