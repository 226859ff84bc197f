import { STATUS_CODES } from 'node:http'
import {
  PROXY_REFUSAL,
  errorMessage,
  networkReason,
  parseRetryAfter,
  withoutBom
} from './api-errors.js'
import type { Page } from './api-types.js'
import type { Clock } from '../common/clock.js'
import { formatDuration } from '../common/duration.js'
import { ActionError, ApiError, CancelledError, TransportError } from '../common/errors.js'
import { type Scrub, scrubJson, shortLine } from '../common/untrusted.js'

/**
 * What the client (client.ts) makes of what comes back: a body read within its cap, an answer's
 * status, headers and JSON checked and scrubbed, a failed request named. No request is made here.
 */

export type Headers = Record<string, string | string[] | undefined>

/** An answer of the API: its status, headers, size in bytes and parsed body. */
export interface Answer {
  status: number
  headers: Headers
  bytes: number
  json: unknown
}

/** What reading an answer needs of the client. */
export interface Reading {
  /** Applied to every text the API sends, before anything else sees it. */
  scrub: Scrub
  clock: Clock
  /** Told of every error status and its Retry-After (the request gate). */
  answered: (status: number, retryAfterMs: number | undefined) => void
}

/** What an answer means: its JSON (every string scrubbed of the token), or an error. */
export function interpret(
  operation: string,
  status: number,
  headers: Headers,
  raw: Buffer,
  { scrub, clock, answered }: Reading
): Answer {
  const text = withoutBom(raw.toString('utf8'))
  if (status >= 300 && status < 400) {
    const location = headers.location ? scrub(shortLine(String(headers.location))) : ''
    throw new TransportError(
      operation,
      location
        ? `the API answered HTTP ${status} with a redirect to ${location}; redirects are not followed so that the token is only sent to api_url (set api_url to the final address)`
        : `the API answered HTTP ${status} (${STATUS_CODES[status] ?? 'a redirection'}), an answer the action cannot use (the API documents a 2xx answer here)`,
      false
    )
  }
  if (status >= 400) {
    const retryAfter = parseRetryAfter(String(headers['retry-after'] ?? ''), clock.now())
    answered(status, retryAfter)
    const message = errorMessage(scrub(text), status)
    throw new ApiError(operation, status, scrub(message), retryAfter)
  }
  const answer = { status, headers, bytes: raw.length }
  if (!text.trim()) return { ...answer, json: undefined }
  try {
    return { ...answer, json: scrubJson(JSON.parse(text), scrub) }
  } catch {
    throw new TransportError(operation, `HTTP ${status} with a body that is not JSON`, true, status)
  }
}

/** Reads a body up to the size cap. */
export async function readBody(
  operation: string,
  body: AsyncIterable<Buffer> & { destroy(): void },
  status: number,
  maxBodyBytes: number
): Promise<Buffer> {
  const chunks: Buffer[] = []
  let size = 0
  for await (const chunk of body) {
    size += chunk.length
    if (size > maxBodyBytes) {
      body.destroy()
      throw new TooLargeError(
        operation,
        `the answer was larger than ${maxBodyBytes} bytes`,
        false,
        status
      )
    }
    chunks.push(chunk)
  }
  return Buffer.concat(chunks)
}

/** An answer larger than the size cap. */
export class TooLargeError extends TransportError {}

/**
 * The error a request that got no usable answer ends in: cancelled, its own timeout, a proxy that
 * wants credentials, or the network's reason (an ActionError, e.g. an answer's, as it is).
 */
export function requestFailure(
  operation: string,
  error: unknown,
  signal: AbortSignal,
  timeout: AbortSignal,
  budget: number
): Error {
  if (signal.aborted) return new CancelledError()
  if (error instanceof ActionError) return error
  if (timeout.aborted) {
    return new TransportError(operation, `no answer within ${formatDuration(budget)}`, true)
  }
  const proxyStatus = PROXY_REFUSAL.exec(String((error as Error).message))?.[1]
  if (proxyStatus === '407') {
    return new TransportError(
      operation,
      'the proxy asked for credentials (HTTP 407): check the user and password in HTTPS_PROXY / HTTP_PROXY',
      false
    )
  }
  return new TransportError(operation, networkReason(error), true)
}

/** A page link of a listing, refused unless it is on the API's origin (the token goes there). */
export function sameOrigin(operation: string, link: string, base: URL): URL {
  const url = new URL(link, base)
  if (url.origin !== base.origin) {
    throw new TransportError(
      operation,
      `the API pointed to another origin (${url.origin}); the token is only sent to ${base.origin}`,
      false
    )
  }
  return url
}

/** A 2xx answer without the shape the API documents. */
export function unexpected(operation: string): TransportError {
  return new TransportError(
    operation,
    'the answer does not have the shape the API documents',
    false
  )
}

/** A listing's bounds: the most pages and bytes it reads, and whether its deadline has passed. */
export interface ListBounds {
  maxPages: number
  maxListBytes: number
  pastDeadline: () => boolean
}

/** Every listing ends: no page twice, and within the page and byte bounds and the deadline. */
export function checkListing(
  operation: string,
  seen: Set<string>,
  next: URL,
  bytes: number,
  { maxPages, maxListBytes, pastDeadline }: ListBounds
): void {
  const read = `after ${seen.size} pages (${bytes} bytes)`
  if (seen.has(next.href)) {
    throw new TransportError(operation, `the API paginates in a loop ${read}`, false)
  }
  if (seen.size >= maxPages || bytes >= maxListBytes) {
    throw new TransportError(
      operation,
      `the API's list goes on ${read}, past the most the action reads (${maxPages} pages, ${maxListBytes} bytes)`,
      false
    )
  }
  // The first page is read even at the deadline (a wait's last look is made at it).
  if (seen.size > 0 && pastDeadline()) {
    throw new TransportError(operation, `the list did not end within timeout ${read}`, false)
  }
  seen.add(next.href)
}

/**
 * How many pages a list takes, by its first page: `count` over the page's length when there is a
 * `next` (page-number pagination's pages are alike), else this one. Undefined when unsaid.
 */
export function pagesOf(page: Page<unknown>): number | undefined {
  if (!page.next) return 1
  if (page.count === undefined || !page.results.length) return undefined
  return Math.ceil(page.count / page.results.length)
}
