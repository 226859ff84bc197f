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
 * and the Deployments API the ledger (`environment`) uses, as GitHub documents it:
 *
 *   GET  /repos/{owner}/{repo}/deployments                 -> newest first, filtered by `sha`, `ref`,
 *                                                             `task`, `environment`; `per_page`/`page`
 *   POST /repos/{owner}/{repo}/deployments                 -> 201 and the deployment (`ref`, `task`,
 *                                                             `environment`, `payload`, …)
 *   GET  /repos/{owner}/{repo}/deployments/{id}            -> the deployment, or 404
 *   GET  /repos/{owner}/{repo}/deployments/{id}/statuses   -> newest first, `per_page`/`page`
 *   POST /repos/{owner}/{repo}/deployments/{id}/statuses   -> 201; 422 for a description over 140
 *                                                             characters or an unknown state
 *
 * Every request is recorded with all its headers (and its JSON body). A request without the token answers 401;
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
  /** Answer every Deployments API request with this status, as for a token without `deployments: write`. */
  refuseDeployments?: 403 | 404
}

export interface FakeDeploymentStatus {
  id: number
  state: string
  description: string
  log_url: string
  environment: string
  created_at: string
}

export interface FakeDeployment {
  id: number
  /** `owner/repo`. */
  repository: string
  sha: string
  ref: string
  task: string
  environment: string
  payload: unknown
  description: string | null
  created_at: string
  /** Oldest first. */
  statuses: FakeDeploymentStatus[]
}

/** The states a deployment status may have (GitHub's list). */
const STATES = ['error', 'failure', 'inactive', 'in_progress', 'queued', 'pending', 'success']

export interface GitHubRequest {
  method: string
  path: string
  query: Record<string, string>
  headers: IncomingMessage['headers']
  /** The JSON body of a POST, parsed. */
  body?: unknown
}

export class FakeGitHub {
  readonly requests: GitHubRequest[] = []
  /** Every deployment, oldest first (ids grow). */
  readonly deployments: FakeDeployment[] = []
  #nextId = 1000
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

  /** A deployment made elsewhere (an earlier run), with its statuses, oldest first. */
  addDeployment(
    deployment: Partial<Omit<FakeDeployment, 'statuses'>> & {
      sha: string
      environment: string
      statuses?: Array<Partial<FakeDeploymentStatus> & { state: string }>
    }
  ): FakeDeployment {
    const id = ++this.#nextId
    const added: FakeDeployment = {
      repository: 'acme/shop',
      ref: deployment.sha,
      task: 'deploy',
      payload: {},
      description: null,
      created_at: new Date().toISOString(),
      ...deployment,
      id,
      statuses: (deployment.statuses ?? []).map((status) => ({
        id: ++this.#nextId,
        description: '',
        log_url: '',
        environment: deployment.environment,
        created_at: new Date().toISOString(),
        ...status
      }))
    }
    this.deployments.push(added)
    return added
  }

  /** The requests to the Deployments API. */
  get deploymentRequests(): GitHubRequest[] {
    return this.requests.filter((r) => /^\/repos\/[^/]+\/[^/]+\/deployments/.test(r.path))
  }

  async close(): Promise<void> {
    await new Promise<void>((resolve) => {
      this.#http.close(() => resolve())
      this.#http.closeAllConnections()
    })
  }

  #onRequest(req: IncomingMessage, res: ServerResponse): void {
    const chunks: Buffer[] = []
    req.on('data', (chunk: Buffer) => chunks.push(chunk))
    req.on('end', () => this.#answer(req, res, Buffer.concat(chunks).toString('utf8')))
  }

