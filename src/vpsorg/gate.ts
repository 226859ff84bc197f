import { STATUS_CODES } from 'node:http'
import type { Clock } from '../common/clock.js'
import { formatDuration } from '../common/duration.js'
import { CancelledError, PausedError } from '../common/errors.js'
import type { Logger } from '../common/log.js'

/**
 * At most this many requests are in flight against VPS.org at once, however many servers a step
 * acts on: the API's limits are per account, and a fleet of 50 must not open 50 connections.
 */
export const MAX_IN_FLIGHT = 8

/** Every request waits until `until` (clock time), after an answer of HTTP `status`. */
interface Pause {
  until: number
  status: number
}

/** Frees the slot a request held; call it once, when the answer's body has been read. */
export type Release = () => void

/**
 * The one door every request of a VpsOrgClient (and of its withDeadline() copies) goes through:
 * at most `maxInFlight` requests in flight, first come first served, and a shared pause.
 *
 * Once the API has answered a 429 it limits the rate (DRF's throttles count every request in a
 * sliding window), so from then on one request at a time: requests sent together when a pause
 * ends would meet the limit together and all but the first few come back 429, where one after
 * the other at most one is refused per window.
 *
 * A 429, or a 503 with a Retry-After, pauses every request until Retry-After has passed: no
 * request is sent until then, so N servers do not hammer the API independently. When pauses
 * overlap, the one that ends last wins. A 429 without Retry-After pauses nothing: it gives no
 * figure to share, and the request that got it backs off on its own (retry.ts, with jitter) as
 * every other request that gets one does. The request that got the answer is retried by its
 * caller as before; the gate only holds the others.
 *
 * Waiting never outlives the caller: a cancellation throws CancelledError at once, a pause
 * that ends past the caller's deadline throws PausedError at once (the request is not sent)
 * rather than wait past it, and a request handed a slot after its deadline is not sent either
 * (PausedError: a queued request starts only within its deadline). A request waiting out a pause
 * holds no slot, so a slot is only ever waited for while other requests are in flight (each
 * within its own request timeout). A request alone never waits: one at a time, the gate is open.
 */
export class RequestGate {
  private inFlight = 0
  /** Requests waiting for a slot, first in first out; each is handed a slot when one frees. */
  private readonly queue: (() => void)[] = []
  private pause: Pause | undefined
  /** A 429 was answered: the API limits the rate, so one request at a time from then on. */
  private throttled = false

  constructor(
    private readonly clock: Clock,
    private readonly log: Logger,
    private readonly maxInFlight: number = MAX_IN_FLIGHT
  ) {}

  /**
   * Waits for a slot and for the end of any pause, then returns the function that frees the slot.
   * `operation` names the request in a PausedError ("create a backup of server 12345").
   */
  async enter(operation: string, signal: AbortSignal, deadline: number): Promise<Release> {
    if (signal.aborted) throw new CancelledError(true)
    for (;;) {
      await this.waitOutPause(operation, signal, deadline)
      const queued = await this.slot(signal)
      if (queued && this.clock.now() > deadline) {
        // Its deadline passed while it waited for a slot: the slot goes on, the request is not sent.
        this.release()
        throw new PausedError(
          operation,
          `not sent: the timeout passed while it waited for its turn (${this.limit()} in flight at most)`
        )
      }
      if (!this.current()) return () => this.release()
      // A pause began (or was extended) while this request waited: wait it out without a slot.
      this.release()
    }
  }

  /**
   * An answer of the API: a 429, or a 503 with a Retry-After, pauses every request for
   * `retryAfterMs` from now (unless a pause already ends later). Logs one line when a pause starts,
   * which says when the pause outlasts `deadline` (the deadline of the request that got it).
   */
  answered(status: number, retryAfterMs: number | undefined, deadline: number): void {
    if (status === 429) this.throttled = true
    if (retryAfterMs === undefined || retryAfterMs <= 0) return
    if (status !== 429 && status !== 503) return
    const now = this.clock.now()
    const until = now + retryAfterMs
    const running = this.current()
    if (running && running.until >= until) return
    this.pause = { until, status }
    const wait =
      until > deadline
        ? `it asks every request to wait ${formatDuration(retryAfterMs)} (Retry-After), longer than the ${formatDuration(Math.max(0, deadline - now))} left before the timeout`
        : `every request waits ${formatDuration(retryAfterMs)} (Retry-After)`
    const line = `VPS.org answered HTTP ${status} (${STATUS_CODES[status]}): ${wait}.`
    if (running) this.log.debug(`${line} (the pause is extended)`)
    else this.log.info(line)
  }

  /** Takes a slot, waiting for one if need be: true when it had to wait. */
  private async slot(signal: AbortSignal): Promise<boolean> {
    if (this.inFlight < this.limit()) {
      this.inFlight++
      return false
    }
    await new Promise<void>((resolve, reject) => {
      const granted = (): void => {
        signal.removeEventListener('abort', cancelled)
        resolve()
      }
      const cancelled = (): void => {
        this.queue.splice(this.queue.indexOf(granted), 1)
        reject(new CancelledError(true))
      }
      this.queue.push(granted)
      signal.addEventListener('abort', cancelled, { once: true })
    })
    return true
  }

  /** How many requests may be in flight now. */
  private limit(): number {
    return this.throttled ? 1 : this.maxInFlight
  }

  /**
   * The slot goes to the first request waiting for one, if any (so inFlight stays the same),
   * unless more are in flight than the limit now allows (a 429 lowered it).
   */
  private release(): void {
    const next = this.inFlight > this.limit() ? undefined : this.queue.shift()
    if (next) next()
    else this.inFlight--
  }

  /** The pause that holds now, if any. */
  private current(): Pause | undefined {
    return this.pause && this.clock.now() < this.pause.until ? this.pause : undefined
  }

  /** Sleeps until the pause that holds now ends, holding no slot (so a slot only waits for requests). */
  private async waitOutPause(operation: string, signal: AbortSignal, deadline: number) {
    const pause = this.current()
    if (!pause) return
    const left = pause.until - this.clock.now()
    if (pause.until > deadline) {
      throw new PausedError(
        operation,
        `not sent: the API asked every request to wait ${formatDuration(left)} (Retry-After, HTTP ${pause.status}), past the timeout`
      )
    }
    await this.clock.sleep(left, signal)
  }
}
