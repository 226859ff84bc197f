import { request, type Dispatcher } from 'undici'
import { type Backup, type Server, parseBackup, parsePage, parseServer } from './api-types.js'
import {
  type Answer,
  TooLargeError,
  checkListing,
  interpret,
  pagesOf,
  readBody,
  requestFailure,
  sameOrigin,
  unexpected
} from './client-answer.js'
import type { Clock } from '../common/clock.js'
import { ApiError, TransportError } from '../common/errors.js'
import { RequestGate } from './gate.js'
import type { Logger } from '../common/log.js'
import { API_BACKOFF, isTransient, retry, retryLine } from './retry.js'
import { type Scrub, scrubber } from '../common/untrusted.js'

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
  /** Attempts in all of an idempotent request (reads, listings). */
  maxAttempts?: number
  maxBodyBytes?: number
  /** A listing reads at most this many pages, and this many bytes in all. */
  maxPages?: number
  maxListBytes?: number
  /**
   * The gate every request goes through (at most MAX_IN_FLIGHT in flight, a 429 pauses all). By
   * default the client makes its own, which its withDeadline() copies share; pass one to share it
   * between clients of the same API.
   */
  gate?: RequestGate
}

/** What the API answered to a restore request: the server when the restore has already finished (200). */
export interface RestoreAnswer {
  server?: Server
}

/** The VPS.org API client: the only place that speaks HTTP. */
export class VpsOrgClient {
  private readonly base: URL
  private readonly requestTimeoutMs: number
  private readonly maxAttempts: number
  private readonly maxBodyBytes: number
  private readonly maxPages: number
  private readonly maxListBytes: number
  /** Applied to every text the API sends, before anything else sees it. */
  private readonly scrub: Scrub
  private readonly gate: RequestGate

  constructor(private readonly options: ClientOptions) {
    this.base = new URL(`${options.apiUrl}/`)
    this.requestTimeoutMs = options.requestTimeoutMs ?? 30_000
    this.maxAttempts = options.maxAttempts ?? API_BACKOFF.maxAttempts
    this.maxBodyBytes = options.maxBodyBytes ?? 4 * 1024 * 1024
    this.maxPages = options.maxPages ?? 1000
    this.maxListBytes = options.maxListBytes ?? 64 * 1024 * 1024
    this.scrub = scrubber(options.token)
    this.gate = options.gate ?? new RequestGate(options.clock, options.log)
  }

  /**
   * Runs an idempotent `operation` with capped exponential backoff while it fails transiently
   * (429, 5xx, network), within the attempt count and the deadline; logs each retry.
   */
  private retrying<T>(operation: () => Promise<T>): Promise<T> {
    const { clock, random, signal, deadline, log } = this.options
    return retry(operation, {
      ...API_BACKOFF,
      maxAttempts: this.maxAttempts,
      deadline,
      clock,
      random,
      signal,
      shouldRetry: isTransient,
      onRetry: ({ attempt, error, delayMs, paced }) =>
        log.info(
          retryLine(
            (error as Error).message,
            delayMs,
            paced ? undefined : attempt,
            this.maxAttempts
          )
        )
    })
  }

  /**
   * Every backup of a server (all pages), optionally of one type. The API filters, and so does
   * this method: a backup of another server (or type) is never returned, even by an API that
   * ignores the filters, so nothing built on this list can act across servers. `undefined`: the
   * backups of every server of the account (only to say whose a backup is, or to follow several
   * servers' backups at once).
   */
  async listBackups(serverId: number | undefined, backupType?: 'manual'): Promise<Backup[]> {
    return (await this.list(serverId, backupType, Infinity)).backups!
  }

  /**
   * listBackups, in at most `maxPages` requests. `backups` is undefined when the list takes more:
   * its first page's `count` says so (then only that page is read), or a `next` is left after the
   * last page allowed, or a page is larger than the size cap (the account's list without
   * pagination, say). `pages`: how many the list takes, as far as known (Infinity when a page was
   * too large, or no `count` said).
   */
  async listBackupsWithin(
    serverId: number | undefined,
    backupType: 'manual' | undefined,
    maxPages: number
  ): Promise<{ backups?: Backup[]; pages: number }> {
    try {
      return await this.list(serverId, backupType, maxPages)
    } catch (error) {
      if (error instanceof TooLargeError) return { pages: Infinity }
      throw error
    }
  }

