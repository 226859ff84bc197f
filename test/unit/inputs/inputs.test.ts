import { describe, expect, it } from 'vitest'
import { MAX_DESCRIPTION, composeDescription, parseTag } from '../../../src/github/description.js'
import { InputError } from '../../../src/common/errors.js'
import {
  type Settings,
  healthUrlSecrets,
  parseInputs,
  parsePositiveInteger
} from '../../../src/inputs/inputs.js'
import { PARSED, TAG, context } from '../../helpers/run-context.js'
import type { RunContext } from '../../../src/github/context.js'

const TOKEN = 'vps_S3cr3tT0kenValue_do_not_print'

/** Every input the action declares, as the runner passes it when `with:` leaves it out. */
const EMPTY: Record<string, string> = {
  api_token: '',
  api_url: '',
  server_id: '',
  mode: '',
  backup_id: '',
  description: '',
  wait: '',
  timeout: '',
  keep_backups: '',
  rollback_on_failure: '',
  poll_interval: ''
}

function parse(values: Record<string, string>, ctx: RunContext = context): Settings {
  const all: Record<string, string> = { ...EMPTY, api_token: TOKEN, server_id: '12345', ...values }
  return parseInputs((name) => all[name] ?? '', ctx)
}

/** Parses, expects an InputError naming `input`, and returns its message. */
function inputError(values: Record<string, string>, input: string): string {
  let caught: unknown
  try {
    parse(values)
  } catch (error) {
    caught = error
  }
  expect(caught).toBeInstanceOf(InputError)
  const error = caught as InputError
  expect(error.input).toBe(input)
  expect(error.message).toContain(`'${input}'`)
  expect(error.message).not.toContain(TOKEN)
  return error.message
}

describe('parseInputs: defaults', () => {
  it('uses the documented defaults when every optional input is empty', () => {
    const settings = parse({})
    expect(settings.target).toEqual({ mode: 'backup' })
    expect(settings.apiToken).toBe(TOKEN)
    expect(settings.serverId).toBe(12345)
    expect(settings.wait).toBe(true)
    expect(settings.timeoutMs).toBe(30 * 60_000)
    expect(settings.apiUrl).toBe('https://admin.vps.org/api/v1')
    expect(settings.keepBackups).toBe(0)
    expect(settings.rollbackOnFailure).toBe(false)
    expect(settings.pollIntervalMs).toBeUndefined()
    expect(settings.descriptionTruncated).toBe(false)
  })

  it('trims surrounding white space from words, but takes a backup id exactly as given', () => {
    const settings = parse({ server_id: '42', mode: ' Restore ', backup_id: '7', wait: ' false ' })
    expect(settings.target).toEqual({ mode: 'restore', backupId: 7 })
    expect(settings.wait).toBe(false)
    expect(inputError({ mode: 'restore', backup_id: ' 7 ' }, 'backup_id')).toContain('a backup id')
  })
})

describe('parseInputs: api_token', () => {
  it('is required, and the error names api_token', () => {
    expect(inputError({ api_token: '' }, 'api_token')).toBe(
      "Input 'api_token' is required: a VPS.org API token (pass it from a secret) with mode: backup."
    )
  })

  it('a blank token counts as missing', () => {
    inputError({ api_token: '   ' }, 'api_token')
  })

  it.each([
    ['a line break', `${TOKEN}\nX-Injected: 1`],
    ['a carriage return', `${TOKEN}\r`.padEnd(40, 'x')],
    ['a space', `${TOKEN} ${TOKEN}`],
    ['a NUL', `vps_\u0000${TOKEN}`],
    ['a non-ASCII character', `${TOKEN}é`]
  ])('with %s is an input error that does not show the token', (_, token) => {
    const message = inputError({ api_token: token }, 'api_token')
    expect(message).toBe(
      "Input 'api_token' must be a VPS.org API token: printable ASCII characters without spaces or line breaks (check the secret; its value is not shown)."
    )
    expect(message).not.toContain('vps_')
  })

  it('never appears in the message of any InputError', () => {
    const bad: Array<[Record<string, string>, string]> = [
      [{ server_id: 'abc' }, 'server_id'],
      [{ mode: 'nuke' }, 'mode'],
      [{ mode: 'restore' }, 'backup_id'],
      [{ timeout: 'forever' }, 'timeout'],
      [{ api_url: `https://user:${TOKEN}@admin.vps.org/api/v1` }, 'api_url'],
      [{ api_url: `https://admin.vps.org/api/v1?token=${TOKEN}` }, 'api_url'],
      [{ wait: 'yes' }, 'wait'],
      [{ keep_backups: 'all' }, 'keep_backups'],
      [{ poll_interval: 'fast' }, 'poll_interval']
    ]
    for (const [values, input] of bad) inputError(values, input)
  })
})

describe('parseInputs: server_id', () => {
  it.each(['1', '12345', '9007199254740991'])('accepts %j', (text) => {
    expect(parse({ server_id: text }).serverId).toBe(Number(text))
  })

  it.each(['0', '-1', '1.5', '1e3', '0x10', '12abc', '9007199254740993', '+5', '007'])(
    'rejects %j, naming the expected form',
    (text) => {
      expect(inputError({ server_id: text }, 'server_id')).toBe(
        `Input 'server_id' has an item that is not a server id (a positive whole number; separate several ids with commas, spaces or new lines), got ${JSON.stringify(text)}.`
      )
    }
  )

  it('is required', () => {
    const message = inputError({ server_id: '' }, 'server_id')
    expect(message).toMatch(/required/)
    expect(message).toContain('server id')
  })
})

