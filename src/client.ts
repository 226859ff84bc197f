import { STATUS_CODES } from 'node:http'
import { Agent, EnvHttpProxyAgent, request, type Dispatcher } from 'undici'
import { type Backup, type Server, isBackup, isPage, isServer } from './api-types.js'
import type { Clock } from './clock.js'
import { formatDuration } from './duration.js'
import { ApiError, CancelledError, TransportError } from './errors.js'
import type { Logger } from './log.js'
import { isTransient, retry } from './retry.js'

export interface ClientOptions {
  apiUrl: string
  token: string
  dispatcher: Dispatcher
  clock: Clock
  random: () => number
  /** Aborts every request and sleep: the workflow was cancelled. */
  signal: AbortSignal
  /** No request starts, and no retry waits, past this instant. */
  deadline: number
  log: Logger
  userAgent: string
  requestTimeoutMs?: number
  maxAttempts?: number
  maxBodyBytes?: number
}

type Headers = Record<string, string | string[] | undefined>

/**
 * What the API answered to a restore request: the server when the restore has already finished
 * (200), and when it was accepted by the API's own clock (its Date header, whole seconds).
 */
export interface RestoreAnswer {
  server?: Server
  acceptedAt?: number
}

/**
 * undici's EnvHttpProxyAgent, given HTTPS_PROXY, HTTP_PROXY and NO_PROXY from `env` (lower case
 * first, as curl does). It is created only when a proxy is configured, because it prints an
 * "experimental" warning.
 */
export function dispatcherFor(env: NodeJS.ProcessEnv): Dispatcher {
  const httpProxy = env.http_proxy || env.HTTP_PROXY
  const httpsProxy = env.https_proxy || env.HTTPS_PROXY
  const noProxy = env.no_proxy ?? env.NO_PROXY ?? ''
  return httpProxy || httpsProxy
    ? new EnvHttpProxyAgent({ httpProxy, httpsProxy, noProxy })
    : new Agent()
}

/** Milliseconds to wait from a Retry-After header: delta-seconds or an HTTP date. */
export function parseRetryAfter(value: string | undefined, now: number): number | undefined {
  if (!value) return undefined
  const text = value.trim()
  if (/^\d+$/.test(text)) return Number(text) * 1000
  // An HTTP date starts with the day's name (IMF-fixdate, RFC 850, asctime); Date.parse alone
  // would also take "1.5" or "-5" for dates long past.
  const date = /^[A-Za-z]{3}/.test(text) ? Date.parse(text) : Number.NaN
  return Number.isNaN(date) ? undefined : Math.max(0, date - now)
}

/** The server's own words from an error body: DRF `detail`, `message`, `error`, field errors. */
export function errorMessage(body: string, statusText: string): string {
  const text = body.trim()
  if (!text) return statusText || 'empty response'
  try {
    const json: unknown = JSON.parse(text)
    if (json && typeof json === 'object' && !Array.isArray(json)) {
      const record = json as Record<string, unknown>
      for (const key of ['detail', 'message', 'error']) {
        if (typeof record[key] === 'string') return oneLine(record[key])
      }
      const fields = Object.entries(record).map(([field, value]) => {
        const messages = Array.isArray(value) ? value.join(' ') : String(value)
        return field === 'non_field_errors' ? messages : `${field}: ${messages}`
      })
      if (fields.length) return oneLine(fields.join('; '))
    }
  } catch {
    // not JSON: a proxy or load balancer answered
  }
  if (/^\s*</.test(text)) {
    const title = /<title[^>]*>([^<]*)<\/title>/i.exec(text)?.[1]?.trim()
    return `${statusText || 'error'} (an HTML page${title ? ` titled "${oneLine(title)}"` : ''}, likely from a proxy or load balancer)`
  }
  return oneLine(text)
}

function oneLine(text: string): string {
  const line = text.replace(/\s+/g, ' ').trim()
  return line.length > 300 ? `${line.slice(0, 299)}…` : line
}

/** A proxy that refused to connect us, e.g. `Proxy response (407) !== 200 when HTTP Tunneling`. */
const PROXY_REFUSAL = /Proxy response \((\d{3})\)/

