import { readFileSync } from 'node:fs'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { parse as parseYaml } from 'yaml'
import { MAX_DESCRIPTION, parseTag } from '../../../src/github/description.js'
import { InputError } from '../../../src/common/errors.js'
import { type Settings, parseInputs } from '../../../src/inputs/inputs.js'
import { STEP, TAG, context } from '../../helpers/run-context.js'
import type { RunContext } from '../../../src/github/context.js'

/*
 * Property-based tests of parseInputs (hostile input, tested broadly): thousands of
 * generated input combinations. Every invalid one must give exactly one InputError whose message
 * starts with `Input '<name>'` for a declared input; every valid one must parse to the expected
 * typed values; nothing may throw anything else; the token never appears in an error message.
 * The seed of a failing run is printed by fast-check; re-run it with { seed, path }.
 */

/** The inputs action.yml declares: the runner sets INPUT_<NAME> for every one of them. */
const INPUT_NAMES = Object.keys(
  (
    parseYaml(readFileSync(new URL('../../../action.yml', import.meta.url), 'utf8')) as {
      inputs: Record<string, unknown>
    }
  ).inputs
)

const DEFAULT_DESCRIPTION = `Pre-deployment backup of acme/shop@0123456 (run 9876543210, attempt 3) ${TAG}`
const MAX_TIMEOUT_MS = 24 * 3_600_000
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/

type Inputs = Record<string, string>

/** Runs parseInputs over `inputs`; an input left out is empty, as the runner passes it. */
function parse(inputs: Inputs, ctx: RunContext = context): Settings {
  return parseInputs((name) => inputs[name] ?? '', ctx)
}

/** parseInputs' outcome: the settings, or the error it threw (anything: it is checked). */
function attempt(inputs: Inputs, ctx?: RunContext): { settings?: Settings; error?: unknown } {
  try {
    return { settings: parse(inputs, ctx) }
  } catch (error) {
    return { error }
  }
}

/** The one acceptable failure: an InputError naming a declared input, on one line. */
function expectInputError(error: unknown): InputError {
  expect(error).toBeInstanceOf(InputError)
  const inputError = error as InputError
  expect(INPUT_NAMES).toContain(inputError.input)
  expect(inputError.message.startsWith(`Input '${inputError.input}' `)).toBe(true)
  expect(inputError.message).not.toMatch(/[\r\n]/)
  return inputError
}

// ---- generators ----

const PADDING = fc.constantFrom('', '', ' ', '  ', '\t', ' \t ')
/** Surrounding white space, which the runner (@actions/core getInput) trims anyway. */
const padded = (text: fc.Arbitrary<string>): fc.Arbitrary<string> =>
  fc.tuple(PADDING, text, PADDING).map(([a, t, b]) => `${a}${t}${b}`)
const anyCase = (word: string): fc.Arbitrary<string> =>
  fc
    .array(fc.boolean(), { minLength: word.length, maxLength: word.length })
    .map((upper) => [...word].map((c, i) => (upper[i] ? c.toUpperCase() : c)).join(''))

/** Characters that stress parsers: signs, exponents, units, URL syntax, controls, odd spaces. */
const TRICKY = [
  ...' \t\n\r\u0000\u0007\u001b\u007f\u0085\u00a0\u00ad\u200b\u200e\u202e\u2028\u2029\u3000\ufeff',
  ...'0123456789+-.,eExXoObB_hmsdHMS:/?#@[]%&=;\'"`<>\\{}|',
  ...'truefalsTRUEFALSbackupstorelidnhp',
  '١', // Arabic-Indic digit one
  '１', // full-width digit one
  '😀',
  '\ud800' // a lone surrogate
]
const tricky = fc.string({ unit: fc.constantFrom(...TRICKY), maxLength: 24 })
const anyText = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 40 }),
  fc.string({ unit: 'grapheme', maxLength: 40 }),
  fc.string({ maxLength: 40 }),
  tricky
)
const MAX = Number.MAX_SAFE_INTEGER
const positive = fc.oneof(
  fc.integer({ min: 1, max: 1000 }),
  fc.integer({ min: 1, max: MAX }),
  fc.constant(MAX)
)
const token = fc.stringMatching(/^vps_[A-Za-z0-9_+/=-]{20,40}$/)

