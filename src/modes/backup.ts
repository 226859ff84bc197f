import type { Backup } from '../vpsorg/api-types.js'
import { isOwnRepository, parseTag, stepKey } from '../github/description.js'
import { formatDuration } from '../common/duration.js'
import { sentence } from '../vpsorg/api-errors.js'
import { ActionError } from '../common/errors.js'
import {
  LIST_GRACE_MS,
  NOT_LISTED,
  assertNotFailed,
  awaitFinals,
  failure,
  track
} from './follow-backup.js'
import { type Settled, phase, valuesOf } from '../runtime/fleet.js'
import { MANUAL_BACKUP_CAP, deleteBackups, isCapRefusal, ownFinal } from './retention.js'
import { retryLine } from '../vpsorg/retry.js'
import type { Runtime, ServerRuntime } from '../runtime/runtime.js'
import { sendOnce } from './send-once.js'
import { WaitTimeoutError, waitFor } from '../common/wait.js'
import { markReused } from '../runtime/outcome.js'

/**
 * mode: backup. Creates one backup of each server (or, on a re-run, reuses the one an earlier
 * attempt of the same step created) and waits until every one has completed, following them all
 * with one poll loop. All or nothing: a backup that fails does not stop the others, which are
 * valid restore points and are reported, but the step fails naming each server's outcome.
 * Pruning is left to the caller: it is best effort, after the outputs and the rollback state are
 * written (see pruneAfter).
 */
export async function runBackup(step: Runtime, servers: readonly ServerRuntime[]): Promise<void> {
  const { settings, log } = step
  const several = servers.length > 1
  const created = await phase(
    step,
    servers,
    `Create the backups of ${servers.length} servers`,
    async (rt) => {
      const obtained = await rt.log.group('Create the backup', () => obtain(rt))
      track(rt, obtained.backup)
      assertNotFailed(obtained.backup)
      return obtained
    }
  )
  const following = created.flatMap((c) =>
    'value' in c && settings.wait && c.value.backup.status !== 'completed'
      ? [{ rt: c.rt, ...c.value }]
      : []
  )
  const finals = following.length
    ? await log.group(
        several
          ? `Wait for the backups of ${following.length} servers to complete`
          : `Wait for backup ${following[0]!.backup.id} to complete`,
        () =>
          awaitFinals(
            step,
            following,
            created.some((c) => 'error' in c)
          )
      )
    : []
  const settled = created.map((c): Settled<Backup> => {
    if ('error' in c) return c
    const final = finals[following.findIndex((f) => f.rt === c.rt)] ?? c.value.backup
    if (final instanceof Error) return { rt: c.rt, error: final }
    if (final.status === 'failed') return { rt: c.rt, error: failure(final) }
    if (final.status === 'completed') {
      const took = formatDuration(c.rt.clock.now() - c.rt.startedAt)
      c.rt.log.info(`Backup ${final.id} completed in ${took}: ${final.size_mb ?? '?'} MB.`)
    }
    return { rt: c.rt, value: final }
  })
  valuesOf(settled, (backup) => `backup ${backup.id} ${backup.status}`)
}

/** The backup this step stands for: reused from an earlier attempt, or created now. */
async function obtain(rt: ServerRuntime): Promise<{ backup: Backup; listed: boolean }> {
  const { settings, log, context, serverId } = rt
  const existing = await rt.client.listBackups(serverId, 'manual')
  const reusable = findReusable(existing, rt)
  if (reusable) {
    log.info(
      `Attempt ${context.runAttempt} of run ${context.runId} reuses backup ${reusable.id} (${reusable.status}), created by an earlier attempt of this step: it holds the pre-deploy state.`
    )
    markReused(rt.outcome)
    return { backup: reusable, listed: true }
  }
  if (settings.descriptionTruncated) {
    log.warning(
      `The description input is too long for VPS.org: it was shortened to "${settings.description}".`
    )
  }
  const created = await createWithinCap(rt, existing)
  log.info(`Backup ${created.id} of server ${serverId} created: "${created.description}"`)
  return { backup: created, listed: false }
}

/**
 * On a re-run, the backup an earlier attempt of this same step (same job and step, by the tag's
 * step key) of this run created, unless it failed. Another job's or step's backup of the run may
 * have been taken after the first deploy, so it is never reused; nor is a v1.0.0 tag's, which
 * does not say its step.
 */
function findReusable(existing: Backup[], rt: Runtime): Backup | undefined {
  const { runId, runAttempt } = rt.context
  if (runAttempt < 2) return undefined
  const step = stepKey(rt.context)
  return existing
    .filter((b) => {
      const tag = parseTag(b.description)
      return (
        isOwnRepository(tag, rt.context) &&
        tag?.runId === runId &&
        tag.step === step &&
        tag.attempt !== undefined &&
        tag.attempt < runAttempt &&
        b.status !== 'failed'
      )
    })
    .sort(
      (a, b) => Number(b.status === 'completed') - Number(a.status === 'completed') || b.id - a.id
    )[0]
}

