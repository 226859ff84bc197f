import { MockAgent } from 'undici'
import type { Backup, Server } from '../../src/api-types.js'
import type { FakeClock } from '../helpers/fake-clock.js'

/**
 * An in-memory VPS.org API (the contract in shared/reference/vpsorg-api.md) behind undici's
 * MockAgent, on a fake clock: backups complete and restores end as the clock moves on.
 */
export const ORIGIN = 'https://admin.vps.org'
export const API = `${ORIGIN}/api/v1`

export interface FakeRequest {
  method: string
  url: URL
  body: unknown
  /** Clock time the request arrived. */
  at: number
  authorization: string | undefined
}

export interface FakeReply {
  status: number
  body?: unknown
  headers?: Record<string, string>
}

interface StoredBackup extends Backup {
  /** Clock time at which an in_progress backup ends. */
  endsAt?: number
  endsAs?: 'completed' | 'failed'
}

interface StoredServer extends Server {
  restoreEndsAt?: number
  restoreEndsAs?: string
}

export class FakeVpsOrg {
  readonly backups: StoredBackup[] = []
  readonly servers = new Map<number, StoredServer>()
  readonly requests: FakeRequest[] = []
  nextId = 600
  backupDurationMs = 3 * 60_000
  restoreDurationMs = 2 * 60_000
  /** A careless API that returns every server's backups, whatever `server_id` says. */
  ignoreServerFilter = false
  /**
   * Sees every request first: return a reply to answer it instead of the API, undefined to let the
   * API answer, or throw to drop the connection (after calling `handle` to act on it, if wanted).
   */
  hook: ((request: FakeRequest, api: FakeVpsOrg) => FakeReply | undefined) | undefined

  constructor(private readonly clock: FakeClock) {
    this.servers.set(12345, {
      id: 12345,
      name: 'web-server-01',
      status: 'active',
      updated_at: '2025-01-15T10:20:00Z'
    })
    this.servers.set(999, {
      id: 999,
      name: 'someone-else',
      status: 'active',
      updated_at: '2025-01-15T10:20:00Z'
    })
  }

  /** Answers every request to ORIGIN made through `agent`. */
  install(agent: MockAgent): void {
    agent
      .get(ORIGIN)
      .intercept({ path: () => true, method: () => true })
      .reply((opts) => {
        const headers = opts.headers as Record<string, string> | undefined
        const request: FakeRequest = {
          method: opts.method,
          url: new URL(opts.path, ORIGIN),
          body: typeof opts.body === 'string' && opts.body ? JSON.parse(opts.body) : undefined,
          at: this.clock.now(),
          authorization: headers?.authorization
        }
        this.requests.push(request)
        const reply = this.hook?.(request, this) ?? this.handle(request)
        return {
          statusCode: reply.status,
          data: reply.body === undefined ? '' : JSON.stringify(reply.body),
          // Like every HTTP server, the fake dates its answers (whole seconds, by its clock).
          responseOptions: {
            headers: { date: new Date(this.clock.now()).toUTCString(), ...reply.headers }
          }
        }
      })
      .persist()
  }

  addBackup(backup: Partial<StoredBackup> & { id: number }): StoredBackup {
    const stored: StoredBackup = {
      server: { id: 12345, name: 'web-server-01' },
      backup_type: 'manual',
      status: 'completed',
      size_mb: 1000,
      created_at: '2025-01-10T10:00:00Z',
      description: 'Pre-update backup',
      ...backup
    }
    this.backups.push(stored)
    return stored
  }

  server(id = 12345): StoredServer {
    this.refresh()
    return this.servers.get(id)!
  }

  /** The requests matching a method and a path (without the query). */
  made(method: string, path: string): FakeRequest[] {
    return this.requests.filter((r) => r.method === method && r.url.pathname === path)
  }

  /** The ids deleted, in order. */
  deletedIds(): number[] {
    return this.requests
      .filter((r) => r.method === 'DELETE')
      .map((r) => Number(/\/backups\/(\d+)\/$/.exec(r.url.pathname)?.[1]))
  }

