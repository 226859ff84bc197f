import * as core from '@actions/core'
import { sentence } from './vpsorg/api-errors.js'
import type { Backup } from './vpsorg/api-types.js'
import type { Dispatcher } from 'undici'
import { runBackup } from './modes/backup.js'
import { dispatcherFor } from './vpsorg/dispatcher.js'
import { systemClock } from './common/clock.js'
import { readContext } from './github/context.js'
import { runDelete } from './modes/delete.js'
import { pendingOf, serverRuntimes, settle, valuesOf } from './runtime/fleet.js'
import { ActionError, CancelledError } from './common/errors.js'
import type { Prober } from './health/health.js'
import {
  type BackupMap,
  type InputReader,
  type RunRef,
  type Settings,
  type Target,
  parseInputs,
  secretInputs
} from './inputs/inputs.js'
import { type Logger, neutralising } from './common/log.js'
import { stepOutputs } from './report/outputs.js'
import { pruneAfter } from './modes/retention.js'
import { resolveRunBackups } from './modes/run-reference.js'
import type { Outcome } from './runtime/outcome.js'
import { type Runtime, USER_AGENT, createRuntime } from './runtime/runtime.js'
import * as state from './runtime/state.js'
import type { Report } from './report/summary.js'
import { type Scrub, neutralise, scrubberOf } from './common/untrusted.js'
import { WaitTimeoutError } from './common/wait.js'

/** How the action reads an input: as written (parseInputs trims what it needs to). */
const read: InputReader = (name) => core.getInput(name, { trimWhitespace: false })

/** The runner's state, between the main step and the post step. */
const store: state.StateStore = { get: core.getState, save: core.saveState }

/**
 * Removes every secret input, in every encoding, from what the step writes: the log, the failure
 * line, the job summary and the outputs. Set by run() before anything is written.
 */
let scrub: Scrub = (text) => text

/** The step's log: @actions/core, every message scrubbed and neutralised (server text is in them). */
const log: Logger = neutralising(
  { debug: core.debug, info: core.info, warning: core.warning, group: core.group },
  (text) => scrub(text)
)

/** The action's entry point, for the main step and the post step alike. */
export async function run(): Promise<void> {
  const post = state.isPost(store)
  if (!post) state.markMainStarted(store)
  const secrets = secretInputs(read)
  for (const secret of secrets) core.setSecret(secret)
  scrub = scrubberOf(secrets)
  if (post && !state.hasRollback(store)) {
    log.info(state.NOT_ARMED)
    return
  }
  const controller = new AbortController()
  const onSignal = (signal: NodeJS.Signals): void => {
    log.info(`Received ${signal}: the workflow was cancelled; stopping.`)
    controller.abort()
  }
  process.on('SIGINT', onSignal).on('SIGTERM', onSignal)
  const clock = systemClock
  const startedAt = clock.now()
  const outcome: Outcome = { deleted: [] }
  let settings: Settings | undefined
  let dispatcher: Dispatcher | undefined
  let failure: unknown
  let armed = false
  try {
    const context = readContext()
    settings = parseInputs(read, context)
    if (post) settings = state.rollbackSettings(store, settings, log.warning)
    dispatcher = dispatcherFor(process.env)
    const rt = createRuntime({
      settings,
      context,
      clock,
      random: Math.random,
      signal: controller.signal,
      log,
      dispatcher,
      startedAt,
      outcome
    })
    await execute(rt, settings.target, dispatcher)
    // The last act of a backup step that succeeded: nothing after it can fail the step.
    if (!post) armed = state.armRollback(store, settings, outcome)
  } catch (error) {
    failure = error
  } finally {
    process.off('SIGINT', onSignal).off('SIGTERM', onSignal)
    await dispatcher?.destroy()
  }
  const elapsedMs = clock.now() - startedAt
  if (settings) await report({ settings, outcome, elapsedMs, automatic: post, armed, failure })
  else await writeSummary({ outcome, elapsedMs: 0, actionRef: '', error: reason(failure, outcome) })
  if (failure !== undefined) fail(failure, outcome)
}

