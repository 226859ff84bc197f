import { describe, expect, it } from 'vitest'
import { healthUrlSecrets } from '../../../src/inputs/health-url.js'
import { TOKEN, inputError, parse } from '../../helpers/inputs.js'

/** The app checks (src/inputs/health-url.ts), through parseInputs: health_url and the inputs that go with it. */

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
    expect(settings.serverIds).toEqual([])
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

describe('parseInputs: health_url, the forms a check may take and where it may be given', () => {
  const restore = { mode: 'restore', backup_id: '7' }

  it('takes a plain http:// check as well as https://', () => {
    expect(parse({ ...restore, health_url: 'http://app.example/health' }).health.checks).toEqual([
      { kind: 'http', target: 'http://app.example/health', credentials: undefined }
    ])
  })

  it('sends a user name given without a password, with an empty password', () => {
    expect(parse({ ...restore, health_url: 'https://mon@app.example/h' }).health.checks).toEqual([
      {
        kind: 'http',
        target: 'https://app.example/h',
        credentials: { username: 'mon', password: '' }
      }
    ])
  })

  it('reads health_threshold and health_timeout with white space around them', () => {
    const health = parse({
      ...restore,
      health_url: 'https://app.example/h',
      health_threshold: ' 3 ',
      health_timeout: ' 90s '
    }).health
    expect([health.threshold, health.timeoutMs]).toEqual([3, 90_000])
  })

  it('refuses a check with mode: delete, which restores nothing', () => {
    expect(
      inputError(
        { mode: 'delete', backup_id: '7', health_url: 'https://app.example/h' },
        'health_url'
      )
    ).toContain('is used only with mode: restore, mode: verify, or rollback_on_failure: true')
  })

  it('masks the password of a line that is no valid URL, as written and decoded', () => {
    expect(healthUrlSecrets('http://ci:s3cr%65t@[')).toEqual(['ci:s3cr%65t', 's3cr%65t', 's3cret'])
  })

  it('shows a line that starts with its @ with the part before it masked', () => {
    expect(inputError({ ...restore, health_url: '@x' }, 'health_url')).toContain('got "***@x"')
  })
})

describe('parseInputs: health_url lines with white space or a scheme of their own', () => {
  const restore = { mode: 'restore', backup_id: '7' }

  it('skips lines of white space only, and reads each line without the white space around it', () => {
    const checks = parse({
      ...restore,
      health_url: ' \t \n\u00a0https://app.example/h\u00a0\n   \ntcp://db.example:5432'
    }).health.checks
    expect(checks.map((check) => check.target)).toEqual([
      'https://app.example/h',
      'tcp://db.example:5432'
    ])
  })

  it('shows a bad line without the white space around it', () => {
    expect(inputError({ ...restore, health_url: '  ftp://x.example/h  ' }, 'health_url')).toContain(
      'got "ftp://x.example/h".'
    )
  })

  it('keeps the scheme of a bad line, digits and all, and only a scheme that starts the line', () => {
    expect(inputError({ ...restore, health_url: 'h2c://mon:pw@[x' }, 'health_url')).toContain(
      'got "h2c://***@[x"'
    )
    expect(
      inputError({ ...restore, health_url: 'pw ftp://mon@x.example' }, 'health_url')
    ).toContain('got "***@x.example"')
  })

  it('masks a user name given alone as written: it is no password to decode', () => {
    expect(healthUrlSecrets('https://m%40n@a.example/')).toEqual(['m%40n'])
  })

  it('masks the password of a line with Unicode white space around it, as the check reads it', () => {
    expect(healthUrlSecrets('\u00a0http:mon:pw%21@a.example/\u00a0')).toEqual(['pw%21', 'pw!'])
  })

  it('refuses health_url with mode: delete even with rollback_on_failure: true', () => {
    expect(
      inputError(
        {
          mode: 'delete',
          backup_id: '7',
          rollback_on_failure: 'true',
          health_url: 'https://a.example/'
        },
        'health_url'
      )
    ).toContain('is used only with mode: restore, mode: verify, or rollback_on_failure: true')
  })
})