describe('parsePositiveInteger', () => {
  it('returns the value of a plain positive decimal', () => {
    expect(parsePositiveInteger('1')).toBe(1)
    expect(parsePositiveInteger('502')).toBe(502)
  })

  it.each(['', '0', '-1', '1.0', '1e3', '0x10', ' 1', '1 ', '9007199254740992', 'Infinity'])(
    'returns undefined for %j',
    (text) => {
      expect(parsePositiveInteger(text)).toBeUndefined()
    }
  )
})

describe('parseInputs: mode and backup_id', () => {
  it('rejects an unknown mode, listing the valid ones', () => {
    const message = inputError({ mode: 'nuke' }, 'mode')
    expect(message).toContain('backup')
    expect(message).toContain('restore')
    expect(message).toContain('delete')
    expect(message).toContain('"nuke"')
  })

  it.each(['rollback', 'ROLLBACK', 'Rollback'])('treats %j as an alias of restore', (mode) => {
    expect(parse({ mode, backup_id: '501' }).target).toEqual({ mode: 'restore', backupId: 501 })
  })

  it('parses delete with an id', () => {
    expect(parse({ mode: 'delete', backup_id: '501' }).target).toEqual({
      mode: 'delete',
      backupId: 501
    })
  })

  it.each(['restore', 'delete'])('requires backup_id with mode %s', (mode) => {
    const message = inputError({ mode }, 'backup_id')
    expect(message).toMatch(/required/)
    expect(message).toContain(mode)
  })

  it.each(['latest', 'LATEST', 'Latest'])('accepts %j for restore', (id) => {
    expect(parse({ mode: 'restore', backup_id: id }).target).toEqual({
      mode: 'restore',
      backupId: 'latest'
    })
  })

  it('refuses latest for delete', () => {
    const message = inputError({ mode: 'delete', backup_id: 'latest' }, 'backup_id')
    expect(message).toContain('a backup id')
    expect(message).not.toContain('or latest')
  })

  it.each(['0', '-3', 'abc', '1.0', '12 13', '1e2', 'latest2'])(
    'rejects backup_id %j for restore',
    (id) => {
      expect(inputError({ mode: 'restore', backup_id: id }, 'backup_id')).toBe(
        `Input 'backup_id' must be a backup id, latest, run:<run_id> or a JSON object of backup ids, got ${JSON.stringify(id)}.`
      )
    }
  )
})

describe('parseInputs: timeout', () => {
  it.each([
    ['900', 900_000],
    ['90s', 90_000],
    ['15m', 900_000],
    ['1h', 3_600_000],
    ['1h30m', 5_400_000],
    ['24h', 86_400_000]
  ])('parses %j as %d ms', (text, ms) => {
    expect(parse({ timeout: text }).timeoutMs).toBe(ms)
  })

  it.each(['0', '0s', 'abc', '10x', '-5', '25h', '24h1s', '1.5m', '1d', '86401'])(
    'rejects %j, naming the expected form',
    (text) => {
      const message = inputError({ timeout: text }, 'timeout')
      expect(message).toContain('24h')
      expect(message).toContain('15m')
      expect(message).toContain(JSON.stringify(text))
    }
  )
})

describe('parseInputs: api_url', () => {
  it.each([
    ['https://admin.vps.org/api/v1', 'https://admin.vps.org/api/v1'],
    ['https://admin.vps.org/api/v1/', 'https://admin.vps.org/api/v1'],
    ['https://admin.vps.org/api/v1///', 'https://admin.vps.org/api/v1'],
    ['HTTPS://Admin.VPS.org/api/v1', 'https://admin.vps.org/api/v1'],
    ['http://127.0.0.1:8080/api/v1', 'http://127.0.0.1:8080/api/v1'],
    ['http://127.9.8.7/api/v1', 'http://127.9.8.7/api/v1'],
    ['http://localhost', 'http://localhost'],
    ['http://LOCALHOST:3000/', 'http://localhost:3000'],
    ['http://[::1]:9/', 'http://[::1]:9']
  ])('accepts %j as %j', (text, expected) => {
    expect(parse({ api_url: text }).apiUrl).toBe(expected)
  })

  it.each([
    'http://example.com',
    'http://admin.vps.org/api/v1',
    'http://localhost.example.com/',
    'http://127.0.0.1.nip.io/',
    'http://10.0.0.1/',
    'http://notlocalhost/',
    'ftp://admin.vps.org/api/v1',
    'ftp://localhost/',
    'not a url',
    'admin.vps.org/api/v1'
  ])('rejects %j, naming https', (text) => {
    const message = inputError({ api_url: text }, 'api_url')
    expect(message).toContain('https://')
    expect(message).toContain(JSON.stringify(text))
  })

  it.each([
    'https://user:pa55word@admin.vps.org/api/v1',
    'https://user@admin.vps.org/api/v1',
    'https://admin.vps.org/api/v1?debug=1',
    'https://admin.vps.org/api/v1#top'
  ])('rejects credentials, a query or a fragment: %j, without echoing it', (text) => {
    const message = inputError({ api_url: text }, 'api_url')
    expect(message).toMatch(/credentials/)
    expect(message).not.toContain('pa55word')
    expect(message).not.toContain(text)
  })

  it.each(['https://admin.vps.org/api/v1?', 'https://admin.vps.org/api/v1#'])(
    'does not keep a bare ? or # in %j',
    (text) => {
      let apiUrl: string | undefined
      try {
        apiUrl = parse({ api_url: text }).apiUrl
      } catch (error) {
        expect(error).toBeInstanceOf(InputError)
        return
      }
      expect(apiUrl).toBe('https://admin.vps.org/api/v1')
      expect(new URL('backups/', `${apiUrl}/`).href).toBe('https://admin.vps.org/api/v1/backups/')
    }
  )
})

