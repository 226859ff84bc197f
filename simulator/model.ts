/**
 * The simulator's state: servers, backups and restores on an injectable clock. A backup runs
 * from its creation for its duration, a restore waits in its queue then runs for its duration:
 * every status is derived from the clock, so time moves them on, never a timer.
 *
 * Lists are never sorted by id: by default they follow a fixed hash of the id, with `shuffle` a
 * random (seedable) rank given to each object when it is created, so pages stay consistent.
 */
import type {
  BackupRecord,
  BackupSeed,
  BackupStatus,
  BackupType,
  BackupView,
  CapRefusalShape,
  ModelOptions,
  RestoreOutcome,
  RestoreRecord,
  ServerSeed,
  ServerStatus,
  SimulatorEvent
} from './types.js'
import { HttpError, NOT_FOUND, apiError } from './validation.js'

interface ServerState {
  id: number
  name: string
  ipAddress: string
  status: ServerStatus
  updatedAt: number
  restore?: RestoreRecord
  /** Its own timings and the "fail its next backup" switch (consumed by the next create). */
  seed: ServerSeed
}

const MAX_MANUAL_BACKUPS = 10
/** The account's other servers and their backups (accountBackups) start after these ids. */
const OTHER_SERVERS = 900_000
const OTHER_BACKUPS = 10_000_000
const AUTOMATIC_RETENTION_MS = 30 * 24 * 60 * 60 * 1000

/** ISO-8601 UTC with whole seconds, e.g. 2025-01-16T15:45:00Z. */
function iso(ms: number): string {
  return new Date(Math.floor(ms / 1000) * 1000).toISOString().replace('.000Z', 'Z')
}

function plausibleSizeMb(id: number): number {
  return 4000 + ((id * 7919) % 1000)
}