  #answer(req: IncomingMessage, res: ServerResponse, text: string): void {
    const url = new URL(req.url ?? '/', this.url)
    let body: unknown
    try {
      body = text ? JSON.parse(text) : undefined
    } catch {
      body = text
    }
    this.requests.push({
      method: req.method ?? 'GET',
      path: url.pathname,
      query: Object.fromEntries(url.searchParams),
      headers: req.headers,
      ...(body === undefined ? {} : { body })
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
    const deployments = /^\/repos\/([^/]+\/[^/]+)\/deployments(?:\/(\d+)(\/statuses)?)?$/.exec(
      url.pathname
    )
    if (deployments) return this.#deployments(req.method ?? 'GET', url, deployments, body, send)
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
    const jobs = this.#jobsPage(run, url, htmlUrl)
    send(200, jobs.body, jobs.headers)
  }

  /** The Deployments API. */
  #deployments(
    method: string,
    url: URL,
    [, repository, id, statuses]: RegExpExecArray,
    body: unknown,
    send: (status: number, body: unknown) => void
  ): void {
    const refuse = this.#options.refuseDeployments ?? this.#options.refuse
    if (refuse === 403) {
      return send(403, { message: 'Resource not accessible by integration', status: '403' })
    }
    const notFound = (): void => send(404, { message: 'Not Found', status: '404' })
    if (refuse === 404) return notFound()
    const input = (typeof body === 'object' && body !== null ? body : {}) as Record<string, unknown>
    const invalid = (field: string, message: string): void =>
      send(422, {
        message: 'Validation Failed',
        errors: [{ resource: 'Deployment', code: 'custom', field, message }],
        status: '422'
      })
    const { searchParams } = url
    const page = <T>(items: T[]): T[] => {
      const perPage = Math.min(Number(searchParams.get('per_page') ?? 30), 100)
      const number = Number(searchParams.get('page') ?? 1)
      return items.slice((number - 1) * perPage, number * perPage)
    }
    const own = this.deployments.filter(
      (d) => d.repository.toLowerCase() === repository!.toLowerCase()
    )
    if (id === undefined) {
      if (method === 'GET') {
        const filters = ['sha', 'ref', 'task', 'environment'] as const
        const listed = own
          .filter((d) => filters.every((f) => !searchParams.has(f) || d[f] === searchParams.get(f)))
          .reverse()
        return send(
          200,
          page(listed).map((d) => this.#deploymentJson(d))
        )
      }
      if (method !== 'POST') return notFound()
      if (typeof input.ref !== 'string' || !input.ref) return invalid('ref', 'ref is required')
      const sha = /^[0-9a-f]{40}$/.test(input.ref) ? input.ref : '0'.repeat(40)
      const created = this.addDeployment({
        repository: repository!,
        sha,
        ref: input.ref,
        task: typeof input.task === 'string' ? input.task : 'deploy',
        environment: typeof input.environment === 'string' ? input.environment : 'production',
        payload: input.payload ?? {},
        description: typeof input.description === 'string' ? input.description : null
      })
      return send(201, this.#deploymentJson(created))
    }
    const deployment = own.find((d) => String(d.id) === id)
    if (!deployment) return notFound()
    if (!statuses)
      return method === 'GET' ? send(200, this.#deploymentJson(deployment)) : notFound()
    if (method === 'GET') {
      return send(
        200,
        page([...deployment.statuses].reverse()).map((s) => this.#statusJson(deployment, s))
      )
    }
    if (method !== 'POST') return notFound()
    const state = input.state
    if (typeof state !== 'string' || !STATES.includes(state)) {
      return invalid('state', `state is not included in the list`)
    }
    const description = typeof input.description === 'string' ? input.description : ''
    if ([...description].length > 140) {
      return invalid('description', 'description is too long (maximum is 140 characters)')
    }
    const status: FakeDeploymentStatus = {
      id: ++this.#nextId,
      state,
      description,
      log_url: typeof input.log_url === 'string' ? input.log_url : '',
      environment: deployment.environment,
      created_at: new Date().toISOString()
    }
    deployment.statuses.push(status)
    send(201, this.#statusJson(deployment, status))
  }

  #deploymentJson(d: FakeDeployment): unknown {
    const { repository, ...fields } = d
    delete (fields as Partial<FakeDeployment>).statuses
    return {
      url: `${this.url}/repos/${repository}/deployments/${d.id}`,
      node_id: `DE_${d.id}`,
      ...fields,
      original_environment: d.environment,
      creator: { login: 'github-actions[bot]' },
      statuses_url: `${this.url}/repos/${repository}/deployments/${d.id}/statuses`
    }
  }

  #statusJson(d: FakeDeployment, s: FakeDeploymentStatus): unknown {
    return {
      url: `${this.url}/repos/${d.repository}/deployments/${d.id}/statuses/${s.id}`,
      ...s,
      target_url: s.log_url,
      deployment_url: `${this.url}/repos/${d.repository}/deployments/${d.id}`,
      creator: { login: 'github-actions[bot]' }
    }
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
