import {
  type RequestListener,
  type Server as HttpServer,
  STATUS_CODES,
  createServer
} from 'node:http'
import type { Duplex } from 'node:stream'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { errorMessage, networkReason, parseRetryAfter } from '../../../src/vpsorg/api-errors.js'
import { type ClientOptions, VpsOrgClient } from '../../../src/vpsorg/client.js'
import { dispatcherFor } from '../../../src/vpsorg/dispatcher.js'
import { ActionError, CancelledError } from '../../../src/common/errors.js'
import { isTransient } from '../../../src/vpsorg/retry.js'
import { backup } from '../../helpers/backup.js'
import { EPOCH, type FakeClock, fakeClock } from '../../helpers/fake-clock.js'
import { closeAgents, setup } from '../../helpers/fake-runtime.js'
import { memoryLogger } from '../../helpers/memory-logger.js'
import { listenLocally } from '../../helpers/local-server.js'
import { rejection } from '../../helpers/rejection.js'

/** Tests that kill surviving mutants of src/client.ts (docs/mutation.md). */

describe('dispatcherFor', () => {
  it('refuses a proxy whose scheme only ends in http', () => {
    expect(() => dispatcherFor({ HTTPS_PROXY: 'xhttps://proxy.example:8080' })).toThrow(ActionError)
  })
})

describe('parseRetryAfter', () => {
  it.each(['15 Jan 2025 10:00:00 GMT', 'W, 15 Jan 2025 10:00:00 GMT'])(
    'does not take "%s" (no day name first) for a date',
    (value) => {
      expect(parseRetryAfter(value, 0)).toBeUndefined()
    }
  )
})

describe('errorMessage', () => {
  it.each([
    ['a JSON string', '"Busy"', '"Busy"'],
    ['an empty JSON object', '{}', '{}'],
    ['text with a tag inside', 'Error: <b>busy</b>', 'Error: <b>busy</b>'],
    ['text with a tag after a word', 'Failure<br>', 'Failure<br>']
  ])('gives %s as it is', (_, body, expected) => {
    expect(errorMessage(body, 400)).toBe(expected)
  })

  it.each([
    [
      'a bare list (ValidationError raised in a view)',
      '["Server is locked."]',
      'Server is locked.'
    ],
    ['a bare list of several, empty ones skipped', '["a.", "", [], "b."]', 'a. b.'],
    [
      'a nested serializer’s errors',
      '{"server": {"id": ["A valid integer is required."]}}',
      'server: id: A valid integer is required.'
    ],
    [
      'a list field’s errors, one object per item',
      '{"items": [{}, {"name": ["This field is required."]}]}',
      'items: name: This field is required.'
    ],
    ['a null field', '{"server_id": null}', 'server_id: null'],
    ['errors nested past any DRF depth', `${'['.repeat(20)}"x"${']'.repeat(20)}`, '…'],
    ['errors nested 8 deep', `${'['.repeat(8)}"x"${']'.repeat(8)}`, 'x'],
    [
      'field errors nested past any DRF depth',
      `${'{"a":'.repeat(20)}"x"${'}'.repeat(20)}`,
      `${'a: '.repeat(8)}…`
    ],
    ['errors nested 9 deep', `${'['.repeat(9)}"x"${']'.repeat(9)}`, '…'],
    [
      'a field without messages, skipped',
      '{"server_id": [], "description": ["Too long."]}',
      'description: Too long.'
    ],
    ['a bare list of empty strings, as it is', '["", ""]', '["", ""]']
  ])('reads %s', (_, body, expected) => {
    expect(errorMessage(body, 400)).toBe(expected)
  })

  it.each([
    [
      'Django’s own',
      '<!doctype html>\n<html lang="en">\n<head>\n  <title>Not Found</title>\n</head>\n<body>\n  <h1>Not Found</h1><p>The requested resource was not found on this server.</p>\n</body>\n</html>\n',
      'Not Found (an HTML page titled "Not Found", not an answer of the API: check api_url, the API\'s base URL, e.g. https://admin.vps.org/api/v1)'
    ],
    [
      'a proxy’s',
      '<html><title>404 Not Found</title></html>',
      'Not Found (an HTML page titled "404 Not Found", not an answer of the API: check api_url, the API\'s base URL, e.g. https://admin.vps.org/api/v1)'
    ]
  ])('says to check api_url for %s HTML 404 page', (_, body, expected) => {
    expect(errorMessage(body, 404)).toBe(expected)
  })

  it('trims the server’s words', () => {
    expect(errorMessage('{"detail":"  Busy  "}', 400)).toBe('Busy')
  })

  it('drops a byte-order mark only at the start (elsewhere it is white space)', () => {
    expect(errorMessage('{"detail":"a\uFEFFb"}', 599)).toBe('a b')
  })

  it('describes an HTML page by a title with attributes, and not by a blank one', () => {
    expect(errorMessage('<html><title lang="en">Busy</title></html>', 502)).toBe(
      'Bad Gateway (an HTML page titled "Busy", likely from a proxy or load balancer)'
    )
    expect(errorMessage('<html><title> </title></html>', 599)).toBe(
      'error (an HTML page, likely from a proxy or load balancer)'
    )
  })

  it('keeps 300 characters whole and cuts 301 to 299 and an ellipsis', () => {
    expect(errorMessage('x'.repeat(300), 599)).toBe('x'.repeat(300))
    expect(errorMessage('x'.repeat(301), 599)).toBe(`${'x'.repeat(299)}…`)
  })
})

