import { describe, expect, it } from 'vitest'
import { InputError } from '../../../src/common/errors.js'
import { parseInputs } from '../../../src/inputs/parse.js'
import type { InputName } from '../../../src/inputs/settings.js'
import { context } from '../../helpers/run-context.js'

/** environment and allow_rolled_back, through parseInputs. */

const TOKEN = 'vps_inputs_ledger_token'

function parse(values: Partial<Record<InputName, string>>) {
  const all: Partial<Record<InputName, string>> = {
    api_token: TOKEN,
    server_id: '12345',
    github_token: 'ghs_x',
    ...values
  }
  return parseInputs((name) => all[name] ?? '', context)
}

function inputError(values: Partial<Record<InputName, string>>, input: string): string {
  let caught: unknown
  try {
    parse(values)
  } catch (error) {
    caught = error
  }
  expect(caught).toBeInstanceOf(InputError)
  expect((caught as InputError).input).toBe(input)
  return (caught as InputError).message
}

describe('environment', () => {
  it('is empty by default: no ledger', () => {
    expect(parse({})).toMatchObject({ environment: '', allowRolledBack: false })
  })

  it('is a trimmed environment name', () => {
    expect(parse({ environment: ' production \n' }).environment).toBe('production')
  })

  it('refuses a name on several lines or longer than GitHub allows', () => {
    expect(inputError({ environment: 'prod\nstaging' }, 'environment')).toContain(
      'must be the name of a GitHub environment (e.g. production), on one line, at most 255 characters'
    )
    expect(parse({ environment: 'x'.repeat(255) }).environment).toHaveLength(255)
    inputError({ environment: 'x'.repeat(256) }, 'environment')
  })

  it('needs github_token', () => {
    expect(inputError({ environment: 'production', github_token: '' }, 'github_token')).toContain(
      'deployments: write'
    )
  })

  it('lets verify run without health_url; without environment, verify still needs it', () => {
    const verify = { mode: 'verify', api_token: '', server_id: '' }
    expect(parse({ ...verify, environment: 'production' }).health.checks).toEqual([])
    expect(inputError(verify, 'health_url')).toContain('unless environment is set')
  })
})

describe('allow_rolled_back', () => {
  it('is true or false, for a backup with environment only', () => {
    expect(parse({ environment: 'production', allow_rolled_back: 'true' }).allowRolledBack).toBe(
      true
    )
    expect(parse({ allow_rolled_back: 'false' }).allowRolledBack).toBe(false)
    inputError({ environment: 'production', allow_rolled_back: 'yes' }, 'allow_rolled_back')
    expect(inputError({ allow_rolled_back: 'true' }, 'allow_rolled_back')).toContain(
      'is only for mode: backup with environment'
    )
    inputError(
      { environment: 'production', allow_rolled_back: 'true', mode: 'restore', backup_id: '1' },
      'allow_rolled_back'
    )
  })
})
