import { parseDuration } from '../common/duration.js'
import { InputError } from '../common/errors.js'
import type { InputName, InputReader } from './settings.js'

/** The parsers of single input values: numbers, durations, booleans, URLs. */

const MAX_TIMEOUT_MS = 24 * 3_600_000
const MAX_POLL_INTERVAL_S = 3600
const LOOPBACK = /^(localhost|127(\.\d{1,3}){3}|\[::1\])$/i

/** A strictly positive decimal integer: no sign, exponent, hex, fraction, padding or overflow. */
export function parsePositiveInteger(text: string): number | undefined {
  if (!/^[1-9]\d*$/.test(text)) return undefined
  const value = Number(text)
  return Number.isSafeInteger(value) ? value : undefined
}

/** The raw value: a backup id is taken as it is, so ` 12 ` is refused like any malformed id. */
export function required(read: InputReader, name: InputName, expected: string): string {
  const value = read(name)
  if (!value.trim()) throw new InputError(name, `is required: ${expected}`)
  return value
}

/** `text` as a positive integer, or an InputError naming `input` that shows `shown` (default: the text). */
export function positiveInteger(
  input: string,
  expected: string,
  text: string,
  shown = text
): number {
  const value = parsePositiveInteger(text)
  if (value === undefined) throw new InputError(input, expected, shown)
  return value
}

export function keep(text: string): number {
  if (text === '0') return 0
  return positiveInteger(
    'keep_backups',
    'must be 0 (keep all) or a whole number of backups to keep, without a sign or leading zeros',
    text
  )
}

export function pollInterval(text: string): number {
  const seconds = parsePositiveInteger(text)
  if (seconds === undefined || seconds > MAX_POLL_INTERVAL_S) {
    throw new InputError(
      'poll_interval',
      `must be a whole number of seconds from 1 to ${MAX_POLL_INTERVAL_S}, or empty (adaptive)`,
      text
    )
  }
  return seconds
}

export function boolean(read: InputReader, name: InputName, fallback: boolean): boolean {
  const text = read(name).trim()
  if (text === '') return fallback
  if (['true', 'True', 'TRUE'].includes(text)) return true
  if (['false', 'False', 'FALSE'].includes(text)) return false
  throw new InputError(name, 'must be true or false', text)
}

/** `text` as a URL, or an InputError naming `input` that shows `shown` (default: the text). */
export function parseUrl(input: string, expected: string, text: string, shown = text): URL {
  try {
    return new URL(text)
  } catch {
    throw new InputError(input, expected, shown)
  }
}

export function apiUrl(text: string): string {
  const expected = 'must be an https:// URL (plain http only to localhost, 127.0.0.0/8 or [::1])'
  const url = parseUrl('api_url', expected, text)
  const loopback = LOOPBACK.test(url.hostname)
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && loopback)) {
    throw new InputError('api_url', expected, text)
  }
  if (url.username || url.password || /[?#]/.test(text)) {
    throw new InputError('api_url', 'must not carry credentials, a query or a fragment')
  }
  return url.href.replace(/\/+$/, '')
}

export function duration(name: string, text: string): number {
  const ms = parseDuration(text)
  if (ms === undefined || ms <= 0 || ms > MAX_TIMEOUT_MS) {
    throw new InputError(
      name,
      'must be a duration up to 24h: seconds (900) or with a unit (90s, 15m, 1h, 1h30m)',
      text
    )
  }
  return ms
}
