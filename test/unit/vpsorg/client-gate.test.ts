import { type IncomingMessage, type ServerResponse, createServer } from 'node:http'
import { setTimeout as delay } from 'node:timers/promises'
import { Agent } from 'undici'
import { afterEach, describe, expect, it } from 'vitest'
import { type ClientOptions, VpsOrgClient } from '../../../src/vpsorg/client.js'
import type { Clock } from '../../../src/common/clock.js'
import { ApiError, CancelledError, PausedError } from '../../../src/common/errors.js'
import { MAX_IN_FLIGHT } from '../../../src/vpsorg/gate.js'
import { EPOCH, fakeClock } from '../../helpers/fake-clock.js'
import { listenLocally } from '../../helpers/local-server.js'
import { memoryLogger } from '../../helpers/memory-logger.js'
import { rejection } from '../../helpers/rejection.js'

/** The request gate (src/gate.ts) as the client uses it: one gate for the client and its copies. */

const HOUR = 3_600_000

const closers: (() => Promise<void>)[] = []
afterEach(async () => {
  await Promise.all(closers.splice(0).map((close) => close()))
})

type Handler = (req: IncomingMessage, res: ServerResponse) => void | Promise<void>

/** A VPS.org API on a local port: `seen` lists each request's path as it arrives. */
async function localApi(handle: Handler) {
  const seen: string[] = []
  const server = createServer((req, res) => {
    seen.push(req.url!)
    void handle(req, res)
  })
  const { url, close } = await listenLocally(server)
  closers.push(close)
  return { url, seen }
}

function client(url: string, options: Partial<ClientOptions> & { clock: Clock }) {
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
    deadline: options.clock.now() + HOUR,
    log,
    userAgent: 'vpsorg-backup-action/test',
    ...options
  })
  return { vps, controller, log }
}

const server = (id: number) => ({
  id,
  name: `web-${id}`,
  status: 'active',
  updated_at: '2025-01-15T10:20:00Z'
})

function answer(res: ServerResponse, status: number, body: unknown, headers = {}) {
  res.writeHead(status, { 'content-type': 'application/json', ...headers })
  res.end(JSON.stringify(body))
}

const idOf = (req: IncomingMessage) => Number(/servers\/(\d+)\//.exec(req.url!)![1])

/** A clock whose sleeps end only when the test moves time past them. */
function manualClock() {
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
async function until(condition: () => boolean) {
  for (let i = 0; !condition(); i++) {
    if (i > 200) throw new Error('timed out waiting for a condition')
    await delay(5)
  }
}

describe('VpsOrgClient: requests in flight', () => {
  it(`never has more than ${MAX_IN_FLIGHT} requests in flight, across withDeadline copies, and answers all`, async () => {
    let inFlight = 0
    let most = 0
    const api = await localApi(async (req, res) => {
      most = Math.max(most, ++inFlight)
      await delay(20)
      inFlight--
      answer(res, 200, server(idOf(req)))
    })
    const clock = fakeClock()
    const { vps } = client(api.url, { clock })
    const copy = vps.withDeadline(EPOCH + HOUR / 2)
    const ids = Array.from({ length: 20 }, (_, i) => i + 1)
    const servers = await Promise.all(ids.map((id) => (id % 2 ? vps : copy).getServer(id)))
    expect(servers.map((s) => s.id)).toEqual(ids)
    expect(api.seen).toHaveLength(20)
    expect(most).toBe(MAX_IN_FLIGHT)
    expect(clock.sleeps).toEqual([])
  })
})

describe('VpsOrgClient: the slot of a request that failed', () => {
  it('is freed: more failed requests than slots, then one that succeeds', async () => {
    const api = await localApi((req, res) => {
      const id = idOf(req)
      if (id === 1) answer(res, 200, server(id))
      else answer(res, 404, { detail: 'Not found.' })
    })
    const { vps } = client(api.url, { clock: fakeClock() })
    for (let id = 2; id < 2 + 2 * MAX_IN_FLIGHT; id++) {
      expect(((await rejection(vps.getServer(id))) as ApiError).status).toBe(404)
    }
    expect((await vps.getServer(1)).id).toBe(1)
  })
})

describe('VpsOrgClient: a 429 pauses every request', () => {
  /** Server 1 is answered 429 with Retry-After: 5 once; every other request 200. */
  async function slowDownOnce() {
    let told = false
    const api = await localApi((req, res) => {
      const id = idOf(req)
      if (id === 1 && !told) {
        told = true
        answer(res, 429, { detail: 'Slow down.' }, { 'retry-after': '5' })
      } else answer(res, 200, server(id))
    })
    const manual = manualClock()
    const c = client(api.url, { clock: manual.clock })
    const first = c.vps.getServer(1)
    // Server 1's request got its 429: it sleeps 5 s before it is retried.
    await until(() => manual.sleeping() === 1)
    return { ...c, ...manual, api, first }
  }

  it("holds server 2's request, and a withDeadline copy's, until Retry-After has passed", async () => {
    const h = await slowDownOnce()
    const second = h.vps.getServer(2)
    const third = h.vps.withDeadline(EPOCH + HOUR / 2).getServer(3)
    await until(() => h.sleeping() === 3)
    h.advance(4999)
    await delay(50)
    expect(h.api.seen).toEqual(['/api/v1/servers/1/'])
    h.advance(1)
    const servers = await Promise.all([h.first, second, third])
    expect(servers.map((s) => s.id)).toEqual([1, 2, 3])
    expect(h.api.seen.slice(1).sort()).toEqual([
      '/api/v1/servers/1/',
      '/api/v1/servers/2/',
      '/api/v1/servers/3/'
    ])
    expect(h.log.of('info')).toContain(
      'VPS.org answered HTTP 429 (Too Many Requests): every request waits 5s (Retry-After).'
    )
    expect(h.log.of('info').filter((line) => line.includes('every request waits'))).toHaveLength(1)
  })

  it('throws CancelledError at once for a request waiting out the pause, which is never sent', async () => {
    const h = await slowDownOnce()
    const second = h.vps.getServer(2)
    await until(() => h.sleeping() === 2)
    h.controller.abort()
    expect(await rejection(second)).toBeInstanceOf(CancelledError)
    expect(await rejection(h.first)).toBeInstanceOf(CancelledError)
    expect(h.api.seen).toEqual(['/api/v1/servers/1/'])
  })

  it('fails at once, without sending it, a request whose deadline comes before the pause ends', async () => {
    const h = await slowDownOnce()
    const error = await rejection(h.vps.withDeadline(EPOCH + 3000).getServer(2))
    expect(error).toBeInstanceOf(PausedError)
    expect(error).not.toBeInstanceOf(ApiError)
    expect(error.message).toBe(
      'Could not read the status of server 2: not sent: the API asked every request to wait 5s (Retry-After, HTTP 429), past the timeout'
    )
    expect(h.api.seen).toEqual(['/api/v1/servers/1/'])
    // The request that got the 429 is retried as before.
    h.advance(5000)
    expect((await h.first).id).toBe(1)
  })
})
