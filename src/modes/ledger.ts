import { ActionError, CancelledError } from '../common/errors.js'
import { isWebAddress, logLine, scrubberOf } from '../common/untrusted.js'
// Types only: a chunk that imported github/ (and so @actions/github) would move Octokit out of the
// entry's top-level code (test/e2e/bundle.test.ts); main.ts passes gitHubDeployments in.
import type {
  Deployment,
  Deployments,
  NewStatus,
  gitHubDeployments
} from '../github/deployments.js'
import { perServer } from '../runtime/fleet.js'
import { type LedgerReport, recordLedger } from '../runtime/outcome.js'
import type { Runtime } from '../runtime/runtime.js'
import type { Target } from '../inputs/settings.js'

type RestoreTarget = Extract<Target, { mode: 'restore' }>

/**
 * The deploy ledger (input `environment`, issue 22): when and what the action records on GitHub
 * deployments of that environment, and the quarantine of a commit it rolled back. Loaded only when
 * `environment` is set. The ledger never changes a step's outcome, except the quarantine's refusal:
 * a request that fails is one warning, and the ledger then makes no more requests in the step.
 *
 * - backup: before any VPS.org request, the quarantine (`openLedger`); once the step succeeded with
 *   every backup completed, one deployment of the commit and its status `in_progress`.
 * - verify: this run's deployment of the commit gets `success` or `failure`.
 * - restore (also the post step's, and `run:<run_id>`): the deployment whose payload names a
 *   restored backup gets `failure`, `Rolled back to backup …: <how it ended>`.
 */
export interface Ledger {
  /** Records what the step did, once its work has ended (`failure`: what failed it). Never throws. */
  close(failure: unknown): Promise<void>
}

/** A description this action sets, and the quarantine recognises. */
export const ROLLED_BACK = 'Rolled back'

/** Time the ledger's last requests get when the step's own deadline has passed (a timed-out restore). */
const CLOSING_MS = 20_000

const shortSha = (sha: string): string => sha.slice(0, 7)

/** `backup 501` or `backups 501, 502`. */
const backupsText = (ids: readonly number[]): string =>
  `backup${ids.length > 1 ? 's' : ''} ${ids.join(', ')}`

/**
 * Opens the ledger of the step `rt`, its requests sent through `connect`'s Deployments API. For a
 * backup, first the quarantine: throws an ActionError when the commit's newest deployment in the
 * environment was rolled back by this action, unless allow_rolled_back or a re-run of that very run.
 */
