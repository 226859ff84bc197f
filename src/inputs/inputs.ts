import type { RunContext } from '../github/context.js'
import { composeDescription } from '../github/description.js'
import { formatDuration, parseDuration } from '../common/duration.js'
import { InputError } from '../common/errors.js'
import { percentDecode, scrubber } from '../common/untrusted.js'
import { dryRun } from './dry-run.js'
import { withWatch } from './watch.js'

export type Mode = 'backup' | 'restore' | 'delete' | 'verify'

/** `backup_id: run:<run_id>`: the backup that workflow run of this repository made. */
export interface RunRef {
  runId: number
  /** restore only: restore only if a step of this name had started in that run. */
  onlyIfStepStarted?: string
  /** With onlyIfStepStarted: restore nothing if this step (the run's own rollback) had started too. */
  unlessStepStarted?: string
}

/**
 * Once a round of app checks has passed, the rounds that confirm it (health_threshold) follow this
 * quickly (health.ts); the first round is sent at once. Here for the rule that health_timeout must
 * leave them room, without loading health.ts before a step needs it.
 */
export const CONFIRM_INTERVAL_MS = 1000

/** api_url's default (action.yml's). */
export const DEFAULT_API_URL = 'https://admin.vps.org/api/v1'

/** backup_id as a JSON object: server id -> backup id, in server_id's order. */
export type BackupMap = ReadonlyMap<number, number>

/** What each mode acts on. */
export type Target =
  | { mode: 'backup' }
  | { mode: 'restore'; backupId: number | 'latest' | RunRef | BackupMap }
  | { mode: 'delete'; backupId: number | RunRef | BackupMap }
  | { mode: 'verify' }

/** One app check from `health_url`. `target` is what may be printed: it never has user-info. */
export type HealthCheck =
  | {
      kind: 'http'
      target: string
      /** From the URL's user-info, sent as Basic authentication to the URL's origin only. */
      credentials?: { username: string; password: string }
    }
  | { kind: 'tcp'; target: string; host: string; port: number }

/** The app checks run after a restore (and by mode: verify). */
export interface HealthSettings {
  /** Empty: no app check. */
  checks: HealthCheck[]
  /** HTTP checks pass only if the body contains this; '' = any body. */
  contains: string
  timeoutMs: number
  /** Consecutive rounds in which every check passes, 1 to 20. */
  threshold: number
  /** health_watch: how long verify keeps checking once the app is healthy; 0 = no watch. */
  watchMs: number
}

/** Every input, parsed and validated once. Only parseInputs and secretInputs read inputs. */
export interface Settings {
  target: Target
  /** '' in verify mode, which makes no VPS.org request. */
  apiToken: string
  /** Sent only to the GitHub API, and only to read a run (only_if_step_started). */
  githubToken: string
  /** The API base without a trailing slash, e.g. `https://admin.vps.org/api/v1`. */
  apiUrl: string
  /** Every server the step acts on, in the order given (at least one; verify: may be empty). */
  serverIds: number[]
  /** serverIds[0], or 0 (verify without server_id): the server of a one-server step (unchanged meaning). */
  serverId: number
  /** The description sent with a new backup, tag included; '' in the other modes. */
  description: string
  /** The description input was shortened to fit, for a warning. */
  descriptionTruncated: boolean
  wait: boolean
  timeoutMs: number
  keepBackups: number
  rollbackOnFailure: boolean
  /** A fixed poll interval forced by the user; undefined = adaptive. */
  pollIntervalMs: number | undefined
  health: HealthSettings
  /** dry_run: resolve and check, then show what would be done, and change nothing. */
  dryRun: boolean
}

/** The inputs action.yml declares, in its order; `npm run check:action` compares the two. */
export const INPUTS = [
  'api_token',
  'api_url',
  'server_id',
  'mode',
  'backup_id',
  'only_if_step_started',
  'unless_step_started',
  'dry_run',
  'github_token',
  'description',
  'wait',
  'timeout',
  'keep_backups',
  'rollback_on_failure',
  'poll_interval',
  'health_url',
  'health_contains',
  'health_timeout',
  'health_threshold',
  'health_watch'
] as const
export type InputName = (typeof INPUTS)[number]

/** An input's raw value ('' when not given), by a name action.yml declares. */
export type InputReader = (name: InputName) => string

