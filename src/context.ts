/** What the action needs to know about the workflow run, read from the runner's environment. */
export interface RunContext {
  repository: string
  sha: string
  runId: string
  runAttempt: number
  serverUrl: string
}

export function readContext(env: NodeJS.ProcessEnv): RunContext {
  const attempt = Number.parseInt(env.GITHUB_RUN_ATTEMPT ?? '', 10)
  return {
    repository: env.GITHUB_REPOSITORY || 'local/repository',
    sha: env.GITHUB_SHA ?? '',
    runId: env.GITHUB_RUN_ID || '0',
    runAttempt: Number.isSafeInteger(attempt) && attempt > 0 ? attempt : 1,
    serverUrl: env.GITHUB_SERVER_URL || 'https://github.com'
  }
}
