import { sentence } from './api-errors.js'
import type { Clock } from '../common/clock.js'
import { formatDuration } from '../common/duration.js'
import { ApiError, TransportError } from '../common/errors.js'

/** The retry budget of every API request: attempts in all, and the backoff's first and longest step. */
export const API_BACKOFF = { maxAttempts: 5, baseDelayMs: 1000, maxDelayMs: 30_000 } as const

export interface RetryOptions {
  /** Attempts in all, the first included. */
  maxAttempts: number
  baseDelayMs: number
  maxDelayMs: number
  /** No attempt starts after this instant (clock time), and no sleep runs past it. */
  deadline: number
  clock: Clock
  random: () => number
  signal?: AbortSignal
  /** Which failures are worth another attempt. */
  shouldRetry: (error: unknown) => boolean
  /**
   * Called before each sleep, to log the attempts failed so far, what failed and the delay;
   * `paced`: the API said when to come back (see isPaced), so this one did not count.
   */
  onRetry?: (info: { attempt: number; error: unknown; delayMs: number; paced: boolean }) => void
}

/**
 * The log line before a retry, what failed as a sentence of its own (a server's message may end
 * one): `…: HTTP 503: Down. Retrying in 1s (attempt 2 of 5)`. `failures` undefined: a wait the
 * API asked for, which counts as no attempt (isPaced): `… Retrying in 2s, as the API asked`.
 */
export function retryLine(
  failure: string,
  delayMs: number,
  failures: number | undefined,
  maxAttempts: number = API_BACKOFF.maxAttempts
): string {
  const which =
    failures === undefined
      ? ', as the API asked (Retry-After)'
      : ` (attempt ${failures + 1} of ${maxAttempts})`
  return `${sentence(failure)} Retrying in ${formatDuration(delayMs)}${which}`
}

/** The most waits one request makes that count as no attempt (isPaced); later ones count. */
export const MAX_PACED_WAITS = 20

/**
 * A 429 with a Retry-After (of a second or more): the API is busy with our other requests (a rate
 * limit) and said when to come back, so nothing failed. Waiting it out counts as no attempt, up to
 * MAX_PACED_WAITS times a request, within the deadline: a fleet under a rate limit that admits
 * fewer requests per window than it has servers would otherwise run out of attempts while each
 * request waits its turn. `Retry-After: 0` paces nothing: it counts, as a 429 without it does.
 */
export const isPaced = (error: unknown, waitsSoFar: number): boolean =>
  error instanceof ApiError &&
  error.status === 429 &&
  (error.retryAfterMs ?? 0) >= 1000 &&
  waitsSoFar < MAX_PACED_WAITS

/** 429, 500 and the gateway errors are transient; so is a connection or body failure. */
export function isTransient(error: unknown): boolean {
  if (error instanceof ApiError) return [429, 500, 502, 503, 504].includes(error.status)
  return error instanceof TransportError && error.retryable
}

/**
 * Capped exponential backoff with equal jitter (between half and all of the step). A server's
 * Retry-After is honoured in full: the cap is ours, not the server's. Never sleeps past the
 * deadline (retry() then gives up at once rather than retry too early).
 */
export function backoffDelay(
  attempt: number,
  error: unknown,
  options: Pick<RetryOptions, 'baseDelayMs' | 'maxDelayMs' | 'deadline' | 'clock' | 'random'>
): number {
  const retryAfter = error instanceof ApiError ? error.retryAfterMs : undefined
  const exponential = Math.min(options.maxDelayMs, options.baseDelayMs * 2 ** (attempt - 1))
  const delay =
    retryAfter !== undefined ? retryAfter : exponential / 2 + (options.random() * exponential) / 2
  return Math.max(0, Math.min(delay, options.deadline - options.clock.now()))
}

/**
 * Runs `operation` until it succeeds, fails with an error `shouldRetry` refuses, runs out of
 * attempts (a wait the API asked for is none, isPaced) or would start after the deadline. The
 * last error is rethrown as it is.
 */
export async function retry<T>(
  operation: (attempt: number) => Promise<T>,
  options: RetryOptions
): Promise<T> {
  for (let attempt = 1, failures = 0, waits = 0; ; attempt++) {
    try {
      return await operation(attempt)
    } catch (error) {
      if (!options.shouldRetry(error)) throw error
      const paced = isPaced(error, waits)
      if (paced) waits++
      else if (++failures >= options.maxAttempts) throw error
      const delayMs = backoffDelay(failures, error, options)
      if (options.clock.now() + delayMs >= options.deadline) throw error
      options.onRetry?.({ attempt: failures, error, delayMs, paced })
      await options.clock.sleep(delayMs, options.signal)
    }
  }
}