describe('parseInputs: booleans', () => {
  it.each([
    ['true', true],
    ['True', true],
    ['TRUE', true],
    ['false', false],
    ['False', false],
    ['FALSE', false]
  ])('wait and rollback_on_failure accept %j', (text, value) => {
    const settings = parse({ wait: text, rollback_on_failure: text })
    expect(settings.wait).toBe(value)
    expect(settings.rollbackOnFailure).toBe(value)
  })

  it.each(['yes', 'no', '1', '0', 'on', 'tRuE'])('wait rejects %j', (text) => {
    const message = inputError({ wait: text }, 'wait')
    expect(message).toContain('true or false')
  })

  it.each(['yes', 'off'])('rollback_on_failure rejects %j', (text) => {
    const message = inputError({ rollback_on_failure: text }, 'rollback_on_failure')
    expect(message).toContain('true or false')
  })
})

describe('parseInputs: keep_backups and poll_interval', () => {
  it('parses keep_backups', () => {
    expect(parse({ keep_backups: '0' }).keepBackups).toBe(0)
    expect(parse({ keep_backups: '3' }).keepBackups).toBe(3)
  })

  it.each(['-1', 'all', '2.5', '00', '03'])('rejects keep_backups %j', (text) => {
    expect(inputError({ keep_backups: text }, 'keep_backups')).toBe(
      `Input 'keep_backups' must be 0 (keep all) or a whole number of backups to keep, without a sign or leading zeros, got "${text}".`
    )
  })

  it('takes poll_interval in seconds', () => {
    expect(parse({ poll_interval: '10' }).pollIntervalMs).toBe(10_000)
    expect(parse({ poll_interval: '' }).pollIntervalMs).toBeUndefined()
  })

  it('takes poll_interval up to an hour', () => {
    expect(parse({ poll_interval: '3600' }).pollIntervalMs).toBe(3_600_000)
  })

  it.each(['0', '1.5', '10s', '-10', '3601', '86400'])('rejects poll_interval %j', (text) => {
    expect(inputError({ poll_interval: text }, 'poll_interval')).toBe(
      `Input 'poll_interval' must be a whole number of seconds from 1 to 3600, or empty (adaptive), got "${text}".`
    )
  })
})

describe('parseInputs: description', () => {
  it('generates a default naming the repository, short sha, run id and attempt', () => {
    const { description } = parse({})
    expect(description).toContain('acme/shop')
    expect(description).toContain('0123456')
    expect(description).not.toContain('01234567')
    expect(description).toContain('9876543210')
    expect(description).toContain('attempt 3')
    expect(description.endsWith(` ${TAG}`)).toBe(true)
  })

  it('leaves the sha out when there is none', () => {
    const { description } = parse({}, { ...context, sha: '' })
    expect(description).not.toContain('@')
    expect(description.endsWith(TAG)).toBe(true)
  })

  it('keeps a user description and appends the tag', () => {
    const settings = parse({ description: 'Before v2.3 deploy' })
    expect(settings.description).toBe(`Before v2.3 deploy ${TAG}`)
    expect(settings.descriptionTruncated).toBe(false)
    expect(parseTag(settings.description)).toEqual(PARSED)
  })

  it('strips control characters and folds white space', () => {
    const { description } = parse({
      description: 'Deploy\u0000 v1\r\n\tnow\u001b[31m\u007f\u0085!'
    })
    expect(description).toBe(`Deploy v1 now [31m ! ${TAG}`)
    // eslint-disable-next-line no-control-regex
    expect(description).not.toMatch(/[\u0000-\u001f\u007f-\u009f]/)
  })

  it('falls back to the default when the text is only control characters', () => {
    const { description } = parse({ description: '\u0000\n\t ' })
    expect(description).toContain('Pre-deployment backup of acme/shop')
    expect(description.endsWith(TAG)).toBe(true)
  })

  it('shortens a long description to 255 characters, tag kept, and says so', () => {
    const settings = parse({ description: 'x'.repeat(1000) })
    expect(settings.description.length).toBeLessThanOrEqual(MAX_DESCRIPTION)
    expect(settings.description.endsWith(` ${TAG}`)).toBe(true)
    expect(settings.description).toContain('…')
    expect(settings.descriptionTruncated).toBe(true)
  })

  it('keeps a description that fits exactly, untouched', () => {
    const room = MAX_DESCRIPTION - TAG.length - 1
    const exact = composeDescription('y'.repeat(room), context)
    expect(exact.truncated).toBe(false)
    expect(exact.description).toBe(`${'y'.repeat(room)} ${TAG}`)
    expect(exact.description.length).toBe(MAX_DESCRIPTION)
    const over = composeDescription('y'.repeat(room + 1), context)
    expect(over.truncated).toBe(true)
    expect(over.description.length).toBeLessThanOrEqual(MAX_DESCRIPTION)
  })

  it('stays within 255 characters with the longest repository names GitHub allows', () => {
    const long: RunContext = {
      ...context,
      repository: `${'o'.repeat(39)}/${'r'.repeat(100)}`,
      runId: '99999999999'
    }
    const { description } = composeDescription('z'.repeat(400), long)
    expect(description.length).toBeLessThanOrEqual(MAX_DESCRIPTION)
    expect(parseTag(description)).toEqual({
      ...PARSED,
      repository: long.repository,
      runId: '99999999999'
    })
  })

  it('never cuts a character in half when it shortens', () => {
    const room = MAX_DESCRIPTION - TAG.length - 1
    const text = 'a'.repeat(room - 2) + '😀'.repeat(10)
    const { description } = composeDescription(text, context)
    expect(description).not.toMatch(/[\ud800-\udbff](?![\udc00-\udfff])/)
  })
})

