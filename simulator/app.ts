/**
 * The app a simulated server runs, for health checks: an HTTP endpoint and a TCP port whose health
 * follows the server. While the server is not `active` (restoring), /health answers 503 and the
 * TCP port refuses connections; once it is active again, the app boots for `bootMs`, then
 * /health answers 200 with `healthy` and the port accepts. A fault changes what a booted app does:
 *
 * - `broken`: stays down (HTTP 500, port closed), as an app whose restored data does not start.
 * - `flap`: /health answers 200 and 503 in turn, request after request.
 * - `hang`: /health never answers (until close()).
 * - `wrong-body`: /health answers 200 with a maintenance page instead of `healthy`.
 * - `trickle`: /health answers 200 at once, then a body that never ends (a byte every 100 ms,
 *   never `healthy`), as an app stuck mid-answer.
 *
 * /redirect/N redirects N times, then to /health. Every request's headers are recorded, so a test
 * can prove what reached the app (never the VPS.org token).
 */
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http'
import { type Server as TcpServer, createServer as createTcpServer } from 'node:net'
import type { AddressInfo } from 'node:net'

export type AppFault = 'none' | 'broken' | 'flap' | 'hang' | 'wrong-body' | 'trickle'
export const APP_FAULTS: AppFault[] = ['none', 'broken', 'flap', 'hang', 'wrong-body', 'trickle']

export interface AppOptions {
  /** How long the app takes to answer after its server became active. Default 0. */
  bootMs?: number
  /** What the booted app does; default `none` (healthy). */
  fault?: AppFault
}

/** The server as the app sees it: its status, and since when (the end of a restore). */
export type ServerView = () => { status: string; updatedAt: number }

export interface AppRequest {
  at: number
  method: string
  path: string
  headers: IncomingHttpHeaders
}

export const HEALTHY_BODY = 'healthy'
const TCP_SYNC_MS = 10
const TRICKLE_MS = 100

export class App {
  readonly requests: AppRequest[] = []
  fault: AppFault
  /** A blip: the next this many /health requests of a booted app answer 503, whatever the fault. */
  failNext = 0
  readonly bootMs: number
  readonly #server: ServerView
  readonly #now: () => number
  readonly #http: Server
  readonly #tcp: TcpServer
  readonly #hung = new Set<() => void>()
  #tcpPort = 0
  #tcpListening = true
  #tcpBusy = false
  #closed = false
  #timer: NodeJS.Timeout | undefined
  #flaps = 0
  #origin = ''

  private constructor(server: ServerView, options: AppOptions, now: () => number) {
    this.#server = server
    this.#now = now
    this.bootMs = options.bootMs ?? 0
    this.fault = options.fault ?? 'none'
    this.#http = createServer((req, res) => {
      const path = req.url ?? '/'
      this.requests.push({ at: now(), method: req.method ?? '', path, headers: req.headers })
      const redirect = /^\/redirect\/(\d+)$/.exec(path)
      if (redirect) {
        const left = Number(redirect[1])
        res.writeHead(302, { location: left > 1 ? `/redirect/${left - 1}` : '/health' }).end()
        return
      }
      if (path !== '/health') {
        res.writeHead(404).end('not found')
        return
      }
      const { status, body } = this.#answer()
      if (status === 0) {
        this.#hung.add(() => res.destroy())
        return
      }
      if (this.fault === 'trickle' && status === 200) {
        res.writeHead(200, { 'content-type': 'text/plain' })
        const timer = setInterval(() => res.write('.'), TRICKLE_MS)
        const end = (): void => {
          clearInterval(timer)
          res.destroy()
        }
        res.once('close', end)
        this.#hung.add(end)
        return
      }
      res.writeHead(status, { 'content-type': 'text/plain' }).end(body)
    })
    this.#tcp = createTcpServer((socket) => socket.end())
  }

  /** Starts the app on loopback ports. */
  static async start(server: ServerView, options: AppOptions = {}, now = Date.now): Promise<App> {
    const app = new App(server, options, now)
    await new Promise<void>((resolve) => app.#http.listen(0, '127.0.0.1', resolve))
    await new Promise<void>((resolve) => app.#tcp.listen(0, '127.0.0.1', resolve))
    app.#origin = `http://127.0.0.1:${(app.#http.address() as AddressInfo).port}`
    app.#tcpPort = (app.#tcp.address() as AddressInfo).port
    app.#timer = setInterval(() => void app.#syncTcp(), TCP_SYNC_MS).unref()
    await app.#syncTcp()
    return app
  }

  /** e.g. http://127.0.0.1:41235/health */
  get healthUrl(): string {
    return `${this.#origin}/health`
  }

  /** e.g. http://127.0.0.1:41235 */
  get origin(): string {
    return this.#origin
  }

  /** e.g. tcp://127.0.0.1:41236 */
  get tcpUrl(): string {
    return `tcp://127.0.0.1:${this.#tcpPort}`
  }

  /** When the app became (or becomes) healthy; undefined while its server is not active. */
  get healthySince(): number | undefined {
    const { status, updatedAt } = this.#server()
    return status === 'active' && this.fault !== 'broken' ? updatedAt + this.bootMs : undefined
  }

  #up(): boolean {
    const since = this.healthySince
    return since !== undefined && this.#now() >= since
  }

  /** Status 0: hang. */
  #answer(): { status: number; body: string } {
    const { status } = this.#server()
    if (status !== 'active') return { status: 503, body: `server ${status}` }
    if (this.fault === 'broken') return { status: 500, body: 'internal error' }
    if (!this.#up()) return { status: 503, body: 'booting' }
    if (this.failNext > 0) {
      this.failNext--
      return { status: 503, body: 'blip' }
    }
    switch (this.fault) {
      case 'hang':
        return { status: 0, body: '' }
      case 'trickle':
        return { status: 200, body: '' }
      case 'wrong-body':
        return { status: 200, body: '<h1>Down for maintenance</h1>' }
      case 'flap':
        return this.#flaps++ % 2 ? { status: 503, body: 'flapping' } : ok()
      default:
        return ok()
    }
  }

  /** The TCP port listens exactly while the app is up: a connection is refused otherwise. */
  async #syncTcp(): Promise<void> {
    const up = this.#up()
    if (this.#closed || this.#tcpBusy || up === this.#tcpListening) return
    this.#tcpBusy = true
    await new Promise<void>((resolve) =>
      up ? this.#tcp.listen(this.#tcpPort, '127.0.0.1', resolve) : this.#tcp.close(() => resolve())
    )
    this.#tcpListening = up
    this.#tcpBusy = false
  }

  async close(): Promise<void> {
    this.#closed = true
    clearInterval(this.#timer)
    while (this.#tcpBusy) await new Promise((resolve) => setTimeout(resolve, TCP_SYNC_MS))
    for (const end of this.#hung) end()
    await new Promise<void>((resolve) => {
      this.#http.close(() => resolve())
      this.#http.closeAllConnections()
    })
    if (this.#tcpListening) await new Promise<void>((resolve) => this.#tcp.close(() => resolve()))
  }
}

const ok = (): { status: number; body: string } => ({ status: 200, body: HEALTHY_BODY })
