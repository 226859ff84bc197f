import { getOctokit } from '@actions/github'
import { type Dispatcher, fetch as undiciFetch } from 'undici'
import { errorMessage, networkReason, parseRetryAfter, withoutBom } from '../vpsorg/api-errors.js'
import type { Clock } from '../common/clock.js'
import { formatDuration } from '../common/duration.js'
import { ActionError, ApiError, CancelledError, TransportError } from '../common/errors.js'
import type { Logger } from '../common/log.js'
import { API_BACKOFF, isTransient, retry, retryLine } from '../vpsorg/retry.js'
import { neutralise, scrubJson, scrubber } from '../common/untrusted.js'

/**
 * The GitHub API reads of `only_if_step_started`: a workflow run of this repository and the steps
 * of its jobs (every attempt), through @actions/github's Octokit. Every request goes through one
 * guarded fetch (the action's proxy dispatcher): github_token only to GITHUB_API_URL's origin (a
 * page link elsewhere is an error, not a request; redirects are not followed), each answer within
 * a size cap and its share of the deadline, retried on 5xx, network errors and rate limits, and
 * scrubbed of the token before Octokit, let alone the log, sees it.
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

export type Fetch = (url: string, init: RequestInit) => Promise<Response>

export interface GitHubOptions {
  token: string
  /** `owner/repo`: the repository whose runs are read. */
  repository: string
  apiUrl: string
  signal: AbortSignal
  /** No request of the step starts, and no retry waits, past this moment (clock time). */
  deadline: number
  clock: Clock
  random: () => number
  log: Logger
  /** The action's proxy dispatcher (dispatcher.ts). */
  dispatcher?: Dispatcher
  /** The fetch under the guard: undici's, through `dispatcher`, unless a test gives its own. */
  fetch?: Fetch
  requestTimeoutMs?: number
  maxBodyBytes?: number
}

/**
 * GitHub caps a run at 256 jobs (3 pages of 100) an attempt; a run re-run a few times has a few
 * times that. More pages than this means a paging loop.
 */
export const MAX_PAGES = 30
/** The largest answer read: a page of 100 jobs with their steps is well under 1 MB. */
const MAX_BODY_BYTES = 8 * 1024 * 1024
/** What the GitHub token needs, named in every refusal. */
export const PERMISSION = '`actions: read`'
/** GitHub asks a client over a secondary rate limit without Retry-After to wait a minute. */
const SECONDARY_WAIT_MS = 60_000

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value)
const text = (value: unknown): string | null => (typeof value === 'string' ? value : null)
/** A value from GitHub, made one short plain line for the log (no workflow command in it). */
export const oneLine = (value: string): string =>
  neutralise(value).replace(/\s+/g, ' ').trim().slice(0, 200)

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