export function networkReason(error: unknown): string {
  const cause = error instanceof Error && error.cause instanceof Error ? error.cause : error
  const code = (cause as { code?: unknown } | undefined)?.code
  const message = cause instanceof Error ? cause.message : String(cause)
  return `network error: ${typeof code === 'string' ? `${code} ` : ''}${message}`.trim()
}

/** The VPS.org API client: the only place that speaks HTTP. */
export class VpsOrgClient {
  private readonly base: URL
  private readonly requestTimeoutMs: number
  private readonly maxAttempts: number
  private readonly maxBodyBytes: number

  constructor(private readonly options: ClientOptions) {
    this.base = new URL(`${options.apiUrl}/`)
    this.requestTimeoutMs = options.requestTimeoutMs ?? 30_000
    this.maxAttempts = options.maxAttempts ?? 5
    this.maxBodyBytes = options.maxBodyBytes ?? 4 * 1024 * 1024
  }

  /**
   * Runs `operation` with capped exponential backoff while it fails transiently (429, 5xx,
   * network), within the attempt count and the deadline; logs each retry.
   */
  retrying<T>(operation: (attempt: number) => Promise<T>): Promise<T> {
    const { clock, random, signal, deadline, log } = this.options
    return retry(operation, {
      maxAttempts: this.maxAttempts,
      baseDelayMs: 1000,
      maxDelayMs: 30_000,
      deadline,
      clock,
      random,
      signal,
      shouldRetry: isTransient,
      onRetry: ({ attempt, error, delayMs }) =>
        log.info(
          `${(error as Error).message}; retrying in ${formatDuration(delayMs)} (attempt ${attempt + 1} of ${this.maxAttempts})`
        )
    })
  }

  /**
   * Every backup of a server (all pages), optionally of one type. The API filters, and so does
   * this method: a backup of another server (or type) is never returned, even by an API that
   * ignores the filters, so nothing built on this list can act across servers.
   */
  async listBackups(serverId: number, backupType?: 'manual'): Promise<Backup[]> {
    const url = this.url('backups/')
    url.searchParams.set('server_id', String(serverId))
    if (backupType) url.searchParams.set('backup_type', backupType)
    const operation = `list the backups of server ${serverId}`
    const backups: Backup[] = []
    const seen = new Set<string>()
    for (let next: URL | undefined = url; next;) {
      if (seen.has(next.href) || seen.size >= 1000) {
        throw new TransportError(operation, 'the API paginates in a loop', false)
      }
      seen.add(next.href)
      const page = await this.retrying(() => this.send(operation, 'GET', next!))
      if (!isPage(page, isBackup)) throw this.unexpected(operation)
      backups.push(
        ...page.results.filter(
          (b) => b.server.id === serverId && (!backupType || b.backup_type === backupType)
        )
      )
      next = page.next ? this.sameOrigin(operation, page.next) : undefined
    }
    return backups
  }

  /** One attempt: a create is not idempotent, so the caller decides how to retry it. */
  async createBackup(serverId: number, description: string): Promise<Backup> {
    const operation = `create a backup of server ${serverId}`
    const body = { server_id: serverId, description }
    const backup = await this.send(operation, 'POST', this.url('backups/'), body)
    if (!isBackup(backup)) throw this.unexpected(operation)
    return backup
  }

  /** Deletes a backup; `false` when it was already gone (404). */
  async deleteBackup(backupId: number): Promise<boolean> {
    const operation = `delete backup ${backupId}`
    try {
      await this.retrying(() => this.send(operation, 'DELETE', this.url(`backups/${backupId}/`)))
      return true
    } catch (error) {
      if (error instanceof ApiError && error.status === 404) return false
      throw error
    }
  }

  async getServer(serverId: number): Promise<Server> {
    const operation = `read the status of server ${serverId}`
    const server = await this.retrying(() =>
      this.send(operation, 'GET', this.url(`servers/${serverId}/`))
    )
    if (!isServer(server)) throw this.unexpected(operation)
    return server
  }

  /**
   * One attempt: a restore must never be sent twice blindly, so the caller decides.
   */
  async restore(serverId: number, backupId: number): Promise<RestoreAnswer> {
    const operation = `restore server ${serverId} from backup ${backupId}`
    const url = this.url(`servers/${serverId}/restore/`)
    const answer = await this.exchange(operation, 'POST', url, { backup_id: backupId })
    const acceptedAt = Date.parse(String(answer.headers.date ?? ''))
    return {
      server: answer.status === 200 && isServer(answer.json) ? answer.json : undefined,
      acceptedAt: Number.isNaN(acceptedAt) ? undefined : acceptedAt
    }
  }