describe('parseInputs: health checks and mode: verify', () => {
  const APP = 'https://shop.example.com/health'
  const restore = { mode: 'restore', backup_id: '7' }

  it('has no app check by default, and the documented defaults', () => {
    expect(parse(restore).health).toEqual({
      checks: [],
      contains: '',
      timeoutMs: 5 * 60_000,
      threshold: 2,
      watchMs: 0
    })
  })

  it('takes one check per line: http(s) and tcp://host:port, blank lines skipped', () => {
    const settings = parse({
      ...restore,
      health_url: `${APP}\n\n  tcp://db.example.com:5432  \ntcp://[::1]:22\n`,
      health_contains: 'ok',
      health_timeout: '90s',
      health_threshold: '20'
    })
    expect(settings.health).toEqual({
      checks: [
        { kind: 'http', target: APP, credentials: undefined },
        { kind: 'tcp', target: 'tcp://db.example.com:5432', host: 'db.example.com', port: 5432 },
        { kind: 'tcp', target: 'tcp://[::1]:22', host: '::1', port: 22 }
      ],
      contains: 'ok',
      timeoutMs: 90_000,
      threshold: 20,
      watchMs: 0
    })
  })

  it('takes user-info apart: credentials to send, a target without them to print', () => {
    const [check] = parse({ ...restore, health_url: 'https://mon:p%40ss@shop.example.com/h' })
      .health.checks
    expect(check).toEqual({
      kind: 'http',
      target: 'https://shop.example.com/h',
      credentials: { username: 'mon', password: 'p@ss' }
    })
  })

  it('lists what to mask in health_url: the whole user-info and the password, raw and decoded', () => {
    expect(
      healthUrlSecrets('https://mon:p%40ss@a.example/h\nhttp://b.example/\nnot a url://x:y@')
    ).toEqual(['mon:p%40ss', 'p%40ss', 'p@ss'])
    // What the URL parser takes for a password, even without `//`.
    expect(healthUrlSecrets('http:mon:pw%21@a.example/\nhttp:\\\\u:x@b.example/')).toEqual([
      'pw%21',
      'pw!',
      'x'
    ])
  })

  it.each([
    [{ health_url: 'ftp://shop.example.com/' }, 'health_url', 'http://, https:// or tcp://'],
    [{ health_url: 'shop.example.com/health' }, 'health_url', 'http://, https:// or tcp://'],
    [
      { health_url: 'tcp://db.example.com' },
      'health_url',
      'line 1 is a tcp:// check without a port'
    ],
    [{ health_url: APP, health_threshold: '0' }, 'health_threshold', 'from 1 to 20'],
    [{ health_url: APP, health_threshold: '21' }, 'health_threshold', 'from 1 to 20'],
    [{ health_url: APP, health_threshold: 'two' }, 'health_threshold', 'from 1 to 20'],
    [{ health_url: APP, health_timeout: '5 min' }, 'health_timeout', 'duration'],
    [{ health_contains: 'ok' }, 'health_contains', 'needs an http'],
    [{ health_url: 'tcp://db:5432', health_contains: 'ok' }, 'health_contains', 'needs an http']
  ])('refuses %j in one line naming %s', (values, input, expected) => {
    expect(inputError({ ...restore, ...values }, input)).toContain(expected)
  })

  it.each([
    'http://mon:s3cret@',
    'http://mon:pa/s3cret@host.example/h',
    'http://mon:s3cret@host.example:99999/h',
    'tcp:mon:s3cret@db.example',
    'tcp://mon:s3cret@db.example',
    'mon:s3cret@host.example/h',
    'ftp://mon:s3cret@x.example/',
    'http://mon:s3cret@host.example@[bad/h',
    'http:\\\\mon:s3cret@host .example/'
  ])('never prints the user-info of a bad health_url line: %s', (line) => {
    const message = inputError({ ...restore, health_url: `${APP}\n\n${line}` }, 'health_url')
    expect(message).toContain('line 3 ')
    expect(message).not.toContain('s3cret')
    expect(message).not.toContain('mon')
  })

  it('shows a bad line without user-info as written, and the scheme of one with it', () => {
    expect(inputError({ ...restore, health_url: 'ftp://x.example/h' }, 'health_url')).toBe(
      'Input \'health_url\' line 1 must be one http://, https:// or tcp://host:port URL (one check per line), got "ftp://x.example/h".'
    )
    expect(inputError({ ...restore, health_url: 'http://mon:pw@[bad/h' }, 'health_url')).toContain(
      'got "http://***@[bad/h"'
    )
  })

  const token = (values: Record<string, string>) =>
    inputError({ ...restore, ...values }, 'health_url')

  it.each([
    ['query', `${APP}?key=${TOKEN}`],
    ['path', `https://shop.example.com/${TOKEN}/health`],
    ['fragment', `${APP}#${TOKEN}`],
    ['user-info', `https://ci:${TOKEN}@shop.example.com/health`],
    ['user-info, as the user name', `https://${TOKEN}@shop.example.com/health`],
    ['query, percent-encoded', `${APP}?k=${encodeURIComponent(TOKEN).replace(/_/g, '%5F')}`],
    ['query, base64', `${APP}?k=${Buffer.from(TOKEN).toString('base64')}`],
    ['query, in another case', `${APP}?k=${TOKEN.toUpperCase()}`],
    ['an invalid line', `http://${TOKEN}@[`]
  ])('refuses the api_token in health_url (%s), naming the line, never the token', (_, line) => {
    const message = token({ health_url: `tcp://db.example.com:5432\n${line}` })
    expect(message).toBe(
      "Input 'health_url' line 2 holds the api_token (in its query, path, fragment or user-info, as written or encoded): a check is sent to the app, which must never get a token; remove it."
    )
    expect(message.toLowerCase()).not.toContain(TOKEN.toLowerCase())
  })

  it('refuses the github_token in health_url too', () => {
    const github = 'ghs_GitHubTokenValue0123456789'
    const message = token({ github_token: github, health_url: `${APP}?t=${github}` })
    expect(message).toContain('line 1 holds the github_token')
    expect(message).not.toContain(github)
  })

  it.each([
    ['1s', '2', 'health_timeout', '1s', 'health_threshold: 2'],
    ['3s', '4', 'health_timeout', '3s', 'health_threshold: 4'],
    ['19s', '20', 'health_timeout', '19s', 'health_threshold: 20']
  ])(
    'refuses health_timeout %s with health_threshold %s: the rounds can never all pass',
    (timeout, threshold, input, got, needs) => {
      const message = inputError(
        { ...restore, health_url: APP, health_timeout: timeout, health_threshold: threshold },
        input
      )
      expect(message).toBe(
        `Input '${input}' must be longer than the ${Number(threshold) - 1}s that ${needs} needs (its rounds after the first come 1s apart): raise ${input} or lower health_threshold, got "${got}".`
      )
    }
  )

  it('takes a health_timeout just long enough, and any with health_threshold: 1', () => {
    expect(parse({ ...restore, health_url: APP, health_timeout: '2s' }).health.timeoutMs).toBe(2000)
    expect(
      parse({ ...restore, health_url: APP, health_timeout: '20s', health_threshold: '20' }).health
        .threshold
    ).toBe(20)
    expect(
      parse({ ...restore, health_url: APP, health_timeout: '1s', health_threshold: '1' }).health
        .timeoutMs
    ).toBe(1000)
    // Without a check, nothing is refused.
    expect(parse({ ...restore, health_timeout: '1s' }).health.checks).toEqual([])
  })

  it("verify: the step's timeout must leave the rounds room too; a restore's is not checked", () => {
    const verify = { mode: 'verify', api_token: '', server_id: '', health_url: APP }
    expect(inputError({ ...verify, timeout: '2s', health_threshold: '3' }, 'timeout')).toBe(
      `Input 'timeout' must be longer than the 2s that health_threshold: 3 needs (its rounds after the first come 1s apart): raise timeout or lower health_threshold, got "2s".`
    )
    expect(parse({ ...verify, timeout: '3s', health_threshold: '3' }).timeoutMs).toBe(3000)
    expect(parse({ ...restore, health_url: APP, timeout: '1s' }).timeoutMs).toBe(1000)
  })

  it('never prints the user-info of a bad health_url', () => {
    const message = inputError(
      { ...restore, health_url: 'ftp://mon:s3cret@x.example/' },
      'health_url'
    )
    expect(message).not.toContain('s3cret')
    expect(message).not.toContain('mon')
    const unparsable = inputError({ ...restore, health_url: 'http://mon:s3cret@' }, 'health_url')
    expect(unparsable).not.toContain('s3cret')
  })

  it.each<Record<string, string>>([{ mode: 'backup' }, { mode: 'delete', backup_id: '7' }])(
    'refuses health_url with %j',
    (values) => {
      expect(inputError({ ...values, health_url: APP }, 'health_url')).toContain(
        'used only with mode: restore, mode: verify, or rollback_on_failure: true'
      )
    }
  )

  it('takes health_url in backup mode for the automatic rollback', () => {
    const settings = parse({ health_url: APP, rollback_on_failure: 'true' })
    expect(settings.health.checks).toHaveLength(1)
  })

  it('verify needs health_url, but neither api_token nor server_id', () => {
    const settings = parse({ mode: 'verify', api_token: '', server_id: '', health_url: APP })
    expect(settings.target).toEqual({ mode: 'verify' })
    expect(settings.apiToken).toBe('')
    expect(settings.serverId).toBe(0)
    expect(inputError({ mode: 'verify', api_token: '' }, 'health_url')).toContain(
      'required with mode: verify'
    )
  })

  it.each(['backup', 'restore', 'delete'])(
    'mode: %s still refuses a missing token or server',
    (mode) => {
      const values = { mode, backup_id: '7' }
      expect(inputError({ ...values, api_token: '' }, 'api_token')).toContain(`required`)
      expect(inputError({ ...values, server_id: '' }, 'server_id')).toContain(`required`)
    }
  )
})

