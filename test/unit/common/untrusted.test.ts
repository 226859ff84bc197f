import { describe, expect, it } from 'vitest'
import {
  canonical,
  isWebAddress,
  neutralise,
  oneLine,
  scrubJson,
  scrubber
} from '../../../src/common/untrusted.js'

const TOKEN = 'vps_unit_test_token_0123456789'

describe('neutralise', () => {
  it.each([
    ['::error::owned', ': :error::owned'],
    ['  ::add-mask::x', '  : :add-mask::x'],
    ['\t::stop-commands::x', ' : :stop-commands::x'],
    ['ok\n::error::owned', 'ok ::error::owned'],
    ['ok\r::save-state name=a::1', 'ok ::save-state name=a::1'],
    ['ok\u2028::warning::x', 'ok ::warning::x'],
    ['text ##[error]owned', 'text ## [error]owned'],
    ['###[group]x', '### [group]x'],
    ['#\u200b#[error]x', '# #[error]x']
  ])('%j becomes %j', (text, expected) => {
    expect(neutralise(text)).toBe(expected)
  })

  it('leaves ordinary messages alone, colons and IPv6 included', () => {
    const text = 'Backup 502 of server 12345: completed in 1m35s (http://[::1]:8080) #5 [x]'
    expect(neutralise(text)).toBe(text)
  })

  it('removes bidi overrides and other format characters', () => {
    expect(oneLine('a\u202eb\u200bc\u0000d')).toBe('a b c d')
  })
})

describe('scrubber', () => {
  const scrub = scrubber(TOKEN)
  const hex = (text: string): string => Buffer.from(text).toString('hex')
  const entities = (text: string, form: (c: string) => string): string =>
    [...text].map((c) => (/\w/.test(c) ? form(c) : c)).join('')

  it.each([
    ['raw', `Invalid token ${TOKEN}.`],
    ['upper case', `INVALID TOKEN ${TOKEN.toUpperCase()}.`],
    ['an HTML decimal entity for _', TOKEN.replaceAll('_', '&#95;')],
    ['an HTML hex entity for _', TOKEN.replaceAll('_', '&#x5F;')],
    ['a named entity for _', TOKEN.replaceAll('_', '&lowbar;')],
    ['entities without a semicolon', entities(TOKEN, (c) => `&#${c.charCodeAt(0)}`)],
    ['every character as an entity', entities(TOKEN, (c) => `&#x${c.charCodeAt(0).toString(16)};`)],
    ['double-encoded entities', TOKEN.replaceAll('_', '&amp;#95;')],
    ['percent-encoding', encodeURIComponent(TOKEN).replaceAll('_', '%5f')],
    ['every character percent-encoded', entities(TOKEN, (c) => `%${c.charCodeAt(0).toString(16)}`)],
    ['JSON \\u escapes', entities(TOKEN, (c) => `\\u00${c.charCodeAt(0).toString(16)}`)],
    ['full-width characters', TOKEN.replace('vps', 'ｖｐｓ')],
    ['a zero-width space inside', `${TOKEN.slice(0, 8)}\u200b${TOKEN.slice(8)}`],
    ['hex', Buffer.from(TOKEN).toString('hex')],
    ['base64', Buffer.from(TOKEN).toString('base64')],
    ['base64 after one byte', Buffer.from(`x${TOKEN}`).toString('base64')],
    ['base64 after two bytes', Buffer.from(`Bearer ${TOKEN}`).toString('base64')],
    ['base64url after two bytes', Buffer.from(`xy${TOKEN}`).toString('base64url')],
    ['base64 between other bytes', Buffer.from(`x${TOKEN}yz`).toString('base64')],
    // Decoding a neighbour breaks the hex up (%76 becomes v), or builds it (%37%36 becomes 76).
    ['hex after its first byte percent-encoded, then raw', `%76${hex(TOKEN.slice(1))}${TOKEN}`],
    ['hex whose first byte is percent-encoded digits', `%37%36${hex(TOKEN.slice(1))}`]
  ])('removes the token in %s', (_, text) => {
    const scrubbed = scrub(text)
    expect(scrubbed).toContain('***')
    expect(canonical(scrubbed).toLowerCase()).not.toContain(TOKEN.toLowerCase())
    for (const encoding of ['hex', 'base64'] as const) {
      expect(scrubbed).not.toContain(Buffer.from(TOKEN).toString(encoding).slice(4, 16))
    }
  })

  it('returns text without the token exactly as it is, encoded or not', () => {
    for (const text of ['Server is busy.', 'a &amp; b %41 \\u0041', '<b>x</b>', '']) {
      expect(scrub(text)).toBe(text)
    }
  })

  it('leaves no part of the hex form behind', () => {
    const scrubbed = scrub(`%76${hex(TOKEN.slice(1))}${TOKEN}`)
    expect(scrubbed).not.toContain(hex(TOKEN.slice(1, 12)))
  })

  it('decodes a text holding the token only encoded, and masks it', () => {
    expect(scrub(`<title>${TOKEN.replaceAll('_', '&#95;')} &lt;x&gt;</title>`)).toBe(
      '<title>*** <x></title>'
    )
  })

  it('without a token, changes nothing', () => {
    expect(scrubber('')('anything &#95;')).toBe('anything &#95;')
  })
})

