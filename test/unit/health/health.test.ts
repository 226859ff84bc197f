import { afterEach, describe, expect, it } from 'vitest'
import { ActionError, CancelledError } from '../../../src/common/errors.js'
import { CONFIRM_INTERVAL_MS, type HealthCheck } from '../../../src/inputs/settings.js'
import type { ProbeResult, Prober } from '../../../src/health/probing.js'
import {
  awaitHealthy,
  checkHealth,
  newHealthReport,
  planHealthChecks,
  unhealthyReason
} from '../../../src/health/health.js'
import type { HealthReport, Outcome } from '../../../src/runtime/outcome.js'
import { healthOutcome, renderHealth } from '../../../src/report/summary.js'
import { fakeClock } from '../../helpers/fake-clock.js'
import { memoryLogger } from '../../helpers/memory-logger.js'
import { closeAgents, setup } from '../../helpers/fake-runtime.js'
import { rejection } from '../../helpers/rejection.js'
import { DB, UP, WEB } from '../../helpers/health-checks.js'

const START = 1_000_000
const DOWN: ProbeResult = { ok: false, answer: 'HTTP 503' }

/**
 * Runs the checks on a simulated clock; `answer(check, msSinceStart, round)` says what each probe
 * sees. Returns the report and when (ms after the start) the checks ended.
 */
async function run(
  answer: (check: HealthCheck, atMs: number, round: number, limitMs: number) => ProbeResult,
  options: {
    checks?: HealthCheck[]
    threshold?: number
    timeoutMs?: number
    signal?: AbortSignal
    /** How long each probe (or this round's) takes, at most the time it is given. */
    probeMs?: number | ((limitMs: number, round: number) => number)
  } = {}
): Promise<{
  report: HealthReport
  endedAtMs: number
  log: string
  probes: Array<{ atMs: number; limitMs: number; signal: AbortSignal }>
}> {
  // Not at 0: times are measured from the start.
  const clock = fakeClock(START)
  const log = memoryLogger()
  const checks = options.checks ?? [WEB]
  const outcome: Outcome = { deleted: [] }
  planHealthChecks(outcome, checks)
  let round = 0
  const probes: Array<{ atMs: number; limitMs: number; signal: AbortSignal }> = []
  const report = await awaitHealthy({
    checks,
    probe: async (check, signal, limitMs) => {
      const atMs = clock.now() - START
      probes.push({ atMs, limitMs, signal })
      const { probeMs = 0 } = options
      const takesMs = typeof probeMs === 'number' ? probeMs : probeMs(limitMs, round)
      clock.advance(Math.min(takesMs, limitMs))
      return answer(check, atMs, round++, limitMs)
    },
    threshold: options.threshold ?? 2,
    clock,
    random: () => 0.5,
    deadline: START + (options.timeoutMs ?? 5 * 60_000),
    signal: options.signal ?? new AbortController().signal,
    log,
    report: outcome.health!
  })
  return { report, endedAtMs: clock.now() - START, log: log.text(), probes }
}

