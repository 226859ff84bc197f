import * as core from '@actions/core'
import type { Dispatcher } from 'undici'
import { runBackup } from './backup.js'
import { dispatcherFor } from './dispatcher.js'
import { systemClock } from './clock.js'
import { readContext } from './context.js'
import { runDelete } from './delete.js'
import { ActionError, CancelledError } from './errors.js'
import type { Prober } from './health.js'
import {
  type BackupMap,
  type InputReader,
  type RunRef,
  type Settings,
  type Target,
  parseInputs,
  parsePositiveInteger,
  secretInputs
} from './inputs.js'
import { type Logger, neutralising } from './log.js'
import { stepOutputs } from './outputs.js'
import { pruneAfter } from './retention.js'
import { type Outcome, type Runtime, USER_AGENT, createRuntime } from './runtime.js'
import * as state from './state.js'
import type { Report } from './summary.js'
import { neutralise } from './untrusted.js'
import { WaitTimeoutError } from './wait.js'

/** The step's log: @actions/core, every message neutralised (server text is in them). */
const log: Logger = neutralising({
  debug: core.debug,
  info: core.info,
  warning: core.warning,
  group: core.group
})

/** How the action reads an input: as written (parseInputs trims what it needs to). */
const read: InputReader = (name) => core.getInput(name, { trimWhitespace: false })

