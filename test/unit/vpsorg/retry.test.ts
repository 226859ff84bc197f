import { describe, expect, it } from 'vitest'
import { systemClock } from '../../../src/common/clock.js'
import { ApiError, CancelledError, InputError, TransportError } from '../../../src/common/errors.js'
import {
  MAX_PACED_WAITS,
  type RetryOptions,
  backoffDelay,
  isPaced,
  isTransient,
  retry,
  retryLine
} from '../../../src/vpsorg/retry.js'
import { EPOCH, type FakeClock, fakeClock, seededRandom } from '../../helpers/fake-clock.js'
import { rejection } from '../../helpers/rejection.js'

const HOUR = 3_600_000

function options(clock: FakeClock, overrides: Partial<RetryOptions> = {}): RetryOptions {
  return {
    maxAttempts: 5,
    baseDelayMs: 1000,
    maxDelayMs: 30_000,
    deadline: clock.now() + HOUR,
    clock,
    random: () => 1,
    shouldRetry: isTransient,
    ...overrides
  }
}

const api = (status: number, retryAfterMs?: number): ApiError =>
  new ApiError('do the thing', status, `status ${status}`, retryAfterMs)
const network = (): TransportError =>
  new TransportError('do the thing', 'network error: ECONNRESET', true)

/** An operation that throws each error in turn, then returns 'ok'; records attempts and times. */
function failing(clock: FakeClock, errors: unknown[]) {
  const calls: Array<{ attempt: number; at: number }> = []
  const operation = async (attempt: number): Promise<string> => {
    calls.push({ attempt, at: clock.now() })
    const error = errors[calls.length - 1]
    if (error !== undefined) throw error
    return 'ok'
  }
  return { operation, calls }
}

