import { spawnSync } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { type IncomingHttpHeaders, createServer } from 'node:http'
import type { AddressInfo, Server, Socket } from 'node:net'
import { connect } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createServer as createTlsServer } from 'node:tls'
import { createProxy } from 'proxy'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Simulator } from '../../simulator/server.js'
import type { StepResult } from '../../scripts/local-runner.js'
import { recorder } from '../../scripts/fault-matrix.js'
import { SERVER_ID, afterTest, currentTest, errorLine, simulator, step } from './fixture.js'

/*
 * Proxies, for real: the `proxy` package (TooTallNate's, as used by the proxy-agents tests) on
 * loopback, and the built action run with the proxy variables a runner may set. The action uses
 * undici's EnvHttpProxyAgent (undici 6): HTTP_PROXY/http_proxy for http:// targets,
 * HTTPS_PROXY/https_proxy (else HTTP_PROXY) for https:// targets, NO_PROXY/no_proxy (exact host, `.suffix` or `*`,
 * optional :port) to bypass; the lower-case name wins over the upper-case one. It does NOT bypass
 * loopback by itself, so the simulator on 127.0.0.1 is reached through the proxy. undici's
 * ProxyAgent tunnels every request with CONNECT, http:// targets included, so the proxy sees one
 * CONNECT per connection and never the requests inside the tunnel.
 */

const FILE = 'test/e2e/proxy.test.ts'
const { sim, run } = recorder(FILE, {
  simulator,
  step,
  currentTest
})

interface ProxyServer {
  url: string
  /** The targets of the CONNECT requests it served, e.g. 127.0.0.1:41234. */
  connects: string[]
  /** Plain proxied requests (absolute-form), e.g. GET http://127.0.0.1:41234/api/v1/... */
  requests: string[]
  /** The headers of every request it received, CONNECT or not. */
  headers: IncomingHttpHeaders[]
  close(): Promise<void>
}

/** Listens on 127.0.0.1; close() also ends the tunnels, which the http server no longer tracks. */
async function listen(server: Server): Promise<{ port: number; close(): Promise<void> }> {
  const sockets = new Set<Socket>()
  server.on('connection', (socket: Socket) => {
    sockets.add(socket)
    socket.on('close', () => sockets.delete(socket))
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const closer = {
    port: (server.address() as AddressInfo).port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve())
        for (const socket of sockets) socket.destroy()
      })
  }
  afterTest(closer.close)
  return closer
}

/**
 * A real HTTP proxy server (the `proxy` package) that counts what goes through it; with
 * `credentials`, it answers 407 to requests without that Basic Proxy-Authorization.
 */
async function startProxy(credentials?: string): Promise<ProxyServer> {
  const proxy = createProxy(createServer())
  if (credentials) {
    const expected = `Basic ${Buffer.from(credentials).toString('base64')}`
    proxy.authenticate = (req) => req.headers['proxy-authorization'] === expected
  }
  const seen = {
    connects: [] as string[],
    requests: [] as string[],
    headers: [] as IncomingHttpHeaders[]
  }
  proxy.prependListener('connect', (req) => {
    seen.connects.push(req.url ?? '')
    seen.headers.push(req.headers)
  })
  proxy.prependListener('request', (req) => {
    seen.requests.push(`${req.method} ${req.url}`)
    seen.headers.push(req.headers)
  })
  const { port, close } = await listen(proxy)
  return { url: `http://127.0.0.1:${port}`, ...seen, close }
}

/** host:port of the simulator, as a CONNECT names it. */
const authority = (s: Simulator): string => new URL(s.origin).host

/** The step's API calls reached the simulator, each with the token intact. */
function expectServed(s: Simulator, result: StepResult): void {
  expect(result.exitCode).toBe(0)
  expect(s.requests.length).toBeGreaterThanOrEqual(2)
  for (const request of s.requests) expect(request.authorization).toBe(`Bearer ${s.token}`)
  const backups = s.backups({ serverId: SERVER_ID, includeDeleted: true })
  expect(backups).toHaveLength(1)
  expect(result.outputs.backup_id).toBe(String(backups[0]!.id))
}

