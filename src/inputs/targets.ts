import { InputError } from '../common/errors.js'
import type { BackupMap, InputReader, Mode, Target } from './settings.js'
import { positiveInteger, required } from './values.js'

/** The most servers one step may act on. */
const MAX_SERVERS = 50
/** Between two server ids: a comma (white space around it is part of it) or white space. */
const SERVER_SEPARATOR = /\s*,\s*|\s+/

/** server_id's ids in the order given; [] when it is blank (only mode: verify allows that). */
export function serverIds(text: string): number[] {
  const trimmed = text.trim()
  if (!trimmed) return []
  const ids = new Set<number>()
  for (const item of trimmed.split(SERVER_SEPARATOR)) {
    if (!item) {
      throw new InputError(
        'server_id',
        'has an empty item between commas: separate server ids with one comma, spaces or new lines',
        text
      )
    }
    const id = positiveInteger(
      'server_id',
      'has an item that is not a server id (a positive whole number; separate several ids with commas, spaces or new lines)',
      item
    )
    if (ids.has(id)) {
      throw new InputError('server_id', `lists server ${id} twice: name each server once`)
    }
    ids.add(id)
  }
  if (ids.size > MAX_SERVERS) {
    throw new InputError(
      'server_id',
      `lists ${ids.size} servers; at most ${MAX_SERVERS} are allowed`
    )
  }
  return [...ids]
}

const BACKUP_MAP =
  'the backup step\'s backup_ids output (a JSON object from server id to backup id: {"101":501,"102":502})'

/** One value of the backup_id object: a positive whole JSON number, or a string of one. */
function mappedBackupId(server: number, value: unknown): number {
  if (typeof value === 'object' && value !== null) {
    throw new InputError(
      'backup_id',
      `maps server ${server} to an object or a list: each value must be a backup id (a positive whole number)`
    )
  }
  // A JSON number reads back as its plain decimal only when it is a safe whole number.
  return positiveInteger(
    'backup_id',
    `maps server ${server} to a value that is not a backup id (a positive whole number)`,
    String(value)
  )
}

/**
 * The first key `json` (a valid JSON object without nested values) names twice, which JSON.parse
 * would silently drop. Outside its strings, JSON has no `"`: the strings are matched in order.
 */
function repeatedKey(json: string): string | undefined {
  const keys = new Set<string>()
  // Each string, with the colon after it when it is a key.
  for (const [token] of json.matchAll(/"(?:[^"\\]|\\.)*"\s*:?/g)) {
    if (!token.endsWith(':')) continue
    const key = JSON.parse(token.slice(0, -1)) as string
    if (keys.has(key)) return key
    keys.add(key)
  }
  return undefined
}

/** backup_id as a JSON object: its servers must be exactly `servers`; returned in their order. */
function backupMap(text: string, servers: readonly number[]): BackupMap {
  let parsed: Record<string, unknown>
  try {
    parsed = JSON.parse(text) as Record<string, unknown>
  } catch {
    throw new InputError('backup_id', `is not valid JSON: pass ${BACKUP_MAP}`, text)
  }
  const given = new Map<number, number>()
  for (const [key, value] of Object.entries(parsed)) {
    const server = positiveInteger(
      'backup_id',
      'has a key that is not a server id (a positive whole number, in quotes)',
      key
    )
    given.set(server, mappedBackupId(server, value))
  }
  const repeated = repeatedKey(text)
  if (repeated !== undefined) {
    throw new InputError('backup_id', `names server ${repeated} twice: name each server once`)
  }
  const missing = servers.filter((id) => !given.has(id))
  const extra = [...given.keys()].filter((id) => !servers.includes(id))
  if (missing.length || extra.length) {
    const differences = [
      missing.length ? `missing ${missing.join(', ')}` : '',
      extra.length ? `not in server_id: ${extra.join(', ')}` : ''
    ]
    throw new InputError(
      'backup_id',
      `must name exactly the servers of server_id: ${differences.filter(Boolean).join('; ')}`
    )
  }
  return new Map(servers.map((id) => [id, given.get(id) as number]))
}

const RUN_PREFIX = 'run:'
const ONLY_IF = 'only_if_step_started'

const UNLESS = 'unless_step_started'

/** A step name input, undefined when not set; refused when blank or not one line. */
function stepName(read: InputReader, name: typeof ONLY_IF | typeof UNLESS): string | undefined {
  const text = read(name)
  if (text === '') return undefined
  if (!text.trim() || /\p{Cc}/u.test(text)) {
    const which = name === ONLY_IF ? 'the deploy step' : "the run's own rollback step"
    throw new InputError(name, `must be the name of ${which}, on one line`, text)
  }
  return text.trim()
}

export function target(
  read: InputReader,
  mode: Mode,
  githubToken: string,
  servers: readonly number[]
): Target {
  const step = stepName(read, ONLY_IF)
  const unless = stepName(read, UNLESS)
  // backup and verify take no backup_id: they return before its value is looked at.
  const text = read('backup_id')
  for (const [name, value] of [
    [ONLY_IF, step],
    [UNLESS, unless]
  ] as const) {
    if (value !== undefined && !(mode === 'restore' && text.startsWith(RUN_PREFIX))) {
      throw new InputError(name, `is only for mode: restore with backup_id: run:<run_id>`)
    }
  }
  if (unless !== undefined && step === undefined) {
    throw new InputError(UNLESS, `needs ${ONLY_IF}: it names the run's own rollback step`)
  }
  if (step !== undefined && !githubToken) {
    throw new InputError(
      'github_token',
      `is required with ${ONLY_IF}: a token that may read the run (actions: read); the default is github.token`
    )
  }
  if (mode === 'backup' || mode === 'verify') return { mode }
  const expected =
    mode === 'restore'
      ? 'a backup id, latest, run:<run_id> or a JSON object of backup ids'
      : 'a backup id, run:<run_id> or a JSON object of backup ids'
  required(read, 'backup_id', `${expected} with mode: ${mode}`)
  if (mode === 'restore' && text.trim().toLowerCase() === 'latest') {
    return { mode, backupId: 'latest' }
  }
  if (text.startsWith(RUN_PREFIX)) {
    const runId = positiveInteger(
      'backup_id',
      'must be run:<run_id> with a positive whole number',
      text.slice(RUN_PREFIX.length),
      text
    )
    if (step === undefined) return { mode, backupId: { runId } }
    return { mode, backupId: { runId, onlyIfStepStarted: step, unlessStepStarted: unless } }
  }
  if (text.trim().startsWith('{')) return { mode, backupId: backupMap(text, servers) }
  const backupId = positiveInteger('backup_id', `must be ${expected}`, text)
  if (servers.length > 1) {
    const instead =
      mode === 'restore' ? `${BACKUP_MAP}, latest or run:<run_id>` : `${BACKUP_MAP} or run:<run_id>`
    throw new InputError(
      'backup_id',
      `is a single backup id (${backupId}), but server_id lists ${servers.length} servers: pass ${instead}`
    )
  }
  return { mode, backupId }
}
