import { formatDuration } from '../common/duration.js'
import type { HealthReport } from '../runtime/outcome.js'
import type { Scrub } from '../common/untrusted.js'
import { escapeHtml } from './html.js'

/**
 * The watch after the app became healthy (health_watch): how long, how many rounds, the failing
 * rounds it tolerated, and, when the app broke, which check, what it answered and how far in.
 */
export function renderWatch(health: HealthReport | undefined, scrub?: Scrub): string[] {
  const watch = health?.watch
  if (!watch) return []
  const { broke, lastFailure, failedRounds } = watch
  const length = formatDuration(watch.ms)
  const outcome = broke
    ? `broke ${formatDuration(broke.afterMs)} into the ${length} watch: ${broke.target} answered ${broke.answer}`
    : watch.ended
      ? `stayed healthy through the ${length} watch`
      : `the ${length} watch did not end`
  const tolerated =
    !broke && lastFailure
      ? `; ${failedRounds} failing round${failedRounds > 1 ? 's' : ''} tolerated (fewer than health_threshold in a row), the last ${formatDuration(lastFailure.afterMs)} in: ${lastFailure.target} answered ${lastFailure.answer}`
      : ''
  const text = `${outcome}; ${watch.rounds} round${watch.rounds === 1 ? '' : 's'}, ${failedRounds} failing${tolerated}.`
  return [`<p><strong>Watch (health_watch):</strong> ${escapeHtml(text, scrub)}</p>`, '']
}
