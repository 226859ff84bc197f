import type { Backup, Server } from '../vpsorg/api-types.js'

/**
 * What the step has learned so far. The modes fill it in as they go, so that whatever ends the
 * step (success, failure, timeout, cancellation) can still report the backup it knows of.
 */
export interface Outcome {
  backup?: Backup
  server?: Server
  /** The value of the `status` output. */
  status?: string
  /** This step's restore was carried out and the server is active again. */
  restored?: boolean
  /** A re-run found and reused the backup an earlier attempt created. */
  reused?: boolean
  /** Backups this step deleted (pruning, making room, or delete mode). */
  deleted: number[]
  /** Why nothing was done (status `skipped`), for the summary. */
  skipped?: string
  /** The workflow run named by `backup_id: run:<run_id>`, and its page. */
  run?: { id: number; url: string }
  /** What was still running on VPS.org had the step stopped now, for the cancellation message. */
  pending?: string
  /** The outputs were written (a backup step writes them before its best-effort prune). */
  outputsWritten?: boolean
  /** The app checks, once they have started (restore with health_url, verify). */
  health?: HealthReport
  /** A step of several servers: each server's own outcome, in server_id's order (fleet.ts). */
  servers?: Map<number, Outcome>
  /** In a step of several servers: from the step's start to the end of this server's work. */
  tookMs?: number
  /** A dry run (dry_run: true) of a restore or a deletion: nothing was changed. */
  dryRun?: boolean
  /** What restoring this server discards, said before the restore request (modes/data-loss.ts). */
  dataLoss?: string
}

export interface CheckReport {
  target: string
  /** The last answer, or `not checked` before the first round. */
  lastAnswer: string
  /** Rounds in which this check was probed. */
  rounds: number
  /** From the start of the checks to the round that completed the streak of healthy rounds. */
  healthyAfterMs?: number
}

/** The checks' progress, filled in as they run, so that whatever ends the step can report it. */
export interface HealthReport {
  /** Undefined until the checks end: passed (true) or timed out (false). */
  healthy?: boolean
  checks: CheckReport[]
  rounds: number
  /** The most recent failure: which check, what it answered, and whether in the last round. */
  failing?: { target: string; answer: string; lastRound: boolean }
  /** health_watch: the rounds after the app became healthy (health/watch.ts). */
  watch?: WatchReport
}

/** A check that failed during the watch, what it answered, and how far into the watch. */
export interface WatchFailure {
  target: string
  answer: string
  afterMs: number
}

/** The watch after the app became healthy (health_watch), filled in as it runs. */
export interface WatchReport {
  /** How long the watch was to last (health_watch). */
  ms: number
  /** Rounds of checks during the watch. */
  rounds: number
  /** Rounds in which a check failed: fewer than health_threshold in a row are tolerated. */
  failedRounds: number
  /** The latest failing round. */
  lastFailure?: WatchFailure
  /** The app broke: health_threshold rounds in a row failed, the first of them `afterMs` in. */
  broke?: WatchFailure
  /** The watch ran to its end without the app breaking. */
  ended?: boolean
}