function toJob(job: Record<string, unknown>): Job {
  const attempt = job.run_attempt
  return {
    name: text(job.name) ?? '',
    attempt: Number.isSafeInteger(attempt) && (attempt as number) > 0 ? (attempt as number) : 1,
    steps: Array.isArray(job.steps)
      ? job.steps.filter(isObject).map((step) => ({
          name: text(step.name) ?? '',
          status: text(step.status) ?? 'unknown',
          conclusion: text(step.conclusion),
          startedAt: text(step.started_at)
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
  const names = [...new Set(jobs.flatMap((job) => job.steps.map((step) => oneLine(step.name))))]
  if (!names.length) return 'none'
  const shown = names.slice(0, max).map((name) => `'${name.slice(0, 60)}'`)
  return names.length > max
    ? `${shown.join(', ')} and ${names.length - max} more`
    : shown.join(', ')
}

/** GitHub's rate limit: a 429, or a 403 with no requests left or a secondary-limit message. */
function isRateLimit(status: number, headers: Headers, text: string): boolean {
  return (
    status === 429 ||
    (status === 403 && (headers.get('x-ratelimit-remaining') === '0' || /rate limit/i.test(text)))
  )
}

/** When the rate limit resets (x-ratelimit-reset, epoch seconds), if GitHub gave a usable time. */
function resetAt(headers: Headers): number | undefined {
  const reset = Number(headers.get('x-ratelimit-reset'))
  // Before 1 January 5138: a time any Date can show.
  return Number.isInteger(reset) && reset > 0 && reset < 1e11 ? reset * 1000 : undefined
}

/** How long a rate limit asks to wait: Retry-After, else until x-ratelimit-reset, else a minute. */
function rateLimitWait(headers: Headers, now: number): number {
  const reset = resetAt(headers)
  return (
    parseRetryAfter(headers.get('retry-after') ?? undefined, now) ??
    (reset === undefined ? SECONDARY_WAIT_MS : Math.max(0, reset - now))
  )
}

/** An answer worth another request (5xx, rate limit), kept to give Octokit if none comes. */
class RetryableAnswer extends ApiError {
  constructor(
    operation: string,
    status: number,
    message: string,
    retryAfterMs: number | undefined,
    readonly response: Response,
    /** A rate limit: GitHub refused the request before acting on it. */
    readonly rateLimited = false
  ) {
    super(operation, status, message, retryAfterMs)
  }
}

/** The headers Octokit and the retries read; the rest (e.g. `deprecation`, which Octokit logs) stay out. */
const KEPT_HEADERS = new Set([
  'link',
  'content-type',
  'retry-after',
  'x-ratelimit-remaining',
  'x-ratelimit-reset'
])

/**
 * The fetch Octokit is given: every request to the API's origin only, no redirect followed, each
 * answer read within `maxBodyBytes` and the request's share of the deadline, scrubbed of the
 * token; 5xx, network failures and rate limits retried within the deadline.
 */
function guardedFetch(options: GitHubOptions): Fetch {
  const { clock, signal, deadline, log } = options
  const origin = new URL(options.apiUrl).origin
  const scrub = scrubber(options.token)
  const maxBodyBytes = options.maxBodyBytes ?? MAX_BODY_BYTES
  const requestTimeoutMs = options.requestTimeoutMs ?? 30_000
  const inner: Fetch =
    options.fetch ??
    ((url, init) =>
      undiciFetch(url, {
        ...(init as object),
        dispatcher: options.dispatcher
      }) as unknown as Promise<Response>)

  /** The body, within the cap; scrubbed of the token in every string (JSON) or as a whole. */
  async function read(operation: string, response: Response): Promise<string> {
    const chunks: Uint8Array[] = []
    let size = 0
    for await (const chunk of response.body ?? []) {
      size += (chunk as Uint8Array).length
      // Throwing ends the loop, which cancels the rest of the body.
      if (size > maxBodyBytes) {
        throw new TransportError(
          operation,
          `the answer was larger than ${maxBodyBytes} bytes`,
          false
        )
      }
      chunks.push(chunk as Uint8Array)
    }
    const body = withoutBom(Buffer.concat(chunks).toString('utf8'))
    try {
      return JSON.stringify(scrubJson(JSON.parse(body), scrub))
    } catch {
      return scrub(body)
    }
  }

  async function once(operation: string, url: string, init: RequestInit): Promise<Response> {
    // Each request's share: at most requestTimeoutMs, and a third of the time left, so that a
    // hung request leaves time to retry it.
    const budget = Math.floor(
      Math.max(1000, Math.min(requestTimeoutMs, (deadline - clock.now()) / 3))
    )
    const timeout = AbortSignal.timeout(budget)
    try {
      const response = await inner(url, {
        ...init,
        redirect: 'manual',
        signal: AbortSignal.any([signal, timeout])
      })
      const { status } = response
      if (status >= 300 && status < 400) {
        await response.body?.cancel()
        throw new TransportError(
          operation,
          `the API answered HTTP ${status}, a redirect; redirects are not followed, so that github_token is only sent to ${origin}`,
          false
        )
      }
      const body = await read(operation, response)
      const headers = new Headers([...response.headers].filter(([name]) => KEPT_HEADERS.has(name)))
      const answer = new Response(status === 204 || status === 205 ? null : body, {
        status,
        headers
      })
      // Octokit's pagination reads the answer's URL.
      Object.defineProperty(answer, 'url', { value: url })
      const again = (wait: number | undefined, rateLimited = false): RetryableAnswer =>
        new RetryableAnswer(
          operation,
          status,
          errorMessage(body, status),
          wait,
          answer,
          rateLimited
        )
      if (isRateLimit(status, headers, body)) throw again(rateLimitWait(headers, clock.now()), true)
      if ([500, 502, 503, 504].includes(status)) {
        throw again(parseRetryAfter(headers.get('retry-after') ?? undefined, clock.now()))
      }
      return answer
    } catch (error) {
      if (signal.aborted) throw new CancelledError()
      if (error instanceof ActionError) throw error
      if (timeout.aborted) {
        throw new TransportError(operation, `no answer within ${formatDuration(budget)}`, true)
      }
      throw new TransportError(operation, scrub(networkReason(error)), true)
    }
  }

  return async (url, init) => {
    const target = new URL(url)
    const method = (init.method ?? 'GET').toUpperCase()
    const verb = method === 'GET' ? 'read' : 'send'
    const operation = `${verb} ${scrub(target.pathname)} ${verb === 'read' ? 'from' : 'to'} the GitHub API`
    if (target.origin !== origin) {
      throw new TransportError(
        operation,
        `the API pointed to another origin (${scrub(target.origin)}); github_token is only sent to ${origin}`,
        false
      )
    }
    try {
      return await retry(() => once(operation, url, init), {
        ...API_BACKOFF,
        deadline,
        clock,
        random: options.random,
        signal,
        // A request that creates something (POST) is sent again only after a rate limit, which
        // GitHub answers before acting: after a 5xx or a lost answer it may have acted already.
        shouldRetry: (error) =>
          (error instanceof RetryableAnswer || isTransient(error)) &&
          (method === 'GET' || (error instanceof RetryableAnswer && error.rateLimited)),
        onRetry: ({ attempt, error, delayMs }) =>
          log.info(retryLine((error as Error).message, delayMs, attempt))
      })
    } catch (error) {
      // The last answer goes to Octokit, which makes it an error with its status and headers.
      if (error instanceof RetryableAnswer) return error.response
      throw error
    }
  }
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
      `Could not ${what}: ${oneLine(error instanceof Error ? error.message : String(error))}.`
    )
  }
  const message = isObject(response.data) ? text(response.data.message) : null
  const detail = `HTTP ${status}${message ? `: ${oneLine(message).replace(/\.$/, '')}` : ''}`
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
