import { MockAgent, type Dispatcher } from 'undici'
import { afterEach, describe, expect, it, vi } from 'vitest'
import type { Server } from '../../../src/vpsorg/api-types.js'
import { type ClientOptions, VpsOrgClient } from '../../../src/vpsorg/client.js'
import {} from '../../../src/vpsorg/dispatcher.js'
import {
  ActionError,
  ApiError,
  CancelledError,
  TransportError
} from '../../../src/common/errors.js'
import { EPOCH, type FakeClock, fakeClock } from '../../helpers/fake-clock.js'
import { type MemoryLogger, memoryLogger } from '../../helpers/memory-logger.js'
import { API, ORIGIN } from '../../helpers/api.js'
import { backup } from '../../helpers/backup.js'
import { rejection } from '../../helpers/rejection.js'
import {
  SERVER,
  SERVER_PATH,
  client,
  closeLocal,
  localApi,
  refusingProxy,
  replying,
  slow
} from '../../helpers/local-api.js'
import {
  answer,
  closeGated,
  gatedApi,
  gatedClient,
  idOf,
  manualClock,
  serverOf,
  until
} from '../../helpers/gated-api.js'
import { setTimeout as delay } from 'node:timers/promises'
import { MAX_IN_FLIGHT } from '../../../src/vpsorg/gate.js'
import { PausedError } from '../../../src/common/errors.js'

const TOKEN = 'vps_unit_test_token_0123456789'
const HOUR = 3_600_000

interface Reply {
  status: number
  body?: unknown
  headers?: Record<string, string>
}

interface Seen {
  method: string
  path: string
  headers: Record<string, string>
  body: string | undefined
}

const server: Server = {
  id: 12345,
  name: 'web-server-01',
  status: 'active',
  updated_at: '2025-01-15T10:20:00Z'
}

function normalizeHeaders(headers: unknown): Record<string, string> {
  const out: Record<string, string> = {}
  if (Array.isArray(headers)) {
    for (let i = 0; i < headers.length; i += 2) {
      out[String(headers[i]).toLowerCase()] = String(headers[i + 1])
    }
  } else if (headers && typeof headers === 'object') {
    for (const [name, value] of Object.entries(headers)) out[name.toLowerCase()] = String(value)
  }
  return out
}

const agents: Dispatcher[] = []

afterEach(async () => {
  await Promise.all(agents.splice(0).map((agent) => agent.close()))
  vi.restoreAllMocks()
})
afterEach(closeLocal)
afterEach(closeGated)

interface Harness {
  client: VpsOrgClient
  clock: FakeClock
  log: MemoryLogger
  agent: MockAgent
  controller: AbortController
  /** Every request the mock API received, in order. */
  requests: Seen[]
  /** Answers `method path` with each reply in turn; the last one repeats. */
  on(method: string, path: string | ((path: string) => boolean), ...replies: Reply[]): void
}

function harness(overrides: Partial<ClientOptions> = {}): Harness {
  const agent = new MockAgent()
  agent.disableNetConnect()
  agents.push(agent)
  const clock = fakeClock()
  const log = memoryLogger()
  const controller = new AbortController()
  const requests: Seen[] = []
  const client = new VpsOrgClient({
    apiUrl: API,
    token: TOKEN,
    dispatcher: agent,
    clock,
    random: () => 1,
    signal: controller.signal,
    deadline: clock.now() + HOUR,
    log,
    userAgent: 'vpsorg-backup-action/test',
    ...overrides
  })
  const on: Harness['on'] = (method, path, ...replies) => {
    let i = 0
    const origin =
      typeof path === 'string' && path.startsWith('http') ? new URL(path).origin : ORIGIN
    const local =
      typeof path === 'string' && path.startsWith('http') ? path.slice(origin.length) : path
    agent
      .get(origin)
      .intercept({ path: local, method })
      .reply((opts) => {
        requests.push({
          method: opts.method,
          path: `${origin}${opts.path}`,
          headers: normalizeHeaders(opts.headers),
          body: typeof opts.body === 'string' ? opts.body : undefined
        })
        const reply = replies[Math.min(i++, replies.length - 1)]!
        return {
          statusCode: reply.status,
          data: (reply.body ?? '') as string,
          responseOptions: { headers: reply.headers ?? {} }
        }
      })
      .persist()
  }
  return { client, clock, log, agent, controller, requests, on }
}

const LIST = '/api/v1/backups/?server_id=12345'