/** Nothing the proxy received carried the token. */
function expectNoTokenAt(proxy: ProxyServer, token: string): void {
  for (const headers of proxy.headers) {
    expect(headers.authorization).toBeUndefined()
    expect(JSON.stringify(headers)).not.toContain(token)
  }
}

describe('http:// API through an HTTP proxy', () => {
  it.each(['HTTP_PROXY', 'http_proxy'])('%s: the API calls go through the proxy', async (name) => {
    const proxy = await startProxy()
    const s = await sim()
    const result = await run(s, {}, { env: { [name]: proxy.url } })
    expectServed(s, result)
    expect(proxy.connects.length).toBeGreaterThanOrEqual(1)
    expect(new Set(proxy.connects)).toEqual(new Set([authority(s)]))
    expectNoTokenAt(proxy, s.token)
  })

  it.each([
    ['NO_PROXY', '127.0.0.1', 'HTTP_PROXY'],
    ['no_proxy', '127.0.0.1', 'http_proxy'],
    ['NO_PROXY', 'example.com, 127.0.0.1', 'HTTP_PROXY'],
    ['no_proxy', '*', 'HTTP_PROXY']
  ])('%s=%j bypasses the proxy set by %s', async (noProxy, value, proxyName) => {
    const proxy = await startProxy()
    const s = await sim()
    const result = await run(s, {}, { env: { [proxyName]: proxy.url, [noProxy]: value } })
    expectServed(s, result)
    expect(proxy.connects).toEqual([])
    expect(proxy.requests).toEqual([])
  })

  it('NO_PROXY with the port of another service does not bypass it', async () => {
    const proxy = await startProxy()
    const s = await sim()
    const port = Number(new URL(s.origin).port)
    const result = await run(
      s,
      {},
      { env: { HTTP_PROXY: proxy.url, NO_PROXY: `127.0.0.1:${port === 1 ? 2 : port - 1}` } }
    )
    expectServed(s, result)
    expect(new Set(proxy.connects)).toEqual(new Set([authority(s)]))
  })

  it('NO_PROXY=localhost does not cover 127.0.0.1: still proxied', async () => {
    const proxy = await startProxy()
    const s = await sim()
    const result = await run(s, {}, { env: { HTTP_PROXY: proxy.url, NO_PROXY: 'localhost' } })
    expectServed(s, result)
    expect(proxy.connects.length).toBeGreaterThanOrEqual(1)
  })

  it('HTTPS_PROXY alone does not apply to an http:// API', async () => {
    const proxy = await startProxy()
    const s = await sim()
    const result = await run(s, {}, { env: { HTTPS_PROXY: proxy.url } })
    expectServed(s, result)
    expect(proxy.connects).toEqual([])
  })

  it('a proxy that wants credentials gets them from the proxy URL, which is never logged', async () => {
    const proxy = await startProxy('ci-user:pr0xy-Secret')
    const s = await sim()
    const proxyUrl = proxy.url.replace('//', '//ci-user:pr0xy-Secret@')
    const result = await run(s, {}, { env: { HTTP_PROXY: proxyUrl } })
    expectServed(s, result)
    expect(proxy.connects.length).toBeGreaterThanOrEqual(1)
    expect(result.log).not.toContain('pr0xy-Secret')
    expect(result.summary).not.toContain('pr0xy-Secret')
  })

  it('a proxy that refuses the credentials (407): the step fails, nothing reaches the API', async () => {
    const proxy = await startProxy('ci-user:pr0xy-Secret')
    const s = await sim()
    const proxyUrl = proxy.url.replace('//', '//ci-user:wrong@')
    const result = await run(s, { timeout: '3s' }, { env: { HTTP_PROXY: proxyUrl } })
    expect(result.exitCode).toBe(1)
    expect(s.requests).toHaveLength(0)
    expect(proxy.connects).toHaveLength(1)
    expect(errorLine(result)).toMatch(
      /^Could not list the backups of server \d+: the proxy asked for credentials \(HTTP 407\)/
    )
    expect(result.log).not.toContain('wrong@')
  })

  it('a proxy that refuses connections: the step fails, nothing reaches the API', async () => {
    const closed = await startProxy()
    await closed.close() // its port is now free: connections are refused
    const s = await sim()
    const result = await run(s, { timeout: '3s' }, { env: { HTTP_PROXY: closed.url } })
    expect(result.exitCode).toBe(1)
    expect(s.requests).toHaveLength(0)
    expect(result.log).toMatch(/::error::Could not list the backups of server \d+: network error/)
  })
})

