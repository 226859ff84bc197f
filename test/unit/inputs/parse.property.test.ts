import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { MAX_DESCRIPTION, parseTag } from '../../../src/github/description.js'
import {
  anyCombination,
  attempt,
  descriptionText,
  expectInputError,
  INPUT_NAMES,
  LONE_SURROGATE,
  MAX_TIMEOUT_MS,
  parse,
  runContext,
  token,
  valid,
  validCombination
} from '../../helpers/input-arbitraries.js'
import { STEP, TAG } from '../../helpers/run-context.js'

/*
 * Property-based tests of parseInputs (hostile input, tested broadly; arbitraries in
 * test/helpers/input-arbitraries.ts): every invalid combination gives exactly one InputError naming
 * a declared input, every valid one the expected typed values, the token never in a message. The
 * seed of a failing run is printed by fast-check; re-run it with { seed, path }.
 */

describe('parseInputs, property-based', () => {
  it('any combination: Settings, or one InputError naming a declared input; nothing else', () => {
    fc.assert(
      fc.property(anyCombination, (inputs) => {
        const { settings, error } = attempt(inputs)
        if (error !== undefined) {
          const inputError = expectInputError(error)
          const secret = (inputs.api_token ?? '').trim()
          const elsewhere = INPUT_NAMES.some(
            (name) => name !== 'api_token' && (inputs[name] ?? '').includes(secret)
          )
          if (secret.length >= 8 && !elsewhere) expect(inputError.message).not.toContain(secret)
          return
        }
        const s = settings!
        expect(s.apiToken).toBe(inputs.api_token!.trim())
        expect(s.apiToken).not.toBe('')
        const [first] = s.serverIds
        expect(Number.isSafeInteger(first) && first! > 0).toBe(true)
        expect(['backup', 'restore', 'delete']).toContain(s.target.mode)
        if ('backupId' in s.target) {
          const id = s.target.backupId
          expect(
            id === 'latest' || (typeof id === 'number' && Number.isSafeInteger(id) && id > 0)
          ).toBe(true)
        }
        expect(s.apiUrl).toMatch(
          /^(https:\/\/|http:\/\/(localhost|127\.[\d.]+|\[::1\])(:\d+)?(\/|$))/
        )
        expect(s.apiUrl).not.toMatch(/\/$/)
        expect(s.timeoutMs > 0 && s.timeoutMs <= MAX_TIMEOUT_MS).toBe(true)
        expect(Number.isSafeInteger(s.keepBackups) && s.keepBackups >= 0).toBe(true)
        if (s.pollIntervalMs !== undefined) expect(s.pollIntervalMs % 1000).toBe(0)
        expect(s.pollIntervalMs ?? 0).toBeLessThanOrEqual(3_600_000)
        expect(s.apiToken).toMatch(/^[\x21-\x7e]+$/)
        expect(typeof s.wait).toBe('boolean')
        expect(typeof s.rollbackOnFailure).toBe('boolean')
        expect(s.description.length).toBeLessThanOrEqual(MAX_DESCRIPTION)
        if (s.target.mode === 'backup') expect(s.description.endsWith(` ${TAG}`)).toBe(true)
        else expect(s.description).toBe('')
      }),
      { numRuns: 4000 }
    )
  })

  it('every valid combination parses to the expected typed values', () => {
    fc.assert(
      fc.property(validCombination, ({ inputs, expected }) => {
        expect(parse(inputs)).toEqual(expected)
      }),
      { numRuns: 3000 }
    )
  })

  it('description: at most 255 characters, one clean line, well-formed, ending with the tag', () => {
    fc.assert(
      fc.property(descriptionText, runContext, (text, ctx) => {
        const { description, descriptionTruncated } = parse(valid({ description: text }), ctx)
        const tag = `[gha:${ctx.repository}#${ctx.runId}/${ctx.runAttempt}/${STEP}/${ctx.nonce}]`
        expect(description.length).toBeLessThanOrEqual(MAX_DESCRIPTION)
        expect([...description].length).toBeLessThanOrEqual(MAX_DESCRIPTION)
        expect(description).not.toMatch(/[\p{Cc}\p{Cf}]/u)
        expect(description).not.toMatch(/[^\S ]| {2}/) // no white space but single spaces
        expect(description).not.toMatch(LONE_SURROGATE)
        expect(description.endsWith(` ${tag}`)).toBe(true)
        expect(parseTag(description)).toEqual({
          repository: ctx.repository,
          runId: ctx.runId,
          attempt: ctx.runAttempt,
          step: STEP,
          nonce: ctx.nonce
        })
        const body = description.slice(0, -tag.length - 1)
        expect(body).not.toBe('')
        expect(body).toBe(body.trim())
        if (descriptionTruncated) expect(body.endsWith('…')).toBe(true)
        // What is kept of the user's text is its start, in order.
        const words = body.replace(/…$/, '').split(' ').filter(Boolean)
        if (!descriptionTruncated && !body.startsWith('Pre-deployment backup of ')) {
          for (const word of words) expect(text).toContain(word)
        }
      }),
      { numRuns: 2500 }
    )
  })

  it('the token never appears in an error message (token only in api_token)', () => {
    fc.assert(
      fc.property(token, anyCombination, (secret, inputs) => {
        const { error } = attempt({ ...inputs, api_token: secret })
        if (error === undefined) return
        const message = expectInputError(error).message
        expect(message).not.toContain(secret)
        expect(message.toLowerCase()).not.toContain(secret.toLowerCase())
      }),
      { numRuns: 2000 }
    )
  })

  // An invalid value is quoted in its error message. A token given to the wrong input (inputs
  // swapped, or pasted into api_url) must not be printed: neither verbatim nor lower-cased (mode
  // is lower-cased before it is quoted, a form the runner's exact-match masking would not hide).
  it('the token never appears in an error message, even when it is given to another input', () => {
    const others = INPUT_NAMES.filter((name) => !['api_token', 'description'].includes(name))
    fc.assert(
      fc.property(
        token,
        fc.constantFrom(...others),
        fc.constantFrom('', 'x', 'https://evil.example/', 'http://10.0.0.1/?t='),
        (secret, name, prefix) => {
          const inputs = valid({ api_token: secret, [name]: `${prefix}${secret}` })
          if (name === 'backup_id') inputs.mode = 'delete'
          const { error } = attempt(inputs)
          if (error === undefined) return // e.g. https://evil.example/<token> is a valid api_url
          const message = expectInputError(error).message
          expect(message).not.toContain(secret)
          expect(message.toLowerCase()).not.toContain(secret.toLowerCase())
        }
      ),
      { numRuns: 500 }
    )
  })
})
