import { existsSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

/**
 * The repository: the nearest folder above the given one (by default this file's, scripts/ or
 * lib/scripts/) that holds action.yml. Throws at the file system's root rather than search on.
 */
export function projectRoot(start = dirname(fileURLToPath(import.meta.url))): string {
  for (let dir = start; ; dir = dirname(dir)) {
    if (existsSync(join(dir, 'action.yml'))) return dir
    if (dirname(dir) === dir) throw new Error(`no action.yml in ${start} or any folder above it`)
  }
}

export const ROOT = projectRoot()
