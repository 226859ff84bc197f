import { type IncomingHttpHeaders, type Server, type ServerResponse, createServer } from 'node:http'
import {
  type AddressInfo,
  type Server as TcpServer,
  createServer as createTcpServer
} from 'node:net'
import { Agent } from 'undici'
import { afterEach, describe, expect, it } from 'vitest'
import { CancelledError } from '../../../src/common/errors.js'
import type { HealthCheck } from '../../../src/inputs/settings.js'
import {
  MAX_BODY_BYTES,
  MAX_REDIRECTS,
  PROBE_TIMEOUT_MS,
  createProber
} from '../../../src/health/probe.js'
import { rejection } from '../../helpers/rejection.js'

/*
 * The probe edge against real loopback servers: what the body limit, the redirects and the time
 * limits do, and which headers leave the runner.
 */

const servers: Array<Server | TcpServer> = []
const timers: NodeJS.Timeout[] = []
afterEach(async () => {
  timers.splice(0).forEach(clearInterval)
  await Promise.all(
    servers.splice(0).map(
      (server) =>
        new Promise<void>((resolve) => {
          if ('closeAllConnections' in server) server.closeAllConnections()
          server.close(() => resolve())
        })
    )
  )
})

type Respond = (status: number, body?: string, location?: string) => void

/** A loopback server answering every request with `handler`; returns its origin and headers seen. */
async function serve(
  handler: (path: string, respond: Respond, res: ServerResponse) => void
): Promise<{ origin: string; seen: IncomingHttpHeaders[]; paths: string[] }> {
  const seen: IncomingHttpHeaders[] = []
  const paths: string[] = []
  const server = createServer((req, res) => {
    seen.push(req.headers)
    paths.push(req.url ?? '/')
    handler(
      req.url ?? '/',
      (status, body = '', location) => {
        res.writeHead(status, location ? { location } : {}).end(body)
      },
      res
    )
  })
  servers.push(server)
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return { origin: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, seen, paths }
}

/** A body that never ends: one byte every 20 ms, never `healthy`. */
function trickle(res: ServerResponse): void {
  res.writeHead(200, { 'content-type': 'text/plain' })
  timers.push(setInterval(() => res.write('x'), 20))
}

interface ProbeCall {
  contains?: string
  limitMs?: number
  timeoutMs?: number
  signal?: AbortSignal
}

const probe = (check: HealthCheck, { contains = '', limitMs = 5000, ...rest }: ProbeCall = {}) =>
  createProber({
    dispatcher: new Agent(),
    userAgent: 'test-agent',
    contains,
    timeoutMs: rest.timeoutMs
  })(check, rest.signal ?? new AbortController().signal, limitMs)

/** The probe's result and how long it took. */
async function timed(check: HealthCheck, call: ProbeCall = {}) {
  const start = performance.now()
  const result = await probe(check, call)
  return { result, ms: performance.now() - start }
}

const http = (target: string, credentials?: { username: string; password: string }): HealthCheck =>
  credentials ? { kind: 'http', target, credentials } : { kind: 'http', target }

