import { type Dispatcher, fetch as undiciFetch } from 'undici'
import { errorMessage, networkReason, parseRetryAfter, withoutBom } from '../vpsorg/api-errors.js'
import type { Clock } from '../common/clock.js'
import { formatDuration } from '../common/duration.js'
import { ActionError, ApiError, CancelledError, TransportError } from '../common/errors.js'
import type { Logger } from '../common/log.js'
import { API_BACKOFF, isTransient, retry, retryLine } from '../vpsorg/retry.js'
import { scrubJson, scrubber } from '../common/untrusted.js'

/**
 * The one fetch every GitHub API request of the action goes through (runs.ts gives it to
 * Octokit): github_token only to GITHUB_API_URL's origin, no redirect followed, each answer within
 * a size cap and its share of the deadline, retried on 5xx, network errors and rate limits, and
 * scrubbed of the token before Octokit, let alone the log, sees it.
 */

export type Fetch = (url: string, init: RequestInit) => Promise<Response>

export interface GitHubOptions {
  token: string
  /** `owner/repo`: the repository whose runs are read. */
  repository: string
  apiUrl: string
  signal: AbortSignal
  /** No request of the step starts, and no retry waits, past this moment (clock time). */
  deadline: number
  clock: Clock
  random: () => number
  log: Logger
  /** The action's proxy dispatcher (dispatcher.ts). */
  dispatcher?: Dispatcher
  /** The fetch under the guard: undici's, through `dispatcher`, unless a test gives its own. */
  fetch?: Fetch
  requestTimeoutMs?: number
  maxBodyBytes?: number
}

/** The largest answer read: a page of 100 jobs with their steps is well under 1 MB. */
const MAX_BODY_BYTES = 8 * 1024 * 1024
/** GitHub asks a client over a secondary rate limit without Retry-After to wait a minute. */
const SECONDARY_WAIT_MS = 60_000

/** GitHub's rate limit: a 429, or a 403 with no requests left or a secondary-limit message. */
export function isRateLimit(status: number, headers: Headers, text: string): boolean {
  return (
    status === 429 ||
    (status === 403 && (headers.get('x-ratelimit-remaining') === '0' || /rate limit/i.test(text)))
  )
}

/** When the rate limit resets (x-ratelimit-reset, epoch seconds), if GitHub gave a usable time. */
export function resetAt(headers: Headers): number | undefined {
  const reset = Number(headers.get('x-ratelimit-reset'))
  // Before 1 January 5138: a time any Date can show.
  return Number.isInteger(reset) && reset > 0 && reset < 1e11 ? reset * 1000 : undefined
}

/** How long a rate limit asks to wait: Retry-After, else until x-ratelimit-reset, else a minute. */
function rateLimitWait(headers: Headers, now: number): number {
  const reset = resetAt(headers)
  return (
    parseRetryAfter(headers.get('retry-after') ?? undefined, now) ??
    (reset === undefined ? SECONDARY_WAIT_MS : Math.max(0, reset - now))
  )
}

/** An answer worth another request (5xx, rate limit), kept to give Octokit if none comes. */
class RetryableAnswer extends ApiError {
  constructor(
    operation: string,
    status: number,
    message: string,
    retryAfterMs: number | undefined,
    readonly response: Response,
    /** A rate limit: GitHub refused the request before acting on it. */
    readonly rateLimited: boolean
  ) {
    super(operation, status, message, retryAfterMs)
  }
}

/** The headers Octokit and the retries read; the rest (e.g. `deprecation`, which Octokit logs) stay out. */
const KEPT_HEADERS = new Set([
  'link',
  'content-type',
  'retry-after',
  'x-ratelimit-remaining',
  'x-ratelimit-reset'
])

/**
 * The fetch Octokit is given: every request to the API's origin only, no redirect followed, each
 * answer read within `maxBodyBytes` and the request's share of the deadline, scrubbed of the
 * token; 5xx, network failures and rate limits retried within the deadline.
 */
