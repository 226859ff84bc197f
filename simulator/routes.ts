/**
 * The API's routes over the model: authentication (DRF TokenAuthentication, keyword "Bearer"),
 * permissions, methods, and one handler per endpoint of docs/vpsorg-api.md.
 *
 * Like Django, a GET without its trailing slash is redirected (301) to the path with it
 * (APPEND_SLASH); other methods get 404. `handle` is the whole API in-process: the HTTP server
 * and the unit tests' dispatcher both call it.
 */
import type { Model } from './model.js'
import type { BackupRecord, BackupType, ServerStatus } from './types.js'
import {
  type ApiRequest,
  DJANGO_NOT_FOUND,
  type FieldErrors,
  HttpError,
  NOT_FOUND,
  type Reply,
  apiError,
  choiceQuery,
  integerField,
  integerQuery,
  jsonObject,
  optionalStringField,
  throwIfInvalid,
  unauthorized
} from './validation.js'

export interface ApiOptions {
  /** Default 'vps_simulator_token'. */
  token?: string
  /** A second valid token whose scopes only allow reading: POST and DELETE answer 403. */
  readOnlyToken?: string
  /** Page size of lists; default: no pagination (the whole list, `next: null`). */
  pageSize?: number
  /** Lists leave out backups created less than this long ago: a list that lags behind creates. */
  listLagMs?: number
  /** 'accepted' (default): 202, restore runs in the background. 'sync': 200 with the server, finished. */
  restoreResponse?: 'accepted' | 'sync'
  /**
   * Page drift: before it answers a page after the first, one of the account's other backups
   * (accountBackups) on the pages before it is deleted, so that the page's first item moves to
   * the page before, which the client has already read (pageSize only).
   */
  pageDrift?: boolean
}

type Access = 'full' | 'read-only'
type Handler = (request: ApiRequest, params: number[], access: Access) => Reply

export interface Route {
  pattern: RegExp
  /** Control routes: no auth, not recorded, never faulted. */
  control?: boolean
  methods: Partial<Record<string, Handler>>
}

export interface RouteMatch {
  route: Route
  params: number[]
}

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS'])
const SERVER_STATUSES: readonly ServerStatus[] = [
  'active',
  'restoring',
  'error',
  'stopped',
  'suspended'
]
const BACKUP_TYPES: readonly BackupType[] = ['manual', 'automatic']

export class Api {
  readonly token: string
  readonly #model: Model
  readonly #options: ApiOptions
  readonly #routes: Route[]

  constructor(model: Model, options: ApiOptions = {}, controlRoutes: Route[] = []) {
    this.#model = model
    this.#options = options
    this.token = options.token ?? 'vps_simulator_token'
    this.#routes = [...this.#apiRoutes(), ...controlRoutes]
  }

  /** The API's answer to a request, errors included. */
  handle(request: ApiRequest): Reply {
    return this.dispatch(request, this.find(request.url.pathname))
  }

  find(path: string): RouteMatch | undefined {
    for (const route of this.#routes) {
      const match = route.pattern.exec(path)
      if (match) return { route, params: match.slice(1).map(Number) }
    }
    return undefined
  }

  dispatch(request: ApiRequest, found: RouteMatch | undefined): Reply {
    try {
      const method = request.method === 'HEAD' ? 'GET' : request.method
      if (!found) return this.#notFound(request, method)
      const { route, params } = found
      const access = route.control ? 'full' : this.#authenticate(request.authorization)
      if (access === 'read-only' && !SAFE_METHODS.has(request.method)) {
        throw apiError(403, 'You do not have permission to perform this action.')
      }
      const handler = route.methods[method]
      if (!handler) {
        const allow = Object.keys(route.methods)
        if (allow.includes('GET')) allow.push('HEAD')
        throw apiError(405, `Method "${request.method}" not allowed.`, { allow: allow.join(', ') })
      }
      return handler(request, params, access)
    } catch (error) {
      if (error instanceof HttpError) return error.reply
      throw error
    }
  }

  #apiRoutes(): Route[] {
    return [
      {
        pattern: /^\/api\/v1\/account\/me\/$/,
        methods: { GET: (_request, _params, access) => accountMe(access) }
      },
      {
        pattern: /^\/api\/v1\/backups\/$/,
        methods: {
          GET: (request) => this.#listBackups(request),
          POST: (request) => this.#createBackup(request)
        }
      },
      {
        pattern: /^\/api\/v1\/backups\/(\d+)\/$/,
        methods: { DELETE: (_request, [id]) => this.#deleteBackup(id) }
      },
      {
        pattern: /^\/api\/v1\/servers\/$/,
        methods: { GET: (request) => this.#listServers(request) }
      },
      {
        pattern: /^\/api\/v1\/servers\/(\d+)\/$/,
        methods: {
          GET: (_request, [id]) => ({
            status: 200,
            body: this.#model.serverJson(this.#model.requireServer404(id))
          })
        }
      },
      {
        pattern: /^\/api\/v1\/servers\/(\d+)\/restore\/$/,
        methods: { POST: (request, [id]) => this.#restoreServer(request, id) }
      }
    ]
  }

  #notFound(request: ApiRequest, method: string): Reply {
    const path = request.url.pathname
    if (method === 'GET' && !path.endsWith('/') && this.find(`${path}/`)) {
      return { status: 301, headers: { location: `${path}/${request.url.search}` } }
    }
    // Outside the API (api_url without /api/v1), Django answers with its own HTML page.
    if (!path.startsWith('/api/v1/')) return DJANGO_NOT_FOUND
    throw apiError(404, NOT_FOUND)
  }

  #authenticate(header: string | undefined): Access {
    const parts = (header ?? '').split(/\s+/).filter(Boolean)
    if (parts[0]?.toLowerCase() !== 'bearer') {
      throw unauthorized('Authentication credentials were not provided.')
    }
    if (parts.length === 1) throw unauthorized('Invalid token header. No credentials provided.')
    if (parts.length > 2) {
      throw unauthorized('Invalid token header. Token string should not contain spaces.')
    }
    if (parts[1] === this.token) return 'full'
    if (this.#options.readOnlyToken !== undefined && parts[1] === this.#options.readOnlyToken) {
      return 'read-only'
    }
    throw unauthorized('Invalid token.')
  }

