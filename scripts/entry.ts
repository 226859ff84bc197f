import { realpathSync } from 'node:fs'
import { fileURLToPath } from 'node:url'

/**
 * Whether the module at `url` (its `import.meta.url`) is the file node was asked to run. Node 24
 * has `import.meta.main` for this; on Node 20 and 22 it is undefined, so a script guarded by it
 * would print nothing and exit 0: a check that passes without running.
 */
export function isEntry(url: string, argv1: string | undefined = process.argv[1]): boolean {
  if (!argv1) return false
  const real = (path: string): string => {
    try {
      return realpathSync(path)
    } catch {
      return path
    }
  }
  return real(fileURLToPath(url)) === real(argv1)
}
