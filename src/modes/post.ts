import type { Settings } from '../inputs/settings.js'
import type { Outcome } from '../runtime/outcome.js'
import {
  type StateStore,
  armRollback,
  hasRollback,
  isPost,
  markMainStarted,
  rollbackSettings
} from '../runtime/state.js'

/**
 * Which run of the action this is (one dist/index.js serves both steps; state.ts keeps what the
 * main step leaves for its post step):
 * - `main`: the main step, which runs its mode and may arm the automatic rollback;
 * - `rollback`: the post step of a step that armed it, which restores the saved backups;
 * - `idle`: a post step with nothing armed, which has nothing to do (state.ts NOT_ARMED says so).
 */
export type Step = 'main' | 'rollback' | 'idle'

/** The step this run is. The main step marks itself first, so that its post step knows itself. */
export function stepOf(store: StateStore): Step {
  if (!isPost(store)) {
    markMainStarted(store)
    return 'main'
  }
  return hasRollback(store) ? 'rollback' : 'idle'
}

/**
 * The settings the step runs: the main step's as read; the post step's are the restore of the
 * saved backups, or its refusal (an ActionError: state.ts rollbackSettings).
 */
export function stepSettings(
  step: Step,
  store: StateStore,
  settings: Settings,
  warn: (line: string) => void
): Settings {
  return step === 'main' ? settings : rollbackSettings(store, settings, warn)
}

/**
 * The last act of a step that succeeded: the main step arms the automatic rollback (when its
 * settings ask for it and every backup completed: state.ts armRollback); the post step never does.
 * Returns whether it armed the rollback.
 */
export function armAfterSuccess(
  step: Step,
  store: StateStore,
  settings: Settings,
  outcome: Outcome
): boolean {
  return step === 'main' && armRollback(store, settings, outcome)
}