/** Numbers that are almost positive integers, and are not. */
const nearIntegers = fc.oneof(
  fc.constantFrom(
    '0',
    '00',
    '-0',
    '-1',
    '+5',
    '007',
    '1e3',
    '1E3',
    '0x10',
    '0o7',
    '0b1',
    '1.0',
    '1.5',
    '.5',
    '1.',
    '1_000',
    '1,000',
    '12abc',
    'abc12',
    '١٢',
    '１２',
    'Infinity',
    'NaN',
    '9007199254740992', // 2^53
    '9007199254740993',
    '18446744073709551616',
    '1'.padEnd(400, '0')
  ),
  fc.integer({ min: -MAX, max: 0 }).map(String),
  fc.bigInt({ min: 2n ** 53n, max: 2n ** 80n }).map(String),
  fc
    .tuple(positive, fc.constantFrom('.0', 'e0', 'x', 'n', ' x', '-', '%'))
    .map(([n, s]) => `${n}${s}`),
  fc.tuple(fc.constantFrom('0', '+', '-', '0x', '#', '$'), positive).map(([p, n]) => `${p}${n}`)
)

/** A mode as a user may write it, and what it means. */
const mode = fc
  .constantFrom(
    ['backup', 'backup'],
    ['restore', 'restore'],
    ['rollback', 'restore'],
    ['delete', 'delete']
  )
  .chain(([text, meaning]) => padded(anyCase(text!)).map((t) => [t, meaning!] as const))
  .map(([text, meaning]) => ({ text, mode: meaning as 'backup' | 'restore' | 'delete' }))
const modeOrDefault = fc.oneof(
  { arbitrary: mode, weight: 4 },
  { arbitrary: PADDING.map((text) => ({ text, mode: 'backup' as const })), weight: 1 }
)

const booleanInput = (fallback: boolean): fc.Arbitrary<{ text: string; value: boolean }> =>
  fc.oneof(
    PADDING.map((text) => ({ text, value: fallback })),
    padded(fc.constantFrom('true', 'True', 'TRUE')).map((text) => ({ text, value: true })),
    padded(fc.constantFrom('false', 'False', 'FALSE')).map((text) => ({ text, value: false }))
  )

/** A timeout as seconds or h/m/s, within (0, 24h], and its milliseconds. */
const timeoutInput = fc.oneof(
  PADDING.map((text) => ({ text, ms: 30 * 60_000 })),
  fc.integer({ min: 1, max: 86_400 }).map((s) => ({ text: String(s), ms: s * 1000 })),
  fc
    .record({
      h: fc.option(fc.integer({ min: 0, max: 24 }), { nil: undefined }),
      m: fc.option(fc.integer({ min: 0, max: 1440 }), { nil: undefined }),
      s: fc.option(fc.integer({ min: 0, max: 86_400 }), { nil: undefined })
    })
    .map(({ h, m, s }) => ({
      text: `${h === undefined ? '' : `${h}h`}${m === undefined ? '' : `${m}m`}${s === undefined ? '' : `${s}s`}`,
      ms: ((h ?? 0) * 3600 + (m ?? 0) * 60 + (s ?? 0)) * 1000
    }))
    .filter(({ text, ms }) => text !== '' && ms > 0 && ms <= MAX_TIMEOUT_MS)
)

/** An api_url the action accepts, and the base it keeps (no trailing slash). */
const apiUrlInput = fc.oneof(
  PADDING.map((text) => ({ text, url: 'https://admin.vps.org/api/v1' })),
  fc
    .record({
      scheme: fc.constantFrom('https', 'http'),
      host: fc.constantFrom(
        'admin.vps.org',
        'api.example.com',
        'vps.internal',
        'localhost',
        '127.0.0.1',
        '127.255.0.9',
        '[::1]'
      ),
      port: fc.option(fc.integer({ min: 1, max: 65_535 }), { nil: undefined }),
      path: fc.constantFrom('', '/', '/api/v1', '/api/v1/', '/api/v1//', '/vps-org/api/v1')
    })
    .filter(({ scheme, host }) => scheme === 'https' || /^(localhost|127\.|\[::1\])/.test(host))
    .map(({ scheme, host, port, path }) => {
      const shown = port === undefined || port === (scheme === 'https' ? 443 : 80) ? '' : `:${port}`
      return {
        text: `${scheme}://${host}${port === undefined ? '' : `:${port}`}${path}`,
        url: `${scheme}://${host}${shown}${path.replace(/\/+$/, '')}`
      }
    })
)

