/**
 * Expected failures. Each carries a message written for the workflow log: one line that says what
 * failed and what to do. `run()` prints these without a stack trace; anything else is a bug.
 */
export class ActionError extends Error {
  override name = 'ActionError'
}

/** An input is missing or malformed. Raised before any request is made. */
export class InputError extends ActionError {
  override name = 'InputError'
  constructor(
    readonly input: string,
    readonly expected: string,
    received?: string
  ) {
    super(
      `Input '${input}' ${expected}` +
        (received === undefined ? '' : `, got ${JSON.stringify(received)}`) +
        '.'
    )
  }
}

/** The API answered with an error status. */
export class ApiError extends ActionError {
  override name = 'ApiError'
  constructor(
    readonly operation: string,
    readonly status: number,
    readonly serverMessage: string,
    readonly retryAfterMs?: number
  ) {
    super(`Could not ${operation}: HTTP ${status}: ${serverMessage}`)
  }
}

/**
 * No usable answer: the connection failed, the request timed out, or the answer was not one the
 * action can use (a body not of the documented shape, a redirect, a list that does not end).
 * `retryable`: sending the request again may help. `status`: the HTTP status of an answer whose
 * body could not be used (a 2xx means the API carried the request out).
 */
export class TransportError extends ActionError {
  override name = 'TransportError'
  constructor(
    readonly operation: string,
    readonly reason: string,
    readonly retryable: boolean,
    readonly status?: number
  ) {
    super(`Could not ${operation}: ${reason}`)
  }
}

/**
 * A request the action did not send: the API had asked every request to wait (a 429, or a 503 with
 * Retry-After, to any request) until past the deadline (gate.ts). Nothing was done on VPS.org.
 */
export class PausedError extends TransportError {
  override name = 'PausedError'
  constructor(operation: string, reason: string) {
    super(operation, reason, false)
  }
}

/** The workflow was cancelled while the action was working. */
export class CancelledError extends ActionError {
  override name = 'CancelledError'
  /** `unsent`: the cancellation stopped a request before it was sent (waiting at the gate). */
  constructor(readonly unsent = false) {
    super('Cancelled')
  }
}