/**
 * Runs the step's mode, for each of its servers (fleet.ts). Restore's, the health checks' and the
 * summary's modules are loaded when a step needs them: a backup, the step on every deploy's path,
 * compiles none of them before its first request. The GitHub API reads (`run:<run_id>`) are not
 * split off: importing @actions/github from a lazily loaded chunk would move it, and Octokit, out
 * of the entry's top-level code into a module function V8 parses twice (`npm run bench`).
 */
async function execute(rt: Runtime, target: Target, dispatcher: Dispatcher): Promise<void> {
  const { settings, outcome } = rt
  // verify checks the app alone: it acts on no server.
  const servers = target.mode === 'verify' ? [] : serverRuntimes(rt)
  const prober = async (): Promise<Prober> =>
    (await import('./health/probe.js')).createProber({
      dispatcher,
      userAgent: USER_AGENT,
      contains: settings.health.contains
    })
  switch (target.mode) {
    case 'backup':
      await runBackup(rt, servers)
      return afterBackup(rt, servers)
    case 'restore': {
      const refs = await backupsOf(rt, servers, target.backupId, 'restore')
      if (refs === undefined) return
      const { planHealthChecks, checkHealth } = await import('./health/health.js')
      // A dry run restores nothing: it checks no app.
      if (!settings.dryRun) planHealthChecks(outcome, settings.health.checks)
      const { runRestore } = await import('./modes/restore.js')
      const backups = await runRestore(rt, servers, refs as Array<number | 'latest'>)
      // A step of several servers is restored when each of them is (one server: already said).
      outcome.restored = servers.every((s) => s.outcome.restored)
      if (outcome.restored) {
        await checkHealth(rt, await prober(), restoredFrom(servers, backups))
      }
      return
    }
    case 'delete': {
      const ids = await backupsOf(rt, servers, target.backupId, 'delete')
      return ids === undefined
        ? undefined
        : runDelete(rt, servers, ids as Array<number | undefined>)
    }
    case 'verify':
      return (await import('./health/health.js')).checkHealth(rt, await prober())
  }
}

/**
 * Once every backup has completed: the outputs, then the best-effort prune of each server
 * (keep_backups). Nothing is pruned unless every server's backup completed: the newest restore
 * point of the whole fleet may be an older run's. The automatic rollback is armed after this, by
 * run(), once the step has succeeded.
 */
async function afterBackup(rt: Runtime, servers: readonly Runtime[]): Promise<void> {
  const { settings } = rt
  const completed = servers.every((s) => s.outcome.backup?.status === 'completed')
  if (settings.rollbackOnFailure && !completed) {
    rt.log.warning('rollback_on_failure needs a completed backup: set wait: true.')
  }
  if (!completed || settings.keepBackups === 0) return
  // The backups are safe and said so before the best-effort prune.
  writeOutputs(settings, rt.outcome)
  await rt.log.group('Prune older backups', async () => {
    valuesOf(await settle(servers, (s) => pruneAfter(s, s.outcome.backup!)), () => 'pruned')
  })
}

/**
 * Each server's backup_id: the id; `latest`; its entry in the backup_ids object; or the backup a
 * workflow run made (`run:<run_id>`, read when needed). Undefined: nothing to do (the run never
 * changed the servers). A server's undefined entry: delete found none of that run's.
 */
async function backupsOf(
  rt: Runtime,
  servers: readonly Runtime[],
  backupId: number | 'latest' | RunRef | BackupMap,
  mode: 'restore' | 'delete'
): Promise<Array<number | 'latest' | undefined> | undefined> {
  if (backupId instanceof Map) return servers.map((s) => backupId.get(s.settings.serverId))
  if (typeof backupId !== 'object') return servers.map(() => backupId)
  return resolveRunBackups(rt, servers, backupId as RunRef, mode)
}