export function guardedFetch(options: GitHubOptions): Fetch {
  const { clock, signal, deadline, log } = options
  const origin = new URL(options.apiUrl).origin
  const scrub = scrubber(options.token)
  const maxBodyBytes = options.maxBodyBytes ?? MAX_BODY_BYTES
  const requestTimeoutMs = options.requestTimeoutMs ?? 30_000
  const inner: Fetch =
    options.fetch ??
    ((url, init) =>
      undiciFetch(url, {
        ...(init as object),
        dispatcher: options.dispatcher
      }) as unknown as Promise<Response>)

  /** The body, within the cap; scrubbed of the token in every string (JSON) or as a whole. */
  async function read(operation: string, response: Response): Promise<string> {
    const chunks: Uint8Array[] = []
    let size = 0
    for await (const chunk of response.body ?? []) {
      size += (chunk as Uint8Array).length
      // Throwing ends the loop, which cancels the rest of the body.
      if (size > maxBodyBytes) {
        throw new TransportError(
          operation,
          `the answer was larger than ${maxBodyBytes} bytes`,
          false
        )
      }
      chunks.push(chunk as Uint8Array)
    }
    const body = withoutBom(Buffer.concat(chunks).toString('utf8'))
    try {
      return JSON.stringify(scrubJson(JSON.parse(body), scrub))
    } catch {
      return scrub(body)
    }
  }

  async function once(operation: string, url: string, init: RequestInit): Promise<Response> {
    // Each request's share: at most requestTimeoutMs, and a third of the time left, so that a
    // hung request leaves time to retry it.
    const budget = Math.floor(
      Math.max(1000, Math.min(requestTimeoutMs, (deadline - clock.now()) / 3))
    )
    const timeout = AbortSignal.timeout(budget)
    try {
      const response = await inner(url, {
        ...init,
        redirect: 'manual',
        signal: AbortSignal.any([signal, timeout])
      })
      const { status } = response
      if (status >= 300 && status < 400) {
        await response.body?.cancel()
        throw new TransportError(
          operation,
          `the API answered HTTP ${status}, a redirect; redirects are not followed, so that github_token is only sent to ${origin}`,
          false
        )
      }
      const body = await read(operation, response)
      const headers = new Headers([...response.headers].filter(([name]) => KEPT_HEADERS.has(name)))
      const answer = new Response(status === 204 || status === 205 ? null : body, {
        status,
        headers
      })
      // Octokit's pagination reads the answer's URL.
      Object.defineProperty(answer, 'url', { value: url })
      const again = (wait: number | undefined, rateLimited = false): RetryableAnswer =>
        new RetryableAnswer(
          operation,
          status,
          errorMessage(body, status),
          wait,
          answer,
          rateLimited
        )
      if (isRateLimit(status, headers, body)) throw again(rateLimitWait(headers, clock.now()), true)
      if ([500, 502, 503, 504].includes(status)) {
        throw again(parseRetryAfter(headers.get('retry-after') ?? undefined, clock.now()))
      }
      return answer
    } catch (error) {
      if (signal.aborted) throw new CancelledError()
      if (error instanceof ActionError) throw error
      if (timeout.aborted) {
        throw new TransportError(operation, `no answer within ${formatDuration(budget)}`, true)
      }
      throw new TransportError(operation, scrub(networkReason(error)), true)
    }
  }

  return async (url, init) => {
    const target = new URL(url)
    const method = (init.method ?? 'GET').toUpperCase()
    const verb = method === 'GET' ? 'read' : 'send'
    const operation = `${verb} ${scrub(target.pathname)} ${verb === 'read' ? 'from' : 'to'} the GitHub API`
    if (target.origin !== origin) {
      throw new TransportError(
        operation,
        `the API pointed to another origin (${scrub(target.origin)}); github_token is only sent to ${origin}`,
        false
      )
    }
    try {
      return await retry(() => once(operation, url, init), {
        ...API_BACKOFF,
        deadline,
        clock,
        random: options.random,
        signal,
        // A request that creates something (POST) is sent again only after a rate limit, which
        // GitHub answers before acting: after a 5xx or a lost answer it may have acted already.
        shouldRetry: (error) =>
          (error instanceof RetryableAnswer || isTransient(error)) &&
          (method === 'GET' || (error instanceof RetryableAnswer && error.rateLimited)),
        onRetry: ({ attempt, error, delayMs, paced }) =>
          log.info(retryLine((error as Error).message, delayMs, paced ? undefined : attempt))
      })
    } catch (error) {
      // The last answer goes to Octokit, which makes it an error with its status and headers.
      if (error instanceof RetryableAnswer) return error.response
      throw error
    }
  }
}
