/** The objects of the VPS.org API that the action reads. Unknown fields are ignored. */
export interface Backup {
  id: number
  server: { id: number; name: string }
  backup_type: string
  /** `in_progress`, then `completed` or `failed`; anything else counts as not finished. */
  status: string
  size_mb: number | null
  created_at: string
  description: string | null
}

export interface Server {
  id: number
  name: string
  /** `active`, `restoring`, `error`, `stopped`, `suspended`. */
  status: string
  updated_at?: string
}

interface Page<T> {
  results: T[]
  next?: string | null
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

export function isBackup(value: unknown): value is Backup {
  return (
    isObject(value) &&
    Number.isSafeInteger(value.id) &&
    typeof value.status === 'string' &&
    isObject(value.server) &&
    Number.isSafeInteger(value.server.id)
  )
}

export function isServer(value: unknown): value is Server {
  return isObject(value) && Number.isSafeInteger(value.id) && typeof value.status === 'string'
}

export function isPage<T>(value: unknown, isItem: (item: unknown) => item is T): value is Page<T> {
  return (
    isObject(value) &&
    Array.isArray(value.results) &&
    value.results.every(isItem) &&
    (value.next === undefined || value.next === null || typeof value.next === 'string')
  )
}

/**
 * A backup that has finished: `completed` or `failed`. Any other status (`in_progress`, `pending`,
 * `queued`, `creating`, one not yet invented) means not finished: such a backup is never deleted.
 */
export function isFinal(backup: Backup): boolean {
  return backup.status === 'completed' || backup.status === 'failed'
}

/** Newest first: by created_at, then by id (ids grow with time). */
export function newestFirst(a: Backup, b: Backup): number {
  return Date.parse(b.created_at) - Date.parse(a.created_at) || b.id - a.id
}
