import { MockAgent } from 'undici'
import type { Backup } from '../../src/vpsorg/api-types.js'
import type { Clock } from '../../src/common/clock.js'
import { Model } from '../../simulator/model.js'
import { Api } from '../../simulator/routes.js'
import type { BackupSeed, BackupType, ModelOptions, ServerSeed } from '../../simulator/types.js'
import { type ApiRequest, type Reply, looseJson } from '../../simulator/validation.js'
import { BACKUPS, ORIGIN } from './api.js'

/**
 * The simulator's model and routes (simulator/), in-process behind undici's MockAgent, on a fake
 * clock: the unit tests of the modes talk to the same API as the end-to-end tests, without HTTP.
 */

/** A request as the tests look at it, with the simulator's own form for `handle`. */
export interface ApiCall {
  method: string
  url: URL
  /** Parsed JSON, or the raw text when it is not JSON, or undefined when empty. */
  body: unknown
  /** Clock time the request arrived. */
  at: number
  authorization: string | undefined
  request: ApiRequest
}

/**
 * Sees every request first: return a reply to answer it instead of the API, undefined to let the
 * API answer, or throw to drop the connection (after calling `handle` to act on it, if wanted).
 */
export type Hook = (call: ApiCall, api: InProcessApi) => Reply | undefined

export class InProcessApi {
  readonly model: Model
  readonly requests: ApiCall[] = []
  /** Read when a backup or restore starts: change them before. */
  readonly options: ModelOptions
  /** A careless API that returns every server's backups, whatever `server_id` says. */
  ignoreServerFilter = false
  hook: Hook | undefined
  readonly #api: Api

  /**
   * `seeds`: changes to the servers' seeds, by id (a slow or failing server of the fleet).
   * `world`: other servers than the tests' (the benchmark's fleets), a page size for lists, a large
   * account (accountBackups other backups, of accountBackupType) and page drift (see the simulator's options).
   */
  constructor(
    private readonly clock: Pick<Clock, 'now'>,
    token: string,
    seeds: Record<number, Partial<ServerSeed>> = {},
    world: {
      servers?: ServerSeed[]
      pageSize?: number
      accountBackups?: number
      accountBackupType?: BackupType
      pageDrift?: boolean
    } = {}
  ) {
    this.options = {
      now: clock.now,
      servers: (
        world.servers ?? [
          { id: 12345, name: 'web-server-01' },
          { id: 999, name: 'someone-else' },
          // A fleet, for the steps of several servers.
          { id: 101, name: 'web-1' },
          { id: 102, name: 'web-2' },
          { id: 103, name: 'db-1' }
        ]
      ).map((server) => ({ ...server, ...seeds[server.id] })),
      backupDurationMs: 3 * 60_000,
      restoreDurationMs: 2 * 60_000,
      firstBackupId: 600,
      accountBackups: world.accountBackups,
      accountBackupType: world.accountBackupType
    }
    this.model = new Model(this.options)
    this.#api = new Api(this.model, {
      token,
      pageSize: world.pageSize,
      pageDrift: world.pageDrift
    })
  }

  get backupDurationMs(): number {
    return this.options.backupDurationMs!
  }

  set backupDurationMs(ms: number) {
    this.options.backupDurationMs = ms
  }

  get restoreDurationMs(): number {
    return this.options.restoreDurationMs!
  }

  set restoreDurationMs(ms: number) {
    this.options.restoreDurationMs = ms
  }

  /** Answers every request to ORIGIN made through `agent`. */
  install(agent: MockAgent): void {
    agent
      .get(ORIGIN)
      .intercept({ path: () => true, method: () => true })
      .reply((opts) => {
        const call = this.#call(opts)
        this.requests.push(call)
        const reply = this.hook?.(call, this) ?? this.handle(call)
        const body = reply.body
        return {
          statusCode: reply.status,
          data: body === undefined ? '' : typeof body === 'string' ? body : JSON.stringify(body),
          // Like every HTTP server, the API dates its answers (whole seconds, by its clock).
          responseOptions: {
            headers: { date: new Date(this.clock.now()).toUTCString(), ...reply.headers }
          }
        }
      })
      .persist()
  }

  /** The API itself, for a hook that acts on a request and then drops or changes its answer. */
  handle(call: ApiCall): Reply {
    const { request } = call
    if (!this.ignoreServerFilter || request.url.pathname !== '/api/v1/backups/') {
      return this.#api.handle(request)
    }
    const url = new URL(request.url)
    url.searchParams.delete('server_id')
    return this.#api.handle({ ...request, url })
  }

  /**
   * Seeds a completed manual backup of server 12345, made before the run; `seed` on top. Returns
   * it as the API shows it; `model.backup(id)` is the live record.
   */
  addBackup(seed: Partial<BackupSeed> & { id: number }): Backup {
    const record = this.model.addBackup({
      serverId: 12345,
      createdAt: '2025-01-10T10:00:00Z',
      description: 'Pre-update backup',
      ...seed
    })
    return this.model.backupJson(record) as unknown as Backup
  }

  /** Deletes every backup behind the clients' back. */
  removeAllBackups(): void {
    for (const { id } of this.model.backups()) this.model.removeBackup(id)
  }

  /** Every backup vanishes once the backups have been listed once: deleted behind the step. */
  vanishAfterFirstList(): void {
    this.hook = (_, api) => {
      if (api.made('GET', BACKUPS).length > 1) api.removeAllBackups()
      return undefined
    }
  }

  /** Another restore of server 12345 from `backupId`, of `ms`, started now; later ones take 2 min. */
  startOtherRestore(backupId: number, ms: number): void {
    this.restoreDurationMs = ms
    this.model.restore(12345, backupId)
    this.restoreDurationMs = 2 * 60_000
  }

  /** The requests matching a method and a path (without the query). */
  made(method: string, path: string): ApiCall[] {
    return this.requests.filter((r) => r.method === method && r.url.pathname === path)
  }

  /** The ids deleted, in order. */
  deletedIds(): number[] {
    return this.requests
      .filter((r) => r.method === 'DELETE')
      .map((r) => Number(/\/backups\/(\d+)\/$/.exec(r.url.pathname)?.[1]))
  }

  #call(opts: { method: string; path: string; body?: unknown; headers?: unknown }): ApiCall {
    const headers = Object.fromEntries(
      Object.entries((opts.headers ?? {}) as Record<string, string>).map(([name, value]) => [
        name.toLowerCase(),
        value
      ])
    )
    const rawBody = typeof opts.body === 'string' ? opts.body : ''
    const request: ApiRequest = {
      method: opts.method,
      url: new URL(opts.path, ORIGIN),
      rawBody,
      contentType: headers['content-type'],
      authorization: headers.authorization,
      host: new URL(ORIGIN).host
    }
    return {
      method: request.method,
      url: request.url,
      body: rawBody === '' ? undefined : looseJson(rawBody),
      at: this.clock.now(),
      authorization: request.authorization,
      request
    }
  }
}

/** A dropped connection, as undici reports one. */
export function connectionReset(): Error {
  return Object.assign(new Error('other side closed'), { code: 'UND_ERR_SOCKET' })
}

/** The API carries out every POST, but its answer is replaced by `reply`. */
export function answerPosts(api: InProcessApi, reply: Reply): void {
  api.hook = (call, inProcess) => {
    if (call.method !== 'POST') return undefined
    inProcess.handle(call)
    return reply
  }
}
