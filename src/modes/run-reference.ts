import { logLine } from '../common/untrusted.js'
import { type Backup, newestFirst } from '../vpsorg/api-types.js'
import type { RunContext } from '../github/context.js'
import { type Tag, isOwnRepository, parseTag } from '../github/description.js'
import { ActionError } from '../common/errors.js'
import {
  type GitHubReader,
  type Job,
  gitHubReader,
  stepNames,
  stepStarted
} from '../github/runs.js'
import type { RunRef } from '../inputs/settings.js'
import { phase, valuesOf } from '../runtime/fleet.js'
import type { Runtime, ServerRuntime } from '../runtime/runtime.js'
import { markNotFound, recordRun, skip } from '../runtime/outcome.js'

/** The attempt a tag names; 0 for a v1.0.0 tag, which names none. */
const attemptOf = (tag: Tag): number => tag.attempt ?? 0

/** The server's backups with the tags of this repository's runs. */
const ownTagged = (backups: Backup[], context: RunContext) =>
  backups
    .map((backup) => ({ backup, tag: parseTag(backup.description) }))
    .filter((b): b is { backup: Backup; tag: Tag } => isOwnRepository(b.tag, context))

/**
 * The completed backup that run `runId` of this repository made, of its newest attempt up to
 * `maxAttempt`: among the server's backups, those whose tag names this repository and that run,
 * the highest attempt, then the newest. Another repository's backups never match, whatever their
 * run id.
 */
export function findRunBackup(
  backups: Backup[],
  runId: number,
  context: RunContext,
  maxAttempt = Number.POSITIVE_INFINITY
): Backup | undefined {
  return ownTagged(backups, context)
    .filter(
      ({ backup, tag }) =>
        backup.status === 'completed' && tag.runId === String(runId) && attemptOf(tag) <= maxAttempt
    )
    .sort((a, b) => attemptOf(b.tag) - attemptOf(a.tag) || newestFirst(a.backup, b.backup))[0]
    ?.backup
}

/**
 * The newest backup another run of this repository made of the server since `own` was created
 * (by created_at), completed or still running: that run's deploy has run or is about to, and
 * restoring `own` would undo it. A failed backup does not count: its deploy never ran.
 */
export function newerRunBackup(
  backups: Backup[],
  own: Backup,
  context: RunContext
): { backup: Backup; tag: Tag } | undefined {
  const since = Date.parse(own.created_at)
  const runId = parseTag(own.description)!.runId
  return ownTagged(backups, context)
    .filter(
      ({ backup, tag }) =>
        tag.runId !== runId && backup.status !== 'failed' && Date.parse(backup.created_at) > since
    )
    .sort((a, b) => newestFirst(a.backup, b.backup))[0]
}

/** The run's page: GitHub's `html_url` when it is an https URL, else the one the context implies. */
function runUrl(context: RunContext, runId: number, htmlUrl?: string): string {
  if (htmlUrl && URL.canParse(htmlUrl) && new URL(htmlUrl).protocol === 'https:') return htmlUrl
  return `${context.serverUrl}/${context.repository}/actions/runs/${runId}`
}

/** What a run's jobs say: the server was changed (by that attempt), or why it needs nothing. */
export type Verdict = { changed: true; attempt: number } | { changed: false; why: string }

/**
 * only_if_step_started (and unless_step_started) over the jobs of every attempt of the run (`run`
 * says how it ended): the server was changed by the latest attempt in which the deploy step had
 * started, unless that attempt's own rollback step had started too. Names match exactly
 * (case-sensitive). A deploy step name that matches no step fails, listing the run's step names,
 * unless a job of the run never started (GitHub lists no steps for it): the step may be in it.
 */
export function deployVerdict(jobs: readonly Job[], ref: RunRef, run: string): Verdict {
  const step = ref.onlyIfStepStarted!
  const named = jobs.some((job) => job.steps.some((s) => s.name === step))
  if (!named && jobs.length > 0 && jobs.every((job) => job.steps.length > 0)) {
    throw new ActionError(
      `Run ${ref.runId} has no step named '${step}' (only_if_step_started matches a step's name exactly, case-sensitive); its steps are ${stepNames(jobs)}. Nothing was restored.`
    )
  }
  const attempts = jobs.filter((job) => stepStarted([job], step)).map((job) => job.attempt)
  if (!attempts.length) {
    return {
      changed: false,
      why: `${run} before '${step}' started: the server was never changed; nothing was restored.`
    }
  }
  const attempt = Math.max(...attempts)
  const unless = ref.unlessStepStarted
  if (
    stepStarted(
      jobs.filter((job) => job.attempt === attempt),
      unless
    )
  ) {
    return {
      changed: false,
      why: `${run} after '${step}' had started (attempt ${attempt}), and so had its own '${unless}': the run rolled the server back itself; nothing was restored.`
    }
  }
  return { changed: true, attempt }
}

/**
 * only_if_step_started: reads the run and the jobs of all its attempts through the GitHub API. A
 * run still in progress is refused: its deploy step may yet change the server.
 */