describe('awaitHealthy', () => {
  it.each([5_000, 60_000, 600_000])(
    'an app healthy after %d ms is noticed within max(2 s, a tenth of that) plus the confirming rounds',
    async (bootMs) => {
      for (const threshold of [1, 2, 5]) {
        const { report, endedAtMs } = await run((_, at) => (at >= bootMs ? UP : DOWN), {
          threshold,
          timeoutMs: 20 * 60_000
        })
        expect(report.healthy).toBe(true)
        const lateness = endedAtMs - bootMs - (threshold - 1) * CONFIRM_INTERVAL_MS
        expect(lateness).toBeGreaterThanOrEqual(0)
        expect(lateness).toBeLessThanOrEqual(Math.max(2000, bootMs / 10))
        expect(report.checks[0]!.healthyAfterMs).toBe(endedAtMs)
      }
    }
  )

  it('counts rounds in a row: one failing round starts the streak again', async () => {
    // Healthy, healthy-then-down, ... : 2 in a row only from round 4 on.
    const script = [UP, DOWN, UP, DOWN, UP, UP]
    const { report } = await run((_, __, round) => script[round] ?? DOWN)
    expect(report.healthy).toBe(true)
    expect(report.rounds).toBe(6)
    expect(report.checks[0]).toMatchObject({ rounds: 6, lastAnswer: 'HTTP 200' })
  })

  it('every check must pass in the same round', async () => {
    const { report, log } = await run(
      (check, at) =>
        check === DB && at < 10_000 ? { ok: false, answer: 'network error: ECONNREFUSED' } : UP,
      {
        checks: [WEB, DB]
      }
    )
    expect(report.healthy).toBe(true)
    expect(report.checks.map((c) => c.healthyAfterMs)).toEqual([
      expect.any(Number),
      expect.any(Number)
    ])
    expect(report.checks[0]!.healthyAfterMs).toBeGreaterThanOrEqual(10_000)
    expect(log).toContain('tcp://db.example.com:5432: network error: ECONNREFUSED')
  })

  it('not healthy by the deadline: unhealthy, naming the failing check and its last answer', async () => {
    const { report, endedAtMs } = await run(() => DOWN, { timeoutMs: 30_000 })
    expect(report.healthy).toBe(false)
    expect(endedAtMs).toBe(30_000)
    expect(report.checks[0]!.healthyAfterMs).toBeUndefined()
    expect(unhealthyReason(report)).toBe('https://shop.example.com/health last answered HTTP 503')
  })

  it('a flapping app is named by its last failure, even when the last round passed', async () => {
    const { report } = await run((_, __, round) => (round % 2 ? DOWN : UP), { timeoutMs: 30_000 })
    expect(report.healthy).toBe(false)
    expect(unhealthyReason(report)).toMatch(
      /^https:\/\/shop\.example\.com\/health (last answered HTTP 503|last failed with HTTP 503 \(too few rounds in a row passed since\))$/
    )
  })

  it('stops at once when the workflow is cancelled', async () => {
    const controller = new AbortController()
    const error = await rejection(
      run(
        (_, __, round) => {
          if (round === 2) controller.abort()
          return DOWN
        },
        { signal: controller.signal }
      )
    )
    expect(error).toBeInstanceOf(CancelledError)
  })

  it('sends the first round at once and confirms 1 s apart, whatever poll_interval says', async () => {
    const { report, endedAtMs, probes, log } = await run(() => UP, { threshold: 3 })
    expect(probes.map((p) => p.atMs)).toEqual([0, 1000, 2000])
    expect(endedAtMs).toBe(2000)
    expect(report).toMatchObject({ healthy: true, rounds: 3 })
    expect(report.checks[0]).toMatchObject({
      rounds: 3,
      healthyAfterMs: 2000,
      lastAnswer: 'HTTP 200'
    })
    expect(log).toContain('info: starting the checks (0s)')
    expect(log).toContain('info: every check passed (1 of 3 rounds in a row) (0s)')
    expect(log).toContain('info: every check passed (2 of 3 rounds in a row) (1s)')
    expect(log).toContain('info: The app is healthy: 3 rounds in a row passed, after 2s.')
  })

  it('one round is enough with health_threshold: 1, said in the singular', async () => {
    const { report, log, probes } = await run(() => UP, { threshold: 1 })
    expect(report.healthy).toBe(true)
    expect(probes).toHaveLength(1)
    expect(log).toContain('The app is healthy: 1 round in a row passed, after 0s.')
  })

  it('after a failing first round, polls adaptively: 1 s, then every max(2 s, a tenth)', async () => {
    const { probes } = await run(() => DOWN, { timeoutMs: 12_000 })
    // 0, then 1 s, then 2 s apart (the jitter makes them at most 2% shorter).
    expect(probes[0]!.atMs).toBe(0)
    expect(probes[1]!.atMs).toBe(1000)
    const gaps = probes.slice(2).map((p, i) => p.atMs - probes[i + 1]!.atMs)
    for (const gap of gaps) {
      expect(gap).toBeGreaterThanOrEqual(1960)
      expect(gap).toBeLessThanOrEqual(2000)
    }
  })

  it('gives each probe only the time left before the deadline, and ends by it', async () => {
    const hang = { ok: false, answer: 'nothing within (abandoned)' }
    const { report, endedAtMs, probes } = await run(() => hang, {
      timeoutMs: 4500,
      probeMs: 10_000
    })
    expect(report.healthy).toBe(false)
    expect(endedAtMs).toBe(4500)
    expect(probes.map((p) => p.atMs + p.limitMs)).toEqual(probes.map(() => 4500))
    expect(probes[0]!.limitMs).toBe(4500)
  })

  it('sends no probe without time left: the last answer stays what the app said', async () => {
    // Rounds at 0 and 1 s (healthy once), then the deadline at 2 s leaves no time.
    const { report, probes, log } = await run((_, __, round) => (round === 1 ? UP : DOWN), {
      timeoutMs: 2000,
      threshold: 3
    })
    expect(probes.every((p) => p.limitMs > 0)).toBe(true)
    expect(probes.map((p) => p.atMs)).toEqual([0, 1000])
    expect(report.checks[0]!.lastAnswer).toBe('HTTP 200')
    expect(report.healthy).toBe(false)
    // The log's last word is that round's: the deadline adds no status of its own.
    expect(log.split('\n').at(-1)).toBe('info: every check passed (1 of 3 rounds in a row) (1s)')
  })

  it('a probe the deadline cuts short keeps the answer the app last gave', async () => {
    // Rounds at 0 and 1 s answer 503; the round near 3 s has under 0.1 s left, and is abandoned.
    const abandoned: ProbeResult = {
      ok: false,
      answer: 'nothing within 0s (abandoned)',
      abandoned: true
    }
    const { report, probes } = await run(
      (_, __, ___, limitMs) => (limitMs >= 1000 ? DOWN : abandoned),
      { timeoutMs: 3040, probeMs: (limitMs) => (limitMs >= 1000 ? 0 : limitMs) }
    )
    const limits = probes.map((p) => p.limitMs)
    expect(limits).toHaveLength(3)
    expect(limits[2]).toBeLessThan(100)
    expect(report.healthy).toBe(false)
    expect(report.checks[0]!.lastAnswer).toBe('HTTP 503')
    expect(unhealthyReason(report)).toBe('https://shop.example.com/health last answered HTTP 503')
  })

  it('a first probe abandoned at the deadline is the answer: the app said nothing', async () => {
    const abandoned: ProbeResult = {
      ok: false,
      answer: 'nothing within 2s (abandoned)',
      abandoned: true
    }
    const { report } = await run(() => abandoned, { timeoutMs: 2000, probeMs: 10_000 })
    expect(report.checks[0]!.lastAnswer).toBe('nothing within 2s (abandoned)')
  })

  it('a probe abandoned at its own timeout, with time left, is the answer: the app stopped answering', async () => {
    const hung: ProbeResult = {
      ok: false,
      answer: 'nothing within 10s (abandoned)',
      abandoned: true
    }
    // The first round answers 503; from then on each probe hangs for its 10 s, well before the deadline.
    const { report, probes } = await run((_, __, round) => (round === 0 ? DOWN : hung), {
      timeoutMs: 60_000,
      probeMs: 10_000
    })
    expect(probes[1]!.limitMs).toBeGreaterThan(10_000)
    expect(report.healthy).toBe(false)
    expect(report.checks[0]!.lastAnswer).toBe('nothing within 10s (abandoned)')
    expect(unhealthyReason(report)).toBe(
      'https://shop.example.com/health last answered nothing within 10s (abandoned)'
    )
  })

  it('an answer that comes in at the deadline is the answer, though the deadline has come', async () => {
    // Rounds at 0 and 1 s answer 503; the next takes all the time left, then answers 502.
    const answers: ProbeResult[] = [DOWN, DOWN, { ok: false, answer: 'HTTP 502' }]
    const { report, endedAtMs } = await run((_, __, round) => answers[round] ?? DOWN, {
      timeoutMs: 3040,
      probeMs: (limitMs, round) => (round === answers.length - 1 ? limitMs : 0)
    })
    expect(endedAtMs).toBe(3040)
    expect(report.rounds).toBe(3)
    expect(report.checks[0]!.lastAnswer).toBe('HTTP 502')
    expect(unhealthyReason(report)).toBe('https://shop.example.com/health last answered HTTP 502')
  })

  it("hands every probe the workflow's cancellation signal", async () => {
    const controller = new AbortController()
    const { probes } = await run(() => UP, { signal: controller.signal, checks: [WEB, DB] })
    expect(probes).toHaveLength(4)
    expect(probes.every((p) => p.signal === controller.signal)).toBe(true)
  })

  it('names the first failing check of a round', async () => {
    const { report } = await run(() => DOWN, { checks: [WEB, DB], timeoutMs: 3000 })
    expect(report.failing!.target).toBe(WEB.target)
  })

  it('records the last failure, and whether it was in the last round', async () => {
    const { report } = await run((_, __, round) => (round === 0 ? DOWN : UP), { threshold: 3 })
    expect(report.failing).toEqual({
      target: 'https://shop.example.com/health',
      answer: 'HTTP 503',
      lastRound: false
    })
    const checks = [WEB, DB]
    const down = await run((check) => (check === DB ? DOWN : UP), { checks, timeoutMs: 3000 })
    expect(down.report.failing).toEqual({ target: DB.target, answer: 'HTTP 503', lastRound: true })
    expect(down.report.checks.map((c) => c.lastAnswer)).toEqual(['HTTP 200', 'HTTP 503'])
  })
})