  private url(path: string): URL {
    return new URL(path, this.base)
  }

  private sameOrigin(operation: string, link: string): URL {
    const url = new URL(link, this.base)
    if (url.origin !== this.base.origin) {
      throw new TransportError(
        operation,
        `the API pointed to another origin (${url.origin}); the token is only sent to ${this.base.origin}`,
        false
      )
    }
    return url
  }

  private unexpected(operation: string): TransportError {
    return new TransportError(
      operation,
      'the answer does not have the shape the API documents',
      false
    )
  }

  private async send(
    operation: string,
    method: string,
    url: URL,
    body?: unknown
  ): Promise<unknown> {
    return (await this.exchange(operation, method, url, body)).json
  }

  /** One HTTP exchange: 2xx gives the parsed body (undefined if empty), anything else an error. */
  private async exchange(
    operation: string,
    method: string,
    url: URL,
    body?: unknown
  ): Promise<{ status: number; headers: Headers; json: unknown }> {
    const { clock, signal, token, dispatcher, log } = this.options
    if (signal.aborted) throw new CancelledError()
    // Each request has its own timeout: at most requestTimeoutMs, and a third of the time left,
    // so that a hung request leaves time to retry it within the step's timeout.
    const left = this.options.deadline - clock.now()
    const budget = Math.floor(Math.max(1000, Math.min(this.requestTimeoutMs, left / 3)))
    const timeout = AbortSignal.timeout(budget)
    log.debug(`${method} ${url.pathname}${url.search}`)
    let status: number
    let headers: Headers
    let text: string
    try {
      const response = await request(url, {
        method: method as Dispatcher.HttpMethod,
        dispatcher,
        signal: AbortSignal.any([signal, timeout]),
        headers: {
          authorization: `Bearer ${token}`,
          'content-type': 'application/json',
          accept: 'application/json',
          'user-agent': this.options.userAgent
        },
        body: body === undefined ? undefined : JSON.stringify(body)
      })
      status = response.statusCode
      headers = response.headers
      text = await this.read(operation, response.body)
    } catch (error) {
      if (signal.aborted) throw new CancelledError()
      if (error instanceof TransportError) throw error
      if (timeout.aborted) {
        throw new TransportError(operation, `no answer within ${formatDuration(budget)}`, true)
      }
      const proxyStatus = PROXY_REFUSAL.exec(String((error as Error).message))?.[1]
      if (proxyStatus === '407') {
        throw new TransportError(
          operation,
          'the proxy asked for credentials (HTTP 407): check the user and password in HTTPS_PROXY / HTTP_PROXY',
          false
        )
      }
      throw new TransportError(operation, networkReason(error), true)
    }
    log.debug(`${method} ${url.pathname}${url.search} -> ${status}`)
    if (status >= 300 && status < 400) {
      throw new TransportError(
        operation,
        `the API answered HTTP ${status} with a redirect to ${String(headers.location ?? 'nowhere')}; redirects are not followed so that the token is only sent to api_url (set api_url to the final address)`,
        false
      )
    }
    if (status >= 400) {
      const retryAfter = parseRetryAfter(String(headers['retry-after'] ?? ''), clock.now())
      throw new ApiError(
        operation,
        status,
        errorMessage(text, STATUS_CODES[status] ?? ''),
        retryAfter
      )
    }
    if (!text.trim()) return { status, headers, json: undefined }
    try {
      return { status, headers, json: JSON.parse(text) }
    } catch {
      throw new TransportError(operation, `HTTP ${status} with a body that is not JSON`, true)
    }
  }

  /** Reads a body up to the size cap. */
  private async read(operation: string, body: AsyncIterable<Buffer> & { destroy(): void }) {
    const chunks: Buffer[] = []
    let size = 0
    for await (const chunk of body) {
      size += chunk.length
      if (size > this.maxBodyBytes) {
        body.destroy()
        throw new TransportError(
          operation,
          `the answer was larger than ${this.maxBodyBytes} bytes`,
          false
        )
      }
      chunks.push(chunk)
    }
    return Buffer.concat(chunks).toString('utf8')
  }
}