describe('createProber: http checks', () => {
  it.each([
    [200, true],
    [204, true],
    [299, true],
    [300, false],
    [302, false], // a redirect without Location
    [304, false],
    [404, false],
    [500, false],
    [503, false]
  ])('HTTP %d is healthy: %s', async (status, ok) => {
    const { origin } = await serve((_, respond) => respond(status, 'healthy'))
    expect(await probe(http(`${origin}/health`))).toEqual({ ok, answer: `HTTP ${status}` })
  })

  it('a 503 is never healthy, whatever its body says and with or without health_contains', async () => {
    const { origin } = await serve((_, respond) => respond(503, 'healthy'))
    for (const contains of ['', 'healthy']) {
      expect(await probe(http(`${origin}/health`), { contains })).toEqual({
        ok: false,
        answer: 'HTTP 503'
      })
    }
  })

  it('with health_contains, a non-2xx page that contains the text is not healthy', async () => {
    const { origin } = await serve((path, respond) =>
      respond(path === '/500' ? 500 : 404, 'all healthy here')
    )
    expect(await probe(http(`${origin}/500`), { contains: 'healthy' })).toEqual({
      ok: false,
      answer: 'HTTP 500'
    })
    expect(await probe(http(`${origin}/404`), { contains: 'healthy' })).toEqual({
      ok: false,
      answer: 'HTTP 404'
    })
  })

  it('health_contains looks at the first 1 MiB of the body only', async () => {
    const { origin } = await serve((path, respond) =>
      respond(
        200,
        path === '/late'
          ? `${'x'.repeat(MAX_BODY_BYTES)}healthy`
          : path === '/edge'
            ? `${'x'.repeat(MAX_BODY_BYTES - 7)}healthy`
            : `healthy${'x'.repeat(2 * MAX_BODY_BYTES)}`
      )
    )
    expect(await probe(http(`${origin}/early`), { contains: 'healthy' })).toEqual({
      ok: true,
      answer: 'HTTP 200'
    })
    expect(await probe(http(`${origin}/edge`), { contains: 'healthy' })).toEqual({
      ok: true,
      answer: 'HTTP 200'
    })
    expect(await probe(http(`${origin}/late`), { contains: 'healthy' })).toEqual({
      ok: false,
      answer: 'HTTP 200 without the health_contains text in the body'
    })
  })

  it('health_contains finds text split across chunks, and stops reading once it has it', async () => {
    const { origin } = await serve((_, __, res) => {
      res.writeHead(200)
      res.write('heal')
      setTimeout(() => res.write('thy'), 20)
      // The rest never comes: the probe must not wait for it.
    })
    const { result, ms } = await timed(http(`${origin}/health`), {
      contains: 'healthy',
      limitMs: 2000
    })
    expect(result).toEqual({ ok: true, answer: 'HTTP 200' })
    expect(ms).toBeLessThan(1000)
  })

  it('stops reading at 1 MiB even when the body goes on for ever', async () => {
    const { origin } = await serve((_, __, res) => {
      res.writeHead(200)
      res.write('x'.repeat(MAX_BODY_BYTES))
      timers.push(setInterval(() => res.write('healthy'), 20))
    })
    const { result, ms } = await timed(http(`${origin}/health`), {
      contains: 'healthy',
      limitMs: 3000
    })
    expect(result).toEqual({
      ok: false,
      answer: 'HTTP 200 without the health_contains text in the body'
    })
    expect(ms).toBeLessThan(2000)
  })

  it('a short body without the text is not healthy', async () => {
    const { origin } = await serve((_, respond) => respond(200, 'maintenance'))
    expect(await probe(http(`${origin}/health`), { contains: 'healthy' })).toEqual({
      ok: false,
      answer: 'HTTP 200 without the health_contains text in the body'
    })
  })

  it('sends only the user agent, and no authorization without user-info', async () => {
    const { origin, seen } = await serve((_, respond) => respond(200))
    await probe(http(`${origin}/health`))
    expect(seen[0]!['user-agent']).toBe('test-agent')
    expect(seen[0]!.authorization).toBeUndefined()
  })

  it('a refused connection is a failing answer, not an error', async () => {
    const { origin } = await serve((_, respond) => respond(200))
    await new Promise<void>((resolve) => servers.pop()!.close(() => resolve()))
    const result = await probe(http(`${origin}/health`))
    expect(result.ok).toBe(false)
    expect(result.answer).toMatch(/^network error: ECONNREFUSED/)
  })
})