const GITHUB_TOKEN = 'ghs_S3cr3tJobToken_do_not_print'

describe('parseInputs: backup_id: run:<run_id>', () => {
  it('restore and delete take run:<run_id>', () => {
    expect(parse({ mode: 'restore', backup_id: 'run:9876543210' }).target).toEqual({
      mode: 'restore',
      backupId: { runId: 9876543210 }
    })
    expect(parse({ mode: 'delete', backup_id: 'run:7' }).target).toEqual({
      mode: 'delete',
      backupId: { runId: 7 }
    })
  })

  it.each(['run:', 'run:0', 'run:-1', 'run:1.5', 'run: 12', 'run:12 ', 'run:1e3', 'run:abc'])(
    'refuses %j: run: needs a positive whole number',
    (text) => {
      expect(inputError({ mode: 'restore', backup_id: text }, 'backup_id')).toBe(
        `Input 'backup_id' must be run:<run_id> with a positive whole number, got ${JSON.stringify(text)}.`
      )
    }
  )

  it('names run:<run_id> among the accepted forms', () => {
    expect(inputError({ mode: 'restore', backup_id: 'x' }, 'backup_id')).toContain(
      'a backup id, latest, run:<run_id> or a JSON object of backup ids'
    )
    expect(inputError({ mode: 'delete', backup_id: 'x' }, 'backup_id')).toContain(
      'a backup id, run:<run_id> or a JSON object of backup ids'
    )
  })
})

