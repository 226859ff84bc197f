/**
 * The end-to-end tests' global setup: they run dist/index.js, so it must be the build of the
 * sources. When dist/ is older than any of them (src/, the lock file, the tsconfigs), it is
 * rebuilt with `npm run build` before the first test; otherwise it is used as it is (CI has just
 * built it, and a clean rebuild gives the same bytes).
 */
import { execFileSync } from 'node:child_process'
import { existsSync, readdirSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { ROOT } from '../../scripts/root.js'

const BUNDLE = join(ROOT, 'dist', 'index.js')

/** The newest modification time of the files dist/ is built from. */
function sourcesModified(): number {
  const sources = (readdirSync(join(ROOT, 'src'), { recursive: true }) as string[])
    .filter((file) => file.endsWith('.ts'))
    .map((file) => join('src', file))
  return Math.max(
    ...[...sources, 'package-lock.json', 'tsconfig.json', 'tsconfig.build.json'].map(
      (file) => statSync(join(ROOT, file)).mtimeMs
    )
  )
}

export function setup(): void {
  if (existsSync(BUNDLE) && statSync(BUNDLE).mtimeMs >= sourcesModified()) return
  console.log('dist/ is older than src/: npm run build')
  try {
    execFileSync('npm', ['run', 'build'], { cwd: ROOT, stdio: ['ignore', 'inherit', 'inherit'] })
  } catch {
    throw new Error('dist/ is older than src/ and npm run build failed (see above)')
  }
}