/**
 * Creates the backup. When the API refuses it because the server is at the cap (and only then:
 * `existing`, the server's manual backups as listed, holds at least MANUAL_BACKUP_CAP), makes
 * room by deleting this repository's oldest final backups, with keep_backups set.
 */
async function createWithinCap(rt: ServerRuntime, existing: Backup[]): Promise<Backup> {
  try {
    return await createOnce(rt)
  } catch (error) {
    if (!isCapRefusal(error, existing.length)) throw error
    const { serverId } = rt
    const { keepBackups } = rt.settings
    if (existing.length < MANUAL_BACKUP_CAP) {
      rt.log.warning(
        `The API's refusal speaks of its limit of ${MANUAL_BACKUP_CAP} manual backups, but server ${serverId}'s list shows ${existing.length}: nothing is deleted to make room.`
      )
      throw error
    }
    const own = ownFinal(existing, rt)
    const needed = existing.length - MANUAL_BACKUP_CAP + 1
    if (keepBackups === 0 || own.length < needed) {
      throw new ActionError(
        `Server ${serverId} already has ${existing.length} manual backups, the most VPS.org allows is ${MANUAL_BACKUP_CAP}. The API said: ${sentence(error.serverMessage)} ` +
          (keepBackups === 0
            ? 'Set keep_backups (e.g. 3) so that this action deletes its own oldest backups, or delete some with mode: delete.'
            : `Only ${own.length} of them were created by this action for this repository and have finished, so it will not delete any; delete some with mode: delete.`)
      )
    }
    rt.log.info(`Server ${serverId} is at the cap of ${MANUAL_BACKUP_CAP} manual backups.`)
    await deleteBackups(rt, own.slice(-needed), 'to make room (keep_backups)')
    return createOnce(rt)
  }
}

/** This step's backup in a list: the one carrying its exact description (nonce included). */
function findOwn(backups: Backup[], rt: Runtime): Backup | undefined {
  return backups.find((b) => b.description === rt.settings.description)
}

/**
 * POST /backups/, sent once in effect (sendOnce). A create whose answer was lost may still have
 * been carried out, so once an answer was lost the server's backups are listed again before every
 * retry, and the one carrying this step's exact description (its nonce makes it this execution's)
 * is adopted instead of creating a duplicate. After refusals alone (a 429, any answer below 500)
 * nothing was done: the create is sent again without a list. A 2xx without a usable backup is
 * looked for the same way.
 */
async function createOnce(rt: ServerRuntime): Promise<Backup> {
  const { client, settings, log, serverId } = rt
  const answer = await sendOnce<Backup | undefined>(rt, {
    pending: `A request to create a backup of server ${serverId} was sent; the backup may exist on VPS.org. Look for "${settings.description}" among the server's backups and delete it if it is not needed.`,
    reconcile: async ({ lost }) => {
      // Only an answer lost can hide a create carried out: a refusal (a 429, any answer below 500)
      // says nothing was done, so a list then would only spend the rate limit's requests.
      if (lost === undefined) return undefined
      const adopted = findOwn(await client.listBackups(serverId, 'manual'), rt)
      if (!adopted) return undefined
      log.info(
        `The earlier create request was carried out although its answer was lost: adopting backup ${adopted.id} instead of creating a duplicate.`
      )
      return { value: adopted }
    },
    send: () => client.createBackup(serverId, settings.description),
    retryLine
  })
  return answer?.server.id === serverId ? answer : findCreated(rt, answer)
}

/**
 * The API answered the create with a 2xx but no usable backup (no body, not JSON, an id that is
 * not an integer, or a backup of another server): a backup was created, so it is looked for in
 * the server's list by this step's description, for up to LIST_GRACE_MS.
 */
async function findCreated(rt: ServerRuntime, answer: Backup | undefined): Promise<Backup> {
  const { serverId } = rt
  const { description } = rt.settings
  const why = answer
    ? `the API's answer names backup ${answer.id} of server ${answer.server.id}, not of server ${serverId}`
    : 'the API answered without a usable backup'
  rt.log.warning(`A backup was created, but ${why}: looking for it in server ${serverId}'s list.`)
  const startedAt = rt.clock.now()
  const deadline = Math.min(rt.deadline, startedAt + LIST_GRACE_MS)
  try {
    return await waitFor(
      async () => {
        const found = findOwn(await rt.client.listBackups(serverId, 'manual'), rt)
        return found ? { done: true, value: found } : { done: false, status: NOT_LISTED }
      },
      { ...rt, startedAt, deadline, what: 'the new backup to be listed', initialStatus: NOT_LISTED }
    )
  } catch (error) {
    if (!(error instanceof WaitTimeoutError)) throw error
    throw new ActionError(
      `The API accepted the backup of server ${serverId}, but ${why}, and no backup described "${description}" appeared in the server's list within ${formatDuration(rt.clock.now() - startedAt)}. Look for it in the VPS.org panel and delete it if it is not needed.`
    )
  }
}