  private async list(
    serverId: number | undefined,
    backupType: 'manual' | undefined,
    maxPages: number
  ): Promise<{ backups?: Backup[]; pages: number }> {
    const url = this.url('backups/')
    if (serverId !== undefined) url.searchParams.set('server_id', String(serverId))
    if (backupType) url.searchParams.set('backup_type', backupType)
    const operation = `list the backups of ${serverId === undefined ? 'the account' : `server ${serverId}`}`
    const backups: Backup[] = []
    const seen = new Set<string>()
    let bytes = 0
    for (let next: URL | undefined = url; next;) {
      if (seen.size >= maxPages) return { pages: Infinity }
      checkListing(operation, seen, next, bytes, {
        maxPages: this.maxPages,
        maxListBytes: this.maxListBytes,
        pastDeadline: () => this.options.clock.now() >= this.options.deadline
      })
      let answer: Answer
      try {
        answer = await this.retrying(() => this.exchange(operation, 'GET', next!))
      } catch (error) {
        // A page past the end: the list got shorter since its first page (page-number pagination).
        if (seen.size > 1 && error instanceof ApiError && error.status === 404) break
        throw error
      }
      bytes += answer.bytes
      const page = parsePage(answer.json, parseBackup)
      if (!page) throw unexpected(operation)
      const pages = seen.size === 1 ? pagesOf(page) : undefined
      if (pages !== undefined && pages > maxPages) return { pages }
      backups.push(
        ...page.results.filter(
          (b) =>
            (serverId === undefined || b.server.id === serverId) &&
            (!backupType || b.backup_type === backupType)
        )
      )
      next = page.next ? sameOrigin(operation, page.next, this.base) : undefined
    }
    return { backups, pages: seen.size }
  }

  /**
   * One attempt: a create is not idempotent, so the caller decides how to retry it. `undefined`:
   * the API answered 2xx (so it created a backup) without a usable one in the body.
   */
  async createBackup(serverId: number, description: string): Promise<Backup | undefined> {
    const operation = `create a backup of server ${serverId}`
    const body = { server_id: serverId, description }
    try {
      return parseBackup(await this.send(operation, 'POST', this.url('backups/'), body))
    } catch (error) {
      if (error instanceof TransportError && error.status !== undefined && error.status < 300) {
        return undefined
      }
      throw error
    }
  }

  /**
   * One attempt: `false` when the backup was already gone (404). The caller decides how to retry
   * it, since a 404 to a retry, after an attempt whose answer was lost, means that attempt deleted it.
   */
  async deleteBackup(backupId: number): Promise<boolean> {
    try {
      await this.send(`delete backup ${backupId}`, 'DELETE', this.url(`backups/${backupId}/`))
      return true
    } catch (error) {
      if (error instanceof ApiError && error.status === 404) return false
      throw error
    }
  }

  /** The same client with an earlier deadline, for work that must not take the whole timeout. */
  withDeadline(deadline: number): VpsOrgClient {
    return new VpsOrgClient({
      ...this.options,
      deadline: Math.min(deadline, this.options.deadline),
      gate: this.gate
    })
  }

  async getServer(serverId: number): Promise<Server> {
    const operation = `read the status of server ${serverId}`
    const server = parseServer(
      await this.retrying(() => this.send(operation, 'GET', this.url(`servers/${serverId}/`)))
    )
    if (!server) throw unexpected(operation)
    return server
  }

  /**
   * One attempt: a restore must never be sent twice blindly, so the caller decides.
   */
  async restore(serverId: number, backupId: number): Promise<RestoreAnswer> {
    const operation = `restore server ${serverId} from backup ${backupId}`
    const url = this.url(`servers/${serverId}/restore/`)
    const answer = await this.exchange(operation, 'POST', url, { backup_id: backupId })
    return { server: answer.status === 200 ? parseServer(answer.json) : undefined }
  }

  private url(path: string): URL {
    return new URL(path, this.base)
  }

  private async send(
    operation: string,
    method: string,
    url: URL,
    body?: unknown
  ): Promise<unknown> {
    return (await this.exchange(operation, method, url, body)).json
  }

  /**
   * One HTTP exchange: 2xx gives the parsed body (undefined if empty), anything else an error.
   * It holds a slot of the gate from before the request is sent until its body has been read.
   */
  private async exchange(
    operation: string,
    method: string,
    url: URL,
    body?: unknown
  ): Promise<Answer> {
    const { clock, signal, token, dispatcher, log, deadline } = this.options
    const release = await this.gate.enter(operation, signal, deadline)
    // Each request has its own timeout: at most requestTimeoutMs, and a third of the time left,
    // so that a hung request leaves time to retry it within the step's timeout.
    const left = deadline - clock.now()
    const budget = Math.floor(Math.max(1000, Math.min(this.requestTimeoutMs, left / 3)))
    const timeout = AbortSignal.timeout(budget)
    log.debug(`${method} ${url.pathname}${url.search}`)
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
      const raw = await readBody(operation, response.body, response.statusCode, this.maxBodyBytes)
      log.debug(`${method} ${url.pathname}${url.search} -> ${response.statusCode}`)
      return interpret(operation, response.statusCode, response.headers, raw, {
        scrub: this.scrub,
        clock,
        answered: (status, retryAfter) => this.gate.answered(status, retryAfter, deadline)
      })
    } catch (error) {
      throw requestFailure(operation, error, signal, timeout, budget)
    } finally {
      release()
    }
  }
}