/** A plain description: words and single spaces, short enough not to be shortened. */
const plainDescription = fc.oneof(
  fc.constant({ text: '', description: DEFAULT_DESCRIPTION }),
  fc
    .array(fc.stringMatching(/^[A-Za-z0-9.,:()_#@/-]{1,12}$/), { minLength: 1, maxLength: 8 })
    .map((words) => ({ text: words.join(' '), description: `${words.join(' ')} ${TAG}` }))
)

/** A valid combination of every input, with the Settings it must parse to. */
const validCombination = fc
  .record({
    token,
    tokenPadding: PADDING,
    mode: modeOrDefault,
    serverId: positive,
    backupId: positive,
    latest: fc.oneof(fc.constant(null), padded(anyCase('latest'))),
    apiUrl: apiUrlInput,
    description: plainDescription,
    wait: booleanInput(true),
    timeout: timeoutInput,
    keep: fc.oneof(
      PADDING.map((text) => ({ text, value: 0 })),
      fc.constant({ text: '0', value: 0 }),
      positive.map((n) => ({ text: String(n), value: n }))
    ),
    rollback: booleanInput(false),
    poll: fc.oneof(
      PADDING.map((text) => ({ text, value: undefined as number | undefined })),
      fc.integer({ min: 1, max: 3600 }).map((n) => ({ text: String(n), value: n * 1000 }))
    )
  })
  .map((c) => {
    const useLatest = c.mode.mode === 'restore' && c.latest !== null
    const backupIdText = c.mode.mode === 'backup' ? '' : useLatest ? c.latest! : String(c.backupId)
    const target: Settings['target'] =
      c.mode.mode === 'backup'
        ? { mode: 'backup' }
        : c.mode.mode === 'restore'
          ? { mode: 'restore', backupId: useLatest ? 'latest' : c.backupId }
          : { mode: 'delete', backupId: c.backupId }
    const inputs: Inputs = {
      api_token: `${c.tokenPadding}${c.token}${c.tokenPadding}`,
      api_url: c.apiUrl.text,
      server_id: String(c.serverId),
      mode: c.mode.text,
      backup_id: backupIdText,
      description: c.description.text,
      wait: c.wait.text,
      timeout: c.timeout.text,
      keep_backups: c.keep.text,
      rollback_on_failure: c.rollback.text,
      poll_interval: c.poll.text
    }
    const expected: Settings = {
      target,
      apiToken: c.token,
      githubToken: '',
      apiUrl: c.apiUrl.url,
      serverIds: [c.serverId],
      serverId: c.serverId,
      // Only a backup composes the description it sends.
      description: target.mode === 'backup' ? c.description.description : '',
      descriptionTruncated: false,
      wait: c.wait.value,
      timeoutMs: c.timeout.ms,
      keepBackups: c.keep.value,
      rollbackOnFailure: c.rollback.value,
      pollIntervalMs: c.poll.value,
      health: { checks: [], contains: '', timeoutMs: 300_000, threshold: 2, watchMs: 0 },
      dryRun: false
    }
    return { inputs, expected }
  })

/** Any combination: each input valid, hostile or arbitrary, so that every check is reached. */
const anyCombination = validCombination.chain(({ inputs }) =>
  fc
    .record(
      Object.fromEntries(
        INPUT_NAMES.map((name) => [
          name,
          fc.oneof(
            { arbitrary: fc.constant(inputs[name] ?? ''), weight: 6 },
            { arbitrary: anyText, weight: 1 },
            { arbitrary: nearIntegers, weight: 1 }
          )
        ])
      ) as Record<string, fc.Arbitrary<string>>
    )
    .map((values) => values as Inputs)
)

/** A repository and run id as GitHub makes them, for the description's tag. */
const runContext: fc.Arbitrary<RunContext> = fc
  .record({
    owner: fc.stringMatching(/^[A-Za-z0-9](?:[A-Za-z0-9-]{0,37}[A-Za-z0-9])?$/),
    repo: fc.stringMatching(/^[A-Za-z0-9_.-]{1,100}$/),
    runId: fc.bigInt({ min: 1n, max: 2n ** 53n }).map(String),
    runAttempt: fc.integer({ min: 1, max: 100 }),
    nonce: fc.stringMatching(/^[0-9a-f]{8}$/)
  })
  .map(({ owner, repo, runId, runAttempt, nonce }) => ({
    ...context,
    repository: `${owner}/${repo}`,
    runId,
    runAttempt,
    nonce
  }))

const descriptionText = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 400 }),
  fc.string({ unit: 'grapheme', maxLength: 300 }),
  fc.string({ unit: fc.constantFrom(...TRICKY.filter((c) => c !== '\ud800')), maxLength: 300 }),
  fc.string({ unit: fc.constantFrom('a', ' ', '😀', '\u0301', '\n', '\u202e'), maxLength: 600 })
)

const valid = (overrides: Inputs = {}): Inputs => ({
  api_token: 'vps_S3cr3tT0kenValue_do_not_print',
  server_id: '12345',
  ...overrides
})

