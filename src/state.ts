import * as core from '@actions/core'
import { parsePositiveInteger } from './inputs.js'

/**
 * The state the main step leaves for the post step (one dist/index.js serves both, as in
 * actions/checkout: the post step is recognised by the state the main step saved).
 */
const IS_POST = 'isPost'
const ROLLBACK = 'rollback_backup_ids'

export const isPost = (): boolean => core.getState(IS_POST) === 'true'
export const markMainStarted = (): void => core.saveState(IS_POST, 'true')

/**
 * Saved only once every backup has completed, and only with rollback_on_failure: true: each
 * server with its backup (`{"101":501}`), so that the post step can check it restores those servers.
 */
export function saveRollback(backups: ReadonlyMap<number, number>): void {
  core.saveState(ROLLBACK, JSON.stringify(Object.fromEntries(backups)))
}

/** A rollback was saved (valid or not: the post step says which). */
export const hasRollback = (): boolean => core.getState(ROLLBACK) !== ''

/** The saved servers and their backups, checked; undefined when not valid. */
export function savedRollback(): Map<number, number> | undefined {
  try {
    const saved: unknown = JSON.parse(core.getState(ROLLBACK))
    if (typeof saved !== 'object' || saved === null || Array.isArray(saved)) return undefined
    const entries = Object.entries(saved).map(
      ([server, backup]) =>
        [parsePositiveInteger(server), parsePositiveInteger(String(backup))] as const
    )
    if (!entries.length || entries.some(([s, b]) => s === undefined || b === undefined))
      return undefined
    return new Map(entries as Array<[number, number]>)
  } catch {
    return undefined
  }
}
