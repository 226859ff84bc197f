import { afterEach, describe, expect, it } from 'vitest'
import { errorMessage, networkReason, parseRetryAfter } from '../../src/api-errors.js'
import { dispatcherFor } from '../../src/dispatcher.js'
import { ActionError } from '../../src/errors.js'
import { closeAgents, setup } from '../helpers/fake-runtime.js'
import { rejection } from '../helpers/rejection.js'

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
    ['a JSON array', '["a","b"]', '["a","b"]'],
    ['a JSON string', '"Busy"', '"Busy"'],
    ['an empty JSON object', '{}', '{}'],
    ['text with a tag inside', 'Error: <b>busy</b>', 'Error: <b>busy</b>'],
    ['text with a tag after a word', 'Failure<br>', 'Failure<br>']
  ])('gives %s as it is', (_, body, expected) => {
    expect(errorMessage(body, 'Bad Request')).toBe(expected)
  })

  it('trims the server’s words', () => {
    expect(errorMessage('{"detail":"  Busy  "}', 'Bad Request')).toBe('Busy')
  })

  it('drops a byte-order mark only at the start (elsewhere it is white space)', () => {
    expect(errorMessage('{"detail":"a\uFEFFb"}', '')).toBe('a b')
  })

  it('describes an HTML page by a title with attributes, and not by a blank one', () => {
    expect(errorMessage('<html><title lang="en">Busy</title></html>', 'Bad Gateway')).toBe(
      'Bad Gateway (an HTML page titled "Busy", likely from a proxy or load balancer)'
    )
    expect(errorMessage('<html><title> </title></html>', '')).toBe(
      'error (an HTML page, likely from a proxy or load balancer)'
    )
  })

  it('keeps 300 characters whole and cuts 301 to 299 and an ellipsis', () => {
    expect(errorMessage('x'.repeat(300), '')).toBe('x'.repeat(300))
    expect(errorMessage('x'.repeat(301), '')).toBe(`${'x'.repeat(299)}…`)
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
