/** What the API's (or a proxy's) answers say, read for an error message or a retry. */
import { STATUS_CODES } from 'node:http'
import { shortLine } from '../common/untrusted.js'

/** Milliseconds to wait from a Retry-After header: delta-seconds or an HTTP date. */
export function parseRetryAfter(value: string | undefined, now: number): number | undefined {
  if (!value) return undefined
  const text = value.trim()
  if (/^\d+$/.test(text)) return Number(text) * 1000
  // An HTTP date starts with the day's name (IMF-fixdate, RFC 850, asctime); Date.parse alone
  // would also take "1.5" or "-5" for dates long past.
  const date = /^[A-Za-z]{3}/.test(text) ? Date.parse(text) : Number.NaN
  return Number.isNaN(date) ? undefined : Math.max(0, date - now)
}

/** Deeper than DRF nests its errors (a list of a nested serializer's fields): cut short. */
const MAX_ERROR_DEPTH = 8

/**
 * The messages of a DRF error value: a string; a list of them (`raise ValidationError('…')` in a
 * view answers a bare list), empty entries skipped; or field errors `{"field": ["…"]}`, nested
 * serializers' included, each named by its field (but `non_field_errors`).
 */
function errorText(value: unknown, depth = 0): string {
  if (typeof value === 'string') return value
  if (depth >= MAX_ERROR_DEPTH) return '…'
  // Empty entries leave only spaces, which shortLine() folds.
  if (Array.isArray(value)) return value.map((item) => errorText(item, depth + 1)).join(' ')
  if (value && typeof value === 'object') {
    return Object.entries(value)
      .map(([field, item]) => {
        const messages = errorText(item, depth + 1)
        return field === 'non_field_errors' || !messages ? messages : `${field}: ${messages}`
      })
      .filter(Boolean)
      .join('; ')
  }
  return String(JSON.stringify(value))
}

/**
 * The server's own words from an error body: DRF `detail`, `message`, `error`, field errors, a
 * bare list. An HTML page is described: a 404 one is the host's own "not found" for a path
 * outside the API (api_url without /api/v1), any other likely a proxy's or load balancer's.
 */
export function errorMessage(body: string, status: number): string {
  const statusText = STATUS_CODES[status] ?? ''
  const text = withoutBom(body).trim()
  if (!text) return statusText || 'empty response'
  try {
    const json: unknown = JSON.parse(text)
    if (json && typeof json === 'object' && !Array.isArray(json)) {
      const record = json as Record<string, unknown>
      for (const key of ['detail', 'message', 'error']) {
        if (typeof record[key] === 'string') return shortLine(record[key])
      }
    }
    const messages = typeof json === 'object' ? shortLine(errorText(json)) : ''
    if (messages) return messages
  } catch {
    // not JSON: a proxy or load balancer answered, or the host outside the API
  }
  if (/^\s*</.test(text)) {
    const title = /<title[^>]*>([^<]*)<\/title>/i.exec(text)?.[1]?.trim()
    const page = `an HTML page${title ? ` titled "${shortLine(title)}"` : ''}`
    return status === 404
      ? `${statusText} (${page}, not an answer of the API: check api_url, the API's base URL, e.g. https://admin.vps.org/api/v1)`
      : `${statusText || 'error'} (${page}, likely from a proxy or load balancer)`
  }
  return shortLine(text)
}

/** A byte-order mark before JSON is allowed (RFC 8259 lets a parser ignore it). */
export const withoutBom = (text: string): string => text.replace(/^\uFEFF/, '')

/**
 * `text` as a sentence of its own, to write ours after it: a server's message ends as it is when
 * it ends a sentence (`… in 1 second.`), with a full stop otherwise (`HTTP 503: Down.`).
 */
export const sentence = (text: string): string => (/[.!?…]["')\]]*$/.test(text) ? text : `${text}.`)

/** A proxy that refused to connect us, e.g. `Proxy response (407) !== 200 when HTTP Tunneling`. */
export const PROXY_REFUSAL = /Proxy response \((\d{3})\)/

export function networkReason(error: unknown): string {
  const cause = error instanceof Error && error.cause instanceof Error ? error.cause : error
  const code = (cause as { code?: unknown } | undefined)?.code
  const message = cause instanceof Error ? cause.message : String(cause)
  return `network error: ${typeof code === 'string' ? `${code} ` : ''}${message}`.trim()
}
