import { Agent, EnvHttpProxyAgent, MockAgent, type Dispatcher } from 'undici'
import { afterEach, describe, expect, it, vi } from 'vitest'
import type { Server } from '../../../src/vpsorg/api-types.js'
import { errorMessage, parseRetryAfter } from '../../../src/vpsorg/api-errors.js'
import { type ClientOptions, VpsOrgClient } from '../../../src/vpsorg/client.js'
import { dispatcherFor } from '../../../src/vpsorg/dispatcher.js'
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

describe('errorMessage', () => {
  it.each([
    ['{"detail": "Not found."}', 'Not found.'],
    ['{"message": "Backup limit reached"}', 'Backup limit reached'],
    ['{"error": "invalid_token"}', 'invalid_token'],
    ['{"detail": "Line one\\n   line two"}', 'Line one line two'],
    ['{"server_id": ["A valid integer is required."]}', 'server_id: A valid integer is required.'],
    [
      '{"server_id": ["Required."], "description": ["Too long.", "Bad."]}',
      'server_id: Required.; description: Too long. Bad.'
    ],
    ['{"non_field_errors": ["Maximum of 10 manual backups."]}', 'Maximum of 10 manual backups.'],
    ['Service temporarily down', 'Service temporarily down']
  ])('reads %s', (body, expected) => {
    expect(errorMessage(body, 400)).toBe(expected)
  })

  it('describes an HTML page by its title', () => {
    const html = '<!DOCTYPE html><html><head><title> 502 Bad Gateway </title></head><body/></html>'
    const message = errorMessage(html, 502)
    expect(message).toContain('Bad Gateway')
    expect(message).toContain('"502 Bad Gateway"')
    expect(message).toContain('HTML')
    expect(message).not.toContain('<')
  })

  it('describes an HTML page without a title', () => {
    expect(errorMessage('<html><body>oops</body></html>', 503)).toMatch(
      /^Service Unavailable \(an HTML page/
    )
  })

  it('falls back to the status text for an empty body', () => {
    expect(errorMessage('', 503)).toBe('Service Unavailable')
    expect(errorMessage('   \n', 502)).toBe('Bad Gateway')
    expect(errorMessage('', 599)).toBe('empty response')
  })

  it('keeps a long message to one line of at most 300 characters', () => {
    const message = errorMessage(JSON.stringify({ detail: 'x\n'.repeat(1000) }), 599)
    expect(message.length).toBeLessThanOrEqual(300)
    expect(message).not.toContain('\n')
  })
})

describe('parseRetryAfter', () => {
  const now = EPOCH

  it('reads delta-seconds', () => {
    expect(parseRetryAfter('120', now)).toBe(120_000)
    expect(parseRetryAfter(' 3 ', now)).toBe(3000)
    expect(parseRetryAfter('0', now)).toBe(0)
  })

  it('reads an HTTP date, relative to the clock', () => {
    expect(parseRetryAfter('Thu, 16 Jan 2025 15:45:30 GMT', now)).toBe(30_000)
    expect(parseRetryAfter('Thu, 16 Jan 2025 15:40:00 GMT', now)).toBe(0)
  })

  it('is undefined without a usable value', () => {
    expect(parseRetryAfter(undefined, now)).toBeUndefined()
    expect(parseRetryAfter('', now)).toBeUndefined()
    expect(parseRetryAfter('soon', now)).toBeUndefined()
  })

  it.each(['1.5', '-5', '1 2'])('ignores the malformed value %j', (value) => {
    expect(parseRetryAfter(value, now)).toBeUndefined()
  })
})

describe('dispatcherFor', () => {
  function quiet(): void {
    // EnvHttpProxyAgent prints an "experimental" warning.
    vi.spyOn(process, 'emitWarning').mockImplementation(() => undefined)
  }

  it('uses a plain Agent without proxy variables', () => {
    const dispatcher = dispatcherFor({ NO_PROXY: 'localhost', HTTPS_PROXY: '' })
    agents.push(dispatcher)
    expect(dispatcher).toBeInstanceOf(Agent)
    expect(dispatcher).not.toBeInstanceOf(EnvHttpProxyAgent)
  })

  it.each(['https_proxy', 'HTTPS_PROXY', 'http_proxy', 'HTTP_PROXY'])(
    'uses EnvHttpProxyAgent when %s is set',
    (name) => {
      quiet()
      const dispatcher = dispatcherFor({ [name]: 'http://proxy.internal:3128' })
      agents.push(dispatcher)
      expect(dispatcher).toBeInstanceOf(EnvHttpProxyAgent)
    }
  )

  it.each([
    ['HTTPS_PROXY', 'proxy.internal:3128'],
    ['http_proxy', 'not a url'],
    ['HTTP_PROXY', 'socks5://proxy.internal:1080']
  ])('refuses a bad %s, naming it and not its value', (name, value) => {
    let caught: unknown
    try {
      agents.push(dispatcherFor({ [name]: value }))
    } catch (error) {
      caught = error
    }
    expect(caught).toBeInstanceOf(ActionError)
    const message = (caught as Error).message
    expect(message).toMatch(new RegExp(`^The environment variable ${name} is not a proxy URL`))
    expect(message).not.toContain(value)
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
