import { connect } from 'node:net'
import { type Dispatcher, request } from 'undici'
import { networkReason } from '../vpsorg/api-errors.js'
import { formatDuration } from '../common/duration.js'
import { CancelledError } from '../common/errors.js'
import type { HealthCheck } from '../inputs/settings.js'
import type { ProbeResult, Prober } from './probing.js'

/** Each probe is abandoned after this long (or sooner, at the checks' deadline) and fails. */
export const PROBE_TIMEOUT_MS = 10_000
/** Redirects a check follows itself, so that credentials stay with the URL's own origin. */
export const MAX_REDIRECTS = 5
/** How much of a body health_contains looks at. */
export const MAX_BODY_BYTES = 1024 * 1024

export interface ProbeOptions {
  /** The same dispatcher as the API client's, so HTTPS_PROXY/HTTP_PROXY/NO_PROXY apply alike. */
  dispatcher: Dispatcher
  userAgent: string
  /** HTTP checks pass only if the body's first MAX_BODY_BYTES contain this; '' = any body. */
  contains: string
  /** Each probe's own limit; default PROBE_TIMEOUT_MS. */
  timeoutMs?: number
}

/**
 * The app checks' edge: a GET for http(s) checks (through `dispatcher`), a direct TCP connection
 * for tcp checks. Each probe ends within `timeoutMs` and within the `limitMs` it is given,
 * headers, redirects and body included; only cancellation makes it reject. It sends no header but
 * the user agent, and Basic authentication from the URL's user-info to that URL's origin: never
 * the VPS.org token.
 */
export function createProber(options: ProbeOptions): Prober {
  return async (check, cancel, limitMs) => {
    const timeoutMs = Math.min(options.timeoutMs ?? PROBE_TIMEOUT_MS, limitMs)
    const timeout = AbortSignal.timeout(timeoutMs)
    const signal = AbortSignal.any([cancel, timeout])
    // The status of the answer whose body is being read, for a body that does not end in time.
    const reading: { status?: number } = {}
    try {
      return await (check.kind === 'tcp'
        ? probeTcp(check.host, check.port, signal)
        : probeHttp(check, options, signal, reading))
    } catch (error) {
      if (cancel.aborted) throw new CancelledError()
      if (!timeout.aborted) return { ok: false, answer: networkReason(error) }
      const within = `within ${formatDuration(timeoutMs)} (abandoned)`
      return {
        ok: false,
        abandoned: true,
        answer:
          reading.status === undefined
            ? `nothing ${within}`
            : `HTTP ${reading.status} without the health_contains text ${within}`
      }
    }
  }
}

async function probeHttp(
  check: Extract<HealthCheck, { kind: 'http' }>,
  options: ProbeOptions,
  signal: AbortSignal,
  reading: { status?: number }
): Promise<ProbeResult> {
  const origin = new URL(check.target).origin
  let url = new URL(check.target)
  for (let redirects = 0; ; redirects++) {
    const headers: Record<string, string> = { 'user-agent': options.userAgent }
    if (check.credentials && url.origin === origin) {
      const { username, password } = check.credentials
      headers.authorization = `Basic ${Buffer.from(`${username}:${password}`).toString('base64')}`
    }
    const response = await request(url, { dispatcher: options.dispatcher, signal, headers })
    const status = response.statusCode
    const healthy = status >= 200 && status < 300
    if (!healthy || !options.contains) {
      // Only the status counts: the body is not waited for.
      discard(response.body)
      const location = response.headers.location
      if (status < 300 || status >= 400 || typeof location !== 'string') {
        return { ok: healthy, answer: `HTTP ${status}` }
      }
      if (redirects === MAX_REDIRECTS) {
        return { ok: false, answer: `HTTP ${status}: more than ${MAX_REDIRECTS} redirects` }
      }
      url = new URL(location, url)
      if (url.protocol !== 'http:' && url.protocol !== 'https:') {
        return { ok: false, answer: `HTTP ${status}: a redirect to a ${url.protocol} URL` }
      }
      continue
    }
    reading.status = status
    const found = await bodyContains(response.body, options.contains)
    return found
      ? { ok: true, answer: `HTTP ${status}` }
      : { ok: false, answer: `HTTP ${status} without the health_contains text in the body` }
  }
}

type Body = Dispatcher.ResponseData['body']

/** Stops reading a body, whether it ended or not (undici then reports an abort, which is expected). */
function discard(body: Body): void {
  body.on('error', () => {}).destroy()
}

/** Whether the body's first MAX_BODY_BYTES contain `text`; stops reading once they do. */
async function bodyContains(body: Body, text: string): Promise<boolean> {
  let seen = Buffer.alloc(0)
  for await (const chunk of body as AsyncIterable<Buffer>) {
    seen = Buffer.concat([seen, chunk]).subarray(0, MAX_BODY_BYTES)
    // Leaving the loop destroys the body.
    if (seen.includes(text) || seen.length >= MAX_BODY_BYTES) break
  }
  return seen.includes(text)
}

/** Opens a TCP connection directly (no proxy) and closes it at once. */
function probeTcp(host: string, port: number, signal: AbortSignal): Promise<ProbeResult> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host, port, signal })
    socket.once('connect', () => {
      socket.destroy()
      resolve({ ok: true, answer: 'connected' })
    })
    socket.once('error', reject)
  })
}