/** The action's entry point, for the main step and the post step alike. */
export async function run(): Promise<void> {
  const post = state.isPost()
  if (!post) state.markMainStarted()
  for (const secret of secretInputs(read)) core.setSecret(secret)
  if (post && !state.savedRollback().backupId) {
    log.info('No automatic rollback: rollback_on_failure was not set, or no backup completed.')
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
  try {
    const context = readContext()
    settings = parseInputs(read, context)
    if (post) settings = rollbackSettings(settings)
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
  } catch (error) {
    failure = error
  } finally {
    process.off('SIGINT', onSignal).off('SIGTERM', onSignal)
    await dispatcher?.destroy()
  }
  const elapsedMs = clock.now() - startedAt
  if (settings) await report({ settings, outcome, elapsedMs, automatic: post, failure })
  else await writeSummary({ outcome, elapsedMs: 0, actionRef: '', error: reason(failure, outcome) })
  if (failure !== undefined) fail(failure, outcome)
}

/**
 * Runs the step's mode. A mode's own modules are loaded when it runs, not at start: a backup, the
 * step on every deploy's path, compiles none of restore's, the health checks' or the GitHub API's
 * code before its first request (start-up: `npm run bench`).
 */
async function execute(rt: Runtime, target: Target, dispatcher: Dispatcher): Promise<void> {
  const { settings, outcome } = rt
  const prober = async (): Promise<Prober> =>
    (await import('./health-probe.js')).createProber({
      dispatcher,
      userAgent: USER_AGENT,
      contains: settings.health.contains
    })
  const runBackupOf = async (
    ref: RunRef,
    mode: 'restore' | 'delete'
  ): Promise<number | undefined> =>
    (await import('./run-backup.js')).resolveRunBackup(rt, ref, mode)
  /** A backup_id object gives the backup of server_id's (first) server. */
  const ofServer = <T>(id: T | BackupMap): T | number | undefined =>
    id instanceof Map ? id.get(settings.serverId) : (id as T)
  switch (target.mode) {
    case 'backup':
      await runBackup(rt)
      if (settings.rollbackOnFailure) {
        if (outcome.backup?.status === 'completed') {
          state.saveRollback(outcome.backup.id, settings.serverId)
        } else rt.log.warning('rollback_on_failure needs a completed backup: set wait: true.')
      }
      if (outcome.backup?.status === 'completed' && settings.keepBackups > 0) {
        // The backup is safe and said so before the best-effort prune.
        writeOutputs(settings, outcome)
        const own = outcome.backup
        await rt.log.group('Prune older backups', () => pruneAfter(rt, own))
      }
      return
    case 'restore': {
      const backupId = ofServer(target.backupId)
      const ref = typeof backupId === 'object' ? await runBackupOf(backupId, 'restore') : backupId
      if (ref === undefined) return
      const { planHealthChecks, checkHealth } = await import('./health.js')
      planHealthChecks(outcome, settings.health.checks)
      await (await import('./restore.js')).runRestore(rt, ref)
      if (outcome.restored) await checkHealth(rt, await prober(), outcome.backup?.id)
      return
    }
    case 'delete': {
      const backupId = ofServer(target.backupId)
      const id = typeof backupId === 'object' ? await runBackupOf(backupId, 'delete') : backupId
      return id === undefined ? undefined : runDelete(rt, id)
    }
    case 'verify':
      return (await import('./health.js')).checkHealth(rt, await prober())
  }
}

/**
 * The post step restores from the backup the main step saved, and always waits; only when that
 * main step was a backup step with rollback_on_failure: true of this very server.
 */
function rollbackSettings(settings: Settings): Settings {
  const saved = state.savedRollback()
  const backupId = parsePositiveInteger(saved.backupId)
  const refuse = (why: string): ActionError =>
    new ActionError(`No automatic rollback: ${why}. Nothing was restored.`)
  if (backupId === undefined) throw refuse('the saved rollback backup id is not valid')
  if (settings.target.mode !== 'backup' || !settings.rollbackOnFailure) {
    throw refuse('this step is not a backup step with rollback_on_failure: true')
  }
  if (saved.serverId !== String(settings.serverId)) {
    throw refuse(`the saved backup ${backupId} is not one of server ${settings.serverId}`)
  }
  log.warning(
    `The job failed: automatic rollback (rollback_on_failure) restores server ${settings.serverId} from backup ${backupId}, taken before the deploy.`
  )
  return { ...settings, target: { mode: 'restore', backupId }, wait: true }
}

/** How a step ended, for report(). */
interface Ending {
  settings: Settings
  outcome: Outcome
  elapsedMs: number
  /** The post step's automatic rollback. */
  automatic: boolean
  /** What failed the step; undefined when it succeeded. */
  failure: unknown
}

/** Outputs and the job summary, each written once, whatever ended the step. */
async function report({ settings, outcome, elapsedMs, automatic, failure }: Ending): Promise<void> {
  const env = process.env
  if (!automatic && !outcome.outputsWritten) writeOutputs(settings, outcome)
  const actionRef = `${env.GITHUB_ACTION_REPOSITORY || 'vpsorg/backup-action'}@${env.GITHUB_ACTION_REF || 'v1'}`
  await writeSummary({
    mode: settings.target.mode,
    serverId: settings.serverId,
    // What is still running shows under its own heading; the failure's reason does not repeat it.
    outcome,
    elapsedMs,
    automatic,
    actionRef: actionRef.replace(/[^\w./@-]/g, ''),
    apiUrl: settings.apiUrl,
    // Steps without an id get a generated one (`__owner_repo`) that `steps.` cannot name.
    stepId: env.GITHUB_ACTION?.startsWith('__') ? undefined : env.GITHUB_ACTION,
    error: failure === undefined ? undefined : reason(failure, outcome)
  })
}

async function writeSummary(summary: Report): Promise<void> {
  try {
    const { renderSummary } = await import('./summary.js')
    await core.summary.addRaw(renderSummary(summary)).write()
  } catch (error) {
    log.warning(`Could not write the job summary: ${(error as Error).message}`)
  }
}

/** The step's outputs (checked: server text that is not what an output promises is left out), written once. */
function writeOutputs(settings: Settings, outcome: Outcome): void {
  for (const [name, value] of Object.entries(stepOutputs(outcome, settings.target, log.warning))) {
    core.setOutput(name, value)
  }
  outcome.outputsWritten = true
}

/** Why the step failed, without what it left running (the summary says that under its own heading). */
function reason(error: unknown, outcome: Outcome): string {
  if (error instanceof CancelledError) {
    return `The workflow was cancelled.${outcome.pending ? '' : ' Nothing the action started is left running on VPS.org.'}`
  }
  if (error instanceof WaitTimeoutError && outcome.backup) {
    return `${error.message}. backup_id is set to ${outcome.backup.id} for later steps.`
  }
  return error instanceof Error ? error.message : String(error)
}

/** The failure's line for the log: why, then what is left running. */
function message(error: unknown, outcome: Outcome): string {
  return [reason(error, outcome), outcome.pending].filter(Boolean).join(' ')
}

/** One line for an expected failure; the stack only for a bug, and only in the debug log. */
function fail(error: unknown, outcome: Outcome): void {
  if (!(error instanceof ActionError) && error instanceof Error) log.debug(error.stack ?? '')
  core.setFailed(neutralise(message(error, outcome)))
}