describe('retry', () => {
  it('returns the first success after transient failures', async () => {
    const clock = fakeClock()
    const { operation, calls } = failing(clock, [api(503), network(), api(429)])
    await expect(retry(operation, options(clock))).resolves.toBe('ok')
    expect(calls.map((c) => c.attempt)).toEqual([1, 2, 3, 4])
    expect(clock.sleeps).toHaveLength(3)
  })

  it('does not sleep when the first attempt succeeds', async () => {
    const clock = fakeClock()
    const { operation, calls } = failing(clock, [])
    await expect(retry(operation, options(clock))).resolves.toBe('ok')
    expect(calls).toHaveLength(1)
    expect(clock.sleeps).toEqual([])
  })

  it.each([400, 401, 403, 404, 409, 422])('does not retry HTTP %d', async (status) => {
    const clock = fakeClock()
    const error = api(status)
    const { operation, calls } = failing(clock, [error])
    expect(await rejection(retry(operation, options(clock)))).toBe(error)
    expect(calls).toHaveLength(1)
    expect(clock.sleeps).toEqual([])
  })

  it.each([429, 500, 502, 503, 504])('retries HTTP %d', async (status) => {
    const clock = fakeClock()
    const { operation, calls } = failing(clock, [api(status)])
    await expect(retry(operation, options(clock))).resolves.toBe('ok')
    expect(calls).toHaveLength(2)
  })

  it('retries a retryable TransportError, not a non-retryable one', async () => {
    const clock = fakeClock()
    const first = failing(clock, [network()])
    await expect(retry(first.operation, options(clock))).resolves.toBe('ok')
    expect(first.calls).toHaveLength(2)

    const fatal = new TransportError('do the thing', 'a body that is not JSON', false)
    const second = failing(clock, [fatal])
    expect(await rejection(retry(second.operation, options(clock)))).toBe(fatal)
    expect(second.calls).toHaveLength(1)
  })

  it('does not retry errors that are not from the API (a bug, or bad input)', async () => {
    const clock = fakeClock()
    const bug = new TypeError('x is undefined')
    const { operation, calls } = failing(clock, [bug])
    expect(await rejection(retry(operation, options(clock)))).toBe(bug)
    expect(calls).toHaveLength(1)
  })

  it('honours Retry-After exactly, without jitter', async () => {
    const clock = fakeClock()
    const { operation } = failing(clock, [api(429, 7000), api(503, 0)])
    await retry(operation, options(clock, { random: () => 0 }))
    expect(clock.sleeps).toEqual([7000, 0])
  })

  it("honours a Retry-After longer than maxDelayMs in full: the cap is ours, not the server's", async () => {
    const clock = fakeClock()
    const { operation } = failing(clock, [api(429, 120_000)])
    await retry(operation, options(clock))
    expect(clock.sleeps).toEqual([120_000])
  })

  it('doubles the delay each attempt up to maxDelayMs (random = 1: the upper bound)', async () => {
    const clock = fakeClock()
    const { operation } = failing(
      clock,
      Array.from({ length: 7 }, () => api(503))
    )
    await retry(operation, options(clock, { maxAttempts: 8 }))
    expect(clock.sleeps).toEqual([1000, 2000, 4000, 8000, 16_000, 30_000, 30_000])
  })

  it('never waits less than half the exponential delay (random = 0: the lower bound)', async () => {
    const clock = fakeClock()
    const { operation } = failing(
      clock,
      Array.from({ length: 7 }, () => api(503))
    )
    await retry(operation, options(clock, { maxAttempts: 8, random: () => 0 }))
    expect(clock.sleeps).toEqual([500, 1000, 2000, 4000, 8000, 15_000, 15_000])
  })

  it('keeps every jittered delay between half and all of the exponential delay', async () => {
    const clock = fakeClock()
    const { operation } = failing(
      clock,
      Array.from({ length: 9 }, () => network())
    )
    await retry(operation, options(clock, { maxAttempts: 10, random: seededRandom(7) }))
    expect(clock.sleeps).toHaveLength(9)
    clock.sleeps.forEach((ms, i) => {
      const exponential = Math.min(30_000, 1000 * 2 ** i)
      expect(ms).toBeGreaterThanOrEqual(exponential / 2)
      expect(ms).toBeLessThanOrEqual(exponential)
    })
    expect(new Set(clock.sleeps).size).toBeGreaterThan(1)
  })

  it('stops after maxAttempts and rethrows the last error as it is', async () => {
    const clock = fakeClock()
    const errors = [api(503), network(), api(502)]
    const { operation, calls } = failing(clock, [...errors, api(500)])
    expect(await rejection(retry(operation, options(clock, { maxAttempts: 3 })))).toBe(errors[2])
    expect(calls).toHaveLength(3)
    expect(clock.sleeps).toHaveLength(2)
  })

  it('with maxAttempts 1, never retries', async () => {
    const clock = fakeClock()
    const error = api(503)
    const { operation, calls } = failing(clock, [error])
    expect(await rejection(retry(operation, options(clock, { maxAttempts: 1 })))).toBe(error)
    expect(calls).toHaveLength(1)
  })

  it('does not start an attempt whose delay would reach the deadline', async () => {
    const clock = fakeClock()
    const start = clock.now()
    const deadline = start + 2500
    const errors = Array.from({ length: 5 }, () => api(503))
    const { operation, calls } = failing(clock, errors)
    // Delays 1000 then 2000: the second would end at 3000, past the deadline.
    expect(await rejection(retry(operation, options(clock, { deadline })))).toBe(errors[1])
    expect(calls.map((c) => c.at - start)).toEqual([0, 1000])
    expect(clock.sleeps).toEqual([1000])
    expect(clock.now()).toBeLessThanOrEqual(deadline)
  })

  it('never sleeps past the deadline, whatever the Retry-After', async () => {
    const clock = fakeClock()
    const deadline = clock.now() + 10_000
    const errors = [api(429, 4000), api(429, 4000), api(429, 4000), api(429, 4000)]
    const { operation, calls } = failing(clock, errors)
    await rejection(retry(operation, options(clock, { deadline })))
    expect(clock.sleeps).toEqual([4000, 4000])
    for (const call of calls) expect(call.at).toBeLessThan(deadline)
    expect(clock.now()).toBeLessThanOrEqual(deadline)
  })

  it('makes one attempt, and no sleep, when the deadline has already passed', async () => {
    const clock = fakeClock()
    const error = api(503)
    const { operation, calls } = failing(clock, [error])
    const deadline = clock.now() - 1
    expect(await rejection(retry(operation, options(clock, { deadline })))).toBe(error)
    expect(calls).toHaveLength(1)
    expect(clock.sleeps).toEqual([])
  })

  it('tells onRetry the attempt that failed, its error and the delay, before sleeping', async () => {
    const clock = fakeClock()
    const errors = [api(503), network()]
    const { operation } = failing(clock, errors)
    const seen: Array<{
      attempt: number
      error: unknown
      delayMs: number
      paced: boolean
      sleepsSoFar: number
    }> = []
    await retry(
      operation,
      options(clock, {
        onRetry: (info) => seen.push({ ...info, sleepsSoFar: clock.sleeps.length })
      })
    )
    expect(seen).toEqual([
      { attempt: 1, error: errors[0], delayMs: 1000, paced: false, sleepsSoFar: 0 },
      { attempt: 2, error: errors[1], delayMs: 2000, paced: false, sleepsSoFar: 1 }
    ])
    expect(clock.sleeps).toEqual([1000, 2000])
  })

  it('counts a 429 with Retry-After as no attempt (the API said when), within the deadline', async () => {
    const clock = fakeClock()
    const errors = [...Array.from({ length: 7 }, () => api(429, 2000)), api(503), network()]
    const { operation, calls } = failing(clock, errors)
    const seen: Array<{ attempt: number; paced: boolean }> = []
    await expect(
      retry(
        operation,
        options(clock, { onRetry: ({ attempt, paced }) => seen.push({ attempt, paced }) })
      )
    ).resolves.toBe('ok')
    expect(calls).toHaveLength(10)
    expect(seen.slice(6)).toEqual([
      { attempt: 0, paced: true },
      { attempt: 1, paced: false },
      { attempt: 2, paced: false }
    ])
    // After the paced waits the backoff starts at its first step.
    expect(clock.sleeps).toEqual([...Array(7).fill(2000), 1000, 2000])
  })

  it('counts a 429 with Retry-After: 0 (or under a second) as an attempt: it paces nothing', async () => {
    for (const retryAfterMs of [0, 999]) {
      const clock = fakeClock()
      const errors = Array.from({ length: 5 }, () => api(429, retryAfterMs))
      const { operation, calls } = failing(clock, errors)
      expect(await rejection(retry(operation, options(clock)))).toBe(errors[4])
      expect(calls).toHaveLength(5)
    }
  })

  it(`waits out at most ${MAX_PACED_WAITS} 429s with Retry-After uncounted; later ones count`, async () => {
    const clock = fakeClock()
    const errors = Array.from({ length: 100 }, () => api(429, 1000))
    const { operation, calls } = failing(clock, errors)
    const paced: boolean[] = []
    const error = await rejection(
      retry(operation, options(clock, { onRetry: (info) => paced.push(info.paced) }))
    )
    expect(error).toBe(errors[MAX_PACED_WAITS + 4])
    expect(calls).toHaveLength(MAX_PACED_WAITS + 5)
    expect(paced).toEqual([...Array(MAX_PACED_WAITS).fill(true), ...Array(4).fill(false)])
  })

  it('counts a 429 without Retry-After as an attempt', async () => {
    const clock = fakeClock()
    const errors = Array.from({ length: 5 }, () => api(429))
    const { operation, calls } = failing(clock, errors)
    expect(await rejection(retry(operation, options(clock)))).toBe(errors[4])
    expect(calls).toHaveLength(5)
  })

  it('waits out 429s with Retry-After only until the deadline', async () => {
    const clock = fakeClock()
    const errors = Array.from({ length: 100 }, () => api(429, 60_000))
    const { operation, calls } = failing(clock, errors)
    const error = await rejection(
      retry(operation, options(clock, { deadline: clock.now() + 300_000 }))
    )
    expect(error).toBe(errors[4])
    expect(calls).toHaveLength(5)
    expect(clock.now()).toBeLessThanOrEqual(EPOCH + 300_000)
  })

  it('passes the signal to sleep, so a cancelled workflow stops retrying (already aborted)', async () => {
    const controller = new AbortController()
    controller.abort()
    let calls = 0
    const error = await rejection(
      retry(
        async () => {
          calls++
          throw api(503)
        },
        {
          ...options(fakeClock()),
          clock: systemClock,
          deadline: Date.now() + HOUR,
          signal: controller.signal
        }
      )
    )
    expect(error).toBeInstanceOf(CancelledError)
    expect(calls).toBe(1)
  })

  it('stops a real sleep as soon as the signal aborts', async () => {
    const controller = new AbortController()
    const started = Date.now()
    let calls = 0
    const error = await rejection(
      retry(
        async () => {
          calls++
          throw api(503, 30_000)
        },
        {
          ...options(fakeClock()),
          clock: systemClock,
          deadline: Date.now() + HOUR,
          signal: controller.signal,
          onRetry: () => setImmediate(() => controller.abort())
        }
      )
    )
    expect(error).toBeInstanceOf(CancelledError)
    expect(calls).toBe(1)
    expect(Date.now() - started).toBeLessThan(5000)
  })

  it('propagates a CancelledError thrown by the operation without retrying it', async () => {
    const clock = fakeClock()
    const cancelled = new CancelledError()
    const { operation, calls } = failing(clock, [cancelled])
    expect(await rejection(retry(operation, options(clock)))).toBe(cancelled)
    expect(calls).toHaveLength(1)
  })
})

