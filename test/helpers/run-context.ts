import type { RunContext } from '../../src/github/context.js'

/** The workflow run the unit tests act for: attempt 3 of run 9876543210 of acme/shop. */
export const context: RunContext = {
  repository: 'acme/shop',
  sha: '0123456789abcdef0123456789abcdef01234567',
  runId: '9876543210',
  runAttempt: 3,
  job: 'deploy',
  action: 'backup',
  workflow: 'deploy',
  serverUrl: 'https://github.com',
  apiUrl: 'https://api.github.com',
  nonce: '0a1b2c3d'
}
/** sha256('deploy/backup'), first 8 hex characters. */
export const STEP = 'd45f646c'
export const TAG = `[gha:acme/shop#9876543210/3/${STEP}/0a1b2c3d]`

/** What parseTag gives for the tag `context` writes. */
export const PARSED = {
  repository: 'acme/shop',
  runId: '9876543210',
  attempt: 3,
  step: STEP,
  nonce: '0a1b2c3d'
}

/** The description a backup step of acme/shop wrote in run `run`, as v1.0.0 tagged it. */
export const own = (run = '1111'): string =>
  `Pre-deployment backup of acme/shop (run ${run}) [gha:acme/shop#${run}]`