describe('parseInputs: only_if_step_started and github_token', () => {
  it('goes with a restore of run:<run_id>; the name is trimmed', () => {
    const settings = parse({
      mode: 'restore',
      backup_id: 'run:55',
      only_if_step_started: ' Deploy to production ',
      github_token: GITHUB_TOKEN
    })
    expect(settings.target).toEqual({
      mode: 'restore',
      backupId: { runId: 55, onlyIfStepStarted: 'Deploy to production' }
    })
    expect(settings.githubToken).toBe(GITHUB_TOKEN)
  })

  it.each([
    [{ mode: 'restore', backup_id: '42' }],
    [{ mode: 'restore', backup_id: 'latest' }],
    [{ mode: 'delete', backup_id: 'run:55' }],
    [{ mode: 'backup' }]
  ])('is refused without a restore of run:<run_id>: %j', (values) => {
    expect(inputError({ ...values, only_if_step_started: 'Deploy' }, 'only_if_step_started')).toBe(
      "Input 'only_if_step_started' is only for mode: restore with backup_id: run:<run_id>."
    )
  })

  it.each([' ', '\t', 'Deploy\nrm -rf', 'Deploy\u0007'])(
    'is refused when blank or not one line: %j',
    (text) => {
      expect(
        inputError(
          { mode: 'restore', backup_id: 'run:55', only_if_step_started: text },
          'only_if_step_started'
        )
      ).toContain('must be the name of the deploy step, on one line')
    }
  )

  it('needs a github_token, and says which permission it needs', () => {
    const message = inputError(
      { mode: 'restore', backup_id: 'run:55', only_if_step_started: 'Deploy', github_token: ' ' },
      'github_token'
    )
    expect(message).toContain('actions: read')
  })

  it('unless_step_started: with only_if_step_started, trimmed', () => {
    const settings = parse({
      mode: 'restore',
      backup_id: 'run:55',
      only_if_step_started: 'Deploy',
      unless_step_started: ' Roll back ',
      github_token: GITHUB_TOKEN
    })
    expect(settings.target).toEqual({
      mode: 'restore',
      backupId: { runId: 55, onlyIfStepStarted: 'Deploy', unlessStepStarted: 'Roll back' }
    })
  })

  it.each([
    [
      { mode: 'restore', backup_id: '42' },
      'is only for mode: restore with backup_id: run:<run_id>'
    ],
    [
      { mode: 'delete', backup_id: 'run:55' },
      'is only for mode: restore with backup_id: run:<run_id>'
    ],
    [{ mode: 'restore', backup_id: 'run:55' }, 'needs only_if_step_started'],
    [
      {
        mode: 'restore',
        backup_id: 'run:55',
        only_if_step_started: 'Deploy',
        unless_step_started: ' '
      },
      "must be the name of the run's own rollback step, on one line"
    ]
  ])('unless_step_started is refused: %j', (values, message) => {
    expect(
      inputError({ unless_step_started: 'Roll back', ...values }, 'unless_step_started')
    ).toContain(`Input 'unless_step_started' ${message}`)
  })

  it('never repeats the GitHub token, whatever input it was given to', () => {
    const message = inputError(
      { mode: 'restore', backup_id: `run:${GITHUB_TOKEN}`, github_token: GITHUB_TOKEN },
      'backup_id'
    )
    expect(message).toBe("Input 'backup_id' must be run:<run_id> with a positive whole number.")
  })
})