/** mulberry32: a small seedable PRNG in [0, 1). */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0
  return () => {
    state = (state + 0x6d2b79f5) >>> 0
    let t = state
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

export class Model {
  readonly restores: RestoreRecord[] = []
  nextBackupOutcomes: Array<'completed' | 'failed'> = []
  nextRestoreOutcomes: RestoreOutcome[] = []

  protected readonly now: () => number
  readonly #options: ModelOptions
  readonly #servers = new Map<number, ServerState>()
  readonly #records: BackupRecord[] = []
  /** The list order of each server and backup (see the file comment). */
  readonly #ranks = new WeakMap<object, number>()
  readonly #random: (() => number) | undefined
  #nextBackupId: number

  constructor(options: ModelOptions = {}) {
    this.#options = options
    this.now = options.now ?? Date.now
    this.#nextBackupId = options.firstBackupId ?? 500
    this.#random = options.shuffle
      ? seededRandom(options.seed ?? Math.floor(Math.random() * 2 ** 32))
      : undefined
    const servers = options.servers ?? [{ id: 12345, name: 'web-server-01' }]
    servers.forEach((seed, index) => {
      const { id, name, status } = seed
      const server: ServerState = {
        id,
        name,
        ipAddress: `203.0.113.${10 + index}`,
        status: status ?? 'active',
        updatedAt: this.now(),
        seed: { ...seed }
      }
      this.#servers.set(id, server)
      this.#rank(server, id)
    })
    this.#seedAccount(options.accountBackups ?? 0, options.accountBackupType ?? 'manual')
  }

  /**
   * The backups of the account's other servers (accountBackups), made before the run, one a
   * minute, of `type`. They do not move the next backup's id.
   */
  #seedAccount(count: number, type: BackupType): void {
    for (let i = 0; i < count; i++) {
      const serverId = OTHER_SERVERS + 1 + Math.floor(i / MAX_MANUAL_BACKUPS)
      if (!this.#servers.has(serverId)) {
        const name = `other-${serverId - OTHER_SERVERS}`
        const seed = { id: serverId, name }
        const other = { ...seed, ipAddress: '198.51.100.1', status: 'active' as const, seed }
        this.#servers.set(serverId, { ...other, updatedAt: this.now() })
        this.#rank(other, serverId)
      }
      const id = OTHER_BACKUPS + i
      const record: BackupRecord = {
        id,
        serverId,
        backupType: type,
        description:
          `${type === 'manual' ? 'Before maintenance' : 'Daily backup'} of other-${serverId - OTHER_SERVERS}: `.padEnd(
            200,
            '.'
          ),
        createdAt: this.now() - (count - i) * 60_000,
        durationMs: 0,
        outcome: 'completed',
        sizeMb: plausibleSizeMb(id)
      }
      this.#records.push(record)
      this.#rank(record, id)
    }
  }

  /**
   * Page drift: someone deletes one of the account's other backups (accountBackups) among
   * `records` (the pages a list has already given), so that every item after it moves up one
   * place. False when there is none to delete.
   */
  dropAccountBackup(records: readonly BackupRecord[]): boolean {
    const other = records.find((record) => record.id >= OTHER_BACKUPS)
    if (other) this.removeBackup(other.id)
    return other !== undefined
  }

  /**
   * Seeds a backup. `status` is its current state (default 'completed'); a completed or failed
   * seed ended at `createdAt` (default now); an in_progress seed ends `durationMs` from now
   * (default backupDurationMs) and then completes. Returns the live record.
   */
  addBackup(seed: BackupSeed): BackupRecord {
    const server = this.#requireServer(seed.serverId)
    const now = this.now()
    const createdAt =
      typeof seed.createdAt === 'string' ? Date.parse(seed.createdAt) : (seed.createdAt ?? now)
    if (Number.isNaN(createdAt)) throw new Error(`Invalid createdAt: ${String(seed.createdAt)}`)
    const id = seed.id ?? this.#nextBackupId
    if (this.#records.some((record) => record.id === id)) {
      throw new Error(`Backup ${id} already exists`)
    }
    return this.#insert({
      id,
      serverId: seed.serverId,
      backupType: seed.backupType ?? 'manual',
      description: seed.description ?? '',
      createdAt,
      durationMs:
        seed.status === 'in_progress'
          ? now - createdAt + (seed.durationMs ?? this.#backupDurationMs(server))
          : 0,
      outcome: seed.status === 'failed' ? 'failed' : 'completed',
      sizeMb: seed.sizeMb ?? plausibleSizeMb(id),
      runningStatus: seed.runningStatus
    })
  }

  /** Current view of the backups, in id order; deleted ones only with includeDeleted. */
  backups(filter: { serverId?: number; includeDeleted?: boolean } = {}): BackupView[] {
    return this.#select(filter).map((record) => ({ ...record, status: this.#backupStatus(record) }))
  }

  /** The live record of a backup (deleted or not): change it to change the backup. */
  backup(id: number): BackupRecord {
    const record = this.#records.find((r) => r.id === id)
    if (!record) throw new Error(`No backup ${id}`)
    return record
  }

  /** Removes a backup behind the clients' back, as a deletion in the VPS.org panel would. */
  removeBackup(id: number): void {
    const record = this.#records.find((r) => r.id === id && !r.deleted)
    if (!record) throw new Error(`No backup ${id}`)
    record.deleted = true
    record.deletedAt = this.now()
  }

  server(id: number): { id: number; name: string; status: ServerStatus } {
    const server = this.#requireServer(id)
    return { id, name: server.name, status: this.serverView(id).status }
  }

  /** Sets the status, ending any restore in progress. */
  setServerStatus(id: number, status: ServerStatus): void {
    const server = this.#requireServer(id)
    server.status = status
    server.updatedAt = this.now()
    delete server.restore
  }

  /** When each background operation ended, in time order (derived from the clock). */
  get events(): SimulatorEvent[] {
    const now = this.now()
    const events: SimulatorEvent[] = []
    for (const backup of this.#records) {
      const at = backup.createdAt + backup.durationMs
      const type = backup.outcome === 'completed' ? 'backup-completed' : 'backup-failed'
      if (at <= now) events.push({ at, type, id: backup.id })
    }
    for (const restore of this.restores) {
      const at = restore.at + restore.queuedMs + restore.durationMs
      const type = restore.outcome === 'active' ? 'restore-finished' : 'restore-failed'
      if (at <= now) events.push({ at, type, id: restore.serverId })
    }
    return events.sort((a, b) => a.at - b.at)
  }

  /** Every server's id. */
  serverIds(): number[] {
    return [...this.#servers.keys()]
  }

  /** A restore shows `restoring` once out of its queue; its end bumps updated_at (by default). */
  serverView(id: number): { status: ServerStatus; updatedAt: number } {
    const server = this.#requireServer(id)
    const restore = server.restore
    const now = this.now()
    const start = restore ? restore.at + restore.queuedMs : Infinity
    if (!restore || now < start) return { status: server.status, updatedAt: server.updatedAt }
    const end = start + restore.durationMs
    if (now < end) return { status: 'restoring', updatedAt: Math.max(server.updatedAt, start) }
    const keep = this.#options.restoreKeepsUpdatedAt
    return {
      status: restore.outcome,
      updatedAt: keep ? server.updatedAt : Math.max(server.updatedAt, end)
    }
  }

  /** Moves every server's `updated_at` to now, and at least a second on: an unrelated change. */
  touchServers(): void {
    for (const server of this.#servers.values()) {
      server.updatedAt = Math.max(this.now(), server.updatedAt + 1000)
    }
  }

  // ---- the API's operations (errors as the API answers them) ----

  /** The backups a list shows: not deleted, by filter, created `lagMs` ago or more, in list order. */
  listBackups(filter: { serverId?: number; backupType?: BackupType }, lagMs = 0): BackupRecord[] {
    const records = this.#select({ serverId: filter.serverId }).filter(
      (record) =>
        (filter.backupType === undefined || record.backupType === filter.backupType) &&
        record.createdAt + lagMs <= this.now()
    )
    return this.#ordered(records)
  }

  /** The servers a list shows, in list order. */
  listServers(status: ServerStatus | undefined): number[] {
    const servers = [...this.#servers.values()].filter(
      (server) => status === undefined || this.serverView(server.id).status === status
    )
    return this.#ordered(servers).map((server) => server.id)
  }

  createBackup(serverId: number | undefined, description: string): BackupRecord {
    const server = this.#serverOr404(serverId)
    const manual = this.#select({ serverId: server.id }).filter((b) => b.backupType === 'manual')
    if (manual.length >= MAX_MANUAL_BACKUPS) throw capRefusal(this.#options.capRefusal)
    this.#assertNotRestoring(server)
    const id = this.#nextBackupId
    return this.#insert({
      id,
      serverId: server.id,
      backupType: 'manual',
      description,
      createdAt: this.now(),
      durationMs: this.#backupDurationMs(server),
      outcome: this.#nextBackupOutcome(server),
      sizeMb: plausibleSizeMb(id)
    })
  }

  deleteBackup(id: number | undefined): void {
    const record = this.#select({}).find((b) => b.id === id)
    if (!record) throw apiError(404, NOT_FOUND)
    if (this.#running(record)) {
      throw apiError(409, 'Backup is in progress and cannot be deleted.')
    }
    record.deleted = true
    record.deletedAt = this.now()
  }

  /** Checks that `id` is a server: 404 otherwise. */
  requireServer404(id: number | undefined): number {
    return this.#serverOr404(id).id
  }

  restore(serverId: number, backupId: number | undefined): RestoreRecord {
    const server = this.#serverOr404(serverId)
    const backups = this.#select({ serverId: server.id })
    const backup = backups.find((b) => b.id === backupId)
    if (!backup) throw apiError(404, NOT_FOUND)
    this.#assertNotRestoring(server)
    if (backups.some((b) => this.#running(b))) {
      throw apiError(409, 'Server is busy: a backup is in progress.')
    }
    const status = this.#backupStatus(backup)
    if (status !== 'completed') {
      throw apiError(409, `Backup is not completed (status: ${status}).`)
    }
    const sync = this.#options.restoreResponse === 'sync'
    const restore: RestoreRecord = {
      at: this.now(),
      serverId: server.id,
      backupId: backup.id,
      queuedMs: sync ? 0 : (this.#options.restoreQueueMs ?? 0),
      durationMs: sync
        ? 0
        : (server.seed.restoreDurationMs ?? this.#options.restoreDurationMs ?? 3000),
      outcome: this.nextRestoreOutcomes.shift() ?? 'active'
    }
    server.restore = restore
    this.restores.push(restore)
    return restore
  }

  // ---- representations ----

  backupJson(record: BackupRecord): Record<string, unknown> {
    const server = this.#requireServer(record.serverId)
    const status = this.#backupStatus(record)
    return {
      id: record.id,
      server: { id: server.id, name: server.name },
      backup_type: record.backupType,
      status,
      size_mb: status === 'completed' ? record.sizeMb : null,
      created_at: iso(record.createdAt),
      expires_at:
        record.backupType === 'automatic' ? iso(record.createdAt + AUTOMATIC_RETENTION_MS) : null,
      description: record.description,
      region: 'us-west',
      encrypted: true
    }
  }

  serverJson(id: number): Record<string, unknown> {
    const server = this.#requireServer(id)
    const { status, updatedAt } = this.serverView(id)
    return {
      id: server.id,
      name: server.name,
      hostname: `${server.name}.example.com`,
      status,
      ip_address: server.ipAddress,
      location: 'us-west',
      plan: 'vps-4gb',
      tags: [],
      updated_at: iso(updatedAt)
    }
  }

  /** Servers and backups as the API shows them, backups with `deleted`, and the restores. */
  snapshot(): Record<string, unknown> {
    return {
      servers: this.serverIds().map((id) => this.serverJson(id)),
      backups: this.#select({ includeDeleted: true }).map((record) => ({
        ...this.backupJson(record),
        deleted: record.deleted === true
      })),
      restores: this.restores
    }
  }

  // ---- internals ----

  #backupDurationMs(server: ServerState): number {
    return server.seed.backupDurationMs ?? this.#options.backupDurationMs ?? 2000
  }

  /** The server's own switch first, then the global queue. */
  #nextBackupOutcome(server: ServerState): 'completed' | 'failed' {
    if (server.seed.failNextBackup) {
      server.seed.failNextBackup = false
      return 'failed'
    }
    return this.nextBackupOutcomes.shift() ?? 'completed'
  }

  #requireServer(id: number): ServerState {
    const server = this.#servers.get(id)
    if (!server) throw new Error(`Unknown server ${id}`)
    return server
  }

  #serverOr404(id: number | undefined): ServerState {
    const server = id === undefined ? undefined : this.#servers.get(id)
    if (!server) throw apiError(404, NOT_FOUND)
    return server
  }

  #running(record: BackupRecord): boolean {
    return this.now() < record.createdAt + record.durationMs
  }

  #backupStatus(record: BackupRecord): BackupStatus {
    if (!this.#running(record)) return record.outcome
    return record.runningStatus ?? this.#options.runningStatus ?? 'in_progress'
  }

  #select(filter: { serverId?: number; includeDeleted?: boolean }): BackupRecord[] {
    return this.#records.filter(
      (record) =>
        (filter.includeDeleted || !record.deleted) &&
        (filter.serverId === undefined || record.serverId === filter.serverId)
    )
  }

  #insert(record: BackupRecord): BackupRecord {
    this.#records.push(record)
    this.#nextBackupId = Math.max(this.#nextBackupId, record.id + 1)
    this.#rank(record, record.id)
    return record
  }

  #rank(item: object, id: number): void {
    this.#ranks.set(item, this.#random ? this.#random() : Math.imul(id, 0x9e3779b1) >>> 0)
  }

  #ordered<T extends object>(items: T[]): T[] {
    return items.sort((a, b) => (this.#ranks.get(a) ?? 0) - (this.#ranks.get(b) ?? 0))
  }

  /** A restore queued or running makes the server busy. */
  #assertNotRestoring(server: ServerState): void {
    const restore = server.restore
    const queued = restore !== undefined && this.now() < restore.at + restore.queuedMs
    if (queued || this.serverView(server.id).status === 'restoring') {
      throw apiError(409, 'Server is busy: a restore is in progress.')
    }
  }
}

/**
 * The refusal of an 11th manual backup, in the shape `shape` says: a `detail` (default), a field
 * error (what a DRF serializer's `validate_server_id()` raises) or a bare list (a
 * `ValidationError` raised in the view), each in its own words.
 */
function capRefusal(shape: CapRefusalShape = 'detail'): HttpError {
  const cap = `You cannot have more than ${MAX_MANUAL_BACKUPS} manual backups per server.`
  switch (shape) {
    case 'detail':
      return apiError(
        400,
        `Maximum of ${MAX_MANUAL_BACKUPS} manual backups per server reached. Delete an existing manual backup to create a new one.`
      )
    case 'field':
      return apiError(400, { server_id: [cap] })
    case 'list':
      return apiError(400, [cap])
  }
}