describe('scrubJson', () => {
  const scrub = scrubber(TOKEN)

  it('scrubs every string, at any depth, and keeps other values', () => {
    const json = { a: [`x ${TOKEN}`, 1, null, true], b: { c: TOKEN } }
    expect(scrubJson(json, scrub)).toEqual({ a: ['x ***', 1, null, true], b: { c: '***' } })
  })

  it('keeps a "__proto__" key a plain key', () => {
    const scrubbed = scrubJson(JSON.parse('{"__proto__": {"polluted": 1}}'), scrub) as object
    expect(Object.getPrototypeOf(scrubbed)).toBe(Object.prototype)
    expect(({} as Record<string, unknown>).polluted).toBeUndefined()
    expect(Object.keys(scrubbed)).toEqual(['__proto__'])
  })

  it('drops what is nested deeper than 32 levels', () => {
    const deep = JSON.parse(`${'['.repeat(10_000)}${']'.repeat(10_000)}`)
    let value = scrubJson(deep, scrub)
    let depth = 0
    while (Array.isArray(value)) {
      value = value[0]
      depth++
    }
    expect(depth).toBe(32)
    expect(value).toBeNull()
  })
})

describe('canonical', () => {
  it.each([
    ['amp', '&'],
    ['lt', '<'],
    ['gt', '>'],
    ['quot', '"'],
    ['apos', "'"],
    ['lowbar', '_'],
    ['underbar', '_'],
    ['period', '.'],
    ['hyphen', '-'],
    ['dash', '-'],
    ['minus', '-'],
    ['colon', ':'],
    ['sol', '/'],
    ['num', '#'],
    ['plus', '+'],
    ['equals', '='],
    ['percnt', '%'],
    ['commat', '@'],
    ['tilde', '~'],
    ['nbsp', ' ']
  ])('decodes &%s; to %j', (name, character) => {
    expect(canonical(`&${name};`)).toBe(character)
  })

  it.each([
    ['a hex entity without a semicolon', '&#x5f', '_'],
    ['a character percent-encoded in several bytes', '%C3%A9', 'é'],
    ['a braced \\u escape', '\\u{5f}', '_'],
    ['a braced \\u escape with leading zeros', '\\u{0005f}', '_'],
    ['a \\x escape', '\\x5f', '_']
  ])('decodes %s', (_, text, expected) => {
    expect(canonical(text)).toBe(expected)
  })

  it.each([
    ['a hex entity past U+10FFFF', '&#x110000;'],
    ['a decimal entity past U+10FFFF', '&#1114112;'],
    ['a braced \\u escape past U+10FFFF', '\\u{110000}'],
    ['percent-encoding that is not UTF-8', '%E0%A4']
  ])('keeps %s as written', (_, text) => {
    expect(canonical(text)).toBe(text)
  })

  it('decodes the highest code point, U+10FFFF, in every form', () => {
    for (const text of ['&#x10FFFF;', '&#1114111;', '\\u{10FFFF}']) {
      expect(canonical(text)).toBe('\u{10FFFF}')
    }
  })

  it('decodes at most five rounds', () => {
    expect(canonical(`&${'amp;'.repeat(4)}lt;`)).toBe('<')
    expect(canonical(`&${'amp;'.repeat(5)}lt;`)).toBe('&lt;')
  })
})

describe('scrubber, the secret itself', () => {
  it('takes the characters of a secret literally', () => {
    const scrub = scrubber('tok.en+(x)')
    expect(scrub('a tok.en+(x) b')).toBe('a *** b')
    expect(scrub('a tokXen+(x) b')).toBe('a tokXen+(x) b')
  })

  it('masks a short secret in hex, not in base64 forms shorter than 8 characters', () => {
    const scrub = scrubber('abcd')
    expect(scrub('x 61626364 y')).toBe('x *** y')
    for (const text of ['xYWJjy', 'xFiY2y', 'xhYmNky']) {
      expect(scrub(text)).toBe(text)
    }
  })
})

describe('scrubber, encoded forms at every byte alignment', () => {
  // A new scrubber in each test: its pattern is built for the first text it scrubs.
  it.each([
    ['no byte', '', ''],
    ['one byte', 'x', 'yz'],
    ['two bytes', 'xy', 'z']
  ])(
    'masks the token in base64 and base64url after %s, whatever follows it',
    (_, before, after) => {
      const scrub = scrubber(TOKEN)
      for (const encoding of ['base64', 'base64url'] as const) {
        const text = Buffer.from(`${before}${TOKEN}${after}`).toString(encoding)
        const scrubbed = scrub(text)
        expect(scrubbed).toContain('***')
        // Only the characters that depend on the text around the token are left.
        expect(scrubbed.replace('***', '').length).toBeLessThanOrEqual(6)
      }
    }
  )
})

describe('scrubJson, objects', () => {
  it('drops what is nested in objects deeper than 32 levels', () => {
    let deep: unknown = TOKEN
    for (let i = 0; i < 40; i++) deep = { a: deep }
    let value = scrubJson(deep, scrubber(TOKEN))
    let depth = 0
    while (typeof value === 'object' && value !== null) {
      value = (value as { a: unknown }).a
      depth++
    }
    expect(depth).toBe(32)
    expect(value).toBeNull()
  })
})

describe('isWebAddress', () => {
  it.each([
    'https://github.com/acme/shop/actions/runs/1',
    'http://ghes.internal:8080/x',
    'HTTPS://A.B'
  ])('%s is one', (value) => expect(isWebAddress(value)).toBe(true))

  it.each([
    'javascript:alert(1)',
    'xhttp://a.b',
    'httpsx://a.b',
    'ftp://a.b',
    '/runs/1',
    'not a url',
    ''
  ])('%j is not', (value) => expect(isWebAddress(value)).toBe(false))
})
