/**
 * A stateful simulator of the VPS.org REST API, following the contract in
 * shared/reference/vpsorg-api.md (Backups API, restore, servers, account/me), with injectable
 * faults for testing clients.
 *
 * Behaviour beyond the documented API, chosen to mimic a Django REST Framework service:
 * - a GET without its trailing slash is redirected (301) to the path with it, like Django's
 *   APPEND_SLASH; other methods get 404;
 * - a request body that is not `application/json` answers 415;
 * - lists are never sorted by id: by default they follow a fixed hash of the id, with `shuffle`
 *   a random (seedable) rank given to each object when it is created, so pages stay consistent.
 *
 * Control surface, NOT part of the VPS.org API (no auth, never recorded or faulted), for driving
 * the simulator from a shell:
 *   GET  /__simulator__/state   -> {"servers": [...], "backups": [...], "restores": [...], "requests": N}
 *                                  (servers and backups as the API shows them, backups with `deleted`)
 *   POST /__simulator__/faults  -> 204; body: a FaultRule as JSON, `path` an exact string, `times`
 *                                  a number or the string "Infinity"
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { Readable } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import { setTimeout as sleep } from 'node:timers/promises'
import { App, type AppOptions } from './app.js'

/** `in_progress` while running (or `runningStatus`), then `completed` or `failed`. */
export type BackupStatus = 'in_progress' | 'completed' | 'failed' | (string & {})
export type ServerStatus = 'active' | 'restoring' | 'error' | 'stopped' | 'suspended'
export type BackupType = 'manual' | 'automatic'

export interface SimulatorOptions {
  /** Default '127.0.0.1'. */
  host?: string
  /** Default 0 (ephemeral). */
  port?: number
  /** Default 'vps_simulator_token'. */
  token?: string
  /** A second valid token whose scopes only allow reading: POST and DELETE answer 403. */
  readOnlyToken?: string
  /** Default [{ id: 12345, name: 'web-server-01' }]. */
  servers?: Array<{ id: number; name: string; status?: ServerStatus }>
  /** How long a created backup stays in_progress. Default 2000. */
  backupDurationMs?: number
  /** How long a server stays restoring. Default 3000. */
  restoreDurationMs?: number
  /** Page size of lists; default: no pagination (the whole list, `next: null`). */
  pageSize?: number
  /** List results in a random order (see `seed`). */
  shuffle?: boolean
  /** Seed of the `shuffle` order; default random. */
  seed?: number
  /** 'accepted' (default): 202, restore runs in the background. 'sync': 200 with the server, finished. */
  restoreResponse?: 'accepted' | 'sync'
  /** An accepted restore waits this long, the server still `active`, before `restoring`. Default 0. */
  restoreQueueMs?: number
  /** A finished restore leaves the server's `updated_at` as it was (a fast restore that never bumps it). */
  restoreKeepsUpdatedAt?: boolean
  /** The status a running backup shows instead of `in_progress` (e.g. `pending`, `queued`). */
  runningStatus?: string
  /** Lists leave out backups created less than this long ago: a list that lags behind creates. */
  listLagMs?: number
  /** Runs an app per server, for health checks (see app.ts). Default: no app. */
  app?: AppOptions
  /** Injectable clock (ms since epoch). Default Date.now. */
  now?: () => number
  /** Called with one line per request, e.g. "POST /api/v1/backups/ -> 201". Never contains the token. */
  log?: (line: string) => void
}

export interface BackupRecord {
  id: number
  serverId: number
  backupType: BackupType
  description: string
  /** ms since epoch */
  createdAt: number
  durationMs: number
  outcome: 'completed' | 'failed'
  sizeMb: number
  deleted?: boolean
  /** ms since epoch, when it was deleted. */
  deletedAt?: number
  /** The status it shows while running, instead of the simulator's. */
  runningStatus?: string
}

export type BackupView = BackupRecord & { status: BackupStatus }

export interface RestoreRecord {
  at: number
  serverId: number
  backupId: number
  /** How long it waited, queued, before it started (the server `active` meanwhile). */
  queuedMs: number
  durationMs: number
  outcome: 'active' | 'error' | 'stopped' | 'suspended'
}

export interface SimulatorEvent {
  /** When the operation ended: its start + its duration. */
  at: number
  type: 'backup-completed' | 'backup-failed' | 'restore-finished' | 'restore-failed'
  /** The backup's id for backup events, the server's id for restore events. */
  id: number
}

export interface RequestRecord {
  at: number
  method: string
  /** Without the query string. */
  path: string
  query: Record<string, string>
  /** Parsed JSON, or the raw text when it is not JSON, or undefined when empty. */
  body: unknown
  /** What the client was answered; null if dropped or hung. */
  status: number | null
  authorization: string | undefined
  /** Every header the client sent, as Node parsed them. */
  headers: IncomingMessage['headers']
}