export async function openLedger(rt: Runtime, connect: typeof gitHubDeployments): Promise<Ledger> {
  const api = connect({
    token: rt.settings.githubToken,
    repository: rt.context.repository,
    apiUrl: rt.context.apiUrl,
    signal: rt.signal,
    // The last records (a restore that timed out, say) get CLOSING_MS past the step's deadline.
    deadline: rt.deadline + CLOSING_MS,
    clock: rt.clock,
    random: rt.random,
    log: rt.log,
    dispatcher: rt.dispatcher
  })
  const { settings, context, outcome } = rt
  const { environment } = settings
  const report: LedgerReport = {
    environment,
    url: `${context.serverUrl}/${context.repository}/deployments/${encodeURIComponent(environment)}`
  }
  recordLedger(outcome, report)
  const scrub = scrubberOf([settings.apiToken, settings.githubToken])
  const runUrl = `${context.serverUrl}/${context.repository}/actions/runs/${context.runId}`
  let broken = false
  /** Runs a request of the ledger; its failure is one warning, and the ledger stops. */
  const request = async <T>(work: () => Promise<T>): Promise<T | undefined> => {
    if (broken) return undefined
    try {
      return await work()
    } catch (error) {
      broken = true
      if (error instanceof CancelledError || rt.signal.aborted) return undefined
      rt.log.warning(
        `The deploy ledger of ${environment} is not kept: ${scrub((error as Error).message)} The step goes on as without environment.`
      )
      return undefined
    }
  }
  const setStatus = async (deployment: number, status: Omit<NewStatus, 'logUrl'>) => {
    const done = await request(async () => {
      await api.setStatus(deployment, {
        ...status,
        description: scrub(status.description),
        logUrl: runUrl
      })
      return true
    })
    if (!done) return
    report.deploymentId = deployment
    report.state = status.state
    rt.log.info(
      `Deployment ${deployment} of ${environment}: ${status.state} (${logLine(status.description)}).`
    )
  }
  const thisRun = (d: Deployment): boolean => d.payload?.run_id === Number(context.runId)

  if (settings.target.mode === 'backup') await quarantine(rt, api, request)

  return {
    async close(failure) {
      const { target } = settings
      if (target.mode === 'backup') {
        const servers = perServer(outcome, settings.serverIds)
        if (failure !== undefined) return
        if (!servers.every(([, o]) => o.backup?.status === 'completed')) {
          rt.log.info(`No deployment of ${environment} is recorded: the backup has not completed.`)
          return
        }
        const backupIds = Object.fromEntries(servers.map(([id, o]) => [String(id), o.backup!.id]))
        const id = await request(() =>
          api.create(context.sha, environment, {
            action: 'vpsorg/backup-action',
            run_id: Number(context.runId),
            run_attempt: context.runAttempt,
            backup_ids: backupIds
          })
        )
        if (id === undefined) return
        report.deploymentId = id
        const ids = servers.map(([, o]) => o.backup!.id)
        await setStatus(id, {
          state: 'in_progress',
          description: `Deploying ${shortSha(context.sha)}; ${backupsText(ids)} taken before it`
        })
        return
      }
      if (target.mode === 'verify') {
        const deployment = (await request(() => api.list(environment, context.sha)))?.find(thisRun)
        if (deployment === undefined) {
          if (!broken) {
            rt.log.warning(
              `No deployment of ${shortSha(context.sha)} by run ${context.runId} in ${environment} (a backup step with environment creates it): nothing was recorded.`
            )
          }
          return
        }
        const { checks } = settings.health
        const health = outcome.health
        if (failure === undefined) {
          if (!checks.length) {
            rt.log.warning(
              `No app check ran (health_url is empty): deployment ${deployment.id} of ${environment} is recorded as successful.`
            )
          }
          await setStatus(deployment.id, {
            state: 'success',
            description: checks.length
              ? `Deployed: the app is healthy (${checks.length} check${checks.length > 1 ? 's' : ''})`
              : 'Deployed; no app check ran'
          })
          return
        }
        // The health checks' chunk (main.ts loaded it for verify), not a copy of it in this one.
        const { unhealthyReason } = await import('../health/health.js')
        await setStatus(deployment.id, {
          state: 'failure',
          description:
            health?.healthy === false
              ? `The app is not healthy: ${unhealthyReason(health)}`
              : `Verify failed: ${(failure as Error).message}`
        })
        return
      }
      if (target.mode === 'restore') await rolledBack(failure, target.backupId)
    }
  }

  /**
   * A restore (of backup_id `asked`): the deployment of a restored backup gets `failure`, Rolled
   * back ….
   */
  async function rolledBack(failure: unknown, asked: RestoreTarget['backupId']): Promise<void> {
    if (outcome.status === 'skipped') return
    const restored = perServer(outcome, settings.serverIds).flatMap(([server, o]) => {
      const id =
        o.backup?.id ??
        (asked instanceof Map ? asked.get(server) : typeof asked === 'number' ? asked : undefined)
      return id === undefined ? [] : [[server, id] as const]
    })
    if (!restored.length) return
    const deployments = await request(() => api.list(environment))
    if (deployments === undefined) return
    const deployment = deployments.find((d) =>
      restored.some(([server, id]) => d.payload?.backup_ids[String(server)] === id)
    )
    const ids = restored.map(([, id]) => id)
    if (deployment === undefined) {
      rt.log.warning(
        `No deployment of ${environment} names ${backupsText(ids)} (among its newest ${deployments.length}): the rollback is not recorded.`
      )
      return
    }
    const health = outcome.health?.healthy
    const how =
      failure === undefined && !outcome.restored
        ? 'restore requested, not waited for'
        : !outcome.restored
          ? 'restore failed'
          : health === false
            ? 'restored, app unhealthy'
            : health === true
              ? 'restored and healthy'
              : 'restored, no app check'
    await setStatus(deployment.id, {
      state: 'failure',
      description: `${ROLLED_BACK} to ${backupsText(ids)}: ${how}`
    })
  }
}

/**
 * Before a backup: the commit's newest deployment in the environment, if this action rolled it
 * back, refuses the backup (an ActionError), unless allow_rolled_back or this is a re-run of the
 * very run whose deploy was rolled back (then a warning). Another commit is never read.
 */
async function quarantine(
  rt: Runtime,
  api: Deployments,
  request: <T>(work: () => Promise<T>) => Promise<T | undefined>
): Promise<void> {
  const { settings, context } = rt
  const { environment } = settings
  const newest = (await request(() => api.list(environment, context.sha)))?.[0]
  if (newest === undefined || newest.sha !== context.sha) return
  const status = await request(() => api.latestStatus(newest.id))
  if (status?.state !== 'failure' || !status.description.startsWith(ROLLED_BACK)) return
  const backup = /\bbackups? ([\d, ]*\d)/.exec(status.description)?.[1] ?? 'unknown'
  // GitHub's text: shown only as a web page's address, on one plain line.
  const by = isWebAddress(status.logUrl) ? logLine(status.logUrl) : 'a run'
  const what = `Commit ${shortSha(context.sha)} was rolled back in ${logLine(environment)} by ${by} (restored backup ${backup})`
  if (settings.allowRolledBack) {
    rt.log.warning(`${what}; deploying it again, as allow_rolled_back: true asks.`)
    return
  }
  if (context.runAttempt > 1 && newest.payload?.run_id === Number(context.runId)) {
    rt.log.warning(
      `${what}; this re-run (attempt ${context.runAttempt}) of run ${context.runId} deploys it again.`
    )
    return
  }
  throw new ActionError(
    `${what}: it is not deployed again. Push a fix or a revert, or set allow_rolled_back: true to deploy it anyway. Nothing was backed up.`
  )
}
