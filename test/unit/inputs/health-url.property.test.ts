import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import {
  attempt,
  expectInputError,
  type Inputs,
  token,
  tricky,
  valid
} from '../../helpers/input-arbitraries.js'

/* Property-based tests of health_url (src/inputs/health-url.ts), through parseInputs. */

describe('parseInputs, property-based: health_url', () => {
  const restore = (healthUrl: string, secret = 'vps_S3cr3tT0kenValue_do_not_print'): Inputs =>
    valid({ api_token: secret, mode: 'restore', backup_id: '7', health_url: healthUrl })

  /** The token as a URL may carry it: as written, percent-encoded, base64, hex, upper case, HTML. */
  const encodings: Array<(secret: string) => string> = [
    (s) => s,
    (s) => [...Buffer.from(s)].map((b) => `%${b.toString(16).padStart(2, '0')}`).join(''),
    (s) => Buffer.from(s).toString('base64'),
    (s) => Buffer.from(s).toString('base64url'),
    (s) => Buffer.from(s).toString('hex'),
    (s) => s.toUpperCase(),
    (s) => [...s].map((c) => `&#${c.charCodeAt(0)};`).join('')
  ]
  const places: Array<(encoded: string) => string> = [
    (e) => `https://app.example/health?key=${e}`,
    (e) => `https://app.example/${e}/health`,
    (e) => `https://app.example/health#${e}`,
    (e) => `https://ci:${e}@app.example/health`,
    (e) => `https://${e}@app.example/health`,
    (e) => `http://${e}@[`
  ]

  it('a line holding the token, anywhere and in any known encoding, is refused by its line number, never showing it', () => {
    fc.assert(
      fc.property(
        token,
        fc.integer({ min: 0, max: encodings.length - 1 }),
        fc.integer({ min: 0, max: places.length - 1 }),
        fc.integer({ min: 0, max: 3 }),
        (secret, encoding, place, before) => {
          const line = places[place]!(encodings[encoding]!(secret))
          const lines = [...Array<string>(before).fill('tcp://db.example:5432'), line]
          const { error } = attempt(restore(lines.join('\n'), secret))
          const message = expectInputError(error).message
          expect(message).toContain(`line ${before + 1} holds the api_token`)
          expect(message.toLowerCase()).not.toContain(secret.toLowerCase())
          expect(message).not.toContain(encodings[encoding]!(secret))
        }
      ),
      { numRuns: 300 }
    )
  })

  it("a check's user-info is never printed, valid line or not", () => {
    const password = fc.stringMatching(/^PW[A-Za-z0-9]{8,16}$/)
    const user = fc.stringMatching(/^US[A-Za-z0-9]{4,8}$/)
    const scheme = fc.constantFrom(
      'http://',
      'https://',
      'tcp://',
      'ftp://',
      'http:',
      'http:\\\\',
      ''
    )
    fc.assert(
      fc.property(scheme, user, password, tricky, (prefix, name, secret, tail) => {
        const { settings, error } = attempt(restore(`${prefix}${name}:${secret}@${tail}`))
        const shown =
          error === undefined
            ? JSON.stringify(settings!.health.checks.map((check) => check.target))
            : expectInputError(error).message
        expect(shown).not.toContain(secret)
        expect(shown).not.toContain(name)
      }),
      { numRuns: 2000 }
    )
  })
})
