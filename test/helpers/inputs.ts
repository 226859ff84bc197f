import { expect } from 'vitest'
import { InputError } from '../../src/common/errors.js'
import { parseInputs } from '../../src/inputs/parse.js'
import type { Settings } from '../../src/inputs/settings.js'
import type { RunContext } from '../../src/github/context.js'
import { context } from './run-context.js'

/** parseInputs as the runner calls it, for the unit tests of src/inputs/ (one file a module). */

export const TOKEN = 'vps_S3cr3tT0kenValue_do_not_print'

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

export function parse(values: Record<string, string>, ctx: RunContext = context): Settings {
  const all: Record<string, string> = { ...EMPTY, api_token: TOKEN, server_id: '12345', ...values }
  return parseInputs((name) => all[name] ?? '', ctx)
}

/** Parses, expects an InputError naming `input`, and returns its message. */
export function inputError(values: Record<string, string>, input: string): string {
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
