/**
 * A fake of the few GitHub REST API endpoints the action reads (`only_if_step_started`), on
 * loopback, for the end-to-end tests: point GITHUB_API_URL at `url` and @actions/github's real
 * Octokit talks to it.
 *
 *   GET /repos/{owner}/{repo}/actions/runs/{run_id}        -> the run, or 404 (as GitHub: a run
 *                                                             of another repository is not found)
 *   GET /repos/{owner}/{repo}/actions/runs/{run_id}/jobs   -> {total_count, jobs}, paginated with
 *                                                             `per_page`/`page` and a Link header;
 *                                                             `filter=latest` (GitHub's default):
 *                                                             the latest attempt's jobs only,
 *                                                             `filter=all`: every attempt's
 *
 * Every request is recorded with all its headers. A request without the token answers 401;
 * `refuse` answers every request with 403 or 404, as GitHub does for a token without
 * `actions: read`. Faults for the tests: `answerNext` queues answers (a 502, a rate limit) given
 * before the real ones, `linkTo` points the jobs' next-page link at another origin, `padBytes`
 * makes every jobs page that much larger.
 */
import { type IncomingMessage, type ServerResponse, createServer } from 'node:http'
import type { AddressInfo } from 'node:net'

export interface FakeStep {
  name: string
  /** `queued`, `in_progress`, `completed`. */
  status: string
  /** `success`, `failure`, `cancelled`, `skipped`, or null while not completed. */
  conclusion: string | null
  started_at?: string | null
}

export interface FakeJob {
  name: string
  /** The run attempt the job ran in; default 1. */
  attempt?: number
  steps: FakeStep[]
}

/** An answer given instead of the real one (see answerNext). */
export interface FakeAnswer {
  status: number
  body?: unknown
  /** The body as it is, instead of `body` as JSON. */
  raw?: string
  headers?: Record<string, string>
}

export interface FakeRun {
  id: number
  /** `owner/repo`: the repository the run belongs to (its `repository.full_name`). */
  repository: string
  /** The repository under whose path the API serves it; default `repository`. */
  servedUnder?: string
  status: string
  conclusion: string | null
  jobs: FakeJob[]
}

export interface FakeGitHubOptions {
  token: string
  runs: FakeRun[]
  /** Jobs per page at most, whatever `per_page` asks (GitHub: 100). Default 100. */
  pageSize?: number
  /** Answer every request with this status, as for a token without `actions: read`. */
  refuse?: 403 | 404
  /** The jobs' next-page link points to this origin instead (e.g. `https://evil.example`). */
  linkTo?: string
  /** Every jobs page carries this many more bytes (a `padding` string). */
  padBytes?: number
}

export interface GitHubRequest {
  method: string
  path: string
  query: Record<string, string>
  headers: IncomingMessage['headers']
}

export class FakeGitHub {
  readonly requests: GitHubRequest[] = []
  readonly #http = createServer((req, res) => this.#onRequest(req, res))
  readonly #options: FakeGitHubOptions
  readonly #queued: FakeAnswer[] = []

  private constructor(options: FakeGitHubOptions) {
    this.#options = options
  }

  static async start(options: FakeGitHubOptions): Promise<FakeGitHub> {
    const fake = new FakeGitHub(options)
    await new Promise<void>((resolve) => fake.#http.listen(0, '127.0.0.1', resolve))
    return fake
  }

  /** The API base, for GITHUB_API_URL. */
  get url(): string {
    return `http://127.0.0.1:${(this.#http.address() as AddressInfo).port}`
  }

  /** The next requests (after the token check) get these answers, in order, then the real ones. */
  answerNext(...answers: FakeAnswer[]): void {
    this.#queued.push(...answers)
  }

  async close(): Promise<void> {
    await new Promise<void>((resolve) => {
      this.#http.close(() => resolve())
      this.#http.closeAllConnections()
    })
  }

  #onRequest(req: IncomingMessage, res: ServerResponse): void {
    const url = new URL(req.url ?? '/', this.url)
    this.requests.push({
      method: req.method ?? 'GET',
      path: url.pathname,
      query: Object.fromEntries(url.searchParams),
      headers: req.headers
    })
    const send = (status: number, body: unknown, headers: Record<string, string> = {}): void => {
      res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', ...headers })
      res.end(JSON.stringify(body))
    }
    const auth = req.headers.authorization ?? ''
    if (auth !== `token ${this.#options.token}` && auth !== `Bearer ${this.#options.token}`) {
      return send(401, { message: 'Bad credentials', status: '401' })
    }
    const queued = this.#queued.shift()
    if (queued?.raw !== undefined) {
      res.writeHead(queued.status, queued.headers)
      return void res.end(queued.raw)
    }
    if (queued) return send(queued.status, queued.body ?? {}, queued.headers)
    if (this.#options.refuse === 403) {
      return send(403, { message: 'Resource not accessible by integration', status: '403' })
    }
    const match = /^\/repos\/([^/]+\/[^/]+)\/actions\/runs\/(\d+)(\/jobs)?$/.exec(url.pathname)
    const run = this.#options.runs.find(
      (r) =>
        match !== null &&
        String(r.id) === match[2] &&
        (r.servedUnder ?? r.repository).toLowerCase() === match[1]!.toLowerCase()
    )
    if (req.method !== 'GET' || !run || this.#options.refuse === 404) {
      return send(404, { message: 'Not Found', status: '404' })
    }
    const htmlUrl = `https://github.com/${run.repository}/actions/runs/${run.id}`
    if (!match![3]) {
      return send(200, {
        id: run.id,
        html_url: htmlUrl,
        status: run.status,
        conclusion: run.conclusion,
        repository: { full_name: run.repository }
      })
    }
    const { body, headers } = this.#jobsPage(run, url, htmlUrl)
    send(200, body, headers)
  }

  /** A page of the run's jobs, with a Link header to the next one. */
  #jobsPage(
    run: FakeRun,
    url: URL,
    htmlUrl: string
  ): { body: unknown; headers: Record<string, string> } {
    const perPage = Math.min(
      Number(url.searchParams.get('per_page') ?? 30),
      this.#options.pageSize ?? 100
    )
    const page = Number(url.searchParams.get('page') ?? 1)
    const latest = Math.max(1, ...run.jobs.map((job) => job.attempt ?? 1))
    const listed =
      url.searchParams.get('filter') === 'all'
        ? run.jobs
        : run.jobs.filter((job) => (job.attempt ?? 1) === latest)
    const jobs = listed.slice((page - 1) * perPage, page * perPage)
    const headers: Record<string, string> = {}
    if (page * perPage < listed.length) {
      const next = new URL(url.pathname + url.search, this.#options.linkTo ?? url.origin)
      next.searchParams.set('page', String(page + 1))
      headers.link = `<${next.href}>; rel="next"`
    }
    const body = {
      total_count: listed.length,
      jobs: jobs.map((job, i) => ({
        id: run.id * 1000 + (page - 1) * perPage + i,
        run_id: run.id,
        run_attempt: job.attempt ?? 1,
        name: job.name,
        html_url: `${htmlUrl}/job/${i}`,
        steps: job.steps.map((step, number) => ({ number: number + 1, ...step }))
      })),
      ...(this.#options.padBytes ? { padding: 'x'.repeat(this.#options.padBytes) } : {})
    }
    return { body, headers }
  }
}