describe('VpsOrgClient.listBackups', () => {
  it('follows `next` across pages and returns every backup', async () => {
    const h = harness()
    h.on('GET', LIST, {
      status: 200,
      body: { count: 3, results: [backup(501)], next: `${API}/backups/?page=2&server_id=12345` }
    })
    h.on('GET', '/api/v1/backups/?page=2&server_id=12345', {
      status: 200,
      body: { count: 3, results: [backup(499), backup(502)], next: null }
    })
    const backups = await h.client.listBackups(12345)
    expect(backups.map((b) => b.id)).toEqual([501, 499, 502])
    expect(h.requests).toHaveLength(2)
  })

  it('treats a page without `next` as the whole list', async () => {
    const h = harness()
    h.on('GET', LIST, { status: 200, body: { count: 1, results: [backup(501)] } })
    expect((await h.client.listBackups(12345)).map((b) => b.id)).toEqual([501])
  })

  it("returns only the asked server's backups of the asked type, even if the API ignores the filters", async () => {
    const h = harness()
    const mixed = {
      count: 4,
      results: [
        backup(501),
        backup(502, { server: { id: 777, name: 'someone-else' } }),
        backup(503, { backup_type: 'automatic' }),
        backup(504)
      ],
      next: null
    }
    h.on('GET', (path) => path.startsWith('/api/v1/backups/'), { status: 200, body: mixed })
    expect((await h.client.listBackups(12345, 'manual')).map((b) => b.id)).toEqual([501, 504])
    expect((await h.client.listBackups(12345)).map((b) => b.id)).toEqual([501, 503, 504])
  })

  it('sends server_id, and backup_type only when asked', async () => {
    const h = harness()
    h.on('GET', (path) => path.startsWith('/api/v1/backups/'), {
      status: 200,
      body: { count: 0, results: [], next: null }
    })
    await h.client.listBackups(12345, 'manual')
    await h.client.listBackups(777)
    const [first, second] = h.requests.map((r) => new URL(r.path))
    expect(first!.pathname).toBe('/api/v1/backups/')
    expect(Object.fromEntries(first!.searchParams)).toEqual({
      server_id: '12345',
      backup_type: 'manual'
    })
    expect(Object.fromEntries(second!.searchParams)).toEqual({ server_id: '777' })
  })

  it.each([
    ['another host', 'https://evil.example/api/v1/backups/?page=2'],
    ['plain http on the same host', 'http://admin.vps.org/api/v1/backups/?page=2'],
    ['another port', 'https://admin.vps.org:8443/api/v1/backups/?page=2']
  ])('refuses a `next` on %s, and sends it nothing', async (_, next) => {
    const h = harness()
    h.on('GET', LIST, { status: 200, body: { count: 2, results: [backup(501)], next } })
    h.on('GET', next, { status: 200, body: { count: 2, results: [backup(502)], next: null } })
    const error = await rejection(h.client.listBackups(12345))
    expect(error).toBeInstanceOf(TransportError)
    expect((error as TransportError).retryable).toBe(false)
    expect(error.message).toContain('another origin')
    expect(error.message).toContain(new URL(next).origin)
    expect(h.requests.map((r) => r.path)).toEqual([`${ORIGIN}${LIST}`])
  })

  it('stops when the pages loop', async () => {
    const h = harness()
    h.on('GET', LIST, { status: 200, body: { count: 1, results: [], next: `${ORIGIN}${LIST}` } })
    const error = await rejection(h.client.listBackups(12345))
    expect(error).toBeInstanceOf(TransportError)
    expect(error.message).toContain('loop')
    expect(h.requests).toHaveLength(1)
  })

  it('refuses a page that is not the documented shape, without retrying', async () => {
    const h = harness()
    h.on('GET', LIST, { status: 200, body: { count: 1, results: [{ id: 'x' }] } })
    const error = await rejection(h.client.listBackups(12345))
    expect(error).toBeInstanceOf(TransportError)
    expect(error.message).toContain('shape')
    expect(h.requests).toHaveLength(1)
  })

  it('ignores fields it does not know', async () => {
    const h = harness()
    h.on('GET', LIST, {
      status: 200,
      body: {
        count: 1,
        previous: null,
        results: [{ ...backup(501), expires_at: null, region: 'us-west' }]
      }
    })
    expect((await h.client.listBackups(12345))[0]?.id).toBe(501)
  })
})

