import { getOctokit } from '@actions/github'
import { ActionError, CancelledError, TransportError } from '../common/errors.js'
import { isObject, logLine, text } from '../common/untrusted.js'
import { type GitHubOptions, guardedFetch, isRateLimit, resetAt } from './fetch.js'

/**
 * The GitHub API reads of `only_if_step_started`: a workflow run of this repository and the steps
 * of its jobs (every attempt), through @actions/github's Octokit. Every request goes through the
 * guarded fetch of fetch.ts; here, what the answers say and one line for each failure.
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

export interface Job {
  name: string
  /** The run attempt the job ran in (1 when GitHub does not say). */
  attempt: number
  steps: JobStep[]
}

export interface GitHubReader {
  getRun(runId: number): Promise<WorkflowRun>
  /** The jobs of every attempt of the run, with their steps, all pages. */
  listJobs(runId: number): Promise<Job[]>
}

/**
 * GitHub caps a run at 256 jobs (3 pages of 100) an attempt; a run re-run a few times has a few
 * times that. More pages than this means a paging loop.
 */
export const MAX_PAGES = 30
/** What the GitHub token needs, named in every refusal. */
export const PERMISSION = '`actions: read`'

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
    htmlUrl: text(data.html_url),
    status: text(data.status) ?? 'unknown',
    conclusion: text(data.conclusion) ?? null
  }
}

function toJob(job: Record<string, unknown>): Job {
  const attempt = job.run_attempt
  return {
    name: text(job.name) ?? '',
    attempt: Number.isSafeInteger(attempt) && (attempt as number) > 0 ? (attempt as number) : 1,
    steps: Array.isArray(job.steps)
      ? job.steps.filter(isObject).map((step) => ({
          name: text(step.name) ?? '',
          status: text(step.status) ?? 'unknown',
          conclusion: text(step.conclusion) ?? null,
          startedAt: text(step.started_at) ?? null
        }))
      : []
  }
}

/**
 * A step had started: it is running, or it has finished after running. A skipped step did not
 * run; one cancelled without a start time was cancelled before it was reached.
 */
const hasStarted = (step: JobStep): boolean =>
  step.status === 'in_progress' ||
  (step.status === 'completed' &&
    step.conclusion !== 'skipped' &&
    !(step.conclusion === 'cancelled' && !step.startedAt))

/** A step named exactly `name` (case-sensitive) had started in one of `jobs`; none if no name. */
export function stepStarted(jobs: readonly Job[], name: string | undefined): boolean {
  return jobs.some((job) => job.steps.some((step) => step.name === name && hasStarted(step)))
}

/** The step names of the jobs, each once, for a line: neutralised, and at most `max` of them. */
export function stepNames(jobs: readonly Job[], max = 20): string {
  const names = [...new Set(jobs.flatMap((job) => job.steps.map((step) => logLine(step.name))))]
  if (!names.length) return 'none'
  const shown = names.slice(0, max).map((name) => `'${name.slice(0, 60)}'`)
  return names.length > max
    ? `${shown.join(', ')} and ${names.length - max} more`
    : shown.join(', ')
}

/** What a 403 or 404 asks for: the permission github_token needs, and what else a 404 means. */
export interface Refusal {
  permission: string
  /** What else a 404 means, e.g. `no such run in acme/shop`. */
  notFound: string
}

/**
 * One line for a failed GitHub API request: what, the status, GitHub's message, what to do.
 * `refusal`: the permission a 403 or 404 names (default: the run reads').
 */
export function requestFailure(
  error: unknown,
  what: string,
  options: GitHubOptions,
  refusal: Refusal = {
    permission: PERMISSION,
    notFound: `no such run in ${options.repository}`
  }
): Error {
  if (options.signal.aborted) return new CancelledError()
  const cause = isObject(error) ? error.cause : undefined
  if (cause instanceof TransportError) return new ActionError(`Could not ${what}: ${cause.reason}.`)
  // Octokit's RequestError: an answer's status and response, or a request that got none.
  const { status, response } = (isObject(error) ? error : {}) as {
    status: number
    response?: { data?: unknown; headers?: Record<string, string> }
  }
  if (response === undefined) {
    return new ActionError(
      `Could not ${what}: ${logLine(error instanceof Error ? error.message : String(error))}.`
    )
  }
  const message = isObject(response.data) ? text(response.data.message) : undefined
  const detail = `HTTP ${status}${message ? `: ${logLine(message).replace(/\.$/, '')}` : ''}`
  const headers = new Headers(response.headers)
  if (isRateLimit(status, headers, message ?? '')) {
    const reset = resetAt(headers)
    const until = reset === undefined ? '' : ` until ${new Date(reset).toISOString()}`
    return new ActionError(
      `Could not ${what}: ${detail}. GitHub's API rate limit for github_token is reached${until} (not a missing permission): run the rollback again once it resets.`
    )
  }
  if (status === 403 || status === 404) {
    return new ActionError(
      `Could not ${what}: ${detail}. github_token needs ${refusal.permission}: add it to the workflow's or the job's permissions (a 404 also means ${refusal.notFound}).`
    )
  }
  if (status === 401) {
    return new ActionError(`Could not ${what}: ${detail}. github_token was refused.`)
  }
  return new ActionError(`Could not ${what}: ${detail}.`)
}

/** @actions/github's Octokit, every request of it through the guarded fetch. */
export const guardedOctokit = (options: GitHubOptions) =>
  getOctokit(options.token, {
    baseUrl: options.apiUrl,
    request: { fetch: guardedFetch(options) }
  })

/** A reader of this repository's runs. Octokit is built here, only when a run is to be read. */
export function gitHubReader(options: GitHubOptions): GitHubReader {
  const octokit = guardedOctokit(options)
  const [owner = '', repo = ''] = options.repository.split('/')
  return {
    async getRun(runId) {
      const what = `read run ${runId} of ${options.repository} from the GitHub API`
      try {
        const answer = await octokit.rest.actions.getWorkflowRun({
          owner,
          repo,
          run_id: runId
        })
        return toRun(answer.data, runId)
      } catch (error) {
        throw error instanceof ActionError ? error : requestFailure(error, what, options)
      }
    },
    async listJobs(runId) {
      const what = `list the jobs of run ${runId} of ${options.repository} from the GitHub API`
      const jobs: Job[] = []
      let pages = 0
      try {
        for await (const page of octokit.paginate.iterator(
          octokit.rest.actions.listJobsForWorkflowRun,
          { owner, repo, run_id: runId, filter: 'all', per_page: 100 }
        )) {
          if (++pages > MAX_PAGES) {
            throw new ActionError(`Could not ${what}: more than ${MAX_PAGES} pages of jobs.`)
          }
          if (Array.isArray(page.data)) jobs.push(...page.data.filter(isObject).map(toJob))
        }
      } catch (error) {
        throw error instanceof ActionError ? error : requestFailure(error, what, options)
      }
      return jobs
    }
  }
}