async function readVerdict(rt: Runtime, reader: GitHubReader, ref: RunRef): Promise<Verdict> {
  const { context, log, outcome } = rt
  const step = ref.onlyIfStepStarted!
  const run = await reader.getRun(ref.runId)
  recordRun(outcome, { id: ref.runId, url: runUrl(context, ref.runId, run.htmlUrl) })
  if (run.repository.toLowerCase() !== context.repository.toLowerCase()) {
    throw new ActionError(
      `Run ${ref.runId} belongs to ${logLine(run.repository)}, not ${context.repository}: only a run of this repository can be rolled back; nothing was restored.`
    )
  }
  if (run.status !== 'completed') {
    throw new ActionError(
      `Run ${ref.runId} is ${logLine(run.status)}, not completed: '${step}' may still change the server, so nothing was restored. Roll it back once the run has ended.`
    )
  }
  const ended =
    run.conclusion === 'cancelled'
      ? 'was cancelled'
      : `ended (${logLine(run.conclusion ?? 'no conclusion')})`
  const verdict = deployVerdict(await reader.listJobs(ref.runId), ref, `Run ${ref.runId} ${ended}`)
  if (verdict.changed) {
    log.info(
      `Run ${ref.runId} had started '${step}' (attempt ${verdict.attempt}): the server may have been changed.`
    )
  }
  return verdict
}

/** Nothing to do, and why: status `skipped` for the step and every server. */
function skipAll(step: Runtime, servers: readonly ServerRuntime[], why: string): undefined {
  step.log.info(why)
  for (const { outcome } of [step, ...servers]) skip(outcome, why)
  return undefined
}

/** The backup run `runId` made of a server, and another run's newer one (only_if_step_started). */
interface Found {
  backup: Backup
  newer?: { backup: Backup; tag: Tag }
}

/**
 * `backup_id: run:<run_id>`: for each server, the id of the backup that run made of it; or
 * undefined when there is nothing to do (status `skipped`): with only_if_step_started, when the
 * step never started, when the run rolled itself back (unless_step_started), or when another run
 * has backed up any of the servers since (its deploy would be undone; a fleet is restored whole
 * or not at all). A delete warns about a server with no such backup (status `not_found`) and
 * leaves it out; a restore with any such server fails before any restore is requested.
 */
export async function resolveRunBackups(
  step: Runtime,
  servers: readonly ServerRuntime[],
  ref: RunRef,
  mode: 'restore' | 'delete'
): Promise<Array<number | undefined> | undefined> {
  const { settings, context, log, outcome } = step
  // The page the context implies; readVerdict replaces it with the one GitHub gives.
  recordRun(outcome, { id: ref.runId, url: runUrl(context, ref.runId) })
  const conditional = ref.onlyIfStepStarted !== undefined
  let attempt: number | undefined
  if (conditional) {
    const reader = gitHubReader({
      token: settings.githubToken,
      repository: context.repository,
      apiUrl: context.apiUrl,
      signal: step.signal,
      deadline: step.deadline,
      clock: step.clock,
      random: step.random,
      log,
      dispatcher: step.dispatcher
    })
    const verdict = await log.group(`Read run ${ref.runId} from GitHub`, () =>
      readVerdict(step, reader, ref)
    )
    if (!verdict.changed) return skipAll(step, servers, verdict.why)
    attempt = verdict.attempt
  }
  const found = valuesOf(
    await phase(step, servers, `Find run ${ref.runId}'s backups`, (rt) =>
      runBackupOf(rt, ref.runId, mode, conditional, attempt)
    ),
    (f) => (f === undefined ? 'none' : `backup ${f.backup.id}`)
  )
  const superseded = servers.flatMap((rt, i) => {
    const f = found[i]
    return f?.newer
      ? [
          `server ${rt.serverId}: run ${f.newer.tag.runId}'s backup ${f.newer.backup.id} (${logLine(f.newer.backup.status)}), after run ${ref.runId}'s backup ${f.backup.id}`
        ]
      : []
  })
  if (superseded.length) {
    const all = servers.length > 1 ? ' on any server (a fleet is restored whole or not at all)' : ''
    return skipAll(
      step,
      servers,
      `A newer run of ${context.repository} has backed up since run ${ref.runId}: ${superseded.join('; ')}. Restoring run ${ref.runId}'s backup would undo a newer deploy, so nothing was restored${all}.`
    )
  }
  return found.map((f) => f?.backup.id)
}

/** The backup run `runId` made of the server: see resolveRunBackups. */
async function runBackupOf(
  rt: ServerRuntime,
  runId: number,
  mode: 'restore' | 'delete',
  conditional: boolean,
  maxAttempt?: number
): Promise<Found | undefined> {
  const { log, serverId } = rt
  const backups = await rt.client.listBackups(serverId)
  const backup = findRunBackup(backups, runId, rt.context, maxAttempt)
  if (backup) {
    log.info(`Run ${runId} made backup ${backup.id} of server ${serverId}.`)
    return { backup, newer: conditional ? newerRunBackup(backups, backup, rt.context) : undefined }
  }
  const none = `Run ${runId} made no completed backup of server ${serverId}`
  if (mode === 'restore') throw new ActionError(`${none}; no restore was requested.`)
  log.warning(`${none}: nothing was deleted.`)
  markNotFound(rt.outcome)
  return undefined
}