describe('VpsOrgClient: requests', () => {
  it('authenticates with `Authorization: Bearer <token>` and sends JSON', async () => {
    const h = harness()
    h.on('POST', '/api/v1/backups/', { status: 201, body: backup(502, { status: 'in_progress' }) })
    await h.client.createBackup(12345, 'Before deploy [gha:acme/shop#1]')
    const [request] = h.requests
    expect(request!.headers.authorization).toBe(`Bearer ${TOKEN}`)
    expect(request!.headers['content-type']).toBe('application/json')
    expect(request!.headers.accept).toBe('application/json')
    expect(request!.headers['user-agent']).toBe('vpsorg-backup-action/test')
    expect(JSON.parse(request!.body!)).toEqual({
      server_id: 12345,
      description: 'Before deploy [gha:acme/shop#1]'
    })
  })

  it('never writes the token to the log, even when requests fail', async () => {
    const h = harness()
    h.on(
      'GET',
      LIST,
      { status: 503, body: { detail: 'Unavailable' } },
      { status: 200, body: { results: [] } }
    )
    await h.client.listBackups(12345)
    expect(h.log.lines.length).toBeGreaterThan(0)
    expect(h.log.text()).not.toContain(TOKEN)
  })

  it('sends nothing once the workflow is cancelled', async () => {
    const h = harness()
    h.on('GET', LIST, { status: 200, body: { results: [] } })
    h.controller.abort()
    await expect(h.client.listBackups(12345)).rejects.toBeInstanceOf(CancelledError)
    expect(h.requests).toHaveLength(0)
  })
})