describe('parseInputs: several servers in server_id', () => {
  it.each(['101, 102', '101,102', '101 102', '101\n102\n', ' 101 ,\n 102\t', '\t101\r\n\n102'])(
    'takes %j as servers 101 and 102',
    (text) => {
      const settings = parse({ server_id: text })
      expect(settings.serverIds).toEqual([101, 102])
      expect(settings.serverId).toBe(101)
    }
  )

  it('keeps the order given', () => {
    expect(parse({ server_id: '103, 101,102' }).serverIds).toEqual([103, 101, 102])
  })

  it.each(['12', ' 12 ', '12\n'])('one id %j is one server, as before', (text) => {
    const settings = parse({ server_id: text })
    expect(settings.serverIds).toEqual([12])
    expect(settings.serverId).toBe(12)
  })

  const ids = (n: number): string => Array.from({ length: n }, (_, i) => 101 + i).join(',')

  it('takes at most 50 servers', () => {
    expect(parse({ server_id: ids(50) }).serverIds).toHaveLength(50)
    expect(inputError({ server_id: ids(51) }, 'server_id')).toBe(
      "Input 'server_id' lists 51 servers; at most 50 are allowed."
    )
  })

  it.each(['101, 102, 101', '101 101'])('refuses a server listed twice: %j', (text) => {
    expect(inputError({ server_id: text }, 'server_id')).toBe(
      "Input 'server_id' lists server 101 twice: name each server once."
    )
  })

  it.each(['101,,102', '101, ,102', ',101', '101,', '101,\n,102', ','])(
    'refuses an empty item: %j',
    (text) => {
      expect(inputError({ server_id: text }, 'server_id')).toBe(
        `Input 'server_id' has an empty item between commas: separate server ids with one comma, spaces or new lines, got ${JSON.stringify(text)}.`
      )
    }
  )

  it.each([
    ['101, abc, 102', 'abc'],
    ['101;102', '101;102'],
    ['101, 0', '0'],
    ['101\n102x', '102x']
  ])('names the item that is not a server id in %j', (text, item) => {
    expect(inputError({ server_id: text }, 'server_id')).toBe(
      `Input 'server_id' has an item that is not a server id (a positive whole number; separate several ids with commas, spaces or new lines), got ${JSON.stringify(item)}.`
    )
  })

  it('is required, in one form or the other', () => {
    expect(inputError({ server_id: ' \n ' }, 'server_id')).toBe(
      "Input 'server_id' is required: one server id or several (separated by commas, spaces or new lines) with mode: backup."
    )
  })

  it('never shows a token given among the ids', () => {
    expect(inputError({ server_id: `101, ${TOKEN}` }, 'server_id')).toBe(
      "Input 'server_id' has an item that is not a server id (a positive whole number; separate several ids with commas, spaces or new lines)."
    )
  })

  it('mode: verify takes a list too (only shown), or none', () => {
    const verify = { mode: 'verify', api_token: '', health_url: 'https://app.example/' }
    expect(parse({ ...verify, server_id: '101 102' }).serverIds).toEqual([101, 102])
    const none = parse({ ...verify, server_id: '' })
    expect(none.serverIds).toEqual([])
    expect(none.serverId).toBe(0)
    inputError({ ...verify, server_id: '101,,102' }, 'server_id')
  })
})

