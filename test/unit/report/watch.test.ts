import { describe, expect, it } from 'vitest'
import { scrubberOf } from '../../../src/common/untrusted.js'
import { renderWatch } from '../../../src/report/watch.js'
import type { HealthReport, WatchReport } from '../../../src/runtime/outcome.js'

const health = (watch?: WatchReport): HealthReport => ({ rounds: 1, checks: [], watch })
const failure = { target: 'https://app.example/', answer: 'HTTP 503', afterMs: 30_000 }
const paragraph = (text: string) => [`<p><strong>Watch (health_watch):</strong> ${text}</p>`, '']

describe('renderWatch', () => {
  it('nothing without a watch', () => {
    expect(renderWatch(undefined)).toEqual([])
    expect(renderWatch(health())).toEqual([])
  })

  it('stayed healthy, no failing round', () => {
    expect(renderWatch(health({ ms: 300_000, rounds: 10, failedRounds: 0, ended: true }))).toEqual(
      paragraph('stayed healthy through the 5m watch; 10 rounds, 0 failing.')
    )
  })

  it('stayed healthy, one round, one failing round tolerated', () => {
    const watch = { ms: 300_000, rounds: 1, failedRounds: 1, ended: true, lastFailure: failure }
    expect(renderWatch(health(watch))).toEqual(
      paragraph(
        'stayed healthy through the 5m watch; 1 round, 1 failing; 1 failing round tolerated (fewer than health&#95;threshold in a row), the last 30s in: https://app.example/ answered HTTP 503.'
      )
    )
  })

  it('stayed healthy, several failing rounds tolerated', () => {
    const watch = { ms: 300_000, rounds: 10, failedRounds: 2, ended: true, lastFailure: failure }
    expect(renderWatch(health(watch))).toEqual(
      paragraph(
        'stayed healthy through the 5m watch; 10 rounds, 2 failing; 2 failing rounds tolerated (fewer than health&#95;threshold in a row), the last 30s in: https://app.example/ answered HTTP 503.'
      )
    )
  })

  it('broke: when, which check, what it answered; no tolerated rounds named', () => {
    const broke = { target: 'https://app.example/', answer: 'HTTP 502 <b>', afterMs: 120_000 }
    const watch = { ms: 300_000, rounds: 5, failedRounds: 3, broke, lastFailure: failure }
    expect(renderWatch(health(watch))).toEqual(
      paragraph(
        'broke 2m into the 5m watch: https://app.example/ answered HTTP 502 &#60;b&#62;; 5 rounds, 3 failing.'
      )
    )
  })

  it('did not end (the step was stopped)', () => {
    const watch = { ms: 300_000, rounds: 2, failedRounds: 1, lastFailure: failure }
    expect(renderWatch(health(watch), scrubberOf(['HTTP 503']))).toEqual(
      paragraph(
        'the 5m watch did not end; 2 rounds, 1 failing; 1 failing round tolerated (fewer than health&#95;threshold in a row), the last 30s in: https://app.example/ answered &#42;&#42;&#42;.'
      )
    )
  })
})
