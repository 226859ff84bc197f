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
  /** The deploy ledger (input environment): the environment's deployments page, the deployment. */
  ledger?: LedgerReport
}

export interface LedgerReport {
  environment: string
  /** The environment's deployments page on GitHub. */
  url: string
  /** The deployment this step created (backup) or set a status of. */
  deploymentId?: number
  /** The status this step set. */
  state?: string
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

/*
 * The writes to an Outcome: the modes record what they learn through these, never by assigning
 * its fields, so that what each field means is said once, here.
 */

/** The outcomes of the servers of a step of several, in server_id's order (fleet.ts): new, empty. */
export function splitByServer(step: Outcome, serverIds: readonly number[]): Outcome[] {
  const servers = new Map<number, Outcome>()
  step.servers = servers
  return serverIds.map((serverId) => {
    const outcome: Outcome = { deleted: [] }
    servers.set(serverId, outcome)
    return outcome
  })
}

/** The backup of a backup or delete step, as last seen: the status is the backup's. */
export function recordBackup(outcome: Outcome, backup: Backup): void {
  outcome.backup = backup
  outcome.status = backup.status
}

/** The backup a restore is from, as last seen: the status stays the server's. */
export function recordRestorePoint(outcome: Outcome, backup: Backup): void {
  outcome.backup = backup
}

/** The server, as last seen: the status is the server's. */
export function recordServer(outcome: Outcome, server: Server): void {
  outcome.server = server
  outcome.status = server.status
}

/** What would still be running on VPS.org had the step stopped now. */
export function markPending(outcome: Outcome, what: string): void {
  outcome.pending = what
}

/** Nothing the step started is left running on VPS.org (any more). */
export function clearPending(outcome: Outcome): void {
  outcome.pending = undefined
}

/** The backup is an earlier attempt's, reused. */
export function markReused(outcome: Outcome): void {
  outcome.reused = true
}

/** The restore was carried out and the server is active again: nothing is left running. */
export function markRestored(outcome: Outcome): void {
  outcome.pending = undefined
  outcome.restored = true
}

/** The step deleted this backup (pruning, making room, or delete mode). */
export function recordDeleted(outcome: Outcome, backupId: number): void {
  outcome.deleted.push(backupId)
}

/** Delete mode deleted the step's backup: status `deleted`. */
export function markDeleted(outcome: Outcome, backupId: number): void {
  outcome.status = 'deleted'
  recordDeleted(outcome, backupId)
}

/** The backup to act on is not there (already gone, or none of the run's): status `not_found`. */
export function markNotFound(outcome: Outcome): void {
  outcome.status = 'not_found'
}

/** Nothing to do, and why: status `skipped`. */
export function skip(outcome: Outcome, why: string): void {
  outcome.skipped = why
  outcome.status = 'skipped'
}

/** The workflow run named by `backup_id: run:<run_id>`, and its page. */
export function recordRun(outcome: Outcome, run: { id: number; url: string }): void {
  outcome.run = run
}

/** In a step of several servers: from the step's start to the end of this server's work. */
export function recordTook(outcome: Outcome, tookMs: number): void {
  outcome.tookMs = tookMs
}

/** A dry run (dry_run: true) of a restore or a deletion: nothing is to be changed. */
export function markDryRun(outcome: Outcome, dryRun: boolean): void {
  outcome.dryRun = dryRun || undefined
}

/** What restoring this server discards, as said before the restore request. */
export function recordDataLoss(outcome: Outcome, line: string): void {
  outcome.dataLoss = line
}

/** A dry run whose every check passed: a real run would go ahead (status `dry_run`). */
export function markWouldGoAhead(outcome: Outcome): void {
  outcome.status = 'dry_run'
}

/** The deploy ledger's report (environment), which the ledger fills in as it records. */
export function recordLedger(outcome: Outcome, report: LedgerReport): void {
  outcome.ledger = report
}

/** The outputs were written (a backup step writes them before its best-effort prune). */
export function markOutputsWritten(outcome: Outcome): void {
  outcome.outputsWritten = true
}

/** The app checks' report, filled in as they run (planned before them, so a step that ends first reports them). */
export function recordHealth(outcome: Outcome, report: HealthReport): void {
  outcome.health = report
}

/** A restore step's: restored when each of its servers is (one server: its own outcome already says). */
export function recordStepRestored(step: Outcome, servers: readonly Outcome[]): void {
  step.restored = servers.every((server) => server.restored)
}