describe('networkReason', () => {
  it('names the cause and its code', () => {
    const cause = Object.assign(new Error('other side closed'), { code: 'UND_ERR_SOCKET' })
    expect(networkReason(new Error('fetch failed', { cause }))).toBe(
      'network error: UND_ERR_SOCKET other side closed'
    )
  })

  it('gives an error without a cause or a string code by its message alone', () => {
    expect(networkReason(Object.assign(new Error('boom'), { code: 42 }))).toBe(
      'network error: boom'
    )
    expect(networkReason(new Error(''))).toBe('network error:')
    expect(networkReason(undefined)).toBe('network error: undefined')
  })
})

describe('VpsOrgClient, as its errors and the debug log tell it', () => {
  afterEach(closeAgents)

  it.each([
    [12345, 'server 12345'],
    [undefined, 'the account']
  ])('names whose backups it failed to list (%s)', async (serverId, whose) => {
    const { rt, api } = setup()
    api.hook = () => ({ status: 403, body: { detail: 'No.' } })
    const error = await rejection(rt.client.listBackups(serverId))
    expect(error.message).toBe(`Could not list the backups of ${whose}: HTTP 403: No.`)
    const query = api.requests[0]!.url.searchParams
    expect(query.get('server_id')).toBe(serverId === undefined ? null : String(serverId))
  })

  it('gives the status text for an error without a body', async () => {
    const { rt, api } = setup()
    api.hook = () => ({ status: 503 })
    const error = await rejection(rt.client.getServer(12345))
    expect(error.message).toContain('HTTP 503: Service Unavailable')
  })

  it('takes a 300 for a redirection, not an answer', async () => {
    const { rt, api } = setup()
    api.hook = (request, fake) => ({ ...fake.handle(request), status: 300 })
    const error = await rejection(rt.client.getServer(12345))
    expect(error.message).toContain('HTTP 300')
  })

  it('takes an oversized answer that is not a 2xx for an error, not for a created backup', async () => {
    const { rt, api } = setup()
    api.hook = () => ({ status: 300, body: 'x'.repeat(5 * 1024 * 1024) })
    const error = await rejection(rt.client.createBackup(12345, 'x'))
    expect(error.message).toContain('larger than')
  })

  it('logs each request and its status at debug level', async () => {
    const { rt, log } = setup()
    await rt.client.getServer(12345)
    expect(log.of('debug')).toEqual([
      'GET /api/v1/servers/12345/',
      'GET /api/v1/servers/12345/ -> 200'
    ])
  })
})

const SERVER_PATH = '/api/v1/servers/12345/'
const SERVER = {
  id: 12345,
  name: 'web-server-01',
  status: 'active',
  updated_at: '2025-01-15T10:20:00Z'
}

const closers: (() => Promise<void>)[] = []
afterEach(async () => {
  await Promise.all(closers.splice(0).map((close) => close()))
})

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
function localApi(handle: RequestListener) {
  return listen(createServer(handle))
}

/** A proxy on a local port that refuses every tunnel with `status`. */
function refusingProxy(status: number) {
  const proxy = createServer()
  proxy.on('connect', (_req, socket: Duplex) => {
    socket.end(`HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\nContent-Length: 0\r\n\r\n`)
  })
  return listen(proxy)
}

