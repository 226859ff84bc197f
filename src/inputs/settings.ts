import type { LedgerSettings } from './ledger.js'
/** The typed settings every step works from, and the inputs they come from (action.yml's). */

export type Mode = 'backup' | 'restore' | 'delete' | 'verify'

/** `backup_id: run:<run_id>`: the backup that workflow run of this repository made. */
export interface RunRef {
  runId: number
  /** restore only: restore only if a step of this name had started in that run. */
  onlyIfStepStarted?: string
  /** With onlyIfStepStarted: restore nothing if this step (the run's own rollback) had started too. */
  unlessStepStarted?: string
}

/**
 * Once a round of app checks has passed, the rounds that confirm it (health_threshold) follow this
 * quickly (health.ts); the first round is sent at once. Here for the rule that health_timeout must
 * leave them room, without loading health.ts before a step needs it.
 */
export const CONFIRM_INTERVAL_MS = 1000

/** api_url's default (action.yml's). */
export const DEFAULT_API_URL = 'https://admin.vps.org/api/v1'

/** backup_id as a JSON object: server id -> backup id, in server_id's order. */
export type BackupMap = ReadonlyMap<number, number>

/** What each mode acts on. */
export type Target =
  | { mode: 'backup' }
  | { mode: 'restore'; backupId: number | 'latest' | RunRef | BackupMap }
  | { mode: 'delete'; backupId: number | RunRef | BackupMap }
  | { mode: 'verify' }

/** One app check from `health_url`. `target` is what may be printed: it never has user-info. */
export type HealthCheck =
  | {
      kind: 'http'
      target: string
      /** From the URL's user-info, sent as Basic authentication to the URL's origin only. */
      credentials?: { username: string; password: string }
    }
  | { kind: 'tcp'; target: string; host: string; port: number }

/** The app checks run after a restore (and by mode: verify). */
export interface HealthSettings {
  /** Empty: no app check. */
  checks: HealthCheck[]
  /** HTTP checks pass only if the body contains this; '' = any body. */
  contains: string
  timeoutMs: number
  /** Consecutive rounds in which every check passes, 1 to 20. */
  threshold: number
  /** health_watch: how long verify keeps checking once the app is healthy; 0 = no watch. */
  watchMs: number
}

/** Every input, parsed and validated once. Only parseInputs and secretInputs read inputs. */
export interface Settings extends LedgerSettings {
  target: Target
  /** '' in verify mode, which makes no VPS.org request. */
  apiToken: string
  /** Sent only to the GitHub API, and only to read a run (only_if_step_started). */
  githubToken: string
  /** The API base without a trailing slash, e.g. `https://admin.vps.org/api/v1`. */
  apiUrl: string
  /** Every server the step acts on, in the order given (at least one; verify: may be empty). */
  serverIds: number[]
  /** The description sent with a new backup, tag included; '' in the other modes. */
  description: string
  /** The description input was shortened to fit, for a warning. */
  descriptionTruncated: boolean
  wait: boolean
  timeoutMs: number
  keepBackups: number
  rollbackOnFailure: boolean
  /** A fixed poll interval forced by the user; undefined = adaptive. */
  pollIntervalMs: number | undefined
  health: HealthSettings
  /** dry_run: resolve and check, then show what would be done, and change nothing. */
  dryRun: boolean
}

/** The inputs action.yml declares, in its order; `npm run check:action` compares the two. */
export const INPUTS = [
  'api_token',
  'api_url',
  'server_id',
  'mode',
  'backup_id',
  'only_if_step_started',
  'unless_step_started',
  'dry_run',
  'github_token',
  'description',
  'wait',
  'timeout',
  'keep_backups',
  'rollback_on_failure',
  'poll_interval',
  'health_url',
  'health_contains',
  'health_timeout',
  'health_threshold',
  'health_watch',
  'environment',
  'allow_rolled_back'
] as const
export type InputName = (typeof INPUTS)[number]

/** An input's raw value ('' when not given), by a name action.yml declares. */
export type InputReader = (name: InputName) => string
