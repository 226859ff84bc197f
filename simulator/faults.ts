/**
 * Fault injection: the rules a test (or the control endpoint) queues, and what each fault does to
 * a request, before the API handles it (answer instead, drop, hang) or after (delay, rewrite,
 * trickle, drop the answer...).
 */
import { Readable } from 'node:stream'
import { setTimeout as sleep } from 'node:timers/promises'
import { type ApiRequest, type Reply, apiError, looseJson, serialize } from './validation.js'

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
  /**
   * Matches only the requests naming this server: in the path (`/servers/ID/...`), the
   * `server_id` query parameter or the JSON body's `server_id` (see `requestServerId`).
   */
  serverId?: number
  /** Default 1; Infinity allowed. */
  times?: number
  fault: Fault
}

interface PendingFault {
  method?: string
  path?: string | RegExp
  serverId?: number
  remaining: number
  fault: Fault
}

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

export function matchesPath(path: string, pattern: string | RegExp): boolean {
  // String.prototype.search ignores a RegExp's global flag and lastIndex.
  return typeof pattern === 'string' ? path === pattern : path.search(pattern) >= 0
}

/** Validates a FaultRule received as JSON by the control endpoint. */
export function parseFaultRule(data: unknown): FaultRule {
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
    rule.serverId !== undefined &&
      !Number.isSafeInteger(rule.serverId) &&
      '"serverId" must be an integer',
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
export function overrideFields(reply: Reply, fields: Record<string, unknown>): Reply {
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

/**
 * The server a request names: `/servers/ID/...` in its path, else its `server_id` query
 * parameter, else its JSON body's `server_id`; undefined when it names none. A DELETE of a
 * backup names no server.
 */
export function requestServerId(request: ApiRequest): number | undefined {
  const inPath = /^\/api\/v1\/servers\/(\d+)\//.exec(request.url.pathname)?.[1]
  const inQuery = request.url.searchParams.get('server_id')
  const body = looseJson(request.rawBody) as { server_id?: unknown } | null
  const candidates = [inPath, inQuery, typeof body === 'object' ? body?.server_id : undefined]
  const found = candidates.find((value) => value !== undefined && value !== null && value !== '')
  return found === undefined ? undefined : Number(found)
}

/** What becomes of a request: an answer (its body possibly streamed), or none at all. */
export type Outcome =
  { kind: 'answer'; reply: Reply; stream?: Readable } | { kind: 'drop' | 'hang'; note: string }

/** The faults waiting for their requests: consumed in order of injection, the first match wins. */
export class FaultQueue {
  readonly #pending: PendingFault[] = []

  push(rule: FaultRule): void {
    this.#pending.push({
      method: rule.method?.toUpperCase(),
      path: rule.path,
      serverId: rule.serverId,
      remaining: rule.times ?? 1,
      fault: rule.fault
    })
  }

  clear(): void {
    this.#pending.length = 0
  }

  take(request: ApiRequest): Fault | undefined {
    const { method, url } = request
    const index = this.#pending.findIndex(
      (rule) =>
        (rule.method === undefined || rule.method === method) &&
        (rule.path === undefined || matchesPath(url.pathname, rule.path)) &&
        (rule.serverId === undefined || rule.serverId === requestServerId(request))
    )
    const rule = this.#pending[index]
    if (!rule) return undefined
    rule.remaining -= 1
    if (rule.remaining <= 0) this.#pending.splice(index, 1)
    return rule.fault
  }
}

/** The outcome of a fault that keeps the API from handling the request; undefined otherwise. */
export async function instead(
  fault: Fault | undefined,
  request: ApiRequest,
  signal: AbortSignal
): Promise<Outcome | undefined> {
  const answer = (reply: Reply, stream?: Readable): Outcome => ({ kind: 'answer', reply, stream })
  switch (fault?.kind) {
    case 'drop':
      return { kind: 'drop', note: 'dropped' }
    case 'hang':
      return { kind: 'hang', note: 'no answer' }
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
      return answer(echoReply(request.authorization, fault.place, fault.encoding))
    case 'endless-pages':
      await sleep(fault.ms ?? 0, undefined, { signal })
      return answer(endlessPage(request.url, request.host, fault.padding ?? 0))
    default:
      // No fault, or one that lets the API handle the request (see after()).
      return undefined
  }
}

/** The outcome of the API's `reply` once a fault that lets the API handle it has acted. */
export async function after(
  fault: Fault | undefined,
  reply: Reply,
  signal: AbortSignal
): Promise<Outcome> {
  switch (fault?.kind) {
    case 'drop-after':
      return { kind: 'drop', note: `dropped after handling (${reply.status})` }
    case 'hang-after':
      return { kind: 'hang', note: `no answer after handling (${reply.status})` }
    case 'delay':
      await sleep(fault.ms, undefined, { signal })
      return { kind: 'answer', reply }
    case 'rewrite':
      return {
        kind: 'answer',
        reply: {
          status: fault.status ?? reply.status,
          headers: { 'content-type': 'application/json' },
          body: fault.body
        }
      }
    case 'override':
      return { kind: 'answer', reply: overrideFields(reply, fault.fields) }
    case 'trickle': {
      const { headers, text } = serialize(reply)
      const body = Buffer.from(text)
      return {
        kind: 'answer',
        reply: {
          status: reply.status,
          headers: { ...headers, 'content-length': String(body.length) }
        },
        stream: Readable.from(trickle(body, fault.chunkBytes, fault.intervalMs, signal))
      }
    }
    default:
      // No fault, or one that acted instead of the API (see instead()).
      return { kind: 'answer', reply }
  }
}
