import * as core from '@actions/core'
import type { Dispatcher } from 'undici'
import { runBackup } from './backup.js'
import { VpsOrgClient, dispatcherFor } from './client.js'
import { type Clock, systemClock } from './clock.js'
import { readContext } from './context.js'
import { runDelete } from './delete.js'
import { ActionError, ApiError, CancelledError, TransportError } from './errors.js'
import { type Settings, type Target, parseInputs, parsePositiveInteger } from './inputs.js'
import type { Logger } from './log.js'
import { runRestore } from './restore.js'
import type { Outcome, Runtime } from './runtime.js'
import * as state from './state.js'
import { type Report, renderSummary } from './summary.js'
import { WaitTimeoutError, adaptivePolicy, fixedPolicy } from './wait.js'

const USER_AGENT = 'vpsorg-backup-action/1'

const coreLogger: Logger = {
  debug: core.debug,
  info: core.info,
  warning: core.warning,
  group: core.group
}

/** The action's entry point, for the main step and the post step alike. */
export async function run(env: NodeJS.ProcessEnv = process.env, clock: Clock = systemClock) {
  const post = state.isPost()
  if (!post) state.markMainStarted()
  const token = core.getInput('api_token')
  if (token) core.setSecret(token)
  if (post && !state.rollbackBackupId()) {
    core.info('No automatic rollback: rollback_on_failure was not set, or no backup completed.')
    return
  }
  const controller = new AbortController()
  const onSignal = (signal: NodeJS.Signals): void => {
    core.info(`Received ${signal}: the workflow was cancelled; stopping.`)
    controller.abort()
  }
  process.on('SIGINT', onSignal).on('SIGTERM', onSignal)
  const startedAt = clock.now()
  const outcome: Outcome = { deleted: [] }
  let settings: Settings | undefined
  let dispatcher: Dispatcher | undefined
  let failure: unknown
  try {
    const context = readContext(env)
    settings = parseInputs((name) => core.getInput(name, { trimWhitespace: false }), context)
    if (post) settings = rollbackSettings(settings)
    dispatcher = dispatcherFor(env)
    const rt: Runtime = {
      settings,
      context,
      clock,
      outcome,
      startedAt,
      random: Math.random,
      signal: controller.signal,
      log: coreLogger,
      deadline: startedAt + settings.timeoutMs,
      policy: settings.pollIntervalMs ? fixedPolicy(settings.pollIntervalMs) : adaptivePolicy,
      client: new VpsOrgClient({
        apiUrl: settings.apiUrl,
        token: settings.apiToken,
        dispatcher,
        clock,
        random: Math.random,
        signal: controller.signal,
        deadline: startedAt + settings.timeoutMs,
        log: coreLogger,
        userAgent: USER_AGENT
      })
    }
    await execute(rt, settings.target)
  } catch (error) {
    failure = error
  } finally {
    process.off('SIGINT', onSignal).off('SIGTERM', onSignal)
    await dispatcher?.destroy()
  }
  if (settings) await report(settings, outcome, clock.now() - startedAt, post, failure, env)
  else await writeSummary({ outcome, elapsedMs: 0, actionRef: '', error: reason(failure, outcome) })
  if (failure !== undefined) fail(failure, outcome)
}

async function execute(rt: Runtime, target: Target): Promise<void> {
  const { settings, outcome } = rt
  switch (target.mode) {
    case 'backup':
      await runBackup(rt)
      if (settings.rollbackOnFailure) {
        if (outcome.backup?.status === 'completed') state.saveRollbackBackupId(outcome.backup.id)
        else core.warning('rollback_on_failure needs a completed backup: set wait: true.')
      }
      return
    case 'restore':
      return runRestore(rt, target.backupId)
    case 'delete':
      return runDelete(rt, target.backupId)
  }
}

/** The post step restores from the backup the main step saved, and always waits. */
function rollbackSettings(settings: Settings): Settings {
  const backupId = parsePositiveInteger(state.rollbackBackupId())
  if (backupId === undefined) throw new ActionError('The saved rollback backup id is not valid.')
  core.warning(
    `The job failed: automatic rollback (rollback_on_failure) restores server ${settings.serverId} from backup ${backupId}, taken before the deploy.`
  )
  return { ...settings, target: { mode: 'restore', backupId }, wait: true }
}

/** Outputs and the job summary, each written once, whatever ended the step. */
async function report(
  settings: Settings,
  outcome: Outcome,
  elapsedMs: number,
  post: boolean,
  failure: unknown,
  env: NodeJS.ProcessEnv
): Promise<void> {
  const { backup, server } = outcome
  const { target } = settings
  if (!post) {
    const outputs: Record<string, string | number | null | undefined> = {
      // Set in every mode: a backup deleted or not found still has the id it was asked for.
      backup_id: backup?.id ?? (target.mode === 'backup' ? undefined : target.backupId),
      status: outcome.status,
      size_mb: backup?.size_mb,
      created_at: backup?.created_at,
      server_name: server?.name ?? backup?.server.name
    }
    for (const [name, value] of Object.entries(outputs)) {
      if (value !== undefined && value !== null) core.setOutput(name, String(value))
    }
  }
  const actionRef = `${env.GITHUB_ACTION_REPOSITORY || 'vpsorg/backup-action'}@${env.GITHUB_ACTION_REF || 'v1'}`
  await writeSummary({
    mode: target.mode,
    serverId: settings.serverId,
    // What is still running, under its own heading; the failure's reason does not repeat it.
    outcome: { ...outcome, pending: leftRunning(failure, outcome) },
    elapsedMs,
    automatic: post,
    actionRef: actionRef.replace(/[^\w./@-]/g, ''),
    apiUrl: settings.apiUrl,
    // Steps without an id get a generated one (`__owner_repo`) that `steps.` cannot name.
    stepId: env.GITHUB_ACTION?.startsWith('__') ? undefined : env.GITHUB_ACTION,
    error: failure === undefined ? undefined : reason(failure, outcome)
  })
}

async function writeSummary(summary: Report): Promise<void> {
  try {
    await core.summary.addRaw(renderSummary(summary)).write()
  } catch (error) {
    core.warning(`Could not write the job summary: ${(error as Error).message}`)
  }
}

/**
 * What the failure left running on VPS.org. Nothing after a verdict (a plain ActionError: the
 * backup failed or vanished, the server went to `error`, a refusal): only a timeout, a
 * cancellation or an API or network failure can stop the step while an operation goes on.
 */
function leftRunning(error: unknown, outcome: Outcome): string | undefined {
  const verdict =
    error instanceof ActionError &&
    ![ApiError, TransportError, WaitTimeoutError, CancelledError].some((t) => error instanceof t)
  return verdict ? undefined : outcome.pending
}

/** Why the step failed, without what it left running. */
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
  return [reason(error, outcome), leftRunning(error, outcome)].filter(Boolean).join(' ')
}

/** One line for an expected failure; the stack only for a bug, and only in the debug log. */
function fail(error: unknown, outcome: Outcome): void {
  if (!(error instanceof ActionError) && error instanceof Error) core.debug(error.stack ?? '')
  core.setFailed(message(error, outcome))
}