  /** The API itself, for a hook that acts on a request and then drops its answer. */
  handle(request: FakeRequest): FakeReply {
    this.refresh()
    const { method, url } = request
    const path = url.pathname
    let match: RegExpExecArray | null
    if (method === 'GET' && path === '/api/v1/backups/') return this.list(url)
    if (method === 'POST' && path === '/api/v1/backups/') return this.create(request.body)
    if (method === 'DELETE' && (match = /^\/api\/v1\/backups\/(\d+)\/$/.exec(path))) {
      const index = this.backups.findIndex((b) => b.id === Number(match![1]))
      if (index < 0) return { status: 404, body: { detail: 'Not found.' } }
      this.backups.splice(index, 1)
      return { status: 204 }
    }
    if (method === 'GET' && (match = /^\/api\/v1\/servers\/(\d+)\/$/.exec(path))) {
      const server = this.servers.get(Number(match[1]))
      return server ? { status: 200, body: this.show(server) } : { status: 404 }
    }
    if (method === 'POST' && (match = /^\/api\/v1\/servers\/(\d+)\/restore\/$/.exec(path))) {
      return this.restore(Number(match[1]), request.body)
    }
    return { status: 404, body: { detail: 'Not found.' } }
  }

  private list(url: URL): FakeReply {
    const serverId = Number(url.searchParams.get('server_id'))
    const type = url.searchParams.get('backup_type')
    const results = this.backups
      .filter((b) => this.ignoreServerFilter || !serverId || b.server.id === serverId)
      .filter((b) => !type || b.backup_type === type)
      .map((b) => this.show(b))
    return { status: 200, body: { count: results.length, next: null, results } }
  }

  private create(body: unknown): FakeReply {
    const { server_id: serverId, description } = body as { server_id: number; description: string }
    const server = this.servers.get(serverId)
    if (!server) return { status: 404, body: { detail: 'Not found.' } }
    const manual = this.backups.filter(
      (b) => b.server.id === serverId && b.backup_type === 'manual'
    )
    if (manual.length >= 10) {
      return {
        status: 400,
        body: { non_field_errors: ['This server already has the maximum of 10 manual backups.'] }
      }
    }
    const backup = this.addBackup({
      id: this.nextId++,
      server: { id: server.id, name: server.name },
      status: 'in_progress',
      size_mb: null,
      created_at: new Date(this.clock.now()).toISOString(),
      description,
      endsAt: this.clock.now() + this.backupDurationMs,
      endsAs: 'completed'
    })
    return { status: 201, body: { ...this.show(backup), message: 'Backup is being created.' } }
  }

  private restore(serverId: number, body: unknown): FakeReply {
    const server = this.servers.get(serverId)
    const backupId = (body as { backup_id: number }).backup_id
    const backup = this.backups.find((b) => b.id === backupId && b.server.id === serverId)
    if (!server || !backup) return { status: 404, body: { detail: 'Not found.' } }
    if (backup.status !== 'completed' || server.status === 'restoring') {
      return { status: 409, body: { detail: 'The server is busy.' } }
    }
    server.status = 'restoring'
    server.updated_at = new Date(this.clock.now()).toISOString()
    server.restoreEndsAt = this.clock.now() + this.restoreDurationMs
    server.restoreEndsAs ??= 'active'
    return { status: 202, body: { message: 'Restore started.' } }
  }

  /** Moves every running backup and restore on to where the clock says it is. */
  private refresh(): void {
    const now = this.clock.now()
    for (const backup of this.backups) {
      const running = backup.status !== 'completed' && backup.status !== 'failed'
      if (running && backup.endsAt !== undefined && backup.endsAt <= now) {
        backup.status = backup.endsAs ?? 'completed'
        if (backup.status === 'completed') backup.size_mb = 2048
      }
    }
    for (const server of this.servers.values()) {
      if (server.restoreEndsAt !== undefined && server.restoreEndsAt <= now) {
        server.status = server.restoreEndsAs ?? 'active'
        server.updated_at = new Date(server.restoreEndsAt).toISOString()
        server.restoreEndsAt = undefined
        server.restoreEndsAs = undefined
      }
    }
  }

  /** The object as the API shows it, without the fake's own bookkeeping. */
  private show(item: StoredBackup | StoredServer): Record<string, unknown> {
    const visible: Record<string, unknown> = { ...item }
    for (const key of ['endsAt', 'endsAs', 'restoreEndsAt', 'restoreEndsAs']) delete visible[key]
    return visible
  }
}
