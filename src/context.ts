import { context as actionsContext } from '@actions/github'

/** What the action needs to know about the workflow run: @actions/github's `context`, checked. */
export interface RunContext {
  repository: string
  sha: string
  runId: string
  runAttempt: number
  /** The job's id in the workflow (`GITHUB_JOB`). */
  job: string
  /** The step's id (`GITHUB_ACTION`). */
  action: string
  workflow: string
  serverUrl: string
  /** The REST API base: `https://api.github.com`, or a GitHub Enterprise Server's (`GITHUB_API_URL`). */
  apiUrl: string
}

export type ActionsContext = typeof actionsContext

/** `context.repo` throws when neither GITHUB_REPOSITORY nor the event payload names one. */
function repositoryOf(source: ActionsContext): string {
  try {
    const { owner, repo } = source.repo
    return owner && repo ? `${owner}/${repo}` : 'local/repository'
  } catch {
    return 'local/repository'
  }
}

const positive = (value: number): number | undefined =>
  Number.isSafeInteger(value) && value > 0 ? value : undefined

export function readContext(source: ActionsContext = actionsContext): RunContext {
  return {
    repository: repositoryOf(source),
    sha: source.sha ?? '',
    runId: String(positive(source.runId) ?? 0),
    runAttempt: positive(source.runAttempt) ?? 1,
    job: source.job ?? '',
    action: source.action ?? '',
    workflow: source.workflow ?? '',
    serverUrl: source.serverUrl || 'https://github.com',
    apiUrl: source.apiUrl || 'https://api.github.com'
  }
}
