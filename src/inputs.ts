import type { RunContext } from './context.js'
import { composeDescription } from './description.js'
import { parseDuration } from './duration.js'
import { InputError } from './errors.js'

export type Mode = 'backup' | 'restore' | 'delete'

/** api_url's default (action.yml's). */
export const DEFAULT_API_URL = 'https://admin.vps.org/api/v1'

/** What each mode acts on. */
export type Target =
  | { mode: 'backup' }
  | { mode: 'restore'; backupId: number | 'latest' }
  | { mode: 'delete'; backupId: number }

/** Every input, parsed and validated once. Nothing else reads inputs. */
export interface Settings {
  target: Target
  apiToken: string
  /** The API base without a trailing slash, e.g. `https://admin.vps.org/api/v1`. */
  apiUrl: string
  serverId: number
  /** The description sent with a new backup, tag included. */
  description: string
  descriptionTruncated: boolean
  wait: boolean
  timeoutMs: number
  keepBackups: number
  rollbackOnFailure: boolean
  /** A fixed poll interval forced by the user; undefined = adaptive. */
  pollIntervalMs: number | undefined
}

export type InputReader = (name: string) => string

const MODES: Record<string, Mode> = {
  backup: 'backup',
  restore: 'restore',
  rollback: 'restore',
  delete: 'delete'
}
const MAX_TIMEOUT_MS = 24 * 3_600_000
const LOOPBACK = /^(localhost|127(\.\d{1,3}){3}|\[::1\])$/i

/** A strictly positive decimal integer: no sign, exponent, hex, fraction, padding or overflow. */
export function parsePositiveInteger(text: string): number | undefined {
  if (!/^[1-9]\d*$/.test(text)) return undefined
  const value = Number(text)
  return Number.isSafeInteger(value) ? value : undefined
}

/** The raw value: ids are taken as they are, so ` 12 ` is refused like any other malformed id. */
function required(read: InputReader, name: string, expected: string): string {
  const value = read(name)
  if (!value.trim()) throw new InputError(name, `is required: ${expected}`)
  return value
}

function positiveInteger(name: string, text: string): number {
  const value = parsePositiveInteger(text)
  if (value === undefined) throw new InputError(name, 'must be a positive whole number', text)
  return value
}

function boolean(read: InputReader, name: string, fallback: boolean): boolean {
  const text = read(name).trim()
  if (text === '') return fallback
  if (['true', 'True', 'TRUE'].includes(text)) return true
  if (['false', 'False', 'FALSE'].includes(text)) return false
  throw new InputError(name, 'must be true or false', text)
}

function apiUrl(text: string): string {
  const expected = 'must be an https:// URL (plain http only to localhost, 127.0.0.0/8 or [::1])'
  let url: URL
  try {
    url = new URL(text)
  } catch {
    throw new InputError('api_url', expected, text)
  }
  const loopback = LOOPBACK.test(url.hostname)
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && loopback)) {
    throw new InputError('api_url', expected, text)
  }
  if (url.username || url.password || /[?#]/.test(text)) {
    throw new InputError('api_url', 'must not carry credentials, a query or a fragment')
  }
  return url.href.replace(/\/+$/, '')
}

function timeout(text: string): number {
  const ms = parseDuration(text)
  if (ms === undefined || ms <= 0 || ms > MAX_TIMEOUT_MS) {
    throw new InputError(
      'timeout',
      'must be a duration up to 24h: seconds (900) or with a unit (90s, 15m, 1h, 1h30m)',
      text
    )
  }
  return ms
}

function target(read: InputReader, mode: Mode): Target {
  if (mode === 'backup') return { mode }
  const expected = mode === 'restore' ? 'a backup id or latest' : 'a backup id'
  const text = required(read, 'backup_id', `${expected} with mode: ${mode}`)
  if (mode === 'restore' && text.trim().toLowerCase() === 'latest') {
    return { mode, backupId: 'latest' }
  }
  const backupId = parsePositiveInteger(text)
  if (backupId === undefined) throw new InputError('backup_id', `must be ${expected}`, text)
  return { mode, backupId }
}

/**
 * Parses every input, or throws one InputError naming the first bad one. `read` returns the raw
 * value (untrimmed). An error never repeats the token, even if it was given to another input.
 */
export function parseInputs(read: InputReader, context: RunContext): Settings {
  const apiToken = required(read, 'api_token', 'a VPS.org API token (pass it from a secret)').trim()
  try {
    return parse(read, context, apiToken)
  } catch (error) {
    if (
      error instanceof InputError &&
      error.message.toLowerCase().includes(apiToken.toLowerCase())
    ) {
      throw new InputError(error.input, error.expected)
    }
    throw error
  }
}

function parse(read: InputReader, context: RunContext, apiToken: string): Settings {
  const modeText = read('mode').trim().toLowerCase() || 'backup'
  const mode = MODES[modeText]
  if (!mode) {
    throw new InputError('mode', 'must be one of backup, restore (or rollback), delete', modeText)
  }
  const serverId = positiveInteger('server_id', required(read, 'server_id', 'a server id'))
  const keepText = read('keep_backups').trim() || '0'
  const keepBackups = keepText === '0' ? 0 : positiveInteger('keep_backups', keepText)
  const pollText = read('poll_interval').trim()
  const { description, truncated } = composeDescription(read('description'), context)
  return {
    target: target(read, mode),
    apiToken,
    apiUrl: apiUrl(read('api_url').trim() || DEFAULT_API_URL),
    serverId,
    description,
    descriptionTruncated: truncated,
    wait: boolean(read, 'wait', true),
    timeoutMs: timeout(read('timeout').trim() || '30m'),
    keepBackups,
    rollbackOnFailure: boolean(read, 'rollback_on_failure', false),
    pollIntervalMs: pollText ? positiveInteger('poll_interval', pollText) * 1000 : undefined
  }
}