// ---- properties ----

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
        expect(Number.isSafeInteger(s.serverId) && s.serverId > 0).toBe(true)
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

  it('server_id and backup_id: exactly the plain decimals from 1 to 2^53 - 1 are accepted', () => {
    const candidate = fc.oneof(positive.map(String), nearIntegers, anyText)
    const target = fc.constantFrom('server_id', 'restore', 'delete')
    fc.assert(
      fc.property(candidate, target, (text, where) => {
        // Surrounding white space is the subject of the next test; separators of the one after.
        fc.pre(text === text.trim() && (where !== 'server_id' || !/[\s,]/.test(text)))
        const inputs =
          where === 'server_id'
            ? valid({ server_id: text })
            : valid({ mode: where, backup_id: text })
        const name = where === 'server_id' ? 'server_id' : 'backup_id'
        const plain = /^[1-9][0-9]*$/.test(text) && Number(text) <= MAX
        const latest = where === 'restore' && text.toLowerCase() === 'latest'
        const { settings, error } = attempt(inputs)
        if (plain) {
          const value =
            name === 'server_id'
              ? settings?.serverId
              : (settings?.target as { backupId?: number } | undefined)?.backupId
          expect(value).toBe(Number(text))
        } else if (!latest) {
          expect(expectInputError(error).input).toBe(name)
        }
      }),
      { numRuns: 3000 }
    )
  })

  // A backup id ` 12 ` is invalid. parseInputs gets the raw values (main.ts reads inputs with
  // trimWhitespace: false), so it may not trim it. In server_id, white space separates ids: a
  // padded id is that one id.
  it('backup_id: a padded number (` 12 `) is rejected; server_id: it is that server', () => {
    const pad = fc.constantFrom(' ', '\t', '  ', '\u00a0', '\u3000', '\ufeff', '\n')
    const paddedNumber = fc
      .tuple(fc.option(pad, { nil: '' }), positive, fc.option(pad, { nil: '' }))
      .filter(([a, , b]) => a !== '' || b !== '')
      .map(([a, n, b]) => `${a}${n}${b}`)
    fc.assert(
      fc.property(
        paddedNumber,
        fc.constantFrom('server_id', 'restore', 'delete'),
        (text, where) => {
          if (where === 'server_id') {
            const { serverIds } = parse(valid({ server_id: text }))
            expect(serverIds).toEqual([Number(text.trim())])
            return
          }
          const { error } = attempt(valid({ mode: where, backup_id: text }))
          expect(expectInputError(error).input).toBe('backup_id')
        }
      ),
      { numRuns: 500 }
    )
  })

  it('server_id: up to 50 distinct ids, with any separators, are those servers in order', () => {
    const separator = fc.constantFrom(',', ', ', ' ,', ' , ', ' ', '  ', '\n', '\t', ',\n', '\r\n')
    const list = fc
      .uniqueArray(positive, { minLength: 1, maxLength: 50 })
      .chain((ids) =>
        fc.tuple(
          fc.constant(ids),
          fc.array(separator, { minLength: ids.length, maxLength: ids.length }),
          PADDING
        )
      )
    fc.assert(
      fc.property(list, ([ids, separators, pad]) => {
        const text = ids.map((id, i) => (i ? `${separators[i]}${id}` : `${id}`)).join('')
        const settings = parse(valid({ server_id: `${pad}${text}${pad}\n` }))
        expect(settings.serverIds).toEqual(ids)
        expect(settings.serverId).toBe(ids[0])
      }),
      { numRuns: 500 }
    )
  })

  it('backup_id object: read in any key order, returned in server_id order; any difference refused', () => {
    const fleet = fc.uniqueArray(fc.integer({ min: 1, max: 10_000 }), {
      minLength: 1,
      maxLength: 50
    })
    const entries = fleet.chain((ids) =>
      fc.tuple(
        fc.constant(ids),
        fc.array(fc.tuple(positive, fc.boolean()), {
          minLength: ids.length,
          maxLength: ids.length
        }),
        fc.shuffledSubarray(ids, { minLength: ids.length, maxLength: ids.length }),
        fc.constantFrom('same', 'missing', 'extra')
      )
    )
    fc.assert(
      fc.property(entries, ([ids, backups, keyOrder, change]) => {
        const backupOf = new Map(ids.map((id, i) => [id, backups[i]![0]]))
        const keys = change === 'missing' ? keyOrder.slice(1) : keyOrder
        const fields = keys.map((id) => {
          const [backup, asString] = backups[ids.indexOf(id)]!
          return `"${id}":${asString ? `"${backup}"` : backup}`
        })
        if (change === 'extra') fields.push('"10001":1')
        const inputs = valid({
          server_id: ids.join(', '),
          mode: 'restore',
          backup_id: `{${fields.join(',')}}`
        })
        const { settings, error } = attempt(inputs)
        if (change === 'same') {
          const { backupId } = settings!.target as unknown as { backupId: Map<number, number> }
          expect([...backupId]).toEqual(ids.map((id) => [id, backupOf.get(id)]))
        } else {
          const message = expectInputError(error).message
          expect(message).toContain('must name exactly the servers of server_id')
          expect(message).toContain(
            change === 'extra' ? 'not in server_id: 10001' : `missing ${keyOrder[0]}`
          )
        }
      }),
      { numRuns: 500 }
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