/*
 * https:// API: a TLS front on 127.0.0.1 (self-signed certificate for IP 127.0.0.1, trusted by
 * the step through NODE_EXTRA_CA_CERTS) that forwards to the simulator.
 */
const openssl = spawnSync('openssl', ['version']).status === 0

describe.skipIf(!openssl)('https:// API through an HTTPS proxy', () => {
  let dir = ''
  let key = ''
  let cert = ''
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'vpsorg-tls-'))
    const made = spawnSync('openssl', [
      'req',
      '-x509',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:prime256v1',
      '-nodes',
      '-days',
      '1',
      '-subj',
      '/CN=127.0.0.1',
      '-addext',
      'subjectAltName=IP:127.0.0.1',
      '-keyout',
      join(dir, 'key.pem'),
      '-out',
      join(dir, 'cert.pem')
    ])
    expect(made.status, made.stderr.toString()).toBe(0)
    key = readFileSync(join(dir, 'key.pem'), 'utf8')
    cert = readFileSync(join(dir, 'cert.pem'), 'utf8')
  })
  afterAll(() => rmSync(dir, { recursive: true, force: true }))

  /** https://127.0.0.1:port/api/v1 in front of the simulator. */
  async function tlsFront(s: Simulator): Promise<string> {
    const target = new URL(s.origin)
    const front = createTlsServer({ key, cert }, (socket) => {
      const upstream = connect(Number(target.port), target.hostname)
      socket.pipe(upstream).pipe(socket)
      socket.on('error', () => upstream.destroy())
      upstream.on('error', () => socket.destroy())
    })
    const { port } = await listen(front)
    return `https://127.0.0.1:${port}/api/v1`
  }

  const env = (extra: Record<string, string>): Record<string, string> => ({
    NODE_EXTRA_CA_CERTS: join(dir, 'cert.pem'),
    ...extra
  })

  it.each(['HTTPS_PROXY', 'https_proxy'])('%s: tunnelled through the proxy', async (name) => {
    const proxy = await startProxy()
    const s = await sim()
    const apiUrl = await tlsFront(s)
    const result = await run(s, { api_url: apiUrl }, { env: env({ [name]: proxy.url }) })
    expectServed(s, result)
    expect(new Set(proxy.connects)).toEqual(new Set([new URL(apiUrl).host]))
    expect(proxy.requests).toEqual([])
    expectNoTokenAt(proxy, s.token)
  })

  it.each(['NO_PROXY', 'no_proxy'])('%s=127.0.0.1 bypasses the HTTPS proxy', async (name) => {
    const proxy = await startProxy()
    const s = await sim()
    const apiUrl = await tlsFront(s)
    const result = await run(
      s,
      { api_url: apiUrl },
      { env: env({ HTTPS_PROXY: proxy.url, [name]: '127.0.0.1' }) }
    )
    expectServed(s, result)
    expect(proxy.connects).toEqual([])
  })

  // Unlike curl, undici falls back to HTTP_PROXY for https:// targets when HTTPS_PROXY is unset.
  it('HTTP_PROXY alone applies to an https:// API too (undici falls back to it)', async () => {
    const proxy = await startProxy()
    const s = await sim()
    const apiUrl = await tlsFront(s)
    const result = await run(s, { api_url: apiUrl }, { env: env({ HTTP_PROXY: proxy.url }) })
    expectServed(s, result)
    expect(new Set(proxy.connects)).toEqual(new Set([new URL(apiUrl).host]))
  })
})