describe('planHealthChecks', () => {
  it('records the checks to come as not checked, and nothing without checks', () => {
    const outcome: Outcome = { deleted: [] }
    planHealthChecks(outcome, [])
    expect(outcome.health).toBeUndefined()
    planHealthChecks(outcome, [WEB, DB])
    expect(outcome.health).toEqual({
      rounds: 0,
      checks: [
        { target: WEB.target, lastAnswer: 'not checked', rounds: 0 },
        { target: DB.target, lastAnswer: 'not checked', rounds: 0 }
      ]
    })
  })
})

describe('unhealthyReason', () => {
  it('says when no round ended, or which check failed last and when', () => {
    const report = newHealthReport([WEB])
    expect(unhealthyReason(report)).toBe('no round of checks ended in time')
    report.failing = { target: WEB.target, answer: 'HTTP 502', lastRound: true }
    expect(unhealthyReason(report)).toBe(`${WEB.target} last answered HTTP 502`)
    report.failing.lastRound = false
    expect(unhealthyReason(report)).toBe(
      `${WEB.target} last failed with HTTP 502 (too few rounds in a row passed since)`
    )
  })
})

describe('checkHealth', () => {
  afterEach(closeAgents)

  const APP = 'https://shop.example.com/health'
  const verify = (inputs: Record<string, string> = {}) =>
    setup({ mode: 'verify', server_id: '', health_url: APP, ...inputs })
  /** A prober that answers `result`, taking `ms` of the fake clock (at most the time given). */
  const prober =
    (clock: { advance(ms: number): void }, result: ProbeResult, ms = 0): Prober =>
    async (_, __, limitMs) => {
      clock.advance(Math.min(ms, limitMs))
      return result
    }

  it('does nothing without checks', async () => {
    const { rt, log } = setup({ mode: 'restore', backup_id: '7' })
    await checkHealth(rt, () => Promise.reject(new Error('probed')))
    expect(rt.outcome.health).toBeUndefined()
    expect(log.lines).toEqual([])
  })

  it('a healthy app: returns, with the report in the outcome, in a log group', async () => {
    const { rt, clock, log } = verify({ health_url: `${APP}\ntcp://db.example.com:5432` })
    const start = clock.now()
    await checkHealth(rt, prober(clock, UP))
    expect(clock.now() - start).toBe(CONFIRM_INTERVAL_MS)
    expect(rt.outcome.health).toMatchObject({ healthy: true, rounds: 2 })
    expect(log.of('group')).toEqual([
      `Check that the app is healthy (${APP}, tcp://db.example.com:5432)`
    ])
  })

  it('fills in the report planned before (restore), not a new one', async () => {
    const { rt, clock } = setup({ mode: 'restore', backup_id: '7', health_url: APP })
    planHealthChecks(rt.outcome, rt.settings.health.checks)
    const planned = rt.outcome.health
    await checkHealth(rt, prober(clock, UP), 'Restored')
    expect(rt.outcome.health).toBe(planned)
    expect(planned!.healthy).toBe(true)
  })

  it("when health_timeout ends exactly with the step, it is health_timeout's end", async () => {
    const { rt, clock } = verify({ timeout: '1m', health_timeout: '1m' })
    const error = await rejection(checkHealth(rt, prober(clock, DOWN, 10_000)))
    expect(error.message).toMatch(/^The app is not healthy after 1m: /)
  })

  it('verify: fails with the real time taken and what is true whatever the job does next', async () => {
    const { rt, clock } = verify({ health_timeout: '30s' })
    const error = await rejection(checkHealth(rt, prober(clock, DOWN, 10_000)))
    expect(error).toBeInstanceOf(ActionError)
    expect(error.message).toBe(
      `The app is not healthy after 30s: ${APP} last answered HTTP 503. This step fails: a backup step of this job with rollback_on_failure: true restores the server in its post step; without one, roll back with mode: restore.`
    )
    expect(rt.outcome.health!.healthy).toBe(false)
  })

  it('after a restore: says the server was restored, and that nothing more is restored', async () => {
    const { rt, clock } = setup({
      mode: 'restore',
      backup_id: '7',
      health_url: APP,
      health_timeout: '10s'
    })
    const error = await rejection(
      checkHealth(rt, prober(clock, DOWN), 'Server 12345 was restored from backup 7 and is active')
    )
    expect(error.message).toBe(
      `Server 12345 was restored from backup 7 and is active, but the app is not healthy after 10s: ${APP} last answered HTTP 503. This step fails and restores nothing more: the app needs attention.`
    )
  })

  it("ends by the step's timeout when it comes first, and says so", async () => {
    const { rt, clock } = setup({
      mode: 'restore',
      backup_id: '7',
      health_url: APP,
      health_timeout: '5m',
      timeout: '2m'
    })
    clock.advance(90_000) // the restore took 1m30s of the step's 2m
    const start = clock.now()
    const error = await rejection(checkHealth(rt, prober(clock, DOWN, 10_000), 'Restored'))
    expect(clock.now() - start).toBe(30_000)
    expect(error.message).toBe(
      `Restored, but the app is not healthy after 30s, when the step's timeout (2m) ended the checks: ${APP} last answered HTTP 503. This step fails and restores nothing more: the app needs attention.`
    )
  })

  it('a step with no time left probes nothing', async () => {
    const { rt, clock } = verify({ timeout: '1m', health_timeout: '5m' })
    clock.advance(60_000)
    const error = await rejection(
      checkHealth(rt, () => Promise.reject(new Error('probed without time')))
    )
    expect(error.message).toMatch(
      /^The app is not healthy after 0s, when the step's timeout \(1m\) ended the checks: no round of checks ended in time\./
    )
  })
})

