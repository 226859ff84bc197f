import { ApiError, CancelledError, PausedError } from '../common/errors.js'
import { API_BACKOFF, backoffDelay, isPaced, isTransient } from '../vpsorg/retry.js'
import type { ServerRuntime } from '../runtime/runtime.js'
import { clearPending, markPending } from '../runtime/outcome.js'

/** Where a request that must not be sent twice stands, before an attempt. */
export interface Attempt {
  /**
   * The failure of the latest attempt whose answer was lost (5xx, network, timeout): that attempt
   * may have been carried out. Undefined while every answer arrived.
   */
  lost?: unknown
}

/** A non-idempotent request (create, restore, delete) and how to tell whether it took effect. */
export interface OnceRequest<T> {
  /** What is left running on VPS.org while the request is out, for a cancellation or a failure. */
  pending: string
  /**
   * Runs before each attempt. `{ value }`: an earlier attempt took effect (its answer was lost), so
   * nothing is sent again and that is the result. Undefined: send. Throws when whether an earlier
   * attempt took effect cannot be told: a failure that says so, never a second request. Absent
   * only for a request that does no harm sent again, whose answer then tells (a delete).
   */
  reconcile?(attempt: Attempt): Promise<{ value: T } | undefined>
  /** One attempt, one request. */
  send(attempt: Attempt): Promise<T>
  /**
   * Set: a 409 (busy with another operation) is waited out with the poll policy, within the
   * timeout, and counts as no attempt. Called first: throws to stop waiting.
   */
  onBusy?(attempt: Attempt): void
  /**
   * The log line before a retry, from what failed, the delay and the attempts failed so far
   * (undefined: a wait the API asked for, which counts as none, isPaced).
   */
  retryLine(failure: string, delayMs: number, failures: number | undefined): string
}

const isBusy = (error: unknown): boolean => error instanceof ApiError && error.status === 409

/**
 * Sends a request that must not be sent twice, until it succeeds or fails for good. Transient
 * failures (429, 5xx, network) are retried with the API's backoff (retry.ts), at most
 * API_BACKOFF.maxAttempts times (a 429 with Retry-After counts as none, isPaced) and never past
 * the deadline; before every attempt `reconcile`
 * decides from the server's state whether an earlier one took effect. A refusal (an answer below
 * 500), or a request the gate did not send (PausedError, or a cancellation while it waited there),
 * means nothing was done: the request is no longer pending, unless an earlier attempt's answer was lost.
 */
export async function sendOnce<T>(rt: ServerRuntime, request: OnceRequest<T>): Promise<T> {
  const { clock, log } = rt
  const attempt: Attempt = {}
  for (let failures = 0, waits = 0; ;) {
    const earlier = await request.reconcile?.(attempt)
    if (earlier) return earlier.value
    markPending(rt.outcome, request.pending)
    try {
      return await request.send(attempt)
    } catch (error) {
      const unsent =
        error instanceof PausedError || (error instanceof CancelledError && error.unsent)
      const refused = error instanceof ApiError && error.status < 500
      // Not sent: pending only if an earlier attempt's answer was lost (it may have been carried out).
      if (refused || (unsent && attempt.lost === undefined)) clearPending(rt.outcome)
      else if (!unsent) attempt.lost = error
      const { onBusy } = request
      const busy = onBusy !== undefined && isBusy(error)
      const paced = isPaced(error, waits)
      if (busy) onBusy(attempt)
      else if (paced) waits++
      else if (!isTransient(error) || ++failures >= API_BACKOFF.maxAttempts) throw error
      const delay = busy
        ? rt.policy(clock.now() - rt.startedAt, rt.random)
        : backoffDelay(failures, error, { ...rt, ...API_BACKOFF })
      if (clock.now() + delay >= rt.deadline) throw error
      const line = request.retryLine((error as Error).message, delay, paced ? undefined : failures)
      log.info(busy ? `${line} (busy: waiting for the other operation to end)` : line)
      await clock.sleep(delay, rt.signal)
    }
  }
}
