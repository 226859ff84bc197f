import { describe, expect, it } from 'vitest'
import { CancelledError } from '../../src/errors.js'
import {
  CONFIRM_INTERVAL_MS,
  type HealthCheck,
  type HealthReport,
  type ProbeResult,
  awaitHealthy,
  planHealthChecks,
  unhealthyReason
} from '../../src/health.js'
import type { Outcome } from '../../src/runtime.js'
import { healthOutcome, renderHealth } from '../../src/summary.js'
import { adaptivePolicy } from '../../src/wait.js'
import { fakeClock } from '../helpers/fake-clock.js'
import { memoryLogger } from '../helpers/memory-logger.js'
import { rejection } from '../helpers/rejection.js'

const WEB: HealthCheck = { kind: 'http', target: 'https://shop.example.com/health' }
const DB: HealthCheck = {
  kind: 'tcp',
  target: 'tcp://db.example.com:5432',
  host: 'db.example.com',
  port: 5432
}
const UP: ProbeResult = { ok: true, answer: 'HTTP 200' }
const DOWN: ProbeResult = { ok: false, answer: 'HTTP 503' }

/**
 * Runs the checks on a simulated clock; `answer(check, msSinceStart, round)` says what each probe
 * sees. Returns the report and when (ms after the start) the checks ended.
 */
async function run(
  answer: (check: HealthCheck, atMs: number, round: number) => ProbeResult,
  options: {
    checks?: HealthCheck[]
    threshold?: number
    timeoutMs?: number
    signal?: AbortSignal
  } = {}
): Promise<{ report: HealthReport; endedAtMs: number; log: string }> {
  const clock = fakeClock(0)
  const log = memoryLogger()
  const checks = options.checks ?? [WEB]
  const outcome: Outcome = { deleted: [] }
  planHealthChecks(outcome, checks)
  let round = 0
  const report = await awaitHealthy({
    checks,
    probe: async (check) => answer(check, clock.now(), round++),
    threshold: options.threshold ?? 2,
    clock,
    random: () => 0.5,
    policy: adaptivePolicy,
    deadline: options.timeoutMs ?? 5 * 60_000,
    signal: options.signal ?? new AbortController().signal,
    log,
    report: outcome.health!
  })
  return { report, endedAtMs: clock.now(), log: log.text() }
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
    ['active', false, 'restored but not healthy: a person is needed now'],
    ['error', undefined, 'not restored'],
    [undefined, undefined, 'not restored']
  ] as const)('restore, server %s, healthy %s: %s', (status, healthy, words) => {
    expect(healthOutcome('restore', outcome(status, healthy))).toBe(words)
    expect(renderHealth('restore', outcome(status, healthy)).join('\n')).toContain(
      `**Outcome:** ${words}`
    )
  })

  it('verify: healthy, or not healthy with a person needed', () => {
    expect(healthOutcome('verify', outcome(undefined, true))).toBe('healthy')
    expect(healthOutcome('verify', outcome(undefined, false))).toBe(
      'not healthy: a person is needed now'
    )
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
