import type { Scrub } from '../common/untrusted.js'
import type { Mode } from '../inputs/settings.js'
import type { Outcome } from '../runtime/outcome.js'

/** What the job summary shows: the step's settings that matter to it, and what it learned. */
export interface Report {
  /** Undefined when the inputs could not be read: the summary then shows the failure alone. */
  mode?: Mode
  /** The servers of server_id (verify: maybe none). */
  serverIds?: readonly number[]
  /** What the step learned; its `pending` is what is still running on VPS.org, if anything. */
  outcome: Outcome
  elapsedMs: number
  /** The failure's message; undefined on success. */
  error?: string
  /** The post step's automatic rollback. */
  automatic?: boolean
  /** `owner/repo@ref` to show in the rollback snippet. */
  actionRef: string
  /** The API base URL, for the rollback snippet, when it is not the default. */
  apiUrl?: string
  /** The step's `id`, when the user gave one: the snippet then reads its `backup_id` output. */
  stepId?: string
  /**
   * A backup step with rollback_on_failure: whether it armed the post step's automatic rollback
   * (it does only when it succeeded). Undefined without rollback_on_failure.
   */
  rollback?: 'armed' | 'not armed'
  /** Removes the step's secrets from every value shown (untrusted.ts scrubberOf). */
  scrub?: Scrub
}
