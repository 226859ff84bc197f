/** What the API's (or a proxy's) answers say, read for an error message or a retry. */

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

/** A field error's text: DRF sends a list of strings, a server may send anything. */
function fieldText(value: unknown): string {
  if (typeof value === 'string') return value
  return Array.isArray(value) ? value.map(fieldText).join(' ') : String(JSON.stringify(value))
}

/** The server's own words from an error body: DRF `detail`, `message`, `error`, field errors. */
export function errorMessage(body: string, statusText: string): string {
  const text = withoutBom(body).trim()
  if (!text) return statusText || 'empty response'
  try {
    const json: unknown = JSON.parse(text)
    if (json && typeof json === 'object' && !Array.isArray(json)) {
      const record = json as Record<string, unknown>
      for (const key of ['detail', 'message', 'error']) {
        if (typeof record[key] === 'string') return oneLine(record[key])
      }
      const fields = Object.entries(record).map(([field, value]) => {
        const messages = fieldText(value)
        return field === 'non_field_errors' ? messages : `${field}: ${messages}`
      })
      if (fields.length) return oneLine(fields.join('; '))
    }
  } catch {
    // not JSON: a proxy or load balancer answered
  }
  if (/^\s*</.test(text)) {
    const title = /<title[^>]*>([^<]*)<\/title>/i.exec(text)?.[1]?.trim()
    return `${statusText || 'error'} (an HTML page${title ? ` titled "${oneLine(title)}"` : ''}, likely from a proxy or load balancer)`
  }
  return oneLine(text)
}

/** A byte-order mark before JSON is allowed (RFC 8259 lets a parser ignore it). */
export const withoutBom = (text: string): string => text.replace(/^\uFEFF/, '')

export function oneLine(text: string): string {
  const line = text.replace(/\s+/g, ' ').trim()
  return line.length > 300 ? `${line.slice(0, 299)}…` : line
}

/** A proxy that refused to connect us, e.g. `Proxy response (407) !== 200 when HTTP Tunneling`. */
export const PROXY_REFUSAL = /Proxy response \((\d{3})\)/

export function networkReason(error: unknown): string {
  const cause = error instanceof Error && error.cause instanceof Error ? error.cause : error
  const code = (cause as { code?: unknown } | undefined)?.code
  const message = cause instanceof Error ? cause.message : String(cause)
  return `network error: ${typeof code === 'string' ? `${code} ` : ''}${message}`.trim()
}