export type Fault =
  /** Answer this instead of handling. */
  | { kind: 'status'; status: number; headers?: Record<string, string>; body?: string }
  /** Destroy the socket without handling the request. */
  | { kind: 'drop' }
  /** Handle the request (state changes), then destroy the socket without answering. */
  | { kind: 'drop-after' }
  /** Never answer (until close()). */
  | { kind: 'hang' }
  /** Handle, then never answer. */
  | { kind: 'hang-after' }
  /** Handle normally, answer after `ms`. */
  | { kind: 'delay'; ms: number }
  /** Answer normally but write the body `chunkBytes` at a time every `intervalMs`. */
  | { kind: 'trickle'; chunkBytes: number; intervalMs: number }
  /** 200 with a body that is not JSON. */
  | { kind: 'invalid-json' }
  /** 200 with a `bytes`-long JSON body, chunked (no Content-Length). */
  | { kind: 'huge'; bytes: number }
  /** A redirect (default 302) to `location`. */
  | { kind: 'redirect'; location: string; status?: number }
  /**
   * Handle normally, after moving every server's `updated_at` to now, and at least a second on
   * (its whole-second form always changes): an unrelated change.
   */
  | { kind: 'touch-servers' }
  /** Handle (state changes), then answer `status` (default the real one) with `body` instead. */
  | { kind: 'rewrite'; status?: number; body: string }
  /**
   * An echoing server or proxy: the request's bearer token sent back, encoded, in the error
   * detail, a field error, an HTML page's title (401, 400, 403) or a redirect's Location (302).
   */
  | { kind: 'echo'; place: EchoPlace; encoding: EchoEncoding }
  /** Handle, then overwrite these fields (`server.name` for nested ones) of every object answered. */
  | { kind: 'override'; fields: Record<string, unknown> }
  /** An empty page whose `next` is always a new page, `padding` bytes of filler in each, after `ms`. */
  | { kind: 'endless-pages'; padding?: number; ms?: number }

export type EchoPlace = 'detail' | 'field' | 'html' | 'location'
export type EchoEncoding = 'raw' | 'html' | 'percent' | 'json' | 'base64' | 'upper'

export interface FaultRule {
  method?: string
  /** A string matches the path (without query) exactly. */
  path?: string | RegExp
  /** Default 1; Infinity allowed. */
  times?: number
  fault: Fault
}

interface ServerState {
  id: number
  name: string
  ipAddress: string
  status: ServerStatus
  updatedAt: number
  restore?: RestoreRecord
}

type FieldErrors = Record<string, string[]>

interface Reply {
  status: number
  body?: unknown
  headers?: Record<string, string>
}

interface Context {
  method: string
  url: URL
  params: number[]
  rawBody: string
  contentType: string | undefined
  authorization: string | undefined
  host: string | undefined
}

type Access = 'full' | 'read-only'
type Handler = (ctx: Context, access: Access) => Reply

interface Route {
  pattern: RegExp
  /** Control routes: no auth, not recorded, never faulted. */
  control?: boolean
  methods: Partial<Record<string, Handler>>
}

interface PendingFault {
  method?: string
  path?: string | RegExp
  remaining: number
  fault: Fault
}

const MAX_MANUAL_BACKUPS = 10
const AUTOMATIC_RETENTION_MS = 30 * 24 * 60 * 60 * 1000
const NOT_FOUND = 'Not found.'
const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS'])
const SERVER_STATUSES: readonly ServerStatus[] = [
  'active',
  'restoring',
  'error',
  'stopped',
  'suspended'
]
const BACKUP_TYPES: readonly BackupType[] = ['manual', 'automatic']
const REQUIRED_FAULT_FIELDS: Record<Fault['kind'], readonly string[]> = {
  status: ['status'],
  drop: [],
  'drop-after': [],
  hang: [],
  'hang-after': [],
  delay: ['ms'],
  trickle: ['chunkBytes', 'intervalMs'],
  'invalid-json': [],
  huge: ['bytes'],
  redirect: ['location'],
  'touch-servers': [],
  rewrite: ['body'],
  echo: ['place', 'encoding'],
  override: ['fields'],
  'endless-pages': []
}

class HttpError extends Error {
  constructor(readonly reply: Reply) {
    super(`HTTP ${reply.status}: ${JSON.stringify(reply.body)}`)
  }
}

/** The one error-body helper: `{"detail": "..."}` for a message, DRF field errors otherwise. */
function apiError(
  status: number,
  problem: string | FieldErrors,
  headers?: Record<string, string>
): HttpError {
  return new HttpError({
    status,
    body: typeof problem === 'string' ? { detail: problem } : problem,
    headers
  })
}

function unauthorized(message: string): HttpError {
  return apiError(401, message, { 'www-authenticate': 'Bearer realm="api"' })
}

/** ISO-8601 UTC with whole seconds, e.g. 2025-01-16T15:45:00Z. */
function iso(ms: number): string {
  return new Date(Math.floor(ms / 1000) * 1000).toISOString().replace('.000Z', 'Z')
}

function plausibleSizeMb(id: number): number {
  return 4000 + ((id * 7919) % 1000)
}

