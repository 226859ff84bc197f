import { perServer } from '../runtime/fleet.js'
import type { Outcome } from '../runtime/outcome.js'
import type { Scrub } from '../common/untrusted.js'
import { escapeHtml } from './html.js'

/**
 * What each server's restore discarded (or, in a dry run, would discard): its data-loss window,
 * as the log said it before the restore request, one line per server.
 */
export function renderDataLoss(
  outcome: Outcome,
  serverIds: readonly number[],
  scrub?: Scrub
): string[] {
  const lines = perServer(outcome, serverIds).flatMap(([, o]) =>
    o.dataLoss ? [escapeHtml(o.dataLoss, scrub)] : []
  )
  if (!lines.length) return []
  return [`<p><strong>Data-loss window:</strong><br>${lines.join('<br>')}</p>`, '']
}