/** What the servers were restored from, for a health failure's line. */
function restoredFrom(servers: readonly Runtime[], backups: readonly Backup[]): string {
  if (servers.length === 1) {
    return `Server ${servers[0]!.settings.serverId} was restored from backup ${backups[0]!.id} and is active`
  }
  const each = servers.map((s, i) => `${s.settings.serverId} from backup ${backups[i]!.id}`)
  return `Servers ${each.join(', ')} were restored and are active`
}

/** How a step ended, for report(). */
interface Ending {
  settings: Settings
  outcome: Outcome
  elapsedMs: number
  /** The post step's automatic rollback. */
  automatic: boolean
  /** The step armed the post step's automatic rollback. */
  armed: boolean
  /** What failed the step; undefined when it succeeded. */
  failure: unknown
}

/** Outputs and the job summary, each written once, whatever ended the step. */
async function report(ending: Ending): Promise<void> {
  const { settings, outcome, elapsedMs, automatic, armed, failure } = ending
  const env = process.env
  if (!automatic && !outcome.outputsWritten) writeOutputs(settings, outcome)
  const actionRef = `${env.GITHUB_ACTION_REPOSITORY || 'vpsorg/backup-action'}@${env.GITHUB_ACTION_REF || 'v1'}`
  await writeSummary({
    mode: settings.target.mode,
    serverIds: settings.serverIds,
    // What is still running shows under its own heading; the failure's reason does not repeat it.
    outcome,
    elapsedMs,
    automatic,
    actionRef: actionRef.replace(/[^\w./@-]/g, ''),
    apiUrl: settings.apiUrl,
    // Steps without an id get a generated one (`__owner_repo`) that `steps.` cannot name.
    stepId: env.GITHUB_ACTION?.startsWith('__') ? undefined : env.GITHUB_ACTION,
    error: failure === undefined ? undefined : reason(failure, outcome),
    rollback: settings.rollbackOnFailure && !automatic ? (armed ? 'armed' : 'not armed') : undefined
  })
}

async function writeSummary(summary: Report): Promise<void> {
  try {
    const { renderSummary } = await import('./report/summary.js')
    await core.summary.addRaw(renderSummary({ ...summary, scrub })).write()
  } catch (error) {
    log.warning(`Could not write the job summary: ${(error as Error).message}`)
  }
}

/** The step's outputs (checked: server text that is not what an output promises is left out), written once. */
function writeOutputs(settings: Settings, outcome: Outcome): void {
  for (const [name, value] of Object.entries(
    stepOutputs(outcome, settings.target, settings.serverIds, log.warning)
  )) {
    core.setOutput(name, scrub(value))
  }
  outcome.outputsWritten = true
}

/** Why the step failed, without what it left running (the summary says that under its own heading). */
function reason(error: unknown, outcome: Outcome): string {
  if (error instanceof CancelledError) {
    return `The workflow was cancelled.${pendingOf(outcome) ? '' : ' Nothing the action started is left running on VPS.org.'}`
  }
  if (error instanceof WaitTimeoutError && outcome.servers) {
    return `${error.message}. backup_ids names every backup created, for later steps.`
  }
  if (error instanceof WaitTimeoutError && outcome.backup) {
    return `${error.message}. backup_id is set to ${outcome.backup.id} for later steps.`
  }
  return error instanceof Error ? error.message : String(error)
}

/**
 * The failure's line for the log: why, then what is left running. Why is a sentence of its own:
 * it may end in a server's words, with a full stop or without.
 */
function message(error: unknown, outcome: Outcome): string {
  const why = reason(error, outcome)
  const pending = pendingOf(outcome)
  return why && pending ? `${sentence(why)} ${pending}` : why || pending || ''
}

/** One line for an expected failure; the stack only for a bug, and only in the debug log. */
function fail(error: unknown, outcome: Outcome): void {
  if (!(error instanceof ActionError) && error instanceof Error) log.debug(error.stack ?? '')
  core.setFailed(neutralise(scrub(message(error, outcome))))
}