const MODES: Record<string, Mode> = {
  backup: 'backup',
  restore: 'restore',
  rollback: 'restore',
  delete: 'delete',
  verify: 'verify'
}
const MAX_TIMEOUT_MS = 24 * 3_600_000
const MAX_POLL_INTERVAL_S = 3600
/** What an HTTP header value can carry of a token: printable ASCII, no space or line break. */
const TOKEN = /^[\x21-\x7e]+$/
const LOOPBACK = /^(localhost|127(\.\d{1,3}){3}|\[::1\])$/i

/** A strictly positive decimal integer: no sign, exponent, hex, fraction, padding or overflow. */
export function parsePositiveInteger(text: string): number | undefined {
  if (!/^[1-9]\d*$/.test(text)) return undefined
  const value = Number(text)
  return Number.isSafeInteger(value) ? value : undefined
}

/** The raw value: a backup id is taken as it is, so ` 12 ` is refused like any malformed id. */
function required(read: InputReader, name: InputName, expected: string): string {
  const value = read(name)
  if (!value.trim()) throw new InputError(name, `is required: ${expected}`)
  return value
}

function keep(text: string): number {
  if (text === '0') return 0
  const value = parsePositiveInteger(text)
  if (value === undefined) {
    throw new InputError(
      'keep_backups',
      'must be 0 (keep all) or a whole number of backups to keep, without a sign or leading zeros',
      text
    )
  }
  return value
}

