import { afterEach, describe, expect, it } from 'vitest'
import { CancelledError } from '../../../src/common/errors.js'
import { CONFIRM_INTERVAL_MS, type HealthCheck } from '../../../src/inputs/settings.js'
import type { ProbeResult, Prober } from '../../../src/health/probing.js'
import { checkHealth, newHealthReport } from '../../../src/health/health.js'
import { WATCH_EVERY_MS, watchHealthy, watchInterval } from '../../../src/health/watch.js'
import { renderSummary } from '../../../src/report/summary.js'
import { stepOutputs } from '../../../src/report/outputs.js'
import { fakeClock } from '../../helpers/fake-clock.js'
import { memoryLogger } from '../../helpers/memory-logger.js'
import { closeAgents, setup } from '../../helpers/fake-runtime.js'
import { rejection } from '../../helpers/rejection.js'
import { DB, UP, WEB } from '../../helpers/health-checks.js'

const START = 1_000_000
const DOWN: ProbeResult = { ok: false, answer: 'HTTP 500' }

/**
 * A watch of `watchMs` on the fake clock; `answer(check, atMs)` says what a probe sent `atMs`
 * into the watch sees. Returns the report, when the watch ended, when each round was sent (and
 * the time each of its probes was given), and the log.
 */
async function watchFor(
  watchMs: number,
  answer: (check: HealthCheck, atMs: number) => ProbeResult,
  options: { threshold?: number; checks?: HealthCheck[]; deadline?: number; probeMs?: number } = {}
) {
  const clock = fakeClock(START)
  const checks = options.checks ?? [WEB]
  const rounds: number[] = []
  const limits: number[] = []
  const log = memoryLogger()
  const report = newHealthReport(checks)
  const watch = await watchHealthy({
    checks,
    probe: async (check, _, limitMs) => {
      const atMs = clock.now() - START
      if (check === checks[0]) rounds.push(atMs)
      if (check === checks[0]) limits.push(limitMs)
      clock.advance(Math.min(options.probeMs ?? 0, limitMs))
      return answer(check, atMs)
    },
    threshold: options.threshold ?? 2,
    clock,
    random: () => 0.5,
    watchMs,
    deadline: options.deadline ?? START + 24 * 3_600_000,
    signal: new AbortController().signal,
    log,
    report
  })
  return { watch, report, endedAtMs: clock.now() - START, rounds, limits, log }
}

describe('watchInterval', () => {
  it('about ten rounds a watch, between 1 s and 10 s apart', () => {
    expect(watchInterval(3000)).toBe(CONFIRM_INTERVAL_MS)
    expect(watchInterval(30_000)).toBe(3000)
    expect(watchInterval(100_000)).toBe(WATCH_EVERY_MS)
    expect(watchInterval(3 * 3_600_000)).toBe(WATCH_EVERY_MS)
  })
})

