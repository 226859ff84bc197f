/**
 * A stateful simulator of the VPS.org REST API, following the contract in
 * docs/vpsorg-api.md (Backups API, restore, servers, account/me), with injectable
 * faults for testing clients, served over HTTP. Its parts:
 * - model.ts: servers, backups and restores on an injectable clock;
 * - validation.ts: requests parsed and validated as Django REST Framework does, its error bodies;
 * - routes.ts: authentication and one handler per endpoint (`Api.handle`, usable in-process);
 * - faults.ts: the faults queued for requests, and what each does;
 * - this file: the HTTP server, which records each request and applies its fault.
 *
 * Control surface, NOT part of the VPS.org API (no auth, never recorded or faulted), for driving
 * the simulator from a shell:
 *   GET  /__simulator__/state   -> {"servers": [...], "backups": [...], "restores": [...], "requests": N}
 *                                  (servers and backups as the API shows them, backups with `deleted`)
 *   POST /__simulator__/faults  -> 204; body: a FaultRule as JSON, `path` an exact string, `times`
 *                                  a number or the string "Infinity", `serverId` a server's id
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { pipeline } from 'node:stream/promises'
import { App, type AppOptions } from './app.js'
import {
  type Fault,
  FaultQueue,
  type FaultRule,
  type Outcome,
  after,
  instead,
  matchesPath,
  parseFaultRule
} from './faults.js'
import { Model } from './model.js'
import { Api, type ApiOptions, type Route, type RouteMatch } from './routes.js'
import { SlidingWindowThrottle, type ThrottleOptions } from './throttle.js'
import type { ModelOptions } from './types.js'
import { type ApiRequest, type Reply, looseJson, parseJson, serialize } from './validation.js'

export type { EchoEncoding, EchoPlace, Fault, FaultRule } from './faults.js'
export { seededRandom } from './model.js'
export type { ThrottleOptions } from './throttle.js'
export type {
  BackupRecord,
  CapRefusalShape,
  BackupStatus,
  BackupType,
  BackupView,
  RestoreRecord,
  ServerStatus,
  SimulatorEvent
} from './types.js'

export interface SimulatorOptions extends ModelOptions, ApiOptions {
  /** Default '127.0.0.1'. */
  host?: string
  /** Default 0 (ephemeral). */
  port?: number
  /** Runs an app per server, for health checks (see app.ts). Default: no app. */
  app?: AppOptions
  /**
   * DRF's throttle (SimpleRateThrottle): at most `requests` API requests in any `windowMs`, every
   * request counted; one over the rate is answered 429 with Retry-After (see throttle.ts), before
   * any fault. Default: no throttle.
   */
  throttle?: ThrottleOptions
  /** Called with one line per request, e.g. "POST /api/v1/backups/ -> 201". Never contains the token. */
  log?: (line: string) => void
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

/** How a request the throttle refused is logged: as a fault of its own kind (the fault matrix counts it). */
const THROTTLED = { kind: 'throttle' } as const

/** The model served over HTTP: the API's routes, with faults, and every request recorded. */
export class Simulator extends Model {
  readonly token: string
  readonly requests: RequestRecord[] = []

  readonly #log: (line: string) => void
  readonly #api: Api
  readonly #http: Server
  readonly #closing = new AbortController()
  readonly #apps = new Map<number, App>()
  readonly #faults = new FaultQueue()
  readonly #throttle: SlidingWindowThrottle | undefined
  #origin = ''