describe('createProber: redirects keep credentials on the origin', () => {
  const credentials = { username: 'mon', password: 'pw' }
  const basic = `Basic ${Buffer.from('mon:pw').toString('base64')}`

  it('sends the user-info as Basic authentication to its own origin only, never across a redirect', async () => {
    const other = await serve((_, respond) => respond(200, 'ok'))
    const own = await serve((path, respond) =>
      path === '/away' ? respond(302, '', `${other.origin}/health`) : respond(200, 'ok')
    )
    expect((await probe(http(`${own.origin}/away`, credentials))).ok).toBe(true)
    expect(own.seen.map((h) => h.authorization)).toEqual([basic])
    expect(other.seen.map((h) => h.authorization)).toEqual([undefined])
    expect(other.seen[0]!['user-agent']).toBe('test-agent')
  })

  it('keeps them for a relative redirect on the origin, and again when a redirect comes back to it', async () => {
    const own = await serve((path, respond) => {
      if (path === '/start') respond(301, '', '/next')
      else if (path === '/next') respond(307, '', `${other.origin}/bounce`)
      else respond(200, 'ok')
    })
    const other = await serve((_, respond) => respond(308, '', `${own.origin}/health`))
    expect(await probe(http(`${own.origin}/start`, credentials))).toEqual({
      ok: true,
      answer: 'HTTP 200'
    })
    expect(own.paths).toEqual(['/start', '/next', '/health'])
    expect(own.seen.map((h) => h.authorization)).toEqual([basic, basic, basic])
    expect(other.seen.map((h) => h.authorization)).toEqual([undefined])
  })

  it('the same host on another port is another origin', async () => {
    const other = await serve((_, respond) => respond(200))
    const own = await serve((_, respond) => respond(302, '', other.origin))
    await probe(http(`${own.origin}/`, credentials))
    expect(other.seen.map((h) => h.authorization)).toEqual([undefined])
  })

  it(`follows ${MAX_REDIRECTS} redirects, not ${MAX_REDIRECTS + 1}`, async () => {
    const { origin, paths } = await serve((path, respond) => {
      const left = Number(path.slice(1))
      if (left > 0) respond(302, '', `/${left - 1}`)
      else respond(200)
    })
    expect(await probe(http(`${origin}/${MAX_REDIRECTS}`))).toEqual({
      ok: true,
      answer: 'HTTP 200'
    })
    paths.length = 0
    expect(await probe(http(`${origin}/${MAX_REDIRECTS + 1}`))).toEqual({
      ok: false,
      answer: `HTTP 302: more than ${MAX_REDIRECTS} redirects`
    })
    expect(paths).toHaveLength(MAX_REDIRECTS + 1)
  })

  it('a 2xx with a Location is an answer, not a redirect', async () => {
    const { origin, paths } = await serve((path, respond) =>
      path === '/created' ? respond(201, '', '/elsewhere') : respond(500)
    )
    expect(await probe(http(`${origin}/created`))).toEqual({ ok: true, answer: 'HTTP 201' })
    expect(paths).toEqual(['/created'])
  })

  it('follows any 3xx with a Location, and no 4xx', async () => {
    const { origin, paths } = await serve((path, respond) => {
      if (path === '/300') respond(300, '', '/health')
      else if (path === '/399') respond(399, '', '/health')
      else if (path === '/400') respond(400, '', '/health')
      else respond(200)
    })
    expect(await probe(http(`${origin}/300`))).toEqual({ ok: true, answer: 'HTTP 200' })
    expect(await probe(http(`${origin}/399`))).toEqual({ ok: true, answer: 'HTTP 200' })
    expect(await probe(http(`${origin}/400`))).toEqual({ ok: false, answer: 'HTTP 400' })
    expect(paths).toEqual(['/300', '/health', '/399', '/health', '/400'])
  })

  it('follows a redirect to https (here to a port that refuses)', async () => {
    const closed = await serve((_, respond) => respond(200))
    await new Promise<void>((resolve) => servers.pop()!.close(() => resolve()))
    const { origin } = await serve((_, respond) =>
      respond(302, '', closed.origin.replace('http:', 'https:'))
    )
    expect((await probe(http(`${origin}/`))).answer).toMatch(/^network error: ECONNREFUSED/)
  })

  it('refuses a redirect to anything but http(s)', async () => {
    const { origin } = await serve((_, respond) => respond(302, '', 'file:///etc/passwd'))
    expect(await probe(http(`${origin}/`))).toEqual({
      ok: false,
      answer: 'HTTP 302: a redirect to a file: URL'
    })
  })

  it('with health_contains, a redirect is followed before the body is read', async () => {
    const { origin } = await serve((path, respond) =>
      path === '/' ? respond(302, 'healthy', '/health') : respond(200, 'healthy')
    )
    expect(await probe(http(`${origin}/`), { contains: 'healthy' })).toEqual({
      ok: true,
      answer: 'HTTP 200'
    })
  })
})