/** A VpsOrgClient as the action makes it: its dispatcher from `env` (dispatcherFor). */
function client(
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
function replying(...replies: [number, string][]): RequestListener {
  let i = 0
  return (_req, res) => {
    const [status, body] = replies[Math.min(i++, replies.length - 1)]!
    res.writeHead(status, { 'content-type': 'application/json' }).end(body)
  }
}

/** Answers after 2.5 s (a hung request, but one that fails a test quickly if it is waited for). */
const slow: RequestListener = (_req, res) => {
  const timer = setTimeout(() => res.end(JSON.stringify(SERVER)), 2500)
  res.on('close', () => clearTimeout(timer))
}

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

describe('VpsOrgClient: what an answer’s body and status mean', () => {
  it('takes a blank 2xx body for no body', async () => {
    const api = await localApi(replying([202, ' \r\n ']))
    const { vps } = client(api.url)
    await expect(vps.restore(12345, 501)).resolves.toEqual({})
  })

  it('retries a 2xx whose body is not JSON (a cut answer)', async () => {
    const api = await localApi(replying([200, '{"id": 12345, '], [200, JSON.stringify(SERVER)]))
    const { vps, log } = client(api.url)
    await expect(vps.getServer(12345)).resolves.toEqual(SERVER)
    expect(log.of('info')).toEqual([
      'Could not read the status of server 12345: HTTP 200 with a body that is not JSON. Retrying in 1s (attempt 2 of 5)'
    ])
  })

  it('takes a body of exactly maxBodyBytes', async () => {
    const body = JSON.stringify(SERVER)
    const api = await localApi(replying([200, body]))
    const { vps } = client(api.url, { maxBodyBytes: Buffer.byteLength(body) })
    await expect(vps.getServer(12345)).resolves.toEqual(SERVER)
  })

  it.each([
    [399, 'the API answered HTTP 399 (a redirection), an answer the action cannot use'],
    [499, 'HTTP 499: empty response']
  ])('describes an unknown status %d without a body', async (status, expected) => {
    const api = await localApi(replying([status, '']))
    const { vps } = client(api.url)
    const error = await rejection(vps.getServer(12345))
    expect(error.message).toContain(`Could not read the status of server 12345: ${expected}`)
  })
})

describe('VpsOrgClient: a listing that cannot be read', () => {
  const LIST = '/api/v1/backups/?server_id=12345'

  /** An API whose every list page links to `next(api URL, page number)`, each read taking 4 s. */
  async function paginating(next: (url: string, n: number) => string) {
    const clock = fakeClock()
    let n = 0
    const api = await localApi((_req, res) => {
      clock.advance(4000)
      res.end(JSON.stringify({ results: [backup(500 + n)], next: next(api.url, ++n) }))
    })
    return { api, clock }
  }

  it.each([
    ['paginates in a loop', (url: string) => `${url}${LIST}`, {}, /paginates in a loop/],
    [
      'goes on past maxPages',
      (url: string, n: number) => `${url}${LIST}&page=${n + 1}`,
      { maxPages: 1 },
      /list goes on after 1 pages/
    ]
  ])('is not worth another attempt when the API %s', async (_, next, options, message) => {
    const { api, clock } = await paginating(next)
    const { vps } = client(api.url, { ...options, clock })
    const error = await rejection(vps.listBackups(12345))
    expect(error.message).toMatch(message)
    expect(isTransient(error)).toBe(false)
    expect(api.requests).toEqual([`GET ${LIST}`])
  })

  it('is not worth another attempt when a page is not the documented shape', async () => {
    const api = await localApi(replying([200, JSON.stringify({ results: [{ id: 'x' }] })]))
    const { vps } = client(api.url)
    const error = await rejection(vps.listBackups(12345))
    expect(error.message).toContain('the answer does not have the shape the API documents')
    expect(isTransient(error)).toBe(false)
    expect(api.requests).toEqual([`GET ${LIST}`])
  })

  it('withDeadline never moves the client’s deadline later', async () => {
    const { api, clock } = await paginating((url, n) => `${url}${LIST}&page=${n + 1}`)
    const { vps } = client(api.url, { clock, deadline: clock.now() + 6000, maxPages: 5 })
    const error = await rejection(vps.withDeadline(clock.now() + 600_000).listBackups(12345))
    expect(error.message).toContain('the list did not end within timeout')
    expect(api.requests).toHaveLength(2)
  })

  it('reads no page once maxListBytes are read, to the byte, and logs each page it asks for', async () => {
    const page = JSON.stringify({ results: [backup(501)], next: `${LIST}&page=2` })
    const api = await localApi(replying([200, page]))
    const { vps, log } = client(api.url, { maxListBytes: Buffer.byteLength(page) })
    const error = await rejection(vps.listBackups(12345))
    expect(error.message).toContain(`list goes on after 1 pages (${Buffer.byteLength(page)} bytes)`)
    expect(log.of('debug')).toEqual([`GET ${LIST}`, `GET ${LIST} -> 200`])
  })

  it('reads no page that would start at the deadline', async () => {
    const { api, clock } = await paginating((url, n) => `${url}${LIST}&page=${n + 1}`)
    // Each page takes 4 s: the third would start at the deadline.
    const { vps } = client(api.url, { clock, deadline: clock.now() + 8000 })
    const error = await rejection(vps.listBackups(12345))
    expect(error.message).toMatch(
      /^Could not list the backups of server 12345: the list did not end within timeout after 2 pages \(\d+ bytes\)$/
    )
    expect(api.requests).toHaveLength(2)
  })
})
