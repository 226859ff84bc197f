import type { Dispatcher } from 'undici'
import { VpsOrgClient } from '../vpsorg/client.js'
import type { Clock } from '../common/clock.js'
import type { RunContext } from '../github/context.js'
import type { Outcome } from './outcome.js'
import type { Settings } from '../inputs/settings.js'
import type { Logger } from '../common/log.js'
import { type PollPolicy, adaptivePolicy, fixedPolicy } from '../common/wait.js'

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

/**
 * One server's part of a step: the step's Runtime with the server it acts on, that server's
 * Outcome and a log that names it (fleet.ts serverRuntimes). The per-server work of the modes
 * takes one; the step's Runtime acts on no server in particular.
 */
export interface ServerRuntime extends Runtime {
  serverId: number
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