describe('createProber: time limits', () => {
  it('an app that never answers is abandoned at the limit given, and the answer says that time', async () => {
    const { origin } = await serve(() => {})
    const { result, ms } = await timed(http(`${origin}/health`), { limitMs: 300 })
    expect(result).toEqual({
      ok: false,
      answer: 'nothing within 0.3s (abandoned)',
      abandoned: true
    })
    expect(ms).toBeGreaterThanOrEqual(250)
    expect(ms).toBeLessThan(1000)
  })

  it('the shorter of the probe timeout and the limit wins', async () => {
    const { origin } = await serve(() => {})
    const own = await timed(http(`${origin}/health`), { limitMs: 5000, timeoutMs: 200 })
    expect(own.result.answer).toBe('nothing within 0.2s (abandoned)')
    expect(own.ms).toBeLessThan(1000)
    expect(PROBE_TIMEOUT_MS).toBe(10_000)
  })

  it('a trickling body under health_contains ends at the limit, saying the status it had', async () => {
    const { origin } = await serve((_, __, res) => trickle(res))
    const { result, ms } = await timed(http(`${origin}/health`), {
      contains: 'healthy',
      limitMs: 300
    })
    expect(result).toEqual({
      ok: false,
      answer: 'HTTP 200 without the health_contains text within 0.3s (abandoned)',
      abandoned: true
    })
    expect(ms).toBeLessThan(1000)
  })

  it('without health_contains, the body is not waited for', async () => {
    const { origin } = await serve((_, __, res) => trickle(res))
    const { result, ms } = await timed(http(`${origin}/health`), { limitMs: 2000 })
    expect(result).toEqual({ ok: true, answer: 'HTTP 200' })
    expect(ms).toBeLessThan(1000)
  })

  it('a redirect whose body trickles is followed at once', async () => {
    const { origin } = await serve((path, respond, res) => {
      if (path === '/health') return respond(200)
      res.writeHead(302, { location: '/health' })
      timers.push(setInterval(() => res.write('x'), 20))
    })
    const { result, ms } = await timed(http(`${origin}/`), { limitMs: 2000 })
    expect(result).toEqual({ ok: true, answer: 'HTTP 200' })
    expect(ms).toBeLessThan(1000)
  })

  it('cancellation rejects with CancelledError, before or during a probe', async () => {
    const { origin } = await serve(() => {})
    const before = new AbortController()
    before.abort()
    expect(await rejection(probe(http(`${origin}/`), { signal: before.signal }))).toBeInstanceOf(
      CancelledError
    )
    const during = new AbortController()
    setTimeout(() => during.abort(), 50)
    expect(await rejection(probe(http(`${origin}/`), { signal: during.signal }))).toBeInstanceOf(
      CancelledError
    )
  })
})

describe('createProber: tcp checks', () => {
  const tcp = (port: number): HealthCheck => ({
    kind: 'tcp',
    target: `tcp://127.0.0.1:${port}`,
    host: '127.0.0.1',
    port
  })

  async function listen(): Promise<{ port: number; connections: () => number }> {
    let count = 0
    const server = createTcpServer((socket) => {
      count++
      socket.end()
    })
    servers.push(server)
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    return { port: (server.address() as AddressInfo).port, connections: () => count }
  }

  it('connected when the port accepts; refused when it does not', async () => {
    const { port, connections } = await listen()
    expect(await probe(tcp(port))).toEqual({ ok: true, answer: 'connected' })
    await new Promise((resolve) => setTimeout(resolve, 20))
    expect(connections()).toBe(1)
    await new Promise<void>((resolve) => servers.pop()!.close(() => resolve()))
    const refused = await probe(tcp(port))
    expect(refused.ok).toBe(false)
    expect(refused.answer).toMatch(/^network error: ECONNREFUSED/)
  })

  it('closes the connection at once', async () => {
    let closed: () => void = () => {}
    const gone = new Promise<void>((resolve) => (closed = resolve))
    const server = createTcpServer((socket) => socket.on('close', closed).resume())
    servers.push(server)
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    const { port } = server.address() as AddressInfo
    const start = performance.now()
    expect(await probe(tcp(port), { limitMs: 5000 })).toEqual({ ok: true, answer: 'connected' })
    await gone
    // Closed by the probe, not by its time limit.
    expect(performance.now() - start).toBeLessThan(1000)
  })

  it('cancellation rejects with CancelledError', async () => {
    const { port } = await listen()
    const cancelled = new AbortController()
    cancelled.abort()
    expect(await rejection(probe(tcp(port), { signal: cancelled.signal }))).toBeInstanceOf(
      CancelledError
    )
  })
})
