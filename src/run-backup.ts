import { type Backup, newestFirst } from './api-types.js'
import type { RunContext } from './context.js'
import { type Tag, isOwnRepository, parseTag } from './description.js'
import { ActionError } from './errors.js'
import { type GitHubReader, gitHubReader, oneLine, stepStarted } from './github.js'
import type { RunRef } from './inputs.js'
import { phase, valuesOf } from './fleet.js'
import type { Runtime } from './runtime.js'

/** The attempt a tag names; 0 for a v1.0.0 tag, which names none. */
const attemptOf = (tag: Tag): number => tag.attempt ?? 0

/**
 * The completed backup that run `runId` of this repository made, of its newest attempt: among the
 * server's backups, those whose tag names this repository and that run, the highest attempt, then
 * the newest. Another repository's backups never match, whatever their run id.
 */
export function findRunBackup(
  backups: Backup[],
  runId: number,
  context: RunContext
): Backup | undefined {
  return backups
    .map((backup) => ({ backup, tag: parseTag(backup.description) }))
    .filter(
      ({ backup, tag }) =>
        backup.status === 'completed' &&
        isOwnRepository(tag, context) &&
        tag!.runId === String(runId)
    )
    .sort((a, b) => attemptOf(b.tag!) - attemptOf(a.tag!) || newestFirst(a.backup, b.backup))[0]
    ?.backup
}

/** The run's page: GitHub's `html_url` when it is an https URL, else the one the context implies. */
function runUrl(context: RunContext, runId: number, htmlUrl?: string): string {
  if (htmlUrl && URL.canParse(htmlUrl) && new URL(htmlUrl).protocol === 'https:') return htmlUrl
  return `${context.serverUrl}/${context.repository}/actions/runs/${runId}`
}

/**
 * only_if_step_started: reads the run and its steps through the GitHub API. True when the step had
 * started; false (with status `skipped` and the reason logged) when the server was never changed.
 */
async function stepHadStarted(rt: Runtime, reader: GitHubReader, ref: RunRef): Promise<boolean> {
  const { context, log, outcome } = rt
  const step = ref.onlyIfStepStarted!
  const run = await reader.getRun(ref.runId)
  outcome.run = { id: ref.runId, url: runUrl(context, ref.runId, run.htmlUrl) }
  if (run.repository.toLowerCase() !== context.repository.toLowerCase()) {
    throw new ActionError(
      `Run ${ref.runId} belongs to ${oneLine(run.repository)}, not ${context.repository}: only a run of this repository can be rolled back; nothing was restored.`
    )
  }
  if (run.status !== 'completed') {
    throw new ActionError(
      `Run ${ref.runId} is ${oneLine(run.status)}, not completed: '${step}' may still change the server, so nothing was restored. Roll it back once the run has ended.`
    )
  }
  if (stepStarted(await reader.listSteps(ref.runId), step)) {
    log.info(`Run ${ref.runId} had started '${step}': the server may have been changed.`)
    return true
  }
  const ended =
    run.conclusion === 'cancelled'
      ? 'was cancelled'
      : `ended (${oneLine(run.conclusion ?? 'no conclusion')})`
  outcome.skipped = `Run ${ref.runId} ${ended} before '${step}' started: the server was never changed; nothing was restored.`
  log.info(outcome.skipped)
  outcome.status = 'skipped'
  return false
}

/**
 * `backup_id: run:<run_id>`: for each server, the id of the backup that run made of it; or
 * undefined when there is nothing to do (restore: the step never started, status `skipped`). A
 * delete warns about a server with no such backup (status `not_found`) and leaves it out; a
 * restore with any such server fails before any restore is requested.
 */
export async function resolveRunBackups(
  step: Runtime,
  servers: readonly Runtime[],
  ref: RunRef,
  mode: 'restore' | 'delete'
): Promise<Array<number | undefined> | undefined> {
  const { settings, context, log, outcome } = step
  outcome.run ??= { id: ref.runId, url: runUrl(context, ref.runId) }
  if (ref.onlyIfStepStarted !== undefined) {
    const reader = gitHubReader({
      token: settings.githubToken,
      repository: context.repository,
      apiUrl: context.apiUrl,
      signal: step.signal,
      deadline: step.deadline,
      now: () => step.clock.now()
    })
    const started = await log.group(`Read run ${ref.runId} from GitHub`, () =>
      stepHadStarted(step, reader, ref)
    )
    if (!started) {
      for (const rt of servers) rt.outcome.status = 'skipped'
      return undefined
    }
  }
  return valuesOf(
    await phase(step, servers, `Find run ${ref.runId}'s backups`, (rt) =>
      runBackupOf(rt, ref.runId, mode)
    ),
    (id) => (id === undefined ? 'none' : `backup ${id}`)
  )
}

/** The backup run `runId` made of the server: see resolveRunBackups. */
async function runBackupOf(
  rt: Runtime,
  runId: number,
  mode: 'restore' | 'delete'
): Promise<number | undefined> {
  const { settings, log } = rt
  const backup = findRunBackup(await rt.client.listBackups(settings.serverId), runId, rt.context)
  if (backup) {
    log.info(`Run ${runId} made backup ${backup.id} of server ${settings.serverId}.`)
    return backup.id
  }
  const none = `Run ${runId} made no completed backup of server ${settings.serverId}`
  if (mode === 'restore') throw new ActionError(`${none}; no restore was requested.`)
  log.warning(`${none}: nothing was deleted.`)
  rt.outcome.status = 'not_found'
  return undefined
}