describe('watchHealthy on the fake clock', () => {
  it('an app healthy throughout: a round every interval, to the end of the watch, and no longer', async () => {
    const { watch, endedAtMs, rounds } = await watchFor(5 * 60_000, () => UP)
    expect(watch).toMatchObject({ ended: true, rounds: 30, failedRounds: 0 })
    expect(watch.broke).toBeUndefined()
    expect(endedAtMs).toBe(5 * 60_000)
    expect(rounds).toEqual(Array.from({ length: 30 }, (_, i) => (i + 1) * WATCH_EVERY_MS))
  })

  it('never more than 10 s between rounds, even when probes take time', async () => {
    const { rounds } = await watchFor(2 * 60_000, () => UP, { probeMs: 800 })
    const gaps = rounds.slice(1).map((at, i) => at - rounds[i]!)
    expect(rounds[0]).toBeLessThanOrEqual(WATCH_EVERY_MS)
    for (const gap of gaps) expect(gap).toBeLessThanOrEqual(WATCH_EVERY_MS)
  })

  it.each([
    [1, 61_000],
    [2, 61_000],
    [3, 65_000],
    [5, 69_999]
  ])(
    'health_threshold %d: an app that breaks %d ms in fails the watch within the threshold rounds + 10 s, at once',
    async (threshold, breaksAtMs) => {
      const { watch, endedAtMs } = await watchFor(
        10 * 60_000,
        (_, at) => (at >= breaksAtMs ? DOWN : UP),
        { threshold }
      )
      expect(watch.ended).toBeUndefined()
      expect(watch.broke).toEqual({
        target: WEB.target,
        answer: 'HTTP 500',
        afterMs: Math.ceil(breaksAtMs / WATCH_EVERY_MS) * WATCH_EVERY_MS
      })
      expect(watch.failedRounds).toBe(threshold)
      // The first failing round within 10 s, then threshold − 1 rounds 1 s apart.
      const detectedMs = endedAtMs - breaksAtMs
      expect(detectedMs).toBeLessThanOrEqual(WATCH_EVERY_MS + (threshold - 1) * CONFIRM_INTERVAL_MS)
      expect(endedAtMs).toBeLessThan(10 * 60_000)
    }
  )

  it('one blip below the threshold is tolerated, counted, and the watch goes on to its end', async () => {
    const { watch, endedAtMs, rounds } = await watchFor(60_000, (_, at) =>
      at === 18_000 ? { ok: false, answer: 'HTTP 503' } : UP
    )
    // A round every 6 s (a tenth of the watch), and the blip's confirming round.
    expect(watch).toMatchObject({ ended: true, rounds: 11, failedRounds: 1 })
    expect(watch.broke).toBeUndefined()
    expect(watch.lastFailure).toEqual({ target: WEB.target, answer: 'HTTP 503', afterMs: 18_000 })
    // The blip's confirming round came 1 s later; then the cadence again.
    expect(rounds).toContain(19_000)
    expect(endedAtMs).toBe(60_000)
  })

  it('failing rounds must be in a row: a failure of any check counts, a passing round resets', async () => {
    const { watch } = await watchFor(
      60_000,
      (check, at) => (check === DB && (at === 12_000 || at >= 30_000) ? DOWN : UP),
      { checks: [WEB, DB], threshold: 2 }
    )
    // Rounds every 6 s, and 1 s after a failing one: 6, 12 (fails), 13, 19, 25, 31 (fails), 32.
    expect(watch.broke).toEqual({ target: DB.target, answer: 'HTTP 500', afterMs: 31_000 })
    expect(watch.failedRounds).toBe(3)
  })

  it("ends by the step's deadline when it comes first", async () => {
    const { watch, endedAtMs } = await watchFor(60_000, () => UP, { deadline: START + 30_000 })
    expect(watch.ended).toBe(true)
    expect(endedAtMs).toBe(30_000)
  })

  it("gives each probe only the time left before the step's deadline", async () => {
    const { rounds, limits } = await watchFor(60_000, () => UP, { deadline: START + 30_000 })
    expect(rounds).toEqual([6000, 12_000, 18_000, 24_000, 30_000])
    expect(limits).toEqual(rounds.map((at) => 30_000 - at))
  })

  it("adds its rounds to the checks' rounds and answers, as the summary shows them", async () => {
    const { watch, report } = await watchFor(
      60_000,
      (check, at) =>
        check === DB && at === 18_000 ? { ok: false, answer: 'connection refused' } : UP,
      { checks: [WEB, DB] }
    )
    expect(watch.rounds).toBe(11)
    expect(report.rounds).toBe(11)
    expect(report.checks.map((c) => c.rounds)).toEqual([11, 11])
    expect(report.checks.map((c) => c.lastAnswer)).toEqual(['HTTP 200', 'HTTP 200'])
  })

  it('says in the log what it watches and what fails the step, then each change of status', async () => {
    const { log } = await watchFor(60_000, (_, at) =>
      at === 18_000 ? { ok: false, answer: 'HTTP 503' } : UP
    )
    expect(log.of('info')).toEqual([
      'Watching the app for 1m (health_watch): a round every 6s; the step fails after 2 failing rounds in a row.',
      'Watch: every check passed (0s)',
      `Watch: ${WEB.target}: HTTP 503 (1 of 2 failing rounds in a row) (18s)`,
      'Watch: every check passed (19s)'
    ])
  })

  it('with health_threshold 1, says that one failing round fails the step', async () => {
    const { log } = await watchFor(3000, () => UP, { threshold: 1 })
    expect(log.of('info')).toEqual([
      'Watching the app for 3s (health_watch): a round every 1s; the step fails after 1 failing round in a row.',
      'Watch: every check passed (0s)'
    ])
  })

  it('a cancellation ends the watch at once', async () => {
    const controller = new AbortController()
    const clock = fakeClock(START)
    const report = newHealthReport([WEB])
    const error = await rejection(
      watchHealthy({
        checks: [WEB],
        probe: async () => {
          controller.abort()
          return UP
        },
        threshold: 2,
        clock,
        random: () => 0.5,
        watchMs: 60_000,
        deadline: START + 3_600_000,
        signal: controller.signal,
        log: memoryLogger(),
        report
      })
    )
    expect(error).toBeInstanceOf(CancelledError)
    expect(report.watch?.ended).toBeUndefined()
  })
})

