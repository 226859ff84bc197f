import { afterEach, describe, expect, it } from 'vitest'
import { pagesOf } from '../../../src/vpsorg/client-answer.js'
import { isTransient } from '../../../src/vpsorg/retry.js'
import { backup } from '../../helpers/backup.js'
import { fakeClock } from '../../helpers/fake-clock.js'
import { closeAgents, setup } from '../../helpers/fake-runtime.js'
import { SERVER, client, closeLocal, localApi, replying } from '../../helpers/local-api.js'
import { rejection } from '../../helpers/rejection.js'

/**
 * What the client makes of an answer (src/vpsorg/client-answer.ts), through VpsOrgClient against an
 * API on a local port: an error's words and status, a body's meaning, a listing's bounds.
 */

afterEach(closeLocal)

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
    expect(isTransient(error)).toBe(false)
  })
})

describe('pagesOf: how many pages a list takes, by its first page', () => {
  const page = (count: number | undefined, results: number, next?: string) => ({
    count,
    results: Array.from({ length: results }, (_, i) => i),
    next
  })

  it('says nothing of a list whose first page has a `next` but no count, or no results', () => {
    expect(pagesOf(page(undefined, 2, 'p2'))).toBeUndefined()
    expect(pagesOf(page(4, 0, 'p2'))).toBeUndefined()
  })

  it('reads one page without `next`, whatever its count says; else count over its length', () => {
    expect(pagesOf(page(9, 2))).toBe(1)
    expect(pagesOf(page(5, 2, 'p2'))).toBe(3)
  })
})
