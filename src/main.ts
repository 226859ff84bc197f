import * as core from '@actions/core'
import type { Dispatcher } from 'undici'
import { runBackup } from './backup.js'
import { VpsOrgClient, dispatcherFor } from './client.js'
import { type Clock, systemClock } from './clock.js'
import { readContext } from './context.js'
import { runDelete } from './delete.js'
import { ActionError, CancelledError } from './errors.js'
import { type Settings, type Target, parseInputs, parsePositiveInteger } from './inputs.js'
import type { Logger } from './log.js'
import { runRestore } from './restore.js'
import { resolveRunBackup } from './run-backup.js'
import type { Outcome, Runtime } from './runtime.js'
import * as state from './state.js'
import { renderSummary } from './summary.js'
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
  for (const secret of ['api_token', 'github_token']) {
    const token = core.getInput(secret)
    if (token) core.setSecret(token)
  }
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
    const context = readContext()
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
    case 'restore': {
      const { backupId } = target
      const ref =
        typeof backupId === 'object' ? await resolveRunBackup(rt, backupId, 'restore') : backupId
      return ref === undefined ? undefined : runRestore(rt, ref)
    }
    case 'delete': {
      const { backupId } = target
      const id =
        typeof backupId === 'object' ? await resolveRunBackup(rt, backupId, 'delete') : backupId
      return id === undefined ? undefined : runDelete(rt, id)
    }
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
      backup_id:
        backup?.id ??
        (target.mode === 'backup' || typeof target.backupId === 'object'
          ? undefined
          : target.backupId),
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
  const markdown = renderSummary({
    mode: target.mode,
    serverId: settings.serverId,
    outcome,
    elapsedMs,
    automatic: post,
    actionRef: actionRef.replace(/[^\w./@-]/g, ''),
    error: failure === undefined ? undefined : message(failure, outcome)
  })
  try {
    await core.summary.addRaw(markdown).write()
  } catch (error) {
    core.warning(`Could not write the job summary: ${(error as Error).message}`)
  }
}

function message(error: unknown, outcome: Outcome): string {
  if (error instanceof CancelledError) {
    return `The workflow was cancelled. ${outcome.pending ?? 'Nothing the action started is left running on VPS.org.'}`
  }
  if (error instanceof WaitTimeoutError && outcome.backup) {
    return `${error.message}. ${outcome.pending ?? ''} backup_id is set to ${outcome.backup.id} for later steps.`.trim()
  }
  return error instanceof Error ? error.message : String(error)
}

/** One line for an expected failure; the stack only for a bug, and only in the debug log. */
function fail(error: unknown, outcome: Outcome): void {
  if (!(error instanceof ActionError) && error instanceof Error) core.debug(error.stack ?? '')
  core.setFailed(message(error, outcome))
}
