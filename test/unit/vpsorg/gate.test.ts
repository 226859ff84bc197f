import { describe, expect, it } from 'vitest'
import type { Clock } from '../../../src/common/clock.js'
import { CancelledError, PausedError } from '../../../src/common/errors.js'
import { MAX_IN_FLIGHT, RequestGate } from '../../../src/vpsorg/gate.js'
import { EPOCH, fakeClock } from '../../helpers/fake-clock.js'
import { memoryLogger } from '../../helpers/memory-logger.js'
import { rejection } from '../../helpers/rejection.js'

const HOUR = 3_600_000
const open = new AbortController().signal

/** Lets every promise that can settle now settle. */
const settle = () => new Promise<void>((resolve) => setImmediate(resolve))

function gate(maxInFlight?: number) {
  const clock = fakeClock()
  const log = memoryLogger()
  return { clock, log, gate: new RequestGate(clock, log, maxInFlight) }
}

/** enter(), with whether it has resolved yet. */
function entering(g: RequestGate, signal = open, deadline = EPOCH + HOUR) {
  const state = { entered: false, release: undefined as (() => void) | undefined }
  const promise = g.enter('read the status of server 1', signal, deadline).then((release) => {
    state.entered = true
    state.release = release
    return release
  })
  return Object.assign(state, { promise })
}

/** A sleep that ends only when the signal aborts. */
const stuck: Clock['sleep'] = (_ms, signal) =>
  new Promise((_, reject) =>
    signal?.addEventListener('abort', () => reject(new CancelledError()), { once: true })
  )

describe('RequestGate: requests in flight', () => {
  it('lets at most 8 in at once (MAX_IN_FLIGHT), and the next in when one leaves', async () => {
    expect(MAX_IN_FLIGHT).toBe(8)
    const { gate: g, clock } = gate()
    const requests = Array.from({ length: 10 }, () => entering(g))
    await settle()
    expect(requests.map((r) => r.entered)).toEqual([...Array(8).fill(true), false, false])
    requests[3]!.release!()
    await settle()
    expect(requests.map((r) => r.entered)).toEqual([...Array(9).fill(true), false])
    expect(clock.sleeps).toEqual([])
  })

  it('lets the waiting requests in first come, first served', async () => {
    const { gate: g } = gate(1)
    const first = entering(g)
    const [second, third] = [entering(g), entering(g)]
    await settle()
    first.release!()
    await settle()
    expect([second.entered, third.entered]).toEqual([true, false])
    second.release!()
    await settle()
    expect(third.entered).toBe(true)
  })

  it('lets a request alone in at once, without a sleep', async () => {
    const { gate: g, clock } = gate()
    for (let i = 0; i < 3; i++) (await g.enter('x', open, EPOCH + HOUR))()
    expect(clock.sleeps).toEqual([])
  })

  it('throws CancelledError at once when cancelled while waiting for a slot, and gives up its place', async () => {
    const { gate: g } = gate(1)
    const first = entering(g)
    const controller = new AbortController()
    const cancelled = entering(g, controller.signal)
    const next = entering(g)
    await settle()
    controller.abort()
    const error = await rejection(cancelled.promise)
    expect(error).toBeInstanceOf(CancelledError)
    expect((error as CancelledError).unsent).toBe(true)
    first.release!()
    await settle()
    expect(next.entered).toBe(true)
    next.release!()
    // The slots add up: one request alone gets in again.
    const last = entering(g)
    await settle()
    expect(last.entered).toBe(true)
  })

  it('does not send a request handed a slot after its deadline: PausedError, the slot goes on', async () => {
    const { gate: g, clock } = gate(1)
    const first = entering(g)
    const late = entering(g, open, EPOCH + 5000)
    const next = entering(g)
    await settle()
    clock.advance(5001)
    first.release!()
    const error = await rejection(late.promise)
    expect(error).toBeInstanceOf(PausedError)
    expect(error.message).toBe(
      'Could not read the status of server 1: not sent: the timeout passed while it waited for its turn (1 in flight at most)'
    )
    await settle()
    // The slot went to the next request, which has time left.
    expect(next.entered).toBe(true)
  })

  it('sends a queued request handed its slot exactly at its deadline', async () => {
    const { gate: g, clock } = gate(1)
    const first = entering(g)
    const onTime = entering(g, open, EPOCH + 5000)
    await settle()
    clock.advance(5000)
    first.release!()
    await settle()
    expect(onTime.entered).toBe(true)
  })

  it('sends a request that finds a slot free even past its deadline (a wait’s last look)', async () => {
    const { gate: g, clock } = gate(1)
    clock.advance(10)
    const release = await g.enter('x', open, EPOCH)
    expect(typeof release).toBe('function')
  })

  it('forgets a request’s cancellation once it has its slot: a later abort takes no one else’s place', async () => {
    const { gate: g } = gate(1)
    const first = entering(g)
    const controller = new AbortController()
    const second = entering(g, controller.signal)
    await settle()
    first.release!()
    await settle()
    expect(second.entered).toBe(true)
    const third = entering(g)
    await settle()
    controller.abort()
    second.release!()
    await settle()
    expect(third.entered).toBe(true)
  })

  it('throws CancelledError before taking a slot when already cancelled', async () => {
    const { gate: g } = gate(1)
    const controller = new AbortController()
    controller.abort()
    const error = await rejection(g.enter('x', controller.signal, EPOCH + HOUR))
    expect(error).toBeInstanceOf(CancelledError)
    expect((error as CancelledError).unsent).toBe(true)
    const next = entering(g)
    await settle()
    expect(next.entered).toBe(true)
  })
})