describe('backoffDelay', () => {
  it('is never negative, even past the deadline', () => {
    const clock = fakeClock()
    const delay = backoffDelay(3, api(503), {
      baseDelayMs: 1000,
      maxDelayMs: 30_000,
      deadline: clock.now() - 5000,
      clock,
      random: () => 1
    })
    expect(delay).toBe(0)
  })

  it('is cut to the time left before the deadline', () => {
    const clock = fakeClock()
    const delay = backoffDelay(5, api(503), {
      baseDelayMs: 1000,
      maxDelayMs: 30_000,
      deadline: clock.now() + 3000,
      clock,
      random: () => 1
    })
    expect(delay).toBe(3000)
  })
})

describe('isTransient', () => {
  it.each([429, 500, 502, 503, 504])('HTTP %d is transient', (status) => {
    expect(isTransient(api(status))).toBe(true)
  })

  it.each([400, 401, 403, 404, 405, 409, 415, 422, 501])('HTTP %d is not', (status) => {
    expect(isTransient(api(status))).toBe(false)
  })

  it('follows a TransportError’s retryable flag', () => {
    expect(isTransient(new TransportError('x', 'reset', true))).toBe(true)
    expect(isTransient(new TransportError('x', 'too large', false))).toBe(false)
  })

  it('is false for anything else', () => {
    expect(isTransient(new CancelledError())).toBe(false)
    expect(isTransient(new InputError('timeout', 'is bad'))).toBe(false)
    expect(isTransient(new Error('boom'))).toBe(false)
    expect(isTransient(undefined)).toBe(false)
    expect(isTransient({ status: 503 })).toBe(false)
  })
})

