import type { Dispatcher } from 'undici'
import type { Backup, Server } from './api-types.js'
import { VpsOrgClient } from './client.js'
import type { Clock } from './clock.js'
import type { RunContext } from './context.js'
import type { HealthReport } from './health.js'
import type { Settings } from './inputs.js'
import type { Logger } from './log.js'
import { type PollPolicy, adaptivePolicy, fixedPolicy } from './wait.js'

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
}

/** Everything a mode needs; built once, by createRuntime. */
export interface Runtime {
  settings: Settings
  context: RunContext
  client: VpsOrgClient
  clock: Clock
  random: () => number
  signal: AbortSignal
  log: Logger
  /** How requests leave the runner (the proxy agent): the GitHub API reads use it too. */
  dispatcher: Dispatcher
  policy: PollPolicy
  startedAt: number
  deadline: number
  outcome: Outcome
}

/** The User-Agent of every request the action makes. */
export const USER_AGENT = 'vpsorg-backup-action/1'

/** What createRuntime builds a Runtime from: the step's settings and its injectable edges. */
export interface RuntimeParts {
  settings: Settings
  context: RunContext
  clock: Clock
  random: () => number
  /** Aborts every request and sleep: the workflow was cancelled. */
  signal: AbortSignal
  log: Logger
  /** How requests reach VPS.org (a proxy agent, or a test's mock). */
  dispatcher: Dispatcher
  /** When the step started; by default now. The deadline is `timeout` after it. */
  startedAt?: number
  /** Where the modes record what they learn; by default a new, empty one. */
  outcome?: Outcome
}

/** The Runtime and its VpsOrgClient, wired once: the same clock, signal, deadline and log. */
export function createRuntime(parts: RuntimeParts): Runtime {
  const { settings, clock, random, signal, log, dispatcher } = parts
  const startedAt = parts.startedAt ?? clock.now()
  const deadline = startedAt + settings.timeoutMs
  const client = new VpsOrgClient({
    apiUrl: settings.apiUrl,
    token: settings.apiToken,
    dispatcher,
    clock,
    random,
    signal,
    deadline,
    log,
    userAgent: USER_AGENT
  })
  return {
    settings,
    context: parts.context,
    client,
    clock,
    random,
    signal,
    log,
    dispatcher,
    policy: settings.pollIntervalMs ? fixedPolicy(settings.pollIntervalMs) : adaptivePolicy,
    startedAt,
    deadline,
    outcome: parts.outcome ?? { deleted: [] }
  }
}