describe('checkHealth with health_watch', () => {
  afterEach(closeAgents)

  const APP = 'https://shop.example.com/health'
  const verify = (inputs: Record<string, string> = {}) =>
    setup({ mode: 'verify', server_id: '', health_url: APP, ...inputs })
  /** A prober whose answer depends on the fake clock's time since `start`. */
  const after =
    (clock: { now(): number }, start: number, answer: (atMs: number) => ProbeResult): Prober =>
    async () =>
      answer(clock.now() - start)

  it('green only when the watch has ended: health is empty until then', async () => {
    const { rt, clock, log } = verify({ health_watch: '3m' })
    const start = clock.now()
    let during: boolean | undefined | null = null
    await checkHealth(
      rt,
      after(clock, start, (at) => {
        if (at > 60_000) during ??= rt.outcome.health?.healthy
        return UP
      })
    )
    expect(during).toBeUndefined()
    expect(rt.outcome.health!.healthy).toBe(true)
    expect(clock.now() - start).toBe(CONFIRM_INTERVAL_MS + 3 * 60_000)
    expect(log.text()).toContain('The app stayed healthy through the 3m watch: 18 rounds.')
    expect(log.of('group')).toContain('Watch the app for 3m (health_watch)')
  })

  /** A 5m watch of an app that breaks 95 s in: the step's failure. */
  async function breaking(inputs: Record<string, string> = {}) {
    const step = verify({ health_watch: '5m', ...inputs })
    const start = step.clock.now()
    const error = await rejection(
      checkHealth(
        step.rt,
        after(step.clock, start, (at) => (at >= 95_000 ? DOWN : UP))
      )
    )
    return { ...step, start, error }
  }
  const broke = (rounds: string) =>
    `The app became healthy, then broke 1m40s into the 5m watch (health_watch): ${APP} answered HTTP 500, ${rounds} in a row. This step fails: a backup step of this job with rollback_on_failure: true restores the server in its post step; without one, roll back with mode: restore.`

  it('an app that breaks during the watch fails the step at once: which check, what it answered, how far in', async () => {
    const { rt, clock, start, error } = await breaking()
    expect(error.message).toBe(broke('2 rounds'))
    expect(clock.now() - start).toBe(CONFIRM_INTERVAL_MS + 100_000 + CONFIRM_INTERVAL_MS)
    expect(rt.outcome.health!.healthy).toBe(false)
    const outputs = stepOutputs(rt.outcome, rt.settings.target, [], () => {})
    expect(outputs.health).toBe('unhealthy')
    const summary = renderSummary({
      mode: 'verify',
      serverIds: [],
      outcome: rt.outcome,
      elapsedMs: 0,
      actionRef: 'x@v1',
      error: error.message
    })
    expect(summary).toContain(
      `<strong>Watch (health_watch):</strong> broke 1m40s into the 5m watch: ${APP} answered HTTP 500; 11 rounds, 2 failing.</p>`
    )
  })

  it.each([
    [[25_000], '11 rounds, 1 failing round tolerated (fewer than 2 in a row)'],
    [[25_000, 44_000], '12 rounds, 2 failing rounds tolerated (fewer than 2 in a row)']
  ])(
    'blips below health_threshold at %j: the log says the app stayed healthy and counts them',
    async (blips, counted) => {
      const { rt, clock, log } = verify({ health_watch: '1m' })
      const start = clock.now()
      await checkHealth(
        rt,
        after(clock, start, (at) => (blips.includes(at) ? DOWN : UP))
      )
      expect(log.of('info').at(-1)).toBe(`The app stayed healthy through the 1m watch: ${counted}.`)
    }
  )

  it('with health_threshold 1, a single failing round breaks the watch, said in the singular', async () => {
    expect((await breaking({ health_threshold: '1' })).error.message).toBe(broke('1 round'))
  })

  it('a watch of a single round says so in the singular', async () => {
    const { rt, clock, log } = verify({ health_watch: '1s' })
    await checkHealth(
      rt,
      after(clock, clock.now(), () => UP)
    )
    expect(rt.outcome.health!.watch).toMatchObject({ rounds: 1, ended: true })
    expect(log.of('info').at(-1)).toBe('The app stayed healthy through the 1s watch: 1 round.')
  })

  it('a blip below health_threshold: green, and the summary counts it', async () => {
    const { rt, clock } = verify({ health_watch: '1m' })
    const start = clock.now()
    await checkHealth(
      rt,
      after(clock, start, (at) => (at === 25_000 ? DOWN : UP))
    )
    expect(rt.outcome.health!.healthy).toBe(true)
    const summary = renderSummary({
      mode: 'verify',
      serverIds: [],
      outcome: rt.outcome,
      elapsedMs: 0,
      actionRef: 'x@v1'
    })
    expect(summary).toContain(
      'stayed healthy through the 1m watch; 11 rounds, 1 failing; 1 failing round tolerated (fewer than health&#95;threshold in a row), the last 24s in: '
    )
  })
})
