import { InputError } from '../common/errors.js'
import type { Mode } from './settings.js'

/**
 * dry_run (`true` or `false`, read by parseInputs): a restore or a deletion resolved and checked
 * as a real run does, then shown, and not done. Other modes change nothing that a dry run could
 * spare, or nothing at all: it is refused there, before any request.
 */
export function dryRun(mode: Mode, value: boolean): boolean {
  if (value && mode !== 'restore' && mode !== 'delete') {
    throw new InputError(
      'dry_run',
      `is only for mode: restore and mode: delete (it previews a restore or a deletion), not mode: ${mode}`
    )
  }
  return value
}
