import { getOctokit } from '@actions/github'
import { ActionError, CancelledError } from './errors.js'

/**
 * The GitHub API reads of `only_if_step_started`: a workflow run of this repository and the steps
 * of its jobs, through @actions/github's Octokit (GITHUB_API_URL, proxy settings and all). The
 * GitHub token goes only there. Everything GitHub answers is checked before it is used.
 */

export interface WorkflowRun {
  id: number
  /** `owner/repo` of the repository the run belongs to. */
  repository: string
  htmlUrl: string | undefined
  /** `queued`, `in_progress`, `completed`, … */
  status: string
  /** `success`, `failure`, `cancelled`, … once completed. */
  conclusion: string | null
}

export interface JobStep {
  name: string
  status: string
  conclusion: string | null
  startedAt: string | null
}

export interface GitHubReader {
  getRun(runId: number): Promise<WorkflowRun>
  /** The steps of every job of the run's latest attempt of each job, all pages. */
  listSteps(runId: number): Promise<JobStep[]>
}

export interface GitHubOptions {
  token: string
  /** `owner/repo`: the repository whose runs are read. */
  repository: string
  apiUrl: string
  signal: AbortSignal
  /** No request of the step goes on past this moment (ms since the epoch, by `now`). */
  deadline: number
  now: () => number
}

/** GitHub caps a run at 256 jobs: 3 pages of 100. More pages than this means a paging loop. */
const MAX_PAGES = 10
/** What the GitHub token needs, named in every refusal. */
export const PERMISSION = '`actions: read`'

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value)
const text = (value: unknown): string | null => (typeof value === 'string' ? value : null)
/** A value from GitHub, made one short plain line for the log. */
export const oneLine = (value: string): string =>
  value
    .replace(/[\p{Cc}\p{Cf}]+/gu, ' ')
    .replace(/\s+/g, ' ')
    .trim()
    .slice(0, 200)

function toRun(data: unknown, runId: number): WorkflowRun {
  const repository = isObject(data) && isObject(data.repository) ? data.repository.full_name : null
  if (!isObject(data) || data.id !== runId || typeof repository !== 'string') {
    throw new ActionError(
      `The GitHub API answered the request for run ${runId} with something that is not that run; nothing was restored.`
    )
  }
  return {
    id: runId,
    repository,
    htmlUrl: text(data.html_url) ?? undefined,
    status: text(data.status) ?? 'unknown',
    conclusion: text(data.conclusion)
  }
}

function toSteps(jobs: unknown[]): JobStep[] {
  return jobs.flatMap((job) =>
    isObject(job) && Array.isArray(job.steps)
      ? job.steps.filter(isObject).map((step) => ({
          name: text(step.name) ?? '',
          status: text(step.status) ?? 'unknown',
          conclusion: text(step.conclusion),
          startedAt: text(step.started_at)
        }))
      : []
  )
}

/**
 * A step named `name` had started: it is running, or it has finished after running. A skipped
 * step did not run; one cancelled without a start time was cancelled before it was reached.
 */
export function stepStarted(steps: JobStep[], name: string): boolean {
  return steps.some(
    (step) =>
      step.name === name &&
      (step.status === 'in_progress' ||
        (step.status === 'completed' &&
          step.conclusion !== 'skipped' &&
          !(step.conclusion === 'cancelled' && !step.startedAt)))
  )
}

/** One line for a failed GitHub API request: what, the status, GitHub's message, what to do. */
function failure(error: unknown, what: string, options: GitHubOptions): Error {
  if (options.signal.aborted) return new CancelledError()
  const { status, response } = (isObject(error) ? error : {}) as {
    status?: unknown
    response?: { data?: unknown }
  }
  if (typeof status !== 'number' || response === undefined) {
    const reason = error instanceof Error ? oneLine(error.message) : 'no answer'
    return new ActionError(
      `Could not ${what}: the GitHub API at ${options.apiUrl} did not answer (${reason}).`
    )
  }
  const message = isObject(response.data) ? text(response.data.message) : null
  const detail = `HTTP ${status}${message ? `: ${oneLine(message)}` : ''}`
  if (status === 403 || status === 404) {
    return new ActionError(
      `Could not ${what}: ${detail}. github_token needs ${PERMISSION}: add it to the workflow's or the job's permissions (a 404 also means no such run in ${options.repository}).`
    )
  }
  if (status === 401) {
    return new ActionError(`Could not ${what}: ${detail}. github_token was refused.`)
  }
  return new ActionError(`Could not ${what}: ${detail}.`)
}

/** A reader of this repository's runs. Octokit is built here, only when a run is to be read. */
export function gitHubReader(options: GitHubOptions): GitHubReader {
  const octokit = getOctokit(options.token)
  const [owner = '', repo = ''] = options.repository.split('/')
  // Cancellation, or the step's timeout, ends a request GitHub is slow to answer.
  const request = (): { signal: AbortSignal } => ({
    signal: AbortSignal.any([
      options.signal,
      AbortSignal.timeout(Math.max(1, options.deadline - options.now()))
    ])
  })
  return {
    async getRun(runId) {
      const what = `read run ${runId} of ${options.repository} from the GitHub API`
      try {
        const answer = await octokit.rest.actions.getWorkflowRun({
          owner,
          repo,
          run_id: runId,
          request: request()
        })
        return toRun(answer.data, runId)
      } catch (error) {
        throw error instanceof ActionError ? error : failure(error, what, options)
      }
    },
    async listSteps(runId) {
      const what = `list the jobs of run ${runId} of ${options.repository} from the GitHub API`
      const jobs: unknown[] = []
      let pages = 0
      try {
        for await (const page of octokit.paginate.iterator(
          octokit.rest.actions.listJobsForWorkflowRun,
          { owner, repo, run_id: runId, filter: 'latest', per_page: 100, request: request() }
        )) {
          if (++pages > MAX_PAGES) {
            throw new ActionError(`Could not ${what}: more than ${MAX_PAGES} pages of jobs.`)
          }
          jobs.push(...(Array.isArray(page.data) ? page.data : []))
        }
      } catch (error) {
        throw error instanceof ActionError ? error : failure(error, what, options)
      }
      return toSteps(jobs)
    }
  }
}