describe('VpsOrgClient: errors and retries', () => {
  it('names the operation, the status and the server’s message', async () => {
    const h = harness()
    h.on('POST', '/api/v1/backups/', { status: 404, body: { detail: 'Not found.' } })
    const error = await rejection(h.client.createBackup(12345, 'x'))
    expect(error).toBeInstanceOf(ApiError)
    expect(error.message).toBe('Could not create a backup of server 12345: HTTP 404: Not found.')
    expect((error as ApiError).status).toBe(404)
    expect((error as ApiError).serverMessage).toBe('Not found.')
  })

  it.each([400, 401, 403, 404])('does not retry HTTP %d', async (status) => {
    const h = harness()
    h.on('GET', LIST, { status, body: { detail: 'No.' } })
    const error = await rejection(h.client.listBackups(12345))
    expect(error).toBeInstanceOf(ApiError)
    expect((error as ApiError).status).toBe(status)
    expect(h.requests).toHaveLength(1)
    expect(h.clock.sleeps).toEqual([])
  })

  it('retries a 503, then returns the answer', async () => {
    const h = harness()
    h.on(
      'GET',
      LIST,
      { status: 503, body: '' },
      { status: 200, body: { count: 1, results: [backup(501)] } }
    )
    expect((await h.client.listBackups(12345)).map((b) => b.id)).toEqual([501])
    expect(h.requests).toHaveLength(2)
    expect(h.clock.sleeps).toEqual([1000])
    expect(h.log.of('info').join('\n')).toMatch(/HTTP 503.*Retrying in 1s \(attempt 2 of 5\)/)
  })

  it('retries a dropped connection', async () => {
    const h = harness()
    h.agent
      .get(ORIGIN)
      .intercept({ path: LIST, method: 'GET' })
      .replyWithError(Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' }))
    h.on('GET', LIST, { status: 200, body: { results: [backup(501)] } })
    expect(await h.client.listBackups(12345)).toHaveLength(1)
    expect(h.clock.sleeps).toHaveLength(1)
    expect(h.log.text()).toContain('ECONNRESET')
  })

  it('gives up after 5 attempts with the last error', async () => {
    const h = harness()
    h.on('GET', LIST, { status: 502, body: '<html><title>502 Bad Gateway</title></html>' })
    const error = await rejection(h.client.listBackups(12345))
    expect((error as ApiError).status).toBe(502)
    expect(h.requests).toHaveLength(5)
  })

  it('honours Retry-After in seconds', async () => {
    const h = harness()
    h.on(
      'GET',
      LIST,
      { status: 429, body: { detail: 'Slow down.' }, headers: { 'retry-after': '7' } },
      { status: 200, body: { results: [] } }
    )
    await h.client.listBackups(12345)
    expect(h.clock.sleeps).toEqual([7000])
  })

  it('honours Retry-After as an HTTP date', async () => {
    const h = harness()
    const at = new Date(EPOCH + 12_000).toUTCString()
    h.on(
      'GET',
      LIST,
      { status: 429, body: '', headers: { 'retry-after': at } },
      { status: 200, body: { results: [] } }
    )
    await h.client.listBackups(12345)
    expect(h.clock.sleeps).toEqual([12_000])
  })

  it('does not sleep past the step’s deadline for a Retry-After', async () => {
    const h = harness({ deadline: EPOCH + 21_000 })
    h.on(
      'GET',
      LIST,
      { status: 429, body: '', headers: { 'retry-after': '25' } },
      { status: 200, body: { results: [] } }
    )
    const error = await rejection(h.client.listBackups(12345))
    expect((error as ApiError).status).toBe(429)
    expect(h.requests).toHaveLength(1)
    expect(h.clock.now()).toBeLessThanOrEqual(EPOCH + 21_000)
  })

  it.each([20_000, 50_000, 89_999])(
    'still sends requests %d ms before the deadline',
    async (left) => {
      const h = harness({ deadline: EPOCH + left })
      h.on('GET', LIST, { status: 200, body: { results: [backup(501)] } })
      await expect(h.client.listBackups(12345)).resolves.toHaveLength(1)
      expect(h.requests).toHaveLength(1)
    }
  )

  it('still sends a request when the deadline has passed (the budget floor is 1 s)', async () => {
    const h = harness({ deadline: EPOCH - 5000 })
    h.on('GET', LIST, { status: 200, body: { results: [backup(501)] } })
    await expect(h.client.listBackups(12345)).resolves.toHaveLength(1)
  })

  it('sends a create once, even on a 503 or a dropped connection', async () => {
    const h = harness()
    h.on('POST', '/api/v1/backups/', { status: 503, body: '' })
    expect(await rejection(h.client.createBackup(12345, 'x'))).toBeInstanceOf(ApiError)
    expect(h.requests).toHaveLength(1)

    const g = harness()
    g.agent
      .get(ORIGIN)
      .intercept({ path: '/api/v1/backups/', method: 'POST' })
      .replyWithError(new Error('socket hang up'))
    const error = await rejection(g.client.createBackup(12345, 'x'))
    expect(error).toBeInstanceOf(TransportError)
    expect((error as TransportError).retryable).toBe(true)
    expect(g.clock.sleeps).toEqual([])
  })

  it('turns a 2xx body that is not JSON into a TransportError', async () => {
    const h = harness({ maxAttempts: 1 })
    h.on('GET', '/api/v1/servers/12345/', { status: 200, body: '{"id": 12345, "status": ' })
    const error = await rejection(h.client.getServer(12345))
    expect(error).toBeInstanceOf(TransportError)
    expect(error.message).toContain('not JSON')
    expect(error.message).toContain('read the status of server 12345')
  })

  it('answers a create whose 2xx body is not JSON with no backup: one was created', async () => {
    const h = harness()
    h.on('POST', '/api/v1/backups/', { status: 201, body: '{"id": 502, "status": ' })
    expect(await h.client.createBackup(12345, 'x')).toBeUndefined()
  })

  it('refuses a body larger than maxBodyBytes, and does not retry', async () => {
    const h = harness({ maxBodyBytes: 1024 })
    const big = { count: 100, results: Array.from({ length: 100 }, (_, i) => backup(i + 1)) }
    h.on('GET', LIST, { status: 200, body: big })
    const error = await rejection(h.client.listBackups(12345))
    expect(error).toBeInstanceOf(TransportError)
    expect((error as TransportError).retryable).toBe(false)
    expect(error.message).toContain('1024 bytes')
    expect(h.requests).toHaveLength(1)
  })

  it('does not follow a redirect, and says why', async () => {
    const h = harness()
    const location = 'https://other.example/api/v1/backups/?server_id=12345'
    h.on('GET', LIST, { status: 301, body: '', headers: { location } })
    h.on('GET', location, { status: 200, body: { results: [] } })
    const error = await rejection(h.client.listBackups(12345))
    expect(error).toBeInstanceOf(TransportError)
    expect((error as TransportError).retryable).toBe(false)
    expect(error.message).toContain('HTTP 301')
    expect(error.message).toContain(location)
    expect(error.message).toContain('not followed')
    expect(h.requests).toHaveLength(1)
  })
})

describe('VpsOrgClient.deleteBackup', () => {
  it('returns true when the backup was deleted', async () => {
    const h = harness()
    h.on('DELETE', '/api/v1/backups/501/', { status: 204 })
    await expect(h.client.deleteBackup(501)).resolves.toBe(true)
    expect(h.requests.map((r) => `${r.method} ${r.path}`)).toEqual([`DELETE ${API}/backups/501/`])
  })

  it('returns false when the backup was already gone (404)', async () => {
    const h = harness()
    h.on('DELETE', '/api/v1/backups/501/', { status: 404, body: { detail: 'Not found.' } })
    await expect(h.client.deleteBackup(501)).resolves.toBe(false)
  })

  it('sends a delete once, even on a 503: the caller retries it (sendOnce)', async () => {
    const h = harness()
    h.on('DELETE', '/api/v1/backups/501/', { status: 503 }, { status: 204 })
    expect(((await rejection(h.client.deleteBackup(501))) as ApiError).status).toBe(503)
    expect(h.requests).toHaveLength(1)
  })

  it('throws on other errors', async () => {
    const h = harness()
    h.on('DELETE', '/api/v1/backups/501/', { status: 403, body: { detail: 'No scope.' } })
    const error = await rejection(h.client.deleteBackup(501))
    expect(error.message).toBe('Could not delete backup 501: HTTP 403: No scope.')
  })
})

describe('VpsOrgClient.restore and getServer', () => {
  const RESTORE = '/api/v1/servers/12345/restore/'

  it('answers no server for a 202 with a message body', async () => {
    const h = harness()
    h.on('POST', RESTORE, {
      status: 202,
      body: { message: 'Restore started.' },
      headers: { date: 'Thu, 16 Jan 2025 15:45:01 GMT' }
    })
    await expect(h.client.restore(12345, 501)).resolves.toEqual({ server: undefined })
    expect(JSON.parse(h.requests[0]!.body!)).toEqual({ backup_id: 501 })
  })

  it('answers the server for a 200 that carries it (a restore already finished)', async () => {
    const h = harness()
    h.on('POST', RESTORE, { status: 200, body: server })
    await expect(h.client.restore(12345, 501)).resolves.toEqual({ server })
  })

  it('answers no server for a 202 with an empty body', async () => {
    const h = harness()
    h.on('POST', RESTORE, { status: 202 })
    await expect(h.client.restore(12345, 501)).resolves.toEqual({})
  })

  it('sends a restore once, even on a 503', async () => {
    const h = harness()
    h.on('POST', RESTORE, { status: 503 })
    const error = await rejection(h.client.restore(12345, 501))
    expect((error as ApiError).status).toBe(503)
    expect(error.message).toContain('restore server 12345 from backup 501')
    expect(h.requests).toHaveLength(1)
  })

  it('reads a server, and refuses one of the wrong shape', async () => {
    const h = harness()
    h.on('GET', '/api/v1/servers/12345/', { status: 200, body: server })
    h.on('GET', '/api/v1/servers/999/', { status: 200, body: { id: 999 } })
    await expect(h.client.getServer(12345)).resolves.toEqual(server)
    const error = await rejection(h.client.getServer(999))
    expect(error).toBeInstanceOf(TransportError)
    expect(error.message).toContain('shape')
  })
})

describe('VpsOrgClient: what the API sends is untrusted', () => {
  const SERVER = '/api/v1/servers/12345/'

  it('takes JSON after a byte-order mark', async () => {
    const h = harness()
    h.on('GET', SERVER, { status: 200, body: `\uFEFF${JSON.stringify(server)}` })
    await expect(h.client.getServer(12345)).resolves.toEqual(server)
  })

  it('names a 304 for what it is, not a redirect to nowhere', async () => {
    const h = harness()
    h.on('GET', SERVER, { status: 304 })
    const error = await rejection(h.client.getServer(12345))
    expect(error.message).toBe(
      'Could not read the status of server 12345: the API answered HTTP 304 (Not Modified), an answer the action cannot use (the API documents a 2xx answer here)'
    )
  })

  it('drops fields of the wrong type instead of crashing on them', async () => {
    const h = harness()
    const odd = {
      ...backup(501),
      size_mb: { toString: 1 },
      created_at: 5,
      description: ['x'],
      server: { id: 12345, name: null }
    }
    h.on('GET', LIST, { status: 200, body: { results: [odd, backup(502, { size_mb: -1 })] } })
    const [first, second] = await h.client.listBackups(12345)
    expect(first).toEqual({
      ...backup(501),
      size_mb: null,
      created_at: '',
      description: null,
      server: { id: 12345, name: '' }
    })
    expect(second!.size_mb).toBeNull()
  })

  it.each([
    ['a string id', { ...backup(501), id: '501' }],
    ['no status', { ...backup(501), status: undefined }],
    ['a server without id', { ...backup(501), server: { name: 'x' } }]
  ])('refuses a backup with %s', async (_, item) => {
    const h = harness()
    h.on('GET', LIST, { status: 200, body: { results: [item] } })
    const error = await rejection(h.client.listBackups(12345))
    expect(error).toBeInstanceOf(TransportError)
    expect(error.message).toContain('shape')
  })

  it.each([
    ['the detail', { status: 401, body: { detail: `Invalid token ${TOKEN}` } }],
    ['a field error', { status: 400, body: { token: [`${TOKEN.toUpperCase()} is unknown`] } }],
    [
      'an HTML title',
      { status: 403, body: `<html><title>${TOKEN.replaceAll('_', '&#95;')}</title></html>` }
    ],
    [
      'a Location header',
      { status: 302, headers: { location: `https://x.example/?t=${encodeURIComponent(TOKEN)}` } }
    ]
  ])('scrubs the token echoed in %s', async (_, reply) => {
    const h = harness()
    h.on('GET', SERVER, reply)
    const error = await rejection(h.client.getServer(12345))
    expect(error).toBeInstanceOf(ActionError)
    expect(error.message).toContain('***')
    expect(error.message.toLowerCase()).not.toContain('unit_test_token')
    expect(error.message).not.toContain('unit&#95;test')
  })

  it('scrubs the token from every string of an answer', async () => {
    const h = harness()
    h.on('GET', SERVER, { status: 200, body: { ...server, name: `web ${TOKEN}` } })
    expect((await h.client.getServer(12345)).name).toBe('web ***')
  })

  it('does not crash on a field error that is an object', async () => {
    const h = harness()
    h.on('GET', SERVER, { status: 400, body: { server_id: { toString: 1 }, x: [{ a: 1 }] } })
    const error = await rejection(h.client.getServer(12345))
    expect(error.message).toBe(
      'Could not read the status of server 12345: HTTP 400: server_id: toString: 1; x: a: 1'
    )
  })

  /** Answers every list request with an empty page, made by `page`, whose `next` is new. */
  function endless(h: Harness, page: (n: number) => Record<string, unknown>): void {
    let n = 0
    h.on('GET', (path) => path.startsWith('/api/v1/backups/'), {
      status: 200,
      get body() {
        n++
        return { results: [], next: `${API}/backups/?server_id=12345&page=${n + 1}`, ...page(n) }
      }
    } as Reply)
  }

  it('reads at most maxPages pages of a list that never ends', async () => {
    const h = harness({ maxPages: 5 })
    endless(h, () => ({}))
    const error = await rejection(h.client.listBackups(12345))
    expect(error.message).toMatch(/list goes on after 5 pages .* past the most the action reads/)
    expect(h.requests).toHaveLength(5)
  })

  it('reads at most maxListBytes of a list in all', async () => {
    const h = harness({ maxListBytes: 3000 })
    endless(h, () => ({ pad: 'x'.repeat(1000) }))
    const error = await rejection(h.client.listBackups(12345))
    expect(error.message).toMatch(/list goes on after 3 pages \(\d+ bytes\)/)
    expect(h.requests).toHaveLength(3)
  })

  it('stops a listing at the deadline, after the first page', async () => {
    const h = harness({ deadline: EPOCH + 10_000 })
    endless(h, () => {
      h.clock.advance(4000)
      return {}
    })
    const error = await rejection(h.client.listBackups(12345))
    expect(error.message).toMatch(/the list did not end within timeout after 3 pages/)
    expect(h.requests).toHaveLength(3)
  })
})

// What VpsOrgClient does with a request: its time, a cancellation, a proxy (an API on a local port).

describe('VpsOrgClient: a request that takes too long', () => {
  it('gives a request a third of the time left (at least 1 s), and retries it once timed out', async () => {
    const api = await localApi(slow)
    // 4 s left: 1333 ms for the first request; after a 1 s sleep, 3 s left: the 1 s floor.
    const { vps, log } = client(api.url, { deadline: EPOCH + 4000, maxAttempts: 2 })
    const error = await rejection(vps.getServer(12345))
    expect(log.of('info')).toEqual([
      'Could not read the status of server 12345: no answer within 1.3s. Retrying in 1s (attempt 2 of 2)'
    ])
    expect(error.message).toBe('Could not read the status of server 12345: no answer within 1s')
    expect(api.requests).toEqual([`GET ${SERVER_PATH}`, `GET ${SERVER_PATH}`])
  })

  it('gives a request at most requestTimeoutMs', async () => {
    const api = await localApi(slow)
    const { vps } = client(api.url, { requestTimeoutMs: 1200, maxAttempts: 1 })
    const error = await rejection(vps.getServer(12345))
    expect(error.message).toBe('Could not read the status of server 12345: no answer within 1.2s')
  })
})

describe('VpsOrgClient: a cancelled workflow', () => {
  it('stops a request under way at once, and says nothing of a retry', async () => {
    const api = await localApi(slow)
    const { vps, log, controller } = client(api.url)
    const pending = rejection(vps.getServer(12345))
    await vi.waitFor(() => expect(api.requests).toHaveLength(1))
    controller.abort()
    expect(await pending).toBeInstanceOf(CancelledError)
    expect(log.of('info')).toEqual([])
  })
})

describe('VpsOrgClient behind a proxy (dispatcherFor)', () => {
  it.each([
    [
      'asks for credentials (407), and does not retry',
      407,
      'the proxy asked for credentials (HTTP 407): check the user and password in HTTPS_PROXY / HTTP_PROXY',
      1
    ],
    [
      'refuses otherwise (403): a network error, retried',
      403,
      'network error: UND_ERR_ABORTED Proxy response (403) !== 200 when HTTP Tunneling',
      5
    ]
  ])('says when the proxy %s', async (_, status, reason, attempts) => {
    const proxy = await refusingProxy(status)
    const { vps } = client('https://admin.vps.org', {}, { HTTPS_PROXY: proxy.url })
    const error = await rejection(vps.getServer(12345))
    expect(error.message).toBe(`Could not read the status of server 12345: ${reason}`)
    expect(proxy.requests).toEqual(Array(attempts).fill('CONNECT admin.vps.org:443'))
  })

  it.each([
    ['NO_PROXY', { NO_PROXY: '127.0.0.1' }],
    ['no_proxy', { no_proxy: '127.0.0.1' }],
    ['no_proxy before NO_PROXY', { no_proxy: '127.0.0.1', NO_PROXY: 'other.example' }]
  ])('goes to a host in %s directly', async (_, noProxy) => {
    const proxy = await refusingProxy(407)
    const api = await localApi(replying([200, JSON.stringify(SERVER)]))
    const { vps } = client(api.url, {}, { HTTP_PROXY: proxy.url, ...noProxy })
    await expect(vps.getServer(12345)).resolves.toEqual(SERVER)
    expect(proxy.requests).toEqual([])
    expect(api.requests).toEqual([`GET ${SERVER_PATH}`])
  })

  it('goes through the proxy to a host not in NO_PROXY', async () => {
    const proxy = await refusingProxy(407)
    const api = await localApi(replying([200, JSON.stringify(SERVER)]))
    const { vps } = client(api.url, {}, { HTTP_PROXY: proxy.url, NO_PROXY: 'other.example' })
    expect((await rejection(vps.getServer(12345))).message).toContain('HTTP 407')
    expect(api.requests).toEqual([])
  })
})

// The request gate (src/vpsorg/gate.ts) as the client uses it: one gate for the client and its copies.

describe('VpsOrgClient: requests in flight', () => {
  it(`never has more than ${MAX_IN_FLIGHT} requests in flight, across withDeadline copies, and answers all`, async () => {
    let inFlight = 0
    let most = 0
    const api = await gatedApi(async (req, res) => {
      most = Math.max(most, ++inFlight)
      await delay(20)
      inFlight--
      answer(res, 200, serverOf(idOf(req)))
    })
    const clock = fakeClock()
    const { vps } = gatedClient(api.url, { clock })
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
    const api = await gatedApi((req, res) => {
      const id = idOf(req)
      if (id === 1) answer(res, 200, serverOf(id))
      else answer(res, 404, { detail: 'Not found.' })
    })
    const { vps } = gatedClient(api.url, { clock: fakeClock() })
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
    const api = await gatedApi((req, res) => {
      const id = idOf(req)
      if (id === 1 && !told) {
        told = true
        answer(res, 429, { detail: 'Slow down.' }, { 'retry-after': '5' })
      } else answer(res, 200, serverOf(id))
    })
    const manual = manualClock()
    const c = gatedClient(api.url, { clock: manual.clock })
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

describe('VpsOrgClient.listBackupsWithin', () => {
  const PAGE = (n: number): string => `${LIST}&page=${n}`
  const page = (ids: number[], next: number | null, count?: number) => ({
    status: 200,
    body: {
      count,
      results: ids.map((id) => backup(id)),
      next: next && `${API}/backups/?server_id=12345&page=${next}`
    }
  })

  it('reads a page without `next` as the whole list, whatever its count says', async () => {
    const h = harness()
    h.on('GET', LIST, page([501, 502], null, 5))
    const list = await h.client.listBackupsWithin(12345, undefined, 1)
    expect(list.backups?.map((b) => b.id)).toEqual([501, 502])
    expect(list.pages).toBe(1)
  })

  it('says how many pages the list takes by its first page, and reads no other', async () => {
    const h = harness()
    h.on('GET', LIST, page([501, 502], 2, 6))
    expect(await h.client.listBackupsWithin(12345, undefined, 2)).toEqual({ pages: 3 })
    expect(h.requests).toHaveLength(1)
  })

  it("reads a list its first page says fits, whatever a later page's count says", async () => {
    const h = harness()
    h.on('GET', LIST, page([501, 502], 2, 6))
    h.on('GET', PAGE(2), page([503, 504], 3, 100))
    h.on('GET', PAGE(3), page([505, 506], null, 6))
    const list = await h.client.listBackupsWithin(12345, undefined, 3)
    expect(list.backups?.map((b) => b.id)).toEqual([501, 502, 503, 504, 505, 506])
    expect(list.pages).toBe(3)
  })

  it('takes an empty first page with `next` for a list of unknown length, and reads on', async () => {
    const h = harness()
    h.on('GET', LIST, page([], 2, 2))
    h.on('GET', PAGE(2), page([501, 502], null, 2))
    const list = await h.client.listBackupsWithin(12345, undefined, 2)
    expect(list.backups?.map((b) => b.id)).toEqual([501, 502])
    expect(list.pages).toBe(2)
  })

  it('stops after maxPages pages when no count says how many, and says it does not know', async () => {
    const h = harness()
    h.on('GET', LIST, page([501], 2))
    h.on('GET', PAGE(2), page([502], 3))
    h.on('GET', PAGE(3), page([503], null))
    expect(await h.client.listBackupsWithin(12345, undefined, 2)).toEqual({ pages: Infinity })
    expect(h.requests).toHaveLength(2)
  })

  it('answers a page larger than the size cap with a list of unknown length', async () => {
    const h = harness({ maxBodyBytes: 1024 })
    const big = { count: 100, results: Array.from({ length: 100 }, (_, i) => backup(i + 1)) }
    h.on('GET', '/api/v1/backups/', { status: 200, body: big })
    expect(await h.client.listBackupsWithin(undefined, undefined, 5)).toEqual({ pages: Infinity })
  })

  it('fails as listBackups does on any other error', async () => {
    const h = harness()
    h.on('GET', LIST, { status: 403, body: { detail: 'No.' } })
    const error = await rejection(h.client.listBackupsWithin(12345, undefined, 5))
    expect((error as ApiError).status).toBe(403)
  })
})

describe('VpsOrgClient.listBackups: a list that gets shorter while it is read', () => {
  const next = (n: number): string => `${API}/backups/?server_id=12345&page=${n}`

  it('ends the list at a page that is gone (404) after the first', async () => {
    const h = harness()
    h.on('GET', LIST, { status: 200, body: { count: 4, results: [backup(501)], next: next(2) } })
    h.on('GET', `${LIST}&page=2`, { status: 404, body: { detail: 'Invalid page.' } })
    expect((await h.client.listBackups(12345)).map((b) => b.id)).toEqual([501])
  })

  it('fails on any other error of a later page, and on a first page that is gone', async () => {
    const h = harness()
    h.on('GET', LIST, { status: 200, body: { count: 4, results: [backup(501)], next: next(2) } })
    h.on('GET', `${LIST}&page=2`, { status: 403, body: { detail: 'No.' } })
    expect(((await rejection(h.client.listBackups(12345))) as ApiError).status).toBe(403)
    const g = harness()
    g.on('GET', LIST, { status: 404, body: { detail: 'Not found.' } })
    expect(((await rejection(g.client.listBackups(12345))) as ApiError).status).toBe(404)
  })
})
