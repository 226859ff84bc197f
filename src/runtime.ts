import type { Backup, Server } from './api-types.js'
import type { VpsOrgClient } from './client.js'
import type { Clock } from './clock.js'
import type { RunContext } from './context.js'
import type { HealthReport } from './health.js'
import type { Settings } from './inputs.js'
import type { Logger } from './log.js'
import type { PollPolicy } from './wait.js'

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
}

/** Everything a mode needs; built once by run(), replaced wholesale in tests. */
export interface Runtime {
  settings: Settings
  context: RunContext
  client: VpsOrgClient
  clock: Clock
  random: () => number
  signal: AbortSignal
  log: Logger
  policy: PollPolicy
  startedAt: number
  deadline: number
  outcome: Outcome
}
