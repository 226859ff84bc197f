import type { Job, JobStep } from '../../src/github/runs.js'

/** Jobs and steps of a workflow run as github/runs.ts reads them, for the tests of the run reads and of run:<run_id>. */

export const step = (
  name: string,
  status: string,
  conclusion: string | null,
  startedAt?: string
): JobStep => ({
  name,
  status,
  conclusion,
  startedAt: startedAt ?? null
})
export const AT = '2026-11-27T10:00:00Z'
/** A job of attempt `attempt` with these steps. */
export const job = (steps: JobStep[], attempt = 1, name = 'deploy'): Job => ({
  name,
  attempt,
  steps
})