describe('parseInputs: backup_id with several servers', () => {
  const fleet = { server_id: '101, 102' }

  it.each(['restore', 'delete'])(
    'mode: %s takes the backup_ids object, in server_id order',
    (mode) => {
      const { target } = parse({
        server_id: '102, 101',
        mode,
        backup_id: '{"101":501,"102":502}'
      })
      expect(target.mode).toBe(mode)
      const backupId = (target as { backupId: unknown }).backupId
      expect(backupId).toBeInstanceOf(Map)
      expect([...(backupId as Map<number, number>)]).toEqual([
        [102, 502],
        [101, 501]
      ])
    }
  )

  it.each([
    '{"101":"501","102":"502"}',
    '{ "102": 502, "101": 501 }\n',
    '\n{\n  "101": 501,\n  "102": 502\n}\n',
    '{"101":501,"\\u0031\\u0030\\u0032":502}'
  ])('accepts %j', (text) => {
    const { target } = parse({ ...fleet, mode: 'restore', backup_id: text })
    expect(target).toEqual({
      mode: 'restore',
      backupId: new Map([
        [101, 501],
        [102, 502]
      ])
    })
  })

  it('one server takes the object too', () => {
    expect(parse({ server_id: '101', mode: 'delete', backup_id: '{"101":501}' }).target).toEqual({
      mode: 'delete',
      backupId: new Map([[101, 501]])
    })
  })

  it.each([
    ['{"101":501}', 'missing 102'],
    ['{"101":501,"102":502,"103":503}', 'not in server_id: 103'],
    ['{"101":501,"103":503}', 'missing 102; not in server_id: 103'],
    ['{}', 'missing 101, 102'],
    ['{"103":503,"104":504}', 'missing 101, 102; not in server_id: 103, 104']
  ])('refuses %j, naming the difference', (text, difference) => {
    expect(inputError({ ...fleet, mode: 'restore', backup_id: text }, 'backup_id')).toBe(
      `Input 'backup_id' must name exactly the servers of server_id: ${difference}.`
    )
  })

  const MAP_FORM =
    'the backup step\'s backup_ids output (a JSON object from server id to backup id: {"101":501,"102":502})'

  it.each(['{101:501}', '{"101":501', '{"101":501,}', "{'101':501}", '{"101":501} x'])(
    'refuses JSON that is not valid: %j',
    (text) => {
      expect(inputError({ ...fleet, mode: 'delete', backup_id: text }, 'backup_id')).toBe(
        `Input 'backup_id' is not valid JSON: pass ${MAP_FORM}, got ${JSON.stringify(text)}.`
      )
    }
  )

  it.each(['{"101":{"id":501},"102":502}', '{"101":[501],"102":502}'])(
    'refuses a nested value: %j',
    (text) => {
      expect(inputError({ ...fleet, mode: 'restore', backup_id: text }, 'backup_id')).toBe(
        "Input 'backup_id' maps server 101 to an object or a list: each value must be a backup id (a positive whole number)."
      )
    }
  )

  it.each([
    ['1.5', '1.5'],
    ['0', '0'],
    ['-501', '-501'],
    ['"abc"', 'abc'],
    ['"0501"', '0501'],
    ['" 501"', ' 501'],
    ['null', 'null'],
    ['true', 'true'],
    ['9007199254740993', '9007199254740992'],
    ['1e400', 'Infinity']
  ])('refuses the value %s', (value, shown) => {
    const text = `{"101":${value},"102":502}`
    expect(inputError({ ...fleet, mode: 'restore', backup_id: text }, 'backup_id')).toBe(
      `Input 'backup_id' maps server 101 to a value that is not a backup id (a positive whole number), got ${JSON.stringify(shown)}.`
    )
  })

  it.each(['web', '0101', '', ' 101', '-1', '1.5'])('refuses the key %j', (key) => {
    const text = JSON.stringify({ [key]: 501, 102: 502 })
    expect(inputError({ ...fleet, mode: 'restore', backup_id: text }, 'backup_id')).toBe(
      `Input 'backup_id' has a key that is not a server id (a positive whole number, in quotes), got ${JSON.stringify(key)}.`
    )
  })

  it.each(['{"101":501,"102":502,"101":503}', '{"101":501,"102":502,"\\u0031\\u0030\\u0031":501}'])(
    'refuses a server named twice: %j',
    (text) => {
      expect(inputError({ ...fleet, mode: 'restore', backup_id: text }, 'backup_id')).toBe(
        "Input 'backup_id' names server 101 twice: name each server once."
      )
    }
  )

  it('reads keys as JSON strings, not strings inside the values', () => {
    // A value holding `"101":` is refused as a value, never read as a second key.
    expect(
      inputError(
        { ...fleet, mode: 'restore', backup_id: '{"101":"\\"101\\":","102":502}' },
        'backup_id'
      )
    ).toContain('maps server 101 to a value that is not a backup id')
  })

  it.each([
    ['restore', `${MAP_FORM}, latest or run:<run_id>`],
    ['delete', `${MAP_FORM} or run:<run_id>`]
  ])('mode: %s refuses a single backup id with several servers', (mode, instead) => {
    expect(inputError({ ...fleet, mode, backup_id: '501' }, 'backup_id')).toBe(
      `Input 'backup_id' is a single backup id (501), but server_id lists 2 servers: pass ${instead}.`
    )
  })

  it('takes latest and run:<run_id> for every server', () => {
    expect(parse({ ...fleet, mode: 'restore', backup_id: 'latest' }).target).toEqual({
      mode: 'restore',
      backupId: 'latest'
    })
    expect(parse({ ...fleet, mode: 'delete', backup_id: 'run:55' }).target).toEqual({
      mode: 'delete',
      backupId: { runId: 55 }
    })
  })

  it('only_if_step_started still needs run:<run_id>', () => {
    const values = {
      ...fleet,
      mode: 'restore',
      backup_id: '{"101":501,"102":502}',
      only_if_step_started: 'Deploy',
      github_token: GITHUB_TOKEN
    }
    expect(inputError(values, 'only_if_step_started')).toBe(
      "Input 'only_if_step_started' is only for mode: restore with backup_id: run:<run_id>."
    )
  })

  it.each([
    [`{"${TOKEN}":501}`, 'has a key that is not a server id (a positive whole number, in quotes)'],
    [
      `{"101":"${TOKEN}"}`,
      'maps server 101 to a value that is not a backup id (a positive whole number)'
    ],
    [`{${TOKEN}}`, `is not valid JSON: pass ${MAP_FORM}`]
  ])('never shows a token given in the object: %#', (text, expected) => {
    expect(inputError({ server_id: '101', mode: 'restore', backup_id: text }, 'backup_id')).toBe(
      `Input 'backup_id' ${expected}.`
    )
  })
})