function pollInterval(text: string): number {
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

function boolean(read: InputReader, name: InputName, fallback: boolean): boolean {
  const text = read(name).trim()
  if (text === '') return fallback
  if (['true', 'True', 'TRUE'].includes(text)) return true
  if (['false', 'False', 'FALSE'].includes(text)) return false
  throw new InputError(name, 'must be true or false', text)
}

/** `text` as a URL, or an InputError naming `input` that shows `shown` (default: the text). */
function parseUrl(input: string, expected: string, text: string, shown = text): URL {
  try {
    return new URL(text)
  } catch {
    throw new InputError(input, expected, shown)
  }
}

function apiUrl(text: string): string {
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

function duration(name: string, text: string): number {
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

/** The user-info of a URL-like line (`scheme://user:pass@…`), found even if the URL is invalid. */
const USER_INFO = /^\s*[a-z][a-z\d+.-]*:\/\/([^/?#\s]*)@/i

/**
 * A health_url line as it may be printed, valid URL or not: what comes before its last `@`, where
 * user-info would be, is left out (only a leading `scheme://` stays).
 */
function shown(line: string): string {
  const at = line.lastIndexOf('@')
  if (at < 0) return line
  const scheme = /^[a-z][a-z\d+.-]*:\/\//i.exec(line)?.[0] ?? ''
  return `${scheme}***${line.slice(at)}`
}

/**
 * What must be masked in health_url before anything is printed: each line's whole user-info and
 * its password, as written and decoded, whether the URL parser or a plain reading finds it.
 */
export function healthUrlSecrets(text: string): string[] {
  const secrets = new Set<string>()
  const password = (written: string): void => {
    if (!written) return
    secrets.add(written)
    secrets.add(percentDecode(written))
  }
  for (const line of text.split('\n')) {
    const info = USER_INFO.exec(line)?.[1]
    if (info) {
      secrets.add(info)
      if (info.includes(':')) password(info.slice(info.indexOf(':') + 1))
    }
    if (URL.canParse(line.trim())) password(new URL(line.trim()).password)
  }
  return [...secrets]
}

/** One line of health_url (`number`: its line in the input, for messages). */
function healthCheck(line: string, number: number, tokens: readonly TokenInput[]): HealthCheck {
  // Checked on the text as written, in every encoding the scrubber knows: the line is never shown.
  for (const { input, scrub } of tokens) {
    if (scrub(line) !== line) {
      throw new InputError(
        'health_url',
        `line ${number} holds the ${input} (in its query, path, fragment or user-info, as written or encoded): a check is sent to the app, which must never get a token; remove it`
      )
    }
  }
  const expected = `line ${number} must be one http://, https:// or tcp://host:port URL (one check per line)`
  const url = parseUrl('health_url', expected, line, shown(line))
  const { username, password } = url
  url.username = ''
  url.password = ''
  if (url.protocol === 'tcp:') {
    const port = parsePositiveInteger(url.port)
    if (!url.hostname || port === undefined) {
      throw new InputError(
        'health_url',
        `line ${number} is a tcp:// check without a port: write tcp://host:port`,
        shown(url.href)
      )
    }
    const host = url.hostname.replace(/^\[(.*)\]$/, '$1')
    return { kind: 'tcp', target: `tcp://${url.host}`, host, port }
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new InputError('health_url', expected, shown(url.href))
  }
  return {
    kind: 'http',
    target: url.href,
    credentials:
      username || password
        ? { username: percentDecode(username), password: percentDecode(password) }
        : undefined
  }
}

/** A token input, with what finds it in a text in any encoding (untrusted.ts). */
interface TokenInput {
  input: 'api_token' | 'github_token'
  scrub: (text: string) => string
}

/**
 * Refuses settings whose checks can never pass: `threshold` rounds in a row need
 * (threshold − 1) × CONFIRM_INTERVAL_MS after the first, within health_timeout and, in verify
 * mode, within the step's `timeout`.
 */
function leavesRoom(limits: Array<[InputName, string, number]>, threshold: number): void {
  const needMs = (threshold - 1) * CONFIRM_INTERVAL_MS
  for (const [input, text, ms] of limits) {
    if (ms <= needMs) {
      throw new InputError(
        input,
        `must be longer than the ${formatDuration(needMs)} that health_threshold: ${threshold} needs (its rounds after the first come ${formatDuration(CONFIRM_INTERVAL_MS)} apart): raise ${input} or lower health_threshold`,
        text
      )
    }
  }
}

function health(
  read: InputReader,
  target: Target,
  rollbackOnFailure: boolean,
  stepTimeout: { text: string; ms: number },
  tokens: readonly TokenInput[]
): Omit<HealthSettings, 'watchMs'> {
  const checks: HealthCheck[] = []
  read('health_url')
    .split('\n')
    .forEach((line, i) => {
      if (line.trim()) checks.push(healthCheck(line.trim(), i + 1, tokens))
    })
  const { mode } = target
  if (mode === 'verify' && !checks.length) {
    throw new InputError(
      'health_url',
      'is required with mode: verify: one http://, https:// or tcp://host:port URL per line'
    )
  }
  const used = mode === 'restore' || mode === 'verify' || (mode === 'backup' && rollbackOnFailure)
  if (checks.length && !used) {
    throw new InputError(
      'health_url',
      'is used only with mode: restore, mode: verify, or rollback_on_failure: true (by the automatic rollback)'
    )
  }
  const contains = read('health_contains')
  if (contains && !checks.some((check) => check.kind === 'http')) {
    throw new InputError('health_contains', 'needs an http:// or https:// check in health_url')
  }
  const thresholdText = read('health_threshold').trim() || '2'
  const threshold = parsePositiveInteger(thresholdText)
  if (threshold === undefined || threshold > 20) {
    throw new InputError('health_threshold', 'must be a whole number from 1 to 20', thresholdText)
  }
  const timeoutText = read('health_timeout').trim() || '5m'
  const timeoutMs = duration('health_timeout', timeoutText)
  if (checks.length) {
    const limits: Array<[InputName, string, number]> = [['health_timeout', timeoutText, timeoutMs]]
    // verify does nothing but the checks: the step's timeout bounds them too.
    if (mode === 'verify') limits.push(['timeout', stepTimeout.text, stepTimeout.ms])
    leavesRoom(limits, threshold)
  }
  return { checks, contains, timeoutMs, threshold }
}

/** The most servers one step may act on. */
const MAX_SERVERS = 50
/** Between two server ids: a comma (white space around it is part of it) or white space. */
const SERVER_SEPARATOR = /\s*,\s*|\s+/

/** server_id's ids in the order given; [] when it is blank (only mode: verify allows that). */
function serverIds(text: string): number[] {
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
    const id = parsePositiveInteger(item)
    if (id === undefined) {
      throw new InputError(
        'server_id',
        'has an item that is not a server id (a positive whole number; separate several ids with commas, spaces or new lines)',
        item
      )
    }
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
  const id = parsePositiveInteger(String(value))
  if (id === undefined) {
    throw new InputError(
      'backup_id',
      `maps server ${server} to a value that is not a backup id (a positive whole number)`,
      String(value)
    )
  }
  return id
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
    const server = parsePositiveInteger(key)
    if (server === undefined) {
      throw new InputError(
        'backup_id',
        'has a key that is not a server id (a positive whole number, in quotes)',
        key
      )
    }
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

function target(
  read: InputReader,
  mode: Mode,
  githubToken: string,
  servers: readonly number[]
): Target {
  const step = stepName(read, ONLY_IF)
  const unless = stepName(read, UNLESS)
  const text = mode === 'backup' || mode === 'verify' ? '' : read('backup_id')
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
    const runId = parsePositiveInteger(text.slice(RUN_PREFIX.length))
    if (runId === undefined) {
      throw new InputError('backup_id', 'must be run:<run_id> with a positive whole number', text)
    }
    if (step === undefined) return { mode, backupId: { runId } }
    return { mode, backupId: { runId, onlyIfStepStarted: step, unlessStepStarted: unless } }
  }
  if (text.trim().startsWith('{')) return { mode, backupId: backupMap(text, servers) }
  const backupId = parsePositiveInteger(text)
  if (backupId === undefined) throw new InputError('backup_id', `must be ${expected}`, text)
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

/**
 * Every secret among the inputs, for the runner to mask before anything is printed: the tokens,
 * and health_url's credentials.
 */
export function secretInputs(read: InputReader): string[] {
  const tokens = [read('api_token').trim(), read('github_token').trim()].filter(Boolean)
  return [...tokens, ...healthUrlSecrets(read('health_url').trim())]
}

/**
 * Parses every input, or throws one InputError naming the first bad one. `read` returns the raw
 * value (untrimmed). An error never repeats the token, even if it was given to another input.
 */
export function parseInputs(read: InputReader, context: RunContext): Settings {
  const apiToken = read('api_token').trim()
  if (apiToken && !TOKEN.test(apiToken)) {
    throw new InputError(
      'api_token',
      'must be a VPS.org API token: printable ASCII characters without spaces or line breaks (check the secret; its value is not shown)'
    )
  }
  const githubToken = read('github_token').trim()
  try {
    return parse(read, context, apiToken, githubToken)
  } catch (error) {
    const message = error instanceof InputError ? error.message.toLowerCase() : ''
    if (
      error instanceof InputError &&
      [apiToken, githubToken].some((token) => token && message.includes(token.toLowerCase()))
    ) {
      throw new InputError(error.input, error.expected)
    }
    throw error
  }
}

function parse(
  read: InputReader,
  context: RunContext,
  apiToken: string,
  githubToken: string
): Settings {
  const modeText = read('mode').trim().toLowerCase() || 'backup'
  const mode = MODES[modeText]
  if (!mode) {
    throw new InputError(
      'mode',
      'must be one of backup, restore (or rollback), delete, verify',
      modeText
    )
  }
  // verify makes no VPS.org request: it needs neither the token nor the server.
  const verify = mode === 'verify'
  if (!verify)
    required(read, 'api_token', `a VPS.org API token (pass it from a secret) with mode: ${mode}`)
  const servers = serverIds(
    verify
      ? read('server_id')
      : required(
          read,
          'server_id',
          `one server id or several (separated by commas, spaces or new lines) with mode: ${mode}`
        )
  )
  const keepBackups = keep(read('keep_backups').trim() || '0')
  const pollText = read('poll_interval').trim()
  // Only a backup sends a description: other modes skip composing it (and its hash).
  const { description, truncated } =
    mode === 'backup'
      ? composeDescription(read('description'), context)
      : { description: '', truncated: false }
  const rollbackOnFailure = boolean(read, 'rollback_on_failure', false)
  const parsedTarget = target(read, mode, githubToken, servers)
  const timeoutText = read('timeout').trim() || '30m'
  const timeoutMs = duration('timeout', timeoutText)
  const tokens: TokenInput[] = []
  if (apiToken) tokens.push({ input: 'api_token', scrub: scrubber(apiToken) })
  if (githubToken) tokens.push({ input: 'github_token', scrub: scrubber(githubToken) })
  return {
    target: parsedTarget,
    apiToken,
    githubToken,
    apiUrl: apiUrl(read('api_url').trim() || DEFAULT_API_URL),
    serverIds: servers,
    serverId: servers[0] ?? 0,
    description,
    descriptionTruncated: truncated,
    wait: boolean(read, 'wait', true),
    timeoutMs,
    keepBackups,
    rollbackOnFailure,
    pollIntervalMs: pollText ? pollInterval(pollText) * 1000 : undefined,
    health: withWatch(
      read,
      mode,
      health(read, parsedTarget, rollbackOnFailure, { text: timeoutText, ms: timeoutMs }, tokens),
      { text: timeoutText, ms: timeoutMs },
      duration
    ),
    dryRun: dryRun(mode, boolean(read, 'dry_run', false))
  }
}
