/**
 * The objects of the VPS.org API that the action reads, and their parsers. Unknown fields are
 * ignored; a field the action uses that has the wrong type is dropped (or the object refused), so
 * nothing the API sends reaches the action with a type other than the one declared here.
 */
import { isObject, text } from '../common/untrusted.js'
export interface Backup {
  id: number
  /** `name` is '' when the API gave none. */
  server: { id: number; name: string }
  /** '' when the API gave none. */
  backup_type: string
  /** `in_progress`, then `completed` or `failed`; anything else counts as not finished. */
  status: string
  /** A finite number of MB, or null (not completed, or not a number in the answer). */
  size_mb: number | null
  /** As the API sent it ('' when it sent no string): not checked to be a date. */
  created_at: string
  description: string | null
}

export interface Server {
  id: number
  /** '' when the API gave none. */
  name: string
  /** `active`, `restoring`, `error`, `stopped`, `suspended`. */
  status: string
  updated_at?: string
}

export interface Page<T> {
  results: T[]
  next?: string
  /** The list's length, when the API says it (a whole number). */
  count?: number
}

const isId = (value: unknown): value is number => Number.isSafeInteger(value)

/** A backup, or undefined when its id, server id or status is missing or of the wrong type. */
export function parseBackup(value: unknown): Backup | undefined {
  if (!isObject(value) || !isObject(value.server)) return undefined
  const { id, status, size_mb: size } = value
  if (!isId(id) || !isId(value.server.id) || typeof status !== 'string') return undefined
  return {
    id,
    server: { id: value.server.id, name: text(value.server.name) ?? '' },
    backup_type: text(value.backup_type) ?? '',
    status,
    size_mb: typeof size === 'number' && Number.isFinite(size) && size >= 0 ? size : null,
    created_at: text(value.created_at) ?? '',
    description: text(value.description) ?? null
  }
}

/** A server, or undefined when its id or status is missing or of the wrong type. */
export function parseServer(value: unknown): Server | undefined {
  if (!isObject(value) || !isId(value.id) || typeof value.status !== 'string') return undefined
  const server: Server = { id: value.id, name: text(value.name) ?? '', status: value.status }
  const updatedAt = text(value.updated_at)
  if (updatedAt !== undefined) server.updated_at = updatedAt
  return server
}

/** A page of a list, or undefined when it or any of its items is not what the API documents. */
export function parsePage<T>(
  value: unknown,
  parseItem: (item: unknown) => T | undefined
): Page<T> | undefined {
  if (!isObject(value) || !Array.isArray(value.results)) return undefined
  if (!(value.next == null || typeof value.next === 'string')) return undefined
  const results: T[] = []
  for (const item of value.results as unknown[]) {
    const parsed = parseItem(item)
    if (parsed === undefined) return undefined
    results.push(parsed)
  }
  const count =
    Number.isSafeInteger(value.count) && (value.count as number) >= 0 ? value.count : undefined
  return {
    results,
    ...(value.next ? { next: value.next } : {}),
    ...(count === undefined ? {} : { count: count as number })
  }
}

/**
 * A backup that has finished: `completed` or `failed`. Any other status (`in_progress`, `pending`,
 * `queued`, `creating`, one not yet invented) means not finished: such a backup is never deleted.
 */
export function isFinal(backup: Backup): boolean {
  return backup.status === 'completed' || backup.status === 'failed'
}

/** An ISO 8601 date-time with its offset, as the API writes created_at. */
const DATE_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})$/i

/** When the backup was created (ms since the epoch); NaN when created_at is not a date-time. */
export const createdAt = (backup: Backup): number =>
  DATE_TIME.test(backup.created_at) ? Date.parse(backup.created_at) : NaN

/**
 * `a` was created before `b`: by created_at; the ids tell only between backups created in the
 * same millisecond. A backup whose created_at (or `b`'s) is not a date-time is not known to be
 * older: false.
 */
export function isOlder(a: Backup, b: Backup): boolean {
  const [ta, tb] = [createdAt(a), createdAt(b)]
  return ta < tb || (ta === tb && a.id < b.id)
}

/**
 * Newest first: by created_at, ids only between backups created in the same millisecond; the
 * backups whose created_at is not a date-time last (none of them can be shown to be the newest).
 */
export function newestFirst(a: Backup, b: Backup): number {
  const [ta, tb] = [createdAt(a), createdAt(b)]
  const undated = Number(Number.isNaN(ta)) - Number(Number.isNaN(tb))
  if (undated !== 0) return undated
  return (Number.isNaN(ta) ? 0 : tb - ta) || b.id - a.id
}