/** mulberry32: a small seedable PRNG in [0, 1). */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0
  return () => {
    state = (state + 0x6d2b79f5) >>> 0
    let t = state
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

function matchesPath(path: string, pattern: string | RegExp): boolean {
  // String.prototype.search ignores a RegExp's global flag and lastIndex.
  return typeof pattern === 'string' ? path === pattern : path.search(pattern) >= 0
}

function parseJson(raw: string): unknown {
  try {
    return JSON.parse(raw)
  } catch (error) {
    throw apiError(400, `JSON parse error - ${(error as Error).message}`)
  }
}

/** The request body as recorded: JSON when it parses, the raw text otherwise. */
function looseJson(raw: string): unknown {
  try {
    return JSON.parse(raw)
  } catch {
    return raw
  }
}

/** A reply's headers and body text: a string body as is, any other defined body as JSON. */
function serialize(reply: Reply): { headers: Record<string, string>; text: string } {
  if (reply.body === undefined || typeof reply.body === 'string') {
    return { headers: reply.headers ?? {}, text: reply.body ?? '' }
  }
  return {
    headers: { 'content-type': 'application/json', ...reply.headers },
    text: JSON.stringify(reply.body)
  }
}

function pythonTypeName(value: unknown): string {
  if (value === null) return 'NoneType'
  if (Array.isArray(value)) return 'list'
  if (typeof value === 'string') return 'str'
  if (typeof value === 'boolean') return 'bool'
  return Number.isInteger(value) ? 'int' : 'float'
}

/** The request's JSON object, parsed the way DRF's JSONParser and Serializer do. */
function jsonObject(ctx: Context): Record<string, unknown> {
  if (ctx.rawBody === '') return {}
  const mediaType = ctx.contentType?.split(';')[0]?.trim().toLowerCase()
  if (mediaType !== 'application/json') {
    throw apiError(415, `Unsupported media type "${ctx.contentType ?? ''}" in request.`)
  }
  const data = parseJson(ctx.rawBody)
  if (typeof data !== 'object' || data === null || Array.isArray(data)) {
    throw apiError(400, {
      non_field_errors: [`Invalid data. Expected a dictionary, but got ${pythonTypeName(data)}.`]
    })
  }
  return data as Record<string, unknown>
}

function integerField(
  data: Record<string, unknown>,
  field: string,
  errors: FieldErrors
): number | undefined {
  const value = data[field]
  if (value === undefined) errors[field] = ['This field is required.']
  else if (value === null) errors[field] = ['This field may not be null.']
  else if (!Number.isSafeInteger(value)) errors[field] = ['A valid integer is required.']
  else return value as number
  return undefined
}

/** An optional DRF CharField: numbers are accepted as text, whitespace is trimmed. */
function optionalStringField(
  data: Record<string, unknown>,
  field: string,
  maxLength: number,
  errors: FieldErrors
): string {
  const value = data[field]
  if (value === undefined) return ''
  if (value === null) errors[field] = ['This field may not be null.']
  else if (typeof value !== 'string' && typeof value !== 'number') {
    errors[field] = ['Not a valid string.']
  } else {
    const text = String(value).trim()
    if ([...text].length <= maxLength) return text
    errors[field] = [`Ensure this field has no more than ${maxLength} characters.`]
  }
  return ''
}

/** A django-filter query parameter; empty means no filter. */
function integerQuery(
  query: URLSearchParams,
  name: string,
  errors: FieldErrors
): number | undefined {
  const value = query.get(name)
  if (!value) return undefined
  if (/^\s*[-+]?\d+\s*$/.test(value)) return Number(value)
  errors[name] = ['Enter a whole number.']
  return undefined
}

function choiceQuery<T extends string>(
  query: URLSearchParams,
  name: string,
  choices: readonly T[],
  errors: FieldErrors
): T | undefined {
  const value = query.get(name)
  if (!value) return undefined
  if ((choices as readonly string[]).includes(value)) return value as T
  errors[name] = [`Select a valid choice. ${value} is not one of the available choices.`]
  return undefined
}

function throwIfInvalid(errors: FieldErrors): void {
  if (Object.keys(errors).length > 0) throw apiError(400, errors)
}

/** Validates a FaultRule received as JSON by the control endpoint. */
function parseFaultRule(data: unknown): FaultRule {
  const rule = (typeof data === 'object' && data !== null ? data : {}) as Record<string, unknown>
  const fault = (typeof rule.fault === 'object' && rule.fault !== null ? rule.fault : {}) as Record<
    string,
    unknown
  >
  const times = rule.times === 'Infinity' ? Infinity : (rule.times ?? 1)
  const required = REQUIRED_FAULT_FIELDS[fault.kind as Fault['kind']] ?? []
  const problems = [
    rule.method !== undefined && typeof rule.method !== 'string' && '"method" must be a string',
    rule.path !== undefined && typeof rule.path !== 'string' && '"path" must be a string',
    !(typeof times === 'number' && times >= 1) && '"times" must be a number >= 1 or "Infinity"',
    !Object.hasOwn(REQUIRED_FAULT_FIELDS, String(fault.kind)) && '"fault.kind" is unknown',
    ...required.filter((name) => !(name in fault)).map((name) => `"fault.${name}" is required`),
    ...Object.entries(fault)
      .filter(([name, value]) => name !== 'kind' && !validFaultField(name, value))
      .map(([name]) => `"fault.${name}" is invalid`)
  ].filter((problem) => problem !== false)
  if (problems.length > 0) throw apiError(400, `Invalid fault rule: ${problems.join('; ')}.`)
  return { ...(rule as unknown as FaultRule), times: times as number }
}

function validFaultField(name: string, value: unknown): boolean {
  if (['location', 'body', 'place', 'encoding'].includes(name)) return typeof value === 'string'
  if (name === 'fields') return typeof value === 'object' && value !== null
  if (name === 'headers') {
    return (
      typeof value === 'object' &&
      value !== null &&
      Object.values(value).every((v) => typeof v === 'string')
    )
  }
  const min = name === 'chunkBytes' ? 1 : 0
  return typeof value === 'number' && Number.isFinite(value) && value >= min
}

async function* trickle(body: Buffer, chunkBytes: number, intervalMs: number, signal: AbortSignal) {
  for (let offset = 0; offset < body.length; offset += chunkBytes) {
    if (offset > 0) await sleep(intervalMs, undefined, { signal })
    yield body.subarray(offset, offset + chunkBytes)
  }
}

/** `text` as an echoing server may send it back. */
function encodeEcho(text: string, encoding: EchoEncoding): string {
  switch (encoding) {
    case 'raw':
      return text
    case 'html':
      return [...text].map((c) => (/\w/.test(c) ? `&#${c.charCodeAt(0)};` : c)).join('')
    case 'percent':
      return [...text].map((c) => `%${c.charCodeAt(0).toString(16).padStart(2, '0')}`).join('')
    case 'json':
      return [...text].map((c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`).join('')
    case 'base64':
      return Buffer.from(`Bearer ${text}`).toString('base64')
    case 'upper':
      return text.toUpperCase()
  }
}

/** The answer of an echoing server (see the `echo` fault). */
function echoReply(
  authorization: string | undefined,
  place: EchoPlace,
  encoding: EchoEncoding
): Reply {
  const token = encodeEcho((authorization ?? '').replace(/^Bearer\s+/i, ''), encoding)
  switch (place) {
    case 'detail':
      return { status: 401, body: { detail: `Invalid token: ${token}` } }
    case 'field':
      return { status: 400, body: { authorization: [`Unknown token ${token}.`] } }
    case 'html':
      return {
        status: 403,
        headers: { 'content-type': 'text/html' },
        body: `<html><head><title>Access denied for ${token}</title></head><body></body></html>`
      }
    case 'location':
      return { status: 302, headers: { location: `https://login.example/?token=${token}` } }
  }
}

/** `fields` written over every object with an id in a reply's body (and its `results`). */
function overrideFields(reply: Reply, fields: Record<string, unknown>): Reply {
  const body = reply.body as { id?: unknown; results?: unknown[] } | undefined
  if (typeof body !== 'object' || body === null) return reply
  for (const item of [body, ...(Array.isArray(body.results) ? body.results : [])]) {
    const target = item as Record<string, Record<string, unknown>>
    if (typeof target !== 'object' || target === null || !('id' in target)) continue
    for (const [path, value] of Object.entries(fields)) {
      const [outer, inner] = path.split('.') as [string, string | undefined]
      if (inner === undefined) (target as Record<string, unknown>)[outer] = value
      else if (typeof target[outer] === 'object') target[outer]![inner] = value
    }
  }
  return reply
}

/** A page of the `endless-pages` fault: no results, and a `next` never seen before. */
function endlessPage(url: URL, host: string | undefined, padding: number): Reply {
  const next = new URL(url)
  if (host) next.host = host
  next.searchParams.set('page', String(Number(url.searchParams.get('page') ?? '1') + 1))
  return {
    status: 200,
    body: { count: null, next: next.href, results: [], padding: 'x'.repeat(padding) }
  }
}

/** A valid JSON document of exactly `bytes` bytes (at least 14), produced lazily. */
function* hugeBody(bytes: number) {
  const head = '{"padding":"'
  const tail = '"}'
  yield head
  const filler = 'x'.repeat(64 * 1024)
  for (let left = Math.max(0, bytes - head.length - tail.length); left > 0;) {
    const size = Math.min(left, filler.length)
    yield filler.slice(0, size)
    left -= size
  }
  yield tail
}

export class Simulator {
  readonly token: string
  readonly requests: RequestRecord[] = []
  readonly restores: RestoreRecord[] = []
  nextBackupOutcomes: Array<'completed' | 'failed'> = []
  nextRestoreOutcomes: Array<'active' | 'error' | 'stopped' | 'suspended'> = []

  readonly #options: SimulatorOptions
  readonly #now: () => number
  readonly #http: Server
  readonly #closing = new AbortController()
  readonly #servers = new Map<number, ServerState>()
  readonly #records: BackupRecord[] = []
  readonly #apps = new Map<number, App>()
  readonly #faults: PendingFault[] = []
  /** The list order of each server and backup (see the file comment). */
  readonly #ranks = new WeakMap<object, number>()
  readonly #random: (() => number) | undefined
  #nextBackupId = 500
  #origin = ''

  readonly #routes: Route[] = [
    {
      pattern: /^\/api\/v1\/account\/me\/$/,
      methods: { GET: (_ctx, access) => this.#accountMe(access) }
    },
    {
      pattern: /^\/api\/v1\/backups\/$/,
      methods: { GET: (ctx) => this.#listBackups(ctx), POST: (ctx) => this.#createBackup(ctx) }
    },
    {
      pattern: /^\/api\/v1\/backups\/(\d+)\/$/,
      methods: { DELETE: (ctx) => this.#deleteBackup(ctx) }
    },
    { pattern: /^\/api\/v1\/servers\/$/, methods: { GET: (ctx) => this.#listServers(ctx) } },
    { pattern: /^\/api\/v1\/servers\/(\d+)\/$/, methods: { GET: (ctx) => this.#getServer(ctx) } },
    {
      pattern: /^\/api\/v1\/servers\/(\d+)\/restore\/$/,
      methods: { POST: (ctx) => this.#restoreServer(ctx) }
    },
    {
      pattern: /^\/__simulator__\/state$/,
      control: true,
      methods: { GET: () => ({ status: 200, body: this.#state() }) }
    },
    {
      pattern: /^\/__simulator__\/faults$/,
      control: true,
      methods: { POST: (ctx) => this.#injectOverHttp(ctx) }
    }
  ]

  private constructor(options: SimulatorOptions) {
    this.#options = options
    this.#now = options.now ?? Date.now
    this.token = options.token ?? 'vps_simulator_token'
    this.#random = options.shuffle
      ? seededRandom(options.seed ?? Math.floor(Math.random() * 2 ** 32))
      : undefined
    const servers = options.servers ?? [{ id: 12345, name: 'web-server-01' }]
    servers.forEach(({ id, name, status }, index) => {
      const server: ServerState = {
        id,
        name,
        ipAddress: `203.0.113.${10 + index}`,
        status: status ?? 'active',
        updatedAt: this.#now()
      }
      this.#servers.set(id, server)
      this.#rank(server, id)
    })
    this.#http = createServer((req, res) => {
      // The Date header tells the simulator's clock (injectable), as a real API's tells its own.
      res.sendDate = false
      res.setHeader('date', new Date(this.#now()).toUTCString())
      this.#onRequest(req, res).catch((error: unknown) => this.#onError(res, error))
    })
  }

  static async start(options: SimulatorOptions = {}): Promise<Simulator> {
    const simulator = new Simulator(options)
    await simulator.#listen(options.host ?? '127.0.0.1', options.port ?? 0)
    if (options.app) {
      for (const server of simulator.#servers.values()) {
        const view = (): { status: string; updatedAt: number } => simulator.#serverView(server)
        simulator.#apps.set(server.id, await App.start(view, options.app, simulator.#now))
      }
    }
    return simulator
  }

  /** The API's base URL, e.g. http://127.0.0.1:41234/api/v1 */
  get url(): string {
    return `${this.#origin}/api/v1`
  }

  /** e.g. http://127.0.0.1:41234 */
  get origin(): string {
    return this.#origin
  }

  /** Faults are consumed in order of injection; the first matching rule wins. */
  inject(rule: FaultRule): void {
    this.#faults.push({
      method: rule.method?.toUpperCase(),
      path: rule.path,
      remaining: rule.times ?? 1,
      fault: rule.fault
    })
  }

  clearFaults(): void {
    this.#faults.length = 0
  }

  /**
   * Seeds a backup. `status` is its current state (default 'completed'); a completed or failed
   * seed ended at `createdAt` (default now); an in_progress seed ends `durationMs` from now
   * (default backupDurationMs) and then completes. Returns the live record.
   */
  addBackup(seed: {
    serverId: number
    backupType?: BackupType
    status?: BackupStatus
    description?: string
    createdAt?: number | string
    sizeMb?: number
    durationMs?: number
    id?: number
    /** The status it shows while running (with status 'in_progress'). */
    runningStatus?: string
  }): BackupRecord {
    this.#requireServer(seed.serverId)
    const now = this.#now()
    const createdAt =
      typeof seed.createdAt === 'string' ? Date.parse(seed.createdAt) : (seed.createdAt ?? now)
    if (Number.isNaN(createdAt)) throw new Error(`Invalid createdAt: ${String(seed.createdAt)}`)
    const id = seed.id ?? this.#nextBackupId
    if (this.#records.some((record) => record.id === id)) {
      throw new Error(`Backup ${id} already exists`)
    }
    return this.#insert({
      id,
      serverId: seed.serverId,
      backupType: seed.backupType ?? 'manual',
      description: seed.description ?? '',
      createdAt,
      durationMs:
        seed.status === 'in_progress'
          ? now - createdAt + (seed.durationMs ?? this.#backupDurationMs)
          : 0,
      outcome: seed.status === 'failed' ? 'failed' : 'completed',
      sizeMb: seed.sizeMb ?? plausibleSizeMb(id),
      runningStatus: seed.runningStatus
    })
  }

  /** Current view of the backups, in id order; deleted ones only with includeDeleted. */
  backups(filter: { serverId?: number; includeDeleted?: boolean } = {}): BackupView[] {
    return this.#select(filter).map((record) => ({ ...record, status: this.#backupStatus(record) }))
  }

  /** Removes a backup behind the clients' back, as a deletion in the VPS.org panel would. */
  removeBackup(id: number): void {
    const record = this.#records.find((r) => r.id === id && !r.deleted)
    if (!record) throw new Error(`No backup ${id}`)
    record.deleted = true
    record.deletedAt = this.#now()
  }

  server(id: number): { id: number; name: string; status: ServerStatus } {
    const server = this.#requireServer(id)
    return { id, name: server.name, status: this.#serverView(server).status }
  }

  /** Sets the status, ending any restore in progress. */
  setServerStatus(id: number, status: ServerStatus): void {
    const server = this.#requireServer(id)
    server.status = status
    server.updatedAt = this.#now()
    delete server.restore
  }

  /** When each background operation ended, in time order (derived from the clock). */
  get events(): SimulatorEvent[] {
    const now = this.#now()
    const events: SimulatorEvent[] = []
    for (const backup of this.#records) {
      const at = backup.createdAt + backup.durationMs
      const type = backup.outcome === 'completed' ? 'backup-completed' : 'backup-failed'
      if (at <= now) events.push({ at, type, id: backup.id })
    }
    for (const restore of this.restores) {
      const at = restore.at + restore.queuedMs + restore.durationMs
      const type = restore.outcome === 'active' ? 'restore-finished' : 'restore-failed'
      if (at <= now) events.push({ at, type, id: restore.serverId })
    }
    return events.sort((a, b) => a.at - b.at)
  }

  countRequests(method: string, pathPattern: string | RegExp): number {
    const wanted = method.toUpperCase()
    return this.requests.filter(
      (request) => request.method === wanted && matchesPath(request.path, pathPattern)
    ).length
  }

  /** The app of a server (with the `app` option). */
  app(id: number): App {
    const app = this.#apps.get(id)
    if (!app) throw new Error(`No app for server ${id}: start the simulator with the app option`)
    return app
  }

  /** Closes the server and every connection, including hung ones. */
  async close(): Promise<void> {
    this.#closing.abort()
    await Promise.all([...this.#apps.values()].map((app) => app.close()))
    await new Promise<void>((resolve) => {
      this.#http.close(() => resolve())
      this.#http.closeAllConnections()
    })
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close()
  }

  get #backupDurationMs(): number {
    return this.#options.backupDurationMs ?? 2000
  }

  async #listen(host: string, port: number): Promise<void> {
    await new Promise<void>((resolve, reject) => {
      this.#http.once('error', reject)
      this.#http.listen(port, host, () => resolve())
    })
    const address = this.#http.address() as AddressInfo
    const hostPart = address.address.includes(':') ? `[${address.address}]` : address.address
    this.#origin = `http://${hostPart}:${address.port}`
  }

  // ---- state ----

  #requireServer(id: number): ServerState {
    const server = this.#servers.get(id)
    if (!server) throw new Error(`Unknown server ${id}`)
    return server
  }

  #serverOr404(id: number | undefined): ServerState {
    const server = id === undefined ? undefined : this.#servers.get(id)
    if (!server) throw apiError(404, NOT_FOUND)
    return server
  }

  /** A restore shows `restoring` once out of its queue; its end bumps updated_at (by default). */
  #serverView(server: ServerState): { status: ServerStatus; updatedAt: number } {
    const restore = server.restore
    const now = this.#now()
    const start = restore ? restore.at + restore.queuedMs : Infinity
    if (!restore || now < start) return { status: server.status, updatedAt: server.updatedAt }
    const end = start + restore.durationMs
    if (now < end) return { status: 'restoring', updatedAt: Math.max(server.updatedAt, start) }
    const keep = this.#options.restoreKeepsUpdatedAt
    return {
      status: restore.outcome,
      updatedAt: keep ? server.updatedAt : Math.max(server.updatedAt, end)
    }
  }

  #running(record: BackupRecord): boolean {
    return this.#now() < record.createdAt + record.durationMs
  }

  #backupStatus(record: BackupRecord): BackupStatus {
    if (!this.#running(record)) return record.outcome
    return record.runningStatus ?? this.#options.runningStatus ?? 'in_progress'
  }

  #select(filter: { serverId?: number; includeDeleted?: boolean }): BackupRecord[] {
    return this.#records.filter(
      (record) =>
        (filter.includeDeleted || !record.deleted) &&
        (filter.serverId === undefined || record.serverId === filter.serverId)
    )
  }

  #insert(record: BackupRecord): BackupRecord {
    this.#records.push(record)
    this.#nextBackupId = Math.max(this.#nextBackupId, record.id + 1)
    this.#rank(record, record.id)
    return record
  }

  #rank(item: object, id: number): void {
    this.#ranks.set(item, this.#random ? this.#random() : Math.imul(id, 0x9e3779b1) >>> 0)
  }

  #ordered<T extends object>(items: T[]): T[] {
    return items.sort((a, b) => (this.#ranks.get(a) ?? 0) - (this.#ranks.get(b) ?? 0))
  }

  /** A restore queued or running makes the server busy. */
  #assertNotRestoring(server: ServerState): void {
    const restore = server.restore
    const queued = restore !== undefined && this.#now() < restore.at + restore.queuedMs
    if (queued || this.#serverView(server).status === 'restoring') {
      throw apiError(409, 'Server is busy: a restore is in progress.')
    }
  }

  // ---- representations ----

  #backupJson(record: BackupRecord): Record<string, unknown> {
    const server = this.#requireServer(record.serverId)
    const status = this.#backupStatus(record)
    return {
      id: record.id,
      server: { id: server.id, name: server.name },
      backup_type: record.backupType,
      status,
      size_mb: status === 'completed' ? record.sizeMb : null,
      created_at: iso(record.createdAt),
      expires_at:
        record.backupType === 'automatic' ? iso(record.createdAt + AUTOMATIC_RETENTION_MS) : null,
      description: record.description,
      region: 'us-west',
      encrypted: true
    }
  }

  #serverJson(server: ServerState): Record<string, unknown> {
    const { status, updatedAt } = this.#serverView(server)
    return {
      id: server.id,
      name: server.name,
      hostname: `${server.name}.example.com`,
      status,
      ip_address: server.ipAddress,
      location: 'us-west',
      plan: 'vps-4gb',
      tags: [],
      updated_at: iso(updatedAt)
    }
  }

  /** DRF PageNumberPagination, or the whole list when no pageSize is configured. */
  #paginate(ctx: Context, results: unknown[]): Reply {
    const size = this.#options.pageSize
    if (size === undefined) {
      return { status: 200, body: { count: results.length, next: null, previous: null, results } }
    }
    const raw = ctx.url.searchParams.get('page') ?? '1'
    const page = /^\d+$/.test(raw) ? Number(raw) : NaN
    const pages = Math.max(1, Math.ceil(results.length / size))
    if (!(page >= 1 && page <= pages)) throw apiError(404, 'Invalid page.')
    const link = (target: number): string => {
      const url = new URL(ctx.url)
      if (ctx.host) url.host = ctx.host
      if (target === 1) url.searchParams.delete('page')
      else url.searchParams.set('page', String(target))
      return url.href
    }
    return {
      status: 200,
      body: {
        count: results.length,
        next: page < pages ? link(page + 1) : null,
        previous: page > 1 ? link(page - 1) : null,
        results: results.slice((page - 1) * size, page * size)
      }
    }
  }

  // ---- API handlers ----

  #accountMe(access: Access): Reply {
    const permissions =
      access === 'full'
        ? ['servers:read', 'servers:write', 'backups:read', 'backups:write']
        : ['servers:read', 'backups:read']
    return {
      status: 200,
      body: {
        account: {
          id: 1001,
          email: 'ops@example.com',
          name: 'Simulator Account',
          status: 'active'
        },
        token: { name: access === 'full' ? 'simulator' : 'simulator-read-only', permissions }
      }
    }
  }

  #listBackups(ctx: Context): Reply {
    const errors: FieldErrors = {}
    const serverId = integerQuery(ctx.url.searchParams, 'server_id', errors)
    const backupType = choiceQuery(ctx.url.searchParams, 'backup_type', BACKUP_TYPES, errors)
    throwIfInvalid(errors)
    const lag = this.#options.listLagMs ?? 0
    const records = this.#select({ serverId }).filter(
      (record) =>
        (backupType === undefined || record.backupType === backupType) &&
        record.createdAt + lag <= this.#now()
    )
    return this.#paginate(
      ctx,
      this.#ordered(records).map((record) => this.#backupJson(record))
    )
  }

  #createBackup(ctx: Context): Reply {
    const data = jsonObject(ctx)
    const errors: FieldErrors = {}
    const serverId = integerField(data, 'server_id', errors)
    const description = optionalStringField(data, 'description', 255, errors)
    throwIfInvalid(errors)
    const server = this.#serverOr404(serverId)
    const manual = this.#select({ serverId: server.id }).filter((b) => b.backupType === 'manual')
    if (manual.length >= MAX_MANUAL_BACKUPS) {
      throw apiError(
        400,
        `Maximum of ${MAX_MANUAL_BACKUPS} manual backups per server reached. Delete an existing manual backup to create a new one.`
      )
    }
    this.#assertNotRestoring(server)
    const id = this.#nextBackupId
    const record = this.#insert({
      id,
      serverId: server.id,
      backupType: 'manual',
      description,
      createdAt: this.#now(),
      durationMs: this.#backupDurationMs,
      outcome: this.nextBackupOutcomes.shift() ?? 'completed',
      sizeMb: plausibleSizeMb(id)
    })
    return {
      status: 201,
      body: {
        ...this.#backupJson(record),
        message: 'Backup is being created. This may take several minutes depending on server size.'
      }
    }
  }

  #deleteBackup(ctx: Context): Reply {
    const record = this.#select({}).find((b) => b.id === ctx.params[0])
    if (!record) throw apiError(404, NOT_FOUND)
    if (this.#running(record)) {
      throw apiError(409, 'Backup is in progress and cannot be deleted.')
    }
    record.deleted = true
    record.deletedAt = this.#now()
    return { status: 204 }
  }

  #listServers(ctx: Context): Reply {
    const errors: FieldErrors = {}
    const status = choiceQuery(ctx.url.searchParams, 'status', SERVER_STATUSES, errors)
    throwIfInvalid(errors)
    const servers = [...this.#servers.values()].filter(
      (server) => status === undefined || this.#serverView(server).status === status
    )
    return this.#paginate(
      ctx,
      this.#ordered(servers).map((server) => this.#serverJson(server))
    )
  }

  #getServer(ctx: Context): Reply {
    return { status: 200, body: this.#serverJson(this.#serverOr404(ctx.params[0])) }
  }

  #restoreServer(ctx: Context): Reply {
    const server = this.#serverOr404(ctx.params[0])
    const data = jsonObject(ctx)
    const errors: FieldErrors = {}
    const backupId = integerField(data, 'backup_id', errors)
    throwIfInvalid(errors)
    const backups = this.#select({ serverId: server.id })
    const backup = backups.find((b) => b.id === backupId)
    if (!backup) throw apiError(404, NOT_FOUND)
    this.#assertNotRestoring(server)
    if (backups.some((b) => this.#running(b))) {
      throw apiError(409, 'Server is busy: a backup is in progress.')
    }
    const status = this.#backupStatus(backup)
    if (status !== 'completed') {
      throw apiError(409, `Backup is not completed (status: ${status}).`)
    }
    const sync = this.#options.restoreResponse === 'sync'
    const restore: RestoreRecord = {
      at: this.#now(),
      serverId: server.id,
      backupId: backup.id,
      queuedMs: sync ? 0 : (this.#options.restoreQueueMs ?? 0),
      durationMs: sync ? 0 : (this.#options.restoreDurationMs ?? 3000),
      outcome: this.nextRestoreOutcomes.shift() ?? 'active'
    }
    server.restore = restore
    this.restores.push(restore)
    if (sync) return { status: 200, body: this.#serverJson(server) }
    return {
      status: 202,
      body: {
        detail: 'Restore started.',
        server_id: server.id,
        backup_id: backup.id,
        status: 'restoring'
      }
    }
  }

  // ---- control handlers ----

  #state(): Record<string, unknown> {
    return {
      servers: [...this.#servers.values()].map((server) => this.#serverJson(server)),
      backups: this.#select({ includeDeleted: true }).map((record) => ({
        ...this.#backupJson(record),
        deleted: record.deleted === true
      })),
      restores: this.restores,
      requests: this.requests.length
    }
  }

  #injectOverHttp(ctx: Context): Reply {
    this.inject(parseFaultRule(parseJson(ctx.rawBody)))
    return { status: 204 }
  }

  // ---- HTTP ----

  #authenticate(header: string | undefined): Access {
    // DRF TokenAuthentication with keyword "Bearer".
    const parts = (header ?? '').split(/\s+/).filter(Boolean)
    if (parts[0]?.toLowerCase() !== 'bearer') {
      throw unauthorized('Authentication credentials were not provided.')
    }
    if (parts.length === 1) throw unauthorized('Invalid token header. No credentials provided.')
    if (parts.length > 2) {
      throw unauthorized('Invalid token header. Token string should not contain spaces.')
    }
    if (parts[1] === this.token) return 'full'
    if (this.#options.readOnlyToken !== undefined && parts[1] === this.#options.readOnlyToken) {
      return 'read-only'
    }
    throw unauthorized('Invalid token.')
  }

  #findRoute(path: string): { route: Route; params: number[] } | undefined {
    for (const route of this.#routes) {
      const match = route.pattern.exec(path)
      if (match) return { route, params: match.slice(1).map(Number) }
    }
    return undefined
  }

  #dispatch(ctx: Context, route: Route | undefined): Reply {
    try {
      const method = ctx.method === 'HEAD' ? 'GET' : ctx.method
      if (!route) {
        const path = ctx.url.pathname
        if (method === 'GET' && !path.endsWith('/') && this.#findRoute(`${path}/`)) {
          return { status: 301, headers: { location: `${path}/${ctx.url.search}` } }
        }
        throw apiError(404, NOT_FOUND)
      }
      const access = route.control ? 'full' : this.#authenticate(ctx.authorization)
      if (access === 'read-only' && !SAFE_METHODS.has(ctx.method)) {
        throw apiError(403, 'You do not have permission to perform this action.')
      }
      const handler = route.methods[method]
      if (!handler) {
        const allow = Object.keys(route.methods)
        if (allow.includes('GET')) allow.push('HEAD')
        throw apiError(405, `Method "${ctx.method}" not allowed.`, { allow: allow.join(', ') })
      }
      return handler(ctx, access)
    } catch (error) {
      if (error instanceof HttpError) return error.reply
      throw error
    }
  }

  async #onRequest(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = []
    for await (const chunk of req) chunks.push(chunk as Buffer)
    const rawBody = Buffer.concat(chunks).toString('utf8')
    const url = new URL(req.url ?? '/', this.#origin)
    const found = this.#findRoute(url.pathname)
    const ctx: Context = {
      method: req.method ?? 'GET',
      url,
      params: found?.params ?? [],
      rawBody,
      contentType: req.headers['content-type'],
      authorization: req.headers.authorization,
      host: req.headers.host
    }
    const note = (outcome: string | number, fault?: Fault): void =>
      this.#log(
        `${ctx.method} ${url.pathname}${url.search} -> ${outcome}${fault ? ` (fault: ${fault.kind})` : ''}`
      )
    if (found?.route.control) {
      const reply = this.#dispatch(ctx, found.route)
      note(reply.status)
      return this.#write(res, reply)
    }
    const record: RequestRecord = {
      at: this.#now(),
      method: ctx.method,
      path: url.pathname,
      query: Object.fromEntries(url.searchParams),
      body: rawBody === '' ? undefined : looseJson(rawBody),
      status: null,
      authorization: ctx.authorization,
      headers: req.headers
    }
    this.requests.push(record)
    const fault = this.#takeFault(ctx.method, url.pathname)
    const answer = (reply: Reply, stream?: Readable): Promise<void> => {
      record.status = reply.status
      note(reply.status, fault)
      return this.#write(res, reply, stream)
    }
    switch (fault?.kind) {
      case 'drop':
        note('dropped', fault)
        res.destroy()
        return
      case 'hang':
        note('no answer', fault)
        return
      case 'status':
        return answer({ status: fault.status, headers: fault.headers, body: fault.body ?? '' })
      case 'invalid-json':
        return answer({
          status: 200,
          headers: { 'content-type': 'application/json' },
          body: '{"count": 1, "next": null, "results": [{"id": 5'
        })
      case 'huge':
        return answer(
          { status: 200, headers: { 'content-type': 'application/json' } },
          Readable.from(hugeBody(fault.bytes))
        )
      case 'redirect':
        return answer({ status: fault.status ?? 302, headers: { location: fault.location } })
      case 'echo':
        return answer(echoReply(ctx.authorization, fault.place, fault.encoding))
      case 'endless-pages':
        await sleep(fault.ms ?? 0, undefined, { signal: this.#closing.signal })
        return answer(endlessPage(url, ctx.host, fault.padding ?? 0))
      default:
        break // the other kinds act after the request is handled
    }
    if (fault?.kind === 'touch-servers') {
      for (const server of this.#servers.values()) {
        server.updatedAt = Math.max(this.#now(), server.updatedAt + 1000)
      }
    }
    const reply = this.#dispatch(ctx, found?.route)
    switch (fault?.kind) {
      case 'drop-after':
        note(`dropped after handling (${reply.status})`, fault)
        res.destroy()
        return
      case 'hang-after':
        note(`no answer after handling (${reply.status})`, fault)
        return
      case 'delay':
        await sleep(fault.ms, undefined, { signal: this.#closing.signal })
        return answer(reply)
      case 'rewrite':
        return answer({
          status: fault.status ?? reply.status,
          headers: { 'content-type': 'application/json' },
          body: fault.body
        })
      case 'override':
        return answer(overrideFields(reply, fault.fields))
      case 'trickle': {
        const { headers, text } = serialize(reply)
        const body = Buffer.from(text)
        return answer(
          { status: reply.status, headers: { ...headers, 'content-length': String(body.length) } },
          Readable.from(trickle(body, fault.chunkBytes, fault.intervalMs, this.#closing.signal))
        )
      }
      default:
        return answer(reply)
    }
  }

  /** Writes a reply, or its status and headers followed by `stream`. */
  async #write(res: ServerResponse, reply: Reply, stream?: Readable): Promise<void> {
    const { headers, text } = serialize(reply)
    res.statusCode = reply.status
    for (const [name, value] of Object.entries(headers)) res.setHeader(name, value)
    if (stream) await pipeline(stream, res)
    else res.end(text)
  }

  #takeFault(method: string, path: string): Fault | undefined {
    const index = this.#faults.findIndex(
      (rule) =>
        (rule.method === undefined || rule.method === method) &&
        (rule.path === undefined || matchesPath(path, rule.path))
    )
    const rule = this.#faults[index]
    if (!rule) return undefined
    rule.remaining -= 1
    if (rule.remaining <= 0) this.#faults.splice(index, 1)
    return rule.fault
  }

  #log(line: string): void {
    this.#options.log?.(line)
  }

  #onError(res: ServerResponse, error: unknown): void {
    if (res.headersSent || this.#closing.signal.aborted) {
      res.destroy()
      return
    }
    this.#log(`simulator error: ${String(error)}`)
    res.statusCode = 500
    res.setHeader('content-type', 'application/json')
    res.end(JSON.stringify({ detail: 'A server error occurred.' }))
  }
}
