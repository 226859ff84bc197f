import { describe, expect, it } from 'vitest'
import { MAX_DESCRIPTION, composeDescription, parseTag } from '../../src/description.js'
import { InputError } from '../../src/errors.js'
import { type Settings, parseInputs, parsePositiveInteger } from '../../src/inputs.js'
import { TAG, context } from '../helpers/context.js'
import type { RunContext } from '../../src/context.js'

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

  it('trims surrounding white space from words, but takes ids exactly as given', () => {
    const settings = parse({ server_id: '42', mode: ' Restore ', backup_id: '7', wait: ' false ' })
    expect(settings.target).toEqual({ mode: 'restore', backupId: 7 })
    expect(settings.wait).toBe(false)
    expect(inputError({ server_id: ' 42 ' }, 'server_id')).toContain('positive whole number')
  })
})

describe('parseInputs: api_token', () => {
  it('is required, and the error names api_token', () => {
    expect(inputError({ api_token: '' }, 'api_token')).toBe(
      "Input 'api_token' is required: a VPS.org API token (pass it from a secret)."
    )
  })

  it('a blank token counts as missing', () => {
    inputError({ api_token: '   ' }, 'api_token')
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

  it.each(['0', '-1', '1.5', '1e3', '0x10', ' 12 x', '12abc', '9007199254740993', '+5', '007'])(
    'rejects %j, naming the expected form',
    (text) => {
      const message = inputError({ server_id: text }, 'server_id')
      expect(message).toContain('positive whole number')
      expect(message).toContain(JSON.stringify(text))
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
      const message = inputError({ mode: 'restore', backup_id: id }, 'backup_id')
      expect(message).toContain('a backup id or latest')
      expect(message).toContain(JSON.stringify(id))
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

  it.each(['-1', 'all', '2.5', '00'])('rejects keep_backups %j', (text) => {
    expect(inputError({ keep_backups: text }, 'keep_backups')).toContain('positive whole number')
  })

  it('takes poll_interval in seconds', () => {
    expect(parse({ poll_interval: '10' }).pollIntervalMs).toBe(10_000)
    expect(parse({ poll_interval: '' }).pollIntervalMs).toBeUndefined()
  })

  it.each(['0', '1.5', '10s', '-10'])('rejects poll_interval %j', (text) => {
    expect(inputError({ poll_interval: text }, 'poll_interval')).toContain('positive whole number')
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
    expect(parseTag(settings.description)).toEqual({
      repository: 'acme/shop',
      runId: '9876543210'
    })
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
    expect(parseTag(description)).toEqual({ repository: long.repository, runId: '99999999999' })
  })

  it('never cuts a character in half when it shortens', () => {
    const room = MAX_DESCRIPTION - TAG.length - 1
    const text = 'a'.repeat(room - 2) + '😀'.repeat(10)
    const { description } = composeDescription(text, context)
    expect(description).not.toMatch(/[\ud800-\udbff](?![\udc00-\udfff])/)
  })
})