  private constructor(options: SimulatorOptions) {
    super(options)
    this.#log = options.log ?? (() => {})
    this.#api = new Api(this, options, this.#controlRoutes())
    this.token = this.#api.token
    this.#throttle = options.throttle && new SlidingWindowThrottle(options.throttle, this.now)
    this.#http = createServer((req, res) => {
      // The Date header tells the simulator's clock (injectable), as a real API's tells its own.
      res.sendDate = false
      res.setHeader('date', new Date(this.now()).toUTCString())
      this.#onRequest(req, res).catch((error: unknown) => this.#onError(res, error))
    })
  }

  static async start(options: SimulatorOptions = {}): Promise<Simulator> {
    const simulator = new Simulator(options)
    await simulator.#listen(options.host ?? '127.0.0.1', options.port ?? 0)
    if (options.app) {
      for (const id of simulator.serverIds()) {
        const view = (): { status: string; updatedAt: number } => simulator.serverView(id)
        simulator.#apps.set(id, await App.start(view, options.app, simulator.now))
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
    this.#faults.push(rule)
  }

  clearFaults(): void {
    this.#faults.clear()
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

  #controlRoutes(): Route[] {
    return [
      {
        pattern: /^\/__simulator__\/state$/,
        control: true,
        methods: {
          GET: () => ({
            status: 200,
            body: { ...this.snapshot(), requests: this.requests.length }
          })
        }
      },
      {
        pattern: /^\/__simulator__\/faults$/,
        control: true,
        methods: {
          POST: (request) => {
            this.inject(parseFaultRule(parseJson(request.rawBody)))
            return { status: 204 }
          }
        }
      }
    ]
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

  /** Reads the request, takes its fault, lets the API handle it (unless the fault says not to), answers. */
  async #onRequest(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const request = await this.#read(req)
    const found = this.#api.find(request.url.pathname)
    if (found?.route.control) {
      return this.#send(res, request, { kind: 'answer', reply: this.#api.dispatch(request, found) })
    }
    const record = this.#record(req, request)
    const throttled = found && this.#throttle?.check()
    if (throttled) {
      return this.#send(res, request, { kind: 'answer', reply: throttled }, record, THROTTLED)
    }
    const fault = this.#faults.take(request)
    const signal = this.#closing.signal
    const outcome =
      (await instead(fault, request, signal)) ??
      (await after(fault, this.#handle(request, found, fault), signal))
    return this.#send(res, request, outcome, record, fault)
  }

  async #read(req: IncomingMessage): Promise<ApiRequest> {
    const chunks: Buffer[] = []
    for await (const chunk of req) chunks.push(chunk as Buffer)
    return {
      method: req.method ?? 'GET',
      url: new URL(req.url ?? '/', this.#origin),
      rawBody: Buffer.concat(chunks).toString('utf8'),
      contentType: req.headers['content-type'],
      authorization: req.headers.authorization,
      host: req.headers.host
    }
  }

  #record(req: IncomingMessage, request: ApiRequest): RequestRecord {
    const record: RequestRecord = {
      at: this.now(),
      method: request.method,
      path: request.url.pathname,
      query: Object.fromEntries(request.url.searchParams),
      body: request.rawBody === '' ? undefined : looseJson(request.rawBody),
      status: null,
      authorization: request.authorization,
      headers: req.headers
    }
    this.requests.push(record)
    return record
  }

  #handle(request: ApiRequest, found: RouteMatch | undefined, fault: Fault | undefined): Reply {
    if (fault?.kind === 'touch-servers') this.touchServers()
    return this.#api.dispatch(request, found)
  }

  /** Answers (recording the status), drops or leaves hanging, and logs one line. */
  async #send(
    res: ServerResponse,
    request: ApiRequest,
    outcome: Outcome,
    record?: RequestRecord,
    fault?: Pick<Fault, 'kind'> | typeof THROTTLED
  ): Promise<void> {
    const outcomeText = outcome.kind === 'answer' ? outcome.reply.status : outcome.note
    const faultText = fault ? ` (fault: ${fault.kind})` : ''
    this.#log(
      `${request.method} ${request.url.pathname}${request.url.search} -> ${outcomeText}${faultText}`
    )
    if (outcome.kind === 'drop') res.destroy()
    if (outcome.kind !== 'answer') return
    if (record) record.status = outcome.reply.status
    const { headers, text } = serialize(outcome.reply)
    res.statusCode = outcome.reply.status
    for (const [name, value] of Object.entries(headers)) res.setHeader(name, value)
    if (outcome.stream) await pipeline(outcome.stream, res)
    else res.end(text)
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