describe('RequestGate: after a 429, one request at a time', () => {
  it.each([
    ['with Retry-After', 1000],
    ['without Retry-After', undefined]
  ])('lets one request in at a time once a 429 was answered (%s)', async (_, retryAfterMs) => {
    const { gate: g, clock } = gate()
    const before = Array.from({ length: 3 }, () => entering(g))
    await settle()
    expect(before.map((r) => r.entered)).toEqual([true, true, true])
    g.answered(429, retryAfterMs, EPOCH + HOUR)
    clock.advance(1000)
    const after = Array.from({ length: 3 }, () => entering(g))
    await settle()
    // Three were in flight: none of the new ones gets in until all three have left...
    before[0]!.release!()
    before[1]!.release!()
    await settle()
    expect(after.map((r) => r.entered)).toEqual([false, false, false])
    before[2]!.release!()
    await settle()
    // ... then one at a time, first come first served.
    expect(after.map((r) => r.entered)).toEqual([true, false, false])
    after[0]!.release!()
    await settle()
    expect(after.map((r) => r.entered)).toEqual([true, true, false])
  })

  it.each([503, 500, 409])('keeps %i requests in flight after another error', async (status) => {
    const { gate: g } = gate()
    g.answered(status, undefined, EPOCH + HOUR)
    const requests = Array.from({ length: 9 }, () => entering(g))
    await settle()
    expect(requests.filter((r) => r.entered)).toHaveLength(8)
  })
})

