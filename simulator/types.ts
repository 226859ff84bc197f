/** The simulator's options and records: what the model keeps and shows. */

/** `in_progress` while running (or `runningStatus`), then `completed` or `failed`. */
export type BackupStatus = 'in_progress' | 'completed' | 'failed' | (string & {})
export type ServerStatus = 'active' | 'restoring' | 'error' | 'stopped' | 'suspended'
export type BackupType = 'manual' | 'automatic'
export type RestoreOutcome = 'active' | 'error' | 'stopped' | 'suspended'

/** A server the simulator holds; its timings fall back to the global ones. */
export interface ServerSeed {
  id: number
  name: string
  status?: ServerStatus
  /** How long this server's backups stay in_progress. Default: the global `backupDurationMs`. */
  backupDurationMs?: number
  /** How long this server stays restoring. Default: the global `restoreDurationMs`. */
  restoreDurationMs?: number
  /** This server's next created backup fails (before the global `nextBackupOutcomes` count). */
  failNextBackup?: boolean
}

/**
 * How the API words its refusal at the cap of manual backups: `detail` `{"detail": "Maximum of
 * 10 manual backups per server reached. …"}`; `field` `{"server_id": ["You cannot have more than
 * 10 manual backups per server."]}`; `list` `["You cannot have more than 10 manual backups per
 * server."]`.
 */
export type CapRefusalShape = 'detail' | 'field' | 'list'
export const CAP_REFUSAL_SHAPES: readonly CapRefusalShape[] = ['detail', 'field', 'list']

export interface ModelOptions {
  /** Default [{ id: 12345, name: 'web-server-01' }]. */
  servers?: ServerSeed[]
  /** How long a created backup stays in_progress, unless its server says. Default 2000. */
  backupDurationMs?: number
  /** How long a server stays restoring, unless it says. Default 3000. */
  restoreDurationMs?: number
  /** List results in a random order (see `seed`). */
  shuffle?: boolean
  /** Seed of the `shuffle` order; default random. */
  seed?: number
  /** 'accepted' (default): 202, restore runs in the background. 'sync': 200 with the server, finished. */
  restoreResponse?: 'accepted' | 'sync'
  /** An accepted restore waits this long, the server still `active`, before `restoring`. Default 0. */
  restoreQueueMs?: number
  /** A finished restore leaves the server's `updated_at` as it was (a fast restore that never bumps it). */
  restoreKeepsUpdatedAt?: boolean
  /** The status a running backup shows instead of `in_progress` (e.g. `pending`, `queued`). */
  runningStatus?: string
  /** The id of the first backup created. Default 500. */
  firstBackupId?: number
  /** The shape of the refusal of an 11th manual backup (see CapRefusalShape). Default 'detail'. */
  capRefusal?: CapRefusalShape
  /** Injectable clock (ms since epoch). Default Date.now. */
  now?: () => number
  /**
   * A large account: this many completed manual backups of the account's other servers (servers
   * 900001, 900002, …, ten backups each; ids from 10,000,000; 200-character descriptions, so that
   * about 10,000 make the account's list without pagination larger than 4 MiB), in every list of
   * the account's backups. Default 0.
   */
  accountBackups?: number
  /**
   * The type of those backups: `manual` (default; other servers at the cap of 10 each) or
   * `automatic` (the daily backups every server gets, which a list of manual backups leaves out).
   */
  accountBackupType?: BackupType
}

export interface BackupRecord {
  id: number
  serverId: number
  backupType: BackupType
  description: string
  /** ms since epoch */
  createdAt: number
  durationMs: number
  outcome: 'completed' | 'failed'
  sizeMb: number
  deleted?: boolean
  /** ms since epoch, when it was deleted. */
  deletedAt?: number
  /** The status it shows while running, instead of the simulator's. */
  runningStatus?: string
}

export type BackupView = BackupRecord & { status: BackupStatus }

export interface RestoreRecord {
  at: number
  serverId: number
  backupId: number
  /** How long it waited, queued, before it started (the server `active` meanwhile). */
  queuedMs: number
  durationMs: number
  outcome: RestoreOutcome
}

export interface SimulatorEvent {
  /** When the operation ended: its start + its duration. */
  at: number
  type: 'backup-completed' | 'backup-failed' | 'restore-finished' | 'restore-failed'
  /** The backup's id for backup events, the server's id for restore events. */
  id: number
}

/** What `addBackup` seeds. */
export interface BackupSeed {
  serverId: number
  backupType?: BackupType
  status?: BackupStatus
  description?: string
  createdAt?: number | string
  sizeMb?: number
  durationMs?: number
  id?: number
  /** The status it shows while running (with status 'in_progress'). */
  runningStatus?: string
}
