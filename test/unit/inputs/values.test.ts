import { describe, expect, it } from 'vitest'
import { InputError } from '../../../src/common/errors.js'
import { parsePositiveInteger } from '../../../src/inputs/values.js'
import { inputError, parse } from '../../helpers/inputs.js'

/** The value parsers (src/inputs/values.ts), through parseInputs: numbers, durations, booleans, api_url. */

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