describe('the job summary of the app checks', () => {
  const outcome = (status: string | undefined, healthy: boolean | undefined): Outcome => {
    const result: Outcome = { deleted: [], status, restored: status === 'active' }
    planHealthChecks(result, [WEB, DB])
    result.health!.healthy = healthy
    return result
  }

  it.each([
    ['active', true, 'restored and healthy'],
    ['active', false, 'restored but not healthy: the app needs attention'],
    ['error', undefined, 'not restored'],
    [undefined, undefined, 'not restored']
  ] as const)('restore, server %s, healthy %s: %s', (status, healthy, words) => {
    expect(healthOutcome('restore', outcome(status, healthy))).toBe(words)
    expect(renderHealth('restore', outcome(status, healthy)).join('\n')).toContain(
      `**Outcome:** ${words}`
    )
  })

  it('verify: healthy, or not healthy and the step fails (no claim on what follows)', () => {
    expect(healthOutcome('verify', outcome(undefined, true))).toBe('healthy')
    expect(healthOutcome('verify', outcome(undefined, false))).toBe('not healthy: this step fails')
  })

  it('shows each check, its last answer, rounds and time to healthy, all escaped', () => {
    const result = outcome('active', false)
    result.health!.checks[0]!.lastAnswer = 'HTTP 200 <script>x</script> | *bold*'
    result.health!.checks[0]!.rounds = 3
    result.health!.checks[1]!.healthyAfterMs = 4500
    const html = renderHealth('restore', result).join('\n')
    expect(html).toContain(
      '<tr><td>https://shop.example.com/health</td><td>HTTP 200 &#60;script&#62;x&#60;/script&#62; &#124; &#42;bold&#42;</td><td>3</td><td>not healthy</td></tr>'
    )
    expect(html).toContain(
      '<td>tcp://db.example.com:5432</td><td>not checked</td><td>0</td><td>4.5s</td>'
    )
    expect(html).not.toContain('<script>')
  })

  it('says nothing when no check was asked for', () => {
    expect(renderHealth('restore', { deleted: [], status: 'active' })).toEqual([])
  })
})
