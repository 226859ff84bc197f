import { type IncomingMessage, type ServerResponse, createServer } from 'node:http'
import { setTimeout as delay } from 'node:timers/promises'
import { Agent } from 'undici'
import { type ClientOptions, VpsOrgClient } from '../../src/vpsorg/client.js'
import type { Clock } from '../../src/common/clock.js'
import { CancelledError } from '../../src/common/errors.js'
import { EPOCH } from './fake-clock.js'
import { listenLocally } from './local-server.js'
import { memoryLogger } from './memory-logger.js'

/** A VPS.org API on a local port and a client on a clock the test moves: the request gate as the client uses it. */

const closers: (() => Promise<void>)[] = []
/** Closes every server and dispatcher made here: each test file's afterEach. */
export async function closeGated(): Promise<void> {
  await Promise.all(closers.splice(0).map((close) => close()))
}

export type Handler = (req: IncomingMessage, res: ServerResponse) => void | Promise<void>

/** A VPS.org API on a local port: `seen` lists each request's path as it arrives. */
export async function gatedApi(handle: Handler) {
  const seen: string[] = []
  const server = createServer((req, res) => {
    seen.push(req.url!)
    void handle(req, res)
  })
  const { url, close } = await listenLocally(server)
  closers.push(close)
  return { url, seen }
}

export function gatedClient(url: string, options: Partial<ClientOptions> & { clock: Clock }) {
  const dispatcher = new Agent()
  closers.push(() => dispatcher.close())
  const controller = new AbortController()
  const log = memoryLogger()
  const vps = new VpsOrgClient({
    apiUrl: `${url}/api/v1`,
    token: 'vps_client_gate_token',
    dispatcher,
    random: () => 1,
    signal: controller.signal,
    deadline: options.clock.now() + 3_600_000,
    log,
    userAgent: 'vpsorg-backup-action/test',
    ...options
  })
  return { vps, controller, log }
}

export const serverOf = (id: number) => ({
  id,
  name: `web-${id}`,
  status: 'active',
  updated_at: '2025-01-15T10:20:00Z'
})

export function answer(res: ServerResponse, status: number, body: unknown, headers = {}) {
  res.writeHead(status, { 'content-type': 'application/json', ...headers })
  res.end(JSON.stringify(body))
}

export const idOf = (req: IncomingMessage) => Number(/servers\/(\d+)\//.exec(req.url!)![1])

/** A clock whose sleeps end only when the test moves time past them. */
export function manualClock() {
  let t = EPOCH
  const sleepers: { until: number; wake: () => void }[] = []
  const clock: Clock = {
    now: () => t,
    sleep: (ms, signal) =>
      new Promise<void>((resolve, reject) => {
        if (signal?.aborted) return reject(new CancelledError())
        const sleeper = { until: t + ms, wake: resolve }
        sleepers.push(sleeper)
        signal?.addEventListener('abort', () => {
          sleepers.splice(sleepers.indexOf(sleeper), 1)
          reject(new CancelledError())
        })
      })
  }
  return {
    clock,
    /** How many sleeps are running. */
    sleeping: () => sleepers.length,
    advance(ms: number) {
      t += ms
      for (const sleeper of sleepers.filter((s) => s.until <= t)) {
        sleepers.splice(sleepers.indexOf(sleeper), 1)
        sleeper.wake()
      }
    }
  }
}

/** Waits (in real time, briefly) until `condition` holds. */
export async function until(condition: () => boolean) {
  for (let i = 0; !condition(); i++) {
    if (i > 200) throw new Error('timed out waiting for a condition')
    await delay(5)
  }
}