  /** DRF PageNumberPagination, or the whole list when no pageSize is configured. */
  #paginate(request: ApiRequest, results: unknown[]): Reply {
    const size = this.#options.pageSize
    if (size === undefined) {
      return { status: 200, body: { count: results.length, next: null, previous: null, results } }
    }
    const raw = request.url.searchParams.get('page') ?? '1'
    const page = /^\d+$/.test(raw) ? Number(raw) : NaN
    const pages = Math.max(1, Math.ceil(results.length / size))
    if (!(page >= 1 && page <= pages)) throw apiError(404, 'Invalid page.')
    const link = (target: number): string => {
      const url = new URL(request.url)
      if (request.host) url.host = request.host
      if (target === 1) url.searchParams.delete('page')
      else url.searchParams.set('page', String(target))
      return url.href
    }
    return {
      status: 200,
      body: {
        count: results.length,
        next: page < pages ? link(page + 1) : null,
        previous: page > 1 ? link(page - 1) : null,
        results: results.slice((page - 1) * size, page * size)
      }
    }
  }

  #listBackups(request: ApiRequest): Reply {
    const errors: FieldErrors = {}
    const query = request.url.searchParams
    const serverId = integerQuery(query, 'server_id', errors)
    const backupType = choiceQuery(query, 'backup_type', BACKUP_TYPES, errors)
    throwIfInvalid(errors)
    let records = this.#model.listBackups({ serverId, backupType }, this.#options.listLagMs)
    if (this.#drifts(request, records)) {
      records = this.#model.listBackups({ serverId, backupType }, this.#options.listLagMs)
    }
    return this.#paginate(
      request,
      records.map((record) => this.#model.backupJson(record))
    )
  }

  /** pageDrift: a deletion on the pages before the one asked for, between two page reads. */
  #drifts(request: ApiRequest, records: readonly BackupRecord[]): boolean {
    const size = this.#options.pageSize
    const page = Number(request.url.searchParams.get('page') ?? '1')
    if (!this.#options.pageDrift || size === undefined || !(page >= 2)) return false
    return this.#model.dropAccountBackup(records.slice(0, (page - 1) * size))
  }

  #createBackup(request: ApiRequest): Reply {
    const data = jsonObject(request)
    const errors: FieldErrors = {}
    const serverId = integerField(data, 'server_id', errors)
    const description = optionalStringField(data, 'description', 255, errors)
    throwIfInvalid(errors)
    const record = this.#model.createBackup(serverId, description)
    return {
      status: 201,
      body: {
        ...this.#model.backupJson(record),
        message: 'Backup is being created. This may take several minutes depending on server size.'
      }
    }
  }

  #deleteBackup(id: number | undefined): Reply {
    this.#model.deleteBackup(id)
    return { status: 204 }
  }

  #listServers(request: ApiRequest): Reply {
    const errors: FieldErrors = {}
    const status = choiceQuery(request.url.searchParams, 'status', SERVER_STATUSES, errors)
    throwIfInvalid(errors)
    return this.#paginate(
      request,
      this.#model.listServers(status).map((id) => this.#model.serverJson(id))
    )
  }

  #restoreServer(request: ApiRequest, id: number | undefined): Reply {
    const serverId = this.#model.requireServer404(id)
    const data = jsonObject(request)
    const errors: FieldErrors = {}
    const backupId = integerField(data, 'backup_id', errors)
    throwIfInvalid(errors)
    const restore = this.#model.restore(serverId, backupId)
    if (this.#options.restoreResponse === 'sync') {
      return { status: 200, body: this.#model.serverJson(serverId) }
    }
    return {
      status: 202,
      body: {
        detail: 'Restore started.',
        server_id: serverId,
        backup_id: restore.backupId,
        status: 'restoring'
      }
    }
  }
}

function accountMe(access: Access): Reply {
  const permissions =
    access === 'full'
      ? ['servers:read', 'servers:write', 'backups:read', 'backups:write']
      : ['servers:read', 'backups:read']
  return {
    status: 200,
    body: {
      account: { id: 1001, email: 'ops@example.com', name: 'Simulator Account', status: 'active' },
      token: { name: access === 'full' ? 'simulator' : 'simulator-read-only', permissions }
    }
  }
}
