import { describe, expect, it } from 'vitest'
import { MAX_DESCRIPTION, composeDescription, parseTag } from '../../../src/github/description.js'
import { secretInputs } from '../../../src/inputs/parse.js'
import { TOKEN, inputError, parse } from '../../helpers/inputs.js'
import { PARSED, TAG, context } from '../../helpers/run-context.js'
import type { RunContext } from '../../../src/github/context.js'

/** parseInputs (src/inputs/parse.ts): the defaults, the token, the description of a backup. */

describe('parseInputs: defaults', () => {
  it('uses the documented defaults when every optional input is empty', () => {
    const settings = parse({})
    expect(settings.target).toEqual({ mode: 'backup' })
    expect(settings.apiToken).toBe(TOKEN)
    expect(settings.serverIds).toEqual([12345])
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

describe('secretInputs: what the runner masks before anything is printed', () => {
  const secrets = (inputs: Record<string, string>): string[] =>
    secretInputs((name) => inputs[name] ?? '')

  it('masks both tokens, trimmed, and the user-info and password of health_url, written and decoded', () => {
    expect(
      secrets({
        api_token: ' vps_a ',
        github_token: 'ghs_b\n',
        health_url: ' https://mon:p%40ss@app.example/h '
      })
    ).toEqual(['vps_a', 'ghs_b', 'mon:p%40ss', 'p%40ss', 'p@ss'])
  })

  it('masks nothing for inputs left empty', () => {
    expect(secrets({})).toEqual([])
    expect(secrets({ github_token: 'ghs_b' })).toEqual(['ghs_b'])
  })
})
