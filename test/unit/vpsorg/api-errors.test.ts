import { describe, expect, it } from 'vitest'
import { errorMessage, networkReason, parseRetryAfter } from '../../../src/vpsorg/api-errors.js'
import { EPOCH } from '../../helpers/fake-clock.js'

/** What the API's (or a proxy's) answers say (src/vpsorg/api-errors.ts): the server's words, Retry-After, a network failure. */

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

describe('parseRetryAfter', () => {
  it.each(['15 Jan 2025 10:00:00 GMT', 'W, 15 Jan 2025 10:00:00 GMT'])(
    'does not take "%s" (no day name first) for a date',
    (value) => {
      expect(parseRetryAfter(value, 0)).toBeUndefined()
    }
  )
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
