import { randomBytes } from 'node:crypto'
import { context as actionsContext } from '@actions/github'

/** What the action needs to know about the workflow run: @actions/github's `context`, checked. */
export interface RunContext {
  repository: string
  sha: string
  runId: string
  runAttempt: number
  /** The job's id in the workflow (`GITHUB_JOB`). */
  job: string
  /** The step's id, or the runner's name for it, within the job (`GITHUB_ACTION`). */
  action: string
  workflow: string
  serverUrl: string
  /** The REST API base: `https://api.github.com`, or a GitHub Enterprise Server's (`GITHUB_API_URL`). */
  apiUrl: string
  /** 8 random hex characters, new for every execution of the step: tells its backup apart. */
  nonce: string
}

export type ActionsContext = typeof actionsContext

/** 8 random hex characters. */
export const randomNonce = (): string => randomBytes(4).toString('hex')

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

export function readContext(
  source: ActionsContext = actionsContext,
  nonce: () => string = randomNonce
): RunContext {
  return {
    repository: repositoryOf(source),
    sha: source.sha ?? '',
    runId: String(positive(source.runId) ?? 0),
    runAttempt: positive(source.runAttempt) ?? 1,
    job: source.job ?? '',
    action: source.action ?? '',
    workflow: source.workflow ?? '',
    serverUrl: source.serverUrl || 'https://github.com',
    apiUrl: source.apiUrl || 'https://api.github.com',
    nonce: nonce()
  }
}