describe('retryLine', () => {
  it('says a wait the API asked for is no attempt', () => {
    expect(retryLine('HTTP 429: Slow down', 2000, undefined)).toBe(
      'HTTP 429: Slow down. Retrying in 2s, as the API asked (Retry-After)'
    )
  })

  it.each([
    ['HTTP 429: Request was throttled. Expected available in 1 second.', 'second. Retrying'],
    ['HTTP 503: Down', 'Down. Retrying'],
    ['HTTP 400: Is it "done?"', 'done?" Retrying'],
    ['HTTP 502: Bad Gateway (an HTML page, likely from a proxy)', 'proxy). Retrying'],
    ['HTTP 503: Wait…', 'Wait… Retrying']
  ])('writes what failed (%j) as a sentence of its own, then ours', (failure, join) => {
    const line = retryLine(failure, 1000, 1)
    expect(line).toContain(join)
    expect(line).toMatch(/ Retrying in 1s \(attempt 2 of 5\)$/)
    expect(line).not.toMatch(/[.!?…]\./)
  })
})

describe('isPaced (a wait the API asked for counts as no attempt)', () => {
  it('only a 429 of the API with a Retry-After of a second or more, a limited number of times', () => {
    const paced = new ApiError('list the backups', 429, 'Throttled.', 2000)
    expect(isPaced(paced, 0)).toBe(true)
    expect(isPaced(paced, MAX_PACED_WAITS)).toBe(false)
    expect(isPaced(new ApiError('list the backups', 429, 'Throttled.', 999), 0)).toBe(false)
    // A 503 with Retry-After is an outage, not a turn to wait for: it counts as an attempt.
    expect(isPaced(new ApiError('list the backups', 503, 'Busy.', 2000), 0)).toBe(false)
    // Only the API's own answer: an error that merely looks like one is not.
    const lookalike = Object.assign(new Error('429'), { status: 429, retryAfterMs: 2000 })
    expect(isPaced(lookalike, 0)).toBe(false)
  })
})
