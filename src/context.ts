import { randomBytes } from 'node:crypto'

/** What the action needs to know about the workflow run, read from the runner's environment. */
export interface RunContext {
  repository: string
  sha: string
  runId: string
  runAttempt: number
  serverUrl: string
  /** GITHUB_JOB: the job's id in the workflow. */
  job: string
  /** GITHUB_ACTION: the step's id (or the runner's name for it) within the job. */
  action: string
  /** 8 random hex characters, new for every execution of the step: tells its backup apart. */
  nonce: string
}

/** 8 random hex characters. */
export const randomNonce = (): string => randomBytes(4).toString('hex')

export function readContext(env: NodeJS.ProcessEnv, nonce: () => string = randomNonce): RunContext {
  const attempt = Number.parseInt(env.GITHUB_RUN_ATTEMPT ?? '', 10)
  return {
    repository: env.GITHUB_REPOSITORY || 'local/repository',
    sha: env.GITHUB_SHA ?? '',
    runId: env.GITHUB_RUN_ID || '0',
    runAttempt: Number.isSafeInteger(attempt) && attempt > 0 ? attempt : 1,
    serverUrl: env.GITHUB_SERVER_URL || 'https://github.com',
    job: env.GITHUB_JOB ?? '',
    action: env.GITHUB_ACTION ?? '',
    nonce: nonce()
  }
}
