import {
  type RequestListener,
  type Server as HttpServer,
  STATUS_CODES,
  createServer
} from 'node:http'
import type { Duplex } from 'node:stream'
import { vi } from 'vitest'
import { type ClientOptions, VpsOrgClient } from '../../src/vpsorg/client.js'
import { dispatcherFor } from '../../src/vpsorg/dispatcher.js'
import { type FakeClock, fakeClock } from './fake-clock.js'
import { memoryLogger } from './memory-logger.js'
import { listenLocally } from './local-server.js'

/** A VPS.org API (and a proxy) on a local port, and a VpsOrgClient as the action makes it. */

export const SERVER_PATH = '/api/v1/servers/12345/'
export const SERVER = {
  id: 12345,
  name: 'web-server-01',
  status: 'active',
  updated_at: '2025-01-15T10:20:00Z'
}

const closers: (() => Promise<void>)[] = []
/** Closes every server, proxy and dispatcher made here: each test file's afterEach. */
export async function closeLocal(): Promise<void> {
  await Promise.all(closers.splice(0).map((close) => close()))
}

/** An HTTP server on a local port; `requests` counts what it received (CONNECTs included). */
async function listen(server: HttpServer): Promise<{ url: string; requests: string[] }> {
  const requests: string[] = []
  server.prependListener('request', (req) => requests.push(`${req.method} ${req.url}`))
  server.prependListener('connect', (req) => requests.push(`CONNECT ${req.url}`))
  const { url, close } = await listenLocally(server)
  closers.push(close)
  return { url, requests }
}

/** A VPS.org API on a local port that answers with `handle`. */
export function localApi(handle: RequestListener) {
  return listen(createServer(handle))
}

/** A proxy on a local port that refuses every tunnel with `status`. */
export function refusingProxy(status: number) {
  const proxy = createServer()
  proxy.on('connect', (_req, socket: Duplex) => {
    socket.end(`HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\nContent-Length: 0\r\n\r\n`)
  })
  return listen(proxy)
}

/** A VpsOrgClient as the action makes it: its dispatcher from `env` (dispatcherFor). */
export function client(
  apiUrl: string,
  { clock = fakeClock(), ...options }: Partial<ClientOptions> & { clock?: FakeClock } = {},
  env: NodeJS.ProcessEnv = {}
) {
  // EnvHttpProxyAgent prints an "experimental" warning.
  vi.spyOn(process, 'emitWarning').mockImplementation(() => undefined)
  const dispatcher = dispatcherFor(env)
  closers.push(() => dispatcher.close())
  const log = memoryLogger()
  const controller = new AbortController()
  const vps = new VpsOrgClient({
    apiUrl: `${apiUrl}/api/v1`,
    token: 'vps_client_mutants_token',
    dispatcher,
    clock,
    random: () => 1,
    signal: controller.signal,
    deadline: clock.now() + 3_600_000,
    log,
    userAgent: 'vpsorg-backup-action/test',
    ...options
  })
  return { vps, clock, log, controller }
}

/** Answers each request with the next of `replies` (status and body as it is); the last repeats. */
export function replying(...replies: [number, string][]): RequestListener {
  let i = 0
  return (_req, res) => {
    const [status, body] = replies[Math.min(i++, replies.length - 1)]!
    res.writeHead(status, { 'content-type': 'application/json' }).end(body)
  }
}

/** Answers after 2.5 s (a hung request, but one that fails a test quickly if it is waited for). */
export const slow: RequestListener = (_req, res) => {
  const timer = setTimeout(() => res.end(JSON.stringify(SERVER)), 2500)
  res.on('close', () => clearTimeout(timer))
}
