import { readFileSync } from 'node:fs'
import fc from 'fast-check'
import { expect } from 'vitest'
import { parse as parseYaml } from 'yaml'
import { InputError } from '../../src/common/errors.js'
import { parseInputs } from '../../src/inputs/parse.js'
import type { Settings } from '../../src/inputs/settings.js'
import type { RunContext } from '../../src/github/context.js'
import { TAG, context } from './run-context.js'

/*
 * Property-based tests of parseInputs (hostile input, tested broadly): thousands of
 * generated input combinations. Every invalid one must give exactly one InputError whose message
 * starts with `Input '<name>'` for a declared input; every valid one must parse to the expected
 * typed values; nothing may throw anything else; the token never appears in an error message.
 * The seed of a failing run is printed by fast-check; re-run it with { seed, path }.
 */

/** The inputs action.yml declares: the runner sets INPUT_<NAME> for every one of them. */
export const INPUT_NAMES = Object.keys(
  (
    parseYaml(readFileSync(new URL('../../action.yml', import.meta.url), 'utf8')) as {
      inputs: Record<string, unknown>
    }
  ).inputs
)

export const DEFAULT_DESCRIPTION = `Pre-deployment backup of acme/shop@0123456 (run 9876543210, attempt 3) ${TAG}`
export const MAX_TIMEOUT_MS = 24 * 3_600_000
export const LONE_SURROGATE =
  /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/

export type Inputs = Record<string, string>

/** Runs parseInputs over `inputs`; an input left out is empty, as the runner passes it. */
export function parse(inputs: Inputs, ctx: RunContext = context): Settings {
  return parseInputs((name) => inputs[name] ?? '', ctx)
}

/** parseInputs' outcome: the settings, or the error it threw (anything: it is checked). */
export function attempt(
  inputs: Inputs,
  ctx?: RunContext
): { settings?: Settings; error?: unknown } {
  try {
    return { settings: parse(inputs, ctx) }
  } catch (error) {
    return { error }
  }
}

/** The one acceptable failure: an InputError naming a declared input, on one line. */
export function expectInputError(error: unknown): InputError {
  expect(error).toBeInstanceOf(InputError)
  const inputError = error as InputError
  expect(INPUT_NAMES).toContain(inputError.input)
  expect(inputError.message.startsWith(`Input '${inputError.input}' `)).toBe(true)
  expect(inputError.message).not.toMatch(/[\r\n]/)
  return inputError
}

// ---- generators ----

export const PADDING = fc.constantFrom('', '', ' ', '  ', '\t', ' \t ')
/** Surrounding white space, which the runner (@actions/core getInput) trims anyway. */
export const padded = (text: fc.Arbitrary<string>): fc.Arbitrary<string> =>
  fc.tuple(PADDING, text, PADDING).map(([a, t, b]) => `${a}${t}${b}`)
export const anyCase = (word: string): fc.Arbitrary<string> =>
  fc
    .array(fc.boolean(), { minLength: word.length, maxLength: word.length })
    .map((upper) => [...word].map((c, i) => (upper[i] ? c.toUpperCase() : c)).join(''))

/** Characters that stress parsers: signs, exponents, units, URL syntax, controls, odd spaces. */
export const TRICKY = [
  ...' \t\n\r\u0000\u0007\u001b\u007f\u0085\u00a0\u00ad\u200b\u200e\u202e\u2028\u2029\u3000\ufeff',
  ...'0123456789+-.,eExXoObB_hmsdHMS:/?#@[]%&=;\'"`<>\\{}|',
  ...'truefalsTRUEFALSbackupstorelidnhp',
  '١', // Arabic-Indic digit one
  '１', // full-width digit one
  '😀',
  '\ud800' // a lone surrogate
]
export const tricky = fc.string({ unit: fc.constantFrom(...TRICKY), maxLength: 24 })
export const anyText = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 40 }),
  fc.string({ unit: 'grapheme', maxLength: 40 }),
  fc.string({ maxLength: 40 }),
  tricky
)
export const MAX = Number.MAX_SAFE_INTEGER
export const positive = fc.oneof(
  fc.integer({ min: 1, max: 1000 }),
  fc.integer({ min: 1, max: MAX }),
  fc.constant(MAX)
)
export const token = fc.stringMatching(/^vps_[A-Za-z0-9_+/=-]{20,40}$/)

/** Numbers that are almost positive integers, and are not. */
export const nearIntegers = fc.oneof(
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
export const mode = fc
  .constantFrom(
    ['backup', 'backup'],
    ['restore', 'restore'],
    ['rollback', 'restore'],
    ['delete', 'delete']
  )
  .chain(([text, meaning]) => padded(anyCase(text!)).map((t) => [t, meaning!] as const))
  .map(([text, meaning]) => ({ text, mode: meaning as 'backup' | 'restore' | 'delete' }))
export const modeOrDefault = fc.oneof(
  { arbitrary: mode, weight: 4 },
  { arbitrary: PADDING.map((text) => ({ text, mode: 'backup' as const })), weight: 1 }
)

export const booleanInput = (fallback: boolean): fc.Arbitrary<{ text: string; value: boolean }> =>
  fc.oneof(
    PADDING.map((text) => ({ text, value: fallback })),
    padded(fc.constantFrom('true', 'True', 'TRUE')).map((text) => ({ text, value: true })),
    padded(fc.constantFrom('false', 'False', 'FALSE')).map((text) => ({ text, value: false }))
  )

/** A timeout as seconds or h/m/s, within (0, 24h], and its milliseconds. */
export const timeoutInput = fc.oneof(
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
export const apiUrlInput = fc.oneof(
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
export const plainDescription = fc.oneof(
  fc.constant({ text: '', description: DEFAULT_DESCRIPTION }),
  fc
    .array(fc.stringMatching(/^[A-Za-z0-9.,:()_#@/-]{1,12}$/), { minLength: 1, maxLength: 8 })
    .map((words) => ({ text: words.join(' '), description: `${words.join(' ')} ${TAG}` }))
)

/** A valid combination of every input, with the Settings it must parse to. */
export const validCombination = fc
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
      environment: '',
      allowRolledBack: false,
      target,
      apiToken: c.token,
      githubToken: '',
      apiUrl: c.apiUrl.url,
      serverIds: [c.serverId],
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
export const anyCombination = validCombination.chain(({ inputs }) =>
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
export const runContext: fc.Arbitrary<RunContext> = fc
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

export const descriptionText = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 400 }),
  fc.string({ unit: 'grapheme', maxLength: 300 }),
  fc.string({ unit: fc.constantFrom(...TRICKY.filter((c) => c !== '\ud800')), maxLength: 300 }),
  fc.string({ unit: fc.constantFrom('a', ' ', '😀', '\u0301', '\n', '\u202e'), maxLength: 600 })
)

export const valid = (overrides: Inputs = {}): Inputs => ({
  api_token: 'vps_S3cr3tT0kenValue_do_not_print',
  server_id: '12345',
  ...overrides
})
