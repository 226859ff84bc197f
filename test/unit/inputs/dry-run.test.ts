import { describe, expect, it } from 'vitest'
import { parseInputs } from '../../../src/inputs/parse.js'
import { context } from '../../helpers/run-context.js'

/** dry_run (inputs/dry-run.ts): a boolean, for mode: restore and mode: delete only. */

describe('the dry_run input', () => {
  const parse = (inputs: Record<string, string>) => {
    const values: Record<string, string> = { api_token: 'vps_x', server_id: '1', ...inputs }
    return parseInputs((name) => values[name] ?? '', context)
  }

  it('is false by default, true for restore and delete', () => {
    expect(parse({ mode: 'restore', backup_id: '5' }).dryRun).toBe(false)
    expect(parse({ mode: 'restore', backup_id: '5', dry_run: 'true' }).dryRun).toBe(true)
    expect(parse({ mode: 'delete', backup_id: '5', dry_run: 'TRUE' }).dryRun).toBe(true)
    expect(parse({ mode: 'backup', dry_run: 'false' }).dryRun).toBe(false)
  })

  it.each(['backup', 'verify'])('is an input error with mode: %s', (mode) => {
    const healthUrl = mode === 'verify' ? 'http://app/health' : ''
    expect(() => parse({ mode, dry_run: 'true', health_url: healthUrl })).toThrow(
      `Input 'dry_run' is only for mode: restore and mode: delete (it previews a restore or a deletion), not mode: ${mode}.`
    )
  })

  it('must be true or false', () => {
    expect(() => parse({ mode: 'restore', backup_id: '5', dry_run: 'yes' })).toThrow(
      `Input 'dry_run' must be true or false, got "yes".`
    )
  })
})
