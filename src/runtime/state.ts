import { ActionError } from '../common/errors.js'
import { perServer } from './fleet.js'
import type { Settings } from '../inputs/settings.js'
import { parsePositiveInteger } from '../inputs/values.js'
import type { Outcome } from './outcome.js'

/**
 * The state the main step leaves for the post step (one dist/index.js serves both, as in
 * actions/checkout: the post step is recognised by the state the main step saved), and the rules
 * the post step follows. The runner's state (@actions/core getState/saveState) is injected, so
 * that the rules are tested without a runner.
 */
export interface StateStore {
  /** '' when nothing was saved under `name`. */
  get(name: string): string
  save(name: string, value: string): void
}

const IS_POST = 'isPost'
const ROLLBACK = 'rollback_backup_ids'

export const isPost = (store: StateStore): boolean => store.get(IS_POST) === 'true'
export const markMainStarted = (store: StateStore): void => store.save(IS_POST, 'true')

/**
 * Arms the automatic rollback: the last act of a backup step with rollback_on_failure: true that
 * succeeded, every server's backup completed. Saves each server with its backup (`{"101":501}`), so
 * that the post step can check it restores those servers. A step that failed after its backups
 * completed (cancelled or timed out while pruning, say) arms nothing: its deploy never ran, so
 * there is nothing to roll back. Returns whether it armed the rollback.
 */
export function armRollback(store: StateStore, settings: Settings, outcome: Outcome): boolean {
  if (settings.target.mode !== 'backup' || !settings.rollbackOnFailure) return false
  const servers = perServer(outcome, settings.serverIds)
  if (!servers.every(([, o]) => o.backup?.status === 'completed')) return false
  const saved = Object.fromEntries(servers.map(([server, o]) => [server, o.backup!.id]))
  store.save(ROLLBACK, JSON.stringify(saved))
  return true
}

/** A rollback was armed (valid or not: rollbackSettings says which). */
export const hasRollback = (store: StateStore): boolean => store.get(ROLLBACK) !== ''

/** What armRollback saves: `{"101":501,"102":502}`, positive integers without padding. */
const SAVED = /^\{"[1-9]\d*":[1-9]\d*(,"[1-9]\d*":[1-9]\d*)*\}$/

/** The saved servers and their backups, checked; undefined when not valid. */
export function savedRollback(store: StateStore): Map<number, number> | undefined {
  const text = store.get(ROLLBACK)
  if (!SAVED.test(text)) return undefined
  const entries = Object.entries(JSON.parse(text) as Record<string, number>).map(
    ([server, backup]) => [parsePositiveInteger(server), parsePositiveInteger(String(backup))]
  )
  // A number past 2^53 is not an id.
  if (entries.some(([s, b]) => s === undefined || b === undefined)) return undefined
  return new Map(entries as Array<[number, number]>)
}

/**
 * The post step's restore, once a rollback was armed (hasRollback): the settings of the restore
 * from the saved backups, which always waits. Refused (an ActionError,
 * nothing restored) when the saved rollback is not valid, when this step is not a backup step with
 * rollback_on_failure: true, or when the saved servers are not exactly those of server_id.
 */
export function rollbackSettings(
  store: StateStore,
  settings: Settings,
  warn: (line: string) => void
): Settings {
  const saved = savedRollback(store)
  const refuse = (why: string): ActionError =>
    new ActionError(`No automatic rollback: ${why}. Nothing was restored.`)
  if (saved === undefined) throw refuse('the saved rollback backup ids are not valid')
  if (settings.target.mode !== 'backup' || !settings.rollbackOnFailure) {
    throw refuse('this step is not a backup step with rollback_on_failure: true')
  }
  const { serverIds } = settings
  if (saved.size !== serverIds.length || serverIds.some((id) => !saved.has(id))) {
    const backups = [...saved].map(([server, backup]) => `${server}: ${backup}`).join(', ')
    throw refuse(
      `the saved backups (${backups}) are not those of server_id ${serverIds.join(', ')}`
    )
  }
  const each = serverIds.map((id) => `server ${id} from backup ${saved.get(id)!}`).join(', ')
  warn(
    `The job failed: automatic rollback (rollback_on_failure) restores ${each}, taken before the deploy.`
  )
  const backupId = serverIds.length === 1 ? saved.get(serverIds[0]!)! : saved
  return { ...settings, target: { mode: 'restore', backupId }, wait: true }
}

/** The post step's line when no rollback was armed. */
export const NOT_ARMED =
  'No automatic rollback: rollback_on_failure was not set, or the backup step did not succeed.'