describe('RequestGate: the shared pause', () => {
  it('holds every request until Retry-After has passed after a 429, and logs it once', async () => {
    const { gate: g, clock, log } = gate()
    g.answered(429, 20_000, EPOCH + HOUR)
    const release = await g.enter('x', open, EPOCH + HOUR)
    expect(clock.now()).toBe(EPOCH + 20_000)
    expect(clock.sleeps).toEqual([20_000])
    release()
    await g.enter('x', open, EPOCH + HOUR)
    expect(clock.sleeps).toEqual([20_000])
    expect(log.of('info')).toEqual([
      'VPS.org answered HTTP 429 (Too Many Requests): every request waits 20s (Retry-After).'
    ])
  })

  it.each([
    [1e20, 'over 1000h', '10s'],
    [Infinity, 'over 1000h', '10s'],
    [20_000, '20s', '10s']
  ])(
    'says when Retry-After (%d ms) is longer than the time left before the timeout',
    (retryAfterMs, wait, left) => {
      const { gate: g, log } = gate()
      g.answered(429, retryAfterMs, EPOCH + 10_000)
      expect(log.of('info')).toEqual([
        `VPS.org answered HTTP 429 (Too Many Requests): it asks every request to wait ${wait} (Retry-After), longer than the ${left} left before the timeout.`
      ])
    }
  )

  it('holds every request after a 503 with Retry-After', async () => {
    const { gate: g, clock, log } = gate()
    g.answered(503, 5000, EPOCH + HOUR)
    await g.enter('x', open, EPOCH + HOUR)
    expect(clock.now()).toBe(EPOCH + 5000)
    expect(log.of('info')).toEqual([
      'VPS.org answered HTTP 503 (Service Unavailable): every request waits 5s (Retry-After).'
    ])
  })

  it.each([
    ['a 429 without Retry-After', 429, undefined],
    ['a 503 without Retry-After', 503, undefined],
    ['a 429 with Retry-After: 0', 429, 0],
    ['a 500 with Retry-After', 500, 5000],
    ['a 409 with Retry-After', 409, 5000]
  ])('does not pause for %s', async (_, status, retryAfterMs) => {
    const { gate: g, clock, log } = gate()
    g.answered(status, retryAfterMs, EPOCH + HOUR)
    await g.enter('x', open, EPOCH + HOUR)
    expect(clock.sleeps).toEqual([])
    expect(log.lines).toEqual([])
  })

  it('keeps the pause that ends last when pauses overlap, with one info line', async () => {
    for (const order of [
      [20_000, 5000],
      [5000, 20_000]
    ]) {
      const { gate: g, clock, log } = gate()
      for (const ms of order) g.answered(429, ms, EPOCH + HOUR)
      await g.enter('x', open, EPOCH + HOUR)
      expect(clock.now()).toBe(EPOCH + 20_000)
      expect(log.of('info')).toHaveLength(1)
    }
  })

  it('says nothing more for an answer that asks for the pause that is already running', () => {
    const { gate: g, log } = gate()
    g.answered(429, 20_000, EPOCH + HOUR)
    g.answered(503, 20_000, EPOCH + HOUR)
    expect(log.lines).toHaveLength(1)
    g.answered(503, 20_001, EPOCH + HOUR)
    expect(log.of('debug')).toEqual([
      'VPS.org answered HTTP 503 (Service Unavailable): every request waits 20s (Retry-After). (the pause is extended)'
    ])
  })

  it('starts a new pause, with its own line, once the previous one has ended', async () => {
    const { gate: g, clock, log } = gate()
    g.answered(429, 5000, EPOCH + HOUR)
    ;(await g.enter('x', open, EPOCH + HOUR))()
    g.answered(429, 3000, EPOCH + HOUR)
    await g.enter('x', open, EPOCH + HOUR)
    expect(clock.sleeps).toEqual([5000, 3000])
    expect(log.of('info')).toHaveLength(2)
  })

  it('waits again when the pause is extended while a request sleeps', async () => {
    const clock = fakeClock()
    const extending: Clock = {
      now: clock.now,
      sleep: async (ms, signal) => {
        if (clock.sleeps.length === 0) g.answered(429, 30_000, EPOCH + HOUR)
        await clock.sleep(ms, signal)
      }
    }
    const g = new RequestGate(extending, memoryLogger())
    g.answered(429, 5000, EPOCH + HOUR)
    await g.enter('x', open, EPOCH + HOUR)
    expect(clock.sleeps).toEqual([5000, 25_000])
    expect(clock.now()).toBe(EPOCH + 30_000)
  })

  /** A gate of one slot, paused for `ms`, and a request sleeping through the pause until cancelled. */
  async function sleepingThrough(ms: number) {
    const clock = fakeClock()
    const g = new RequestGate({ now: clock.now, sleep: stuck }, memoryLogger(), 1)
    g.answered(429, ms, EPOCH + HOUR)
    const controller = new AbortController()
    const waiting = g.enter('x', controller.signal, EPOCH + HOUR)
    await settle()
    return { g, clock, controller, waiting }
  }

  it('throws CancelledError at once when cancelled while waiting out a pause, and frees its slot', async () => {
    const { g, clock, controller, waiting } = await sleepingThrough(5000)
    controller.abort()
    expect(await rejection(waiting)).toBeInstanceOf(CancelledError)
    clock.advance(5000)
    const next = entering(g)
    await settle()
    expect(next.entered).toBe(true)
  })

  it('fails at once, without sending, when the pause ends past the deadline, and frees its slot', async () => {
    const { gate: g, clock } = gate(1)
    g.answered(429, 20_000, EPOCH + HOUR)
    const error = await rejection(g.enter('read the status of server 7', open, EPOCH + 10_000))
    expect(error).toBeInstanceOf(PausedError)
    expect((error as PausedError).retryable).toBe(false)
    expect(error.message).toBe(
      'Could not read the status of server 7: not sent: the API asked every request to wait 20s (Retry-After, HTTP 429), past the timeout'
    )
    expect(clock.sleeps).toEqual([])
    // Its slot is free: a request with time enough waits out the pause and gets in.
    await g.enter('x', open, EPOCH + HOUR)
    expect(clock.now()).toBe(EPOCH + 20_000)
  })

  it('holds no slot while waiting out a pause: a request with a nearer deadline fails at once', async () => {
    const { g, controller, waiting } = await sleepingThrough(20_000)
    expect(await rejection(g.enter('x', open, EPOCH + 10_000))).toBeInstanceOf(PausedError)
    controller.abort()
    await rejection(waiting)
  })

  it('gives its slot back and waits out a pause that began while it waited for the slot', async () => {
    const { gate: g, clock } = gate(1)
    const first = entering(g)
    const second = entering(g)
    await settle()
    g.answered(429, 5000, EPOCH + HOUR)
    first.release!()
    await settle()
    expect(second.entered).toBe(true)
    expect(clock.sleeps).toEqual([5000])
    expect(clock.sleptAt).toEqual([EPOCH])
  })

  it('says every request waits when the pause ends exactly at the deadline', () => {
    const { gate: g, log } = gate()
    g.answered(429, 10_000, EPOCH + 10_000)
    expect(log.of('info')).toEqual([
      'VPS.org answered HTTP 429 (Too Many Requests): every request waits 10s (Retry-After).'
    ])
  })

  it('logs an extended pause at debug level, saying so', () => {
    const { gate: g, log } = gate()
    g.answered(429, 5000, EPOCH + HOUR)
    g.answered(429, 8000, EPOCH + HOUR)
    expect(log.of('debug')).toEqual([
      'VPS.org answered HTTP 429 (Too Many Requests): every request waits 8s (Retry-After). (the pause is extended)'
    ])
  })

  it('lets a request in when the pause ends exactly at its deadline', async () => {
    const { gate: g, clock } = gate()
    g.answered(429, 10_000, EPOCH + HOUR)
    await g.enter('x', open, EPOCH + 10_000)
    expect(clock.now()).toBe(EPOCH + 10_000)
  })
})
