import { ActionError } from '../common/errors.js'
import { isObject, logLine, text } from '../common/untrusted.js'
import type { GitHubOptions } from './fetch.js'
import { guardedOctokit, requestFailure } from './runs.js'

/**
 * The Deployments API requests of the ledger (input `environment`): this repository's deployments
 * of one environment and their statuses, through the same guarded Octokit as the run reads
 * (runs.ts): github_token only to GITHUB_API_URL's origin, answers capped and scrubbed, retries
 * within the deadline (a creation only after a rate limit). Everything GitHub answers is checked
 * here: a deployment without a positive id, or of another commit or environment than asked for, is
 * left out.
 */

/** What the token needs for the ledger, named in every refusal. */
export const DEPLOYMENTS_PERMISSION = '`deployments: write`'
/** GitHub's limit on a deployment status's description. */
export const MAX_DESCRIPTION = 140
/** The newest deployments read of an environment when looking for one by its payload. */
export const MAX_LISTED = 100

/** What this action puts in a deployment's payload, and reads back. */
export interface LedgerPayload {
  /** Marks the deployments this action created. */
  action: 'vpsorg/backup-action'
  run_id: number
  run_attempt: number
  /** Server id -> backup id, as the backup_ids output. */
  backup_ids: Record<string, number>
}

export interface Deployment {
  id: number
  sha: string
  environment: string
  /** The payload, when it is one as this action writes (ledgerPayload); undefined otherwise. */
  payload: LedgerPayload | undefined
}

export interface DeploymentStatus {
  state: string
  description: string
  logUrl: string
}

export type StatusState = 'in_progress' | 'success' | 'failure'

export interface NewStatus {
  state: StatusState
  /** At most MAX_DESCRIPTION characters (describe() makes it so). */
  description: string
  logUrl: string
}

export interface Deployments {
  /** The newest deployments of `environment` (of commit `sha` when given), newest first. */
  list(environment: string, sha?: string): Promise<Deployment[]>
  /** Creates a deployment of `sha`; its id. */
  create(sha: string, environment: string, payload: LedgerPayload): Promise<number>
  /** The deployment's newest status, if it has any. */
  latestStatus(deploymentId: number): Promise<DeploymentStatus | undefined>
  setStatus(deploymentId: number, status: NewStatus): Promise<void>
}

const positive = (value: unknown): number | undefined =>
  Number.isSafeInteger(value) && (value as number) > 0 ? (value as number) : undefined

/** A positive whole number, or a string of one (a payload written by hand or by another tool). */
const id = (value: unknown): number | undefined =>
  positive(typeof value === 'string' && /^[1-9]\d{0,15}$/.test(value) ? Number(value) : value)

/**
 * The payload as this action writes it, checked: a run id, its attempt (1 when not said) and
 * backup ids (server id -> backup id); the marker is not required, nor numbers rather than strings
 * of them, and a payload GitHub keeps as a JSON string is read too. Undefined when it is none.
 */
export function ledgerPayload(value: unknown): LedgerPayload | undefined {
  let payload = value
  if (typeof value === 'string') {
    try {
      payload = JSON.parse(value)
    } catch {
      return undefined
    }
  }
  if (!isObject(payload)) return undefined
  const runId = id(payload.run_id)
  const attempt = payload.run_attempt ?? payload.attempt ?? 1
  const ids = payload.backup_ids
  if (runId === undefined || id(attempt) === undefined || !isObject(ids)) return undefined
  const backupIds: Record<string, number> = {}
  for (const [server, backup] of Object.entries(ids)) {
    if (id(server) === undefined || id(backup) === undefined) return undefined
    backupIds[server] = id(backup)!
  }
  return {
    action: 'vpsorg/backup-action',
    run_id: runId,
    run_attempt: id(attempt)!,
    backup_ids: backupIds
  }
}

/** A description for GitHub: one plain line, at most MAX_DESCRIPTION characters (… when cut). */
export function describe(text: string): string {
  const chars = [...logLine(text)]
  return chars.length > MAX_DESCRIPTION
    ? `${chars.slice(0, MAX_DESCRIPTION - 1).join('')}…`
    : chars.join('')
}

/** The Deployments API of this repository (`options.repository`). */
export function gitHubDeployments(options: GitHubOptions): Deployments {
  const octokit = guardedOctokit(options)
  const [owner = '', repo = ''] = options.repository.split('/')
  const refusal = {
    permission: DEPLOYMENTS_PERMISSION,
    notFound: `no such repository or deployment in ${options.repository}`
  }
  const attempt = async <T>(what: string, request: () => Promise<T>): Promise<T> => {
    try {
      return await request()
    } catch (error) {
      throw error instanceof ActionError
        ? error
        : requestFailure(error, `${what} (the GitHub API)`, options, refusal)
    }
  }
  return {
    list: (environment, sha) =>
      attempt(`list the deployments of ${environment}`, async () => {
        const { data } = await octokit.rest.repos.listDeployments({
          owner,
          repo,
          environment,
          ...(sha ? { sha } : {}),
          per_page: MAX_LISTED
        })
        return (Array.isArray(data) ? (data as unknown[]) : [])
          .filter(isObject)
          .flatMap((d): Deployment[] => {
            const id = positive(d.id)
            const named = typeof d.environment === 'string' ? d.environment.toLowerCase() : ''
            if (id === undefined || named !== environment.toLowerCase()) return []
            if (typeof d.sha !== 'string' || (sha && d.sha !== sha)) return []
            return [{ id, sha: d.sha, environment, payload: ledgerPayload(d.payload) }]
          })
          .sort((a, b) => b.id - a.id)
      }),
    create: (sha, environment, payload) =>
      attempt(`create a deployment of ${environment}`, async () => {
        const { data } = await octokit.rest.repos.createDeployment({
          owner,
          repo,
          ref: sha,
          environment,
          task: 'deploy',
          auto_merge: false,
          required_contexts: [],
          payload: payload as unknown as Record<string, unknown>,
          description: describe(`Deploy of ${sha.slice(0, 7)} (run ${payload.run_id})`)
        })
        const id = isObject(data) ? positive((data as Record<string, unknown>).id) : undefined
        if (id === undefined) {
          throw new ActionError(
            `Could not create a deployment of ${environment}: GitHub's answer has no deployment id.`
          )
        }
        return id
      }),
    latestStatus: (deploymentId) =>
      attempt(`read the statuses of deployment ${deploymentId}`, async () => {
        const { data } = await octokit.rest.repos.listDeploymentStatuses({
          owner,
          repo,
          deployment_id: deploymentId,
          per_page: 1
        })
        const newest = (Array.isArray(data) ? (data as unknown[]) : []).find(isObject)
        if (!newest) return undefined
        return {
          state: text(newest.state) ?? '',
          description: text(newest.description) ?? '',
          logUrl: text(newest.log_url) || (text(newest.target_url) ?? '')
        }
      }),
    setStatus: (deploymentId, status) =>
      attempt(`set deployment ${deploymentId} to ${status.state}`, async () => {
        await octokit.rest.repos.createDeploymentStatus({
          owner,
          repo,
          deployment_id: deploymentId,
          state: status.state,
          description: describe(status.description),
          log_url: status.logUrl
        })
      })
  }
}
