import { execFile } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { expect, it } from 'vitest'
import { ROOT } from '../../scripts/root.js'
import { SERVER_ID, simulator } from './fixture.js'

/*
 * `npm run local-action` (CONTRIBUTING), the documented way to run the sources without a runner:
 * @github/local-action runs src/main.ts from .env.example's settings, here pointed at the
 * simulator. It runs the sources, not dist/, through local-action's own dependencies, which a
 * change to the npm tree (an `overrides` entry) can break without any other test noticing.
 */
it('npm run local-action restores a server from .env.example’s settings', async () => {
  const sim = await simulator()
  const backup = sim.addBackup({ serverId: SERVER_ID, description: 'before deploy' })
  const dir = mkdtempSync(join(tmpdir(), 'local-action-'))
  try {
    const env = readFileSync(join(ROOT, '.env.example'), 'utf8')
      .replace(/^INPUT_API_URL=.*$/m, `INPUT_API_URL=${sim.url}`)
      .replace(/^INPUT_API_TOKEN=.*$/m, `INPUT_API_TOKEN=${sim.token}`)
      .replace(/^INPUT_MODE=.*$/m, 'INPUT_MODE=restore')
      .replace(/^INPUT_BACKUP_ID=.*$/m, `INPUT_BACKUP_ID=${backup.id}`)
      .replace(/^GITHUB_STEP_SUMMARY=.*$/m, `GITHUB_STEP_SUMMARY=${join(dir, 'summary.md')}`)
    writeFileSync(join(dir, '.env'), env)
    // Asynchronously: the simulator answers from this process.
    const { stdout } = await promisify(execFile)(
      join(ROOT, 'node_modules', '.bin', 'local-action'),
      ['.', 'src/main.ts', join(dir, '.env')],
      { cwd: ROOT, encoding: 'utf8', timeout: 120_000 }
    )
    expect(stdout).toContain(`restored from backup ${backup.id}`)
    expect(stdout).not.toContain('::error::')
  } finally {
    rmSync(dir, { recursive: true, force: true })
    await sim.close()
  }
}, 150_000)
