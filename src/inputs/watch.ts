import { formatDuration, parseDuration } from '../common/duration.js'
import { InputError } from '../common/errors.js'
import type { HealthSettings, InputReader, Mode } from './settings.js'

/**
 * health_watch: how long mode: verify keeps checking the app once it has become healthy; `0` (the
 * default, or `0s`) for no watch. Same forms as `timeout` (`duration` parses them, naming the input). A
 * watch in another mode, or one that with health_timeout does not fit in the step's `timeout`, is
 * refused before any request.
 */
export function withWatch(
  read: InputReader,
  mode: Mode,
  health: Omit<HealthSettings, 'watchMs'>,
  step: { text: string; ms: number },
  duration: (name: string, text: string) => number
): HealthSettings {
  const text = read('health_watch').trim()
  if (text === '' || parseDuration(text) === 0) return { ...health, watchMs: 0 }
  const watchMs = duration('health_watch', text)
  if (mode !== 'verify') {
    throw new InputError(
      'health_watch',
      `is only for mode: verify (the deploy gate keeps checking the app for that long once it is healthy), not mode: ${mode}`
    )
  }
  if (health.timeoutMs + watchMs > step.ms) {
    throw new InputError(
      'health_watch',
      `with health_timeout (${formatDuration(health.timeoutMs)}) must fit in the step's timeout (${formatDuration(step.ms)}): raise timeout, or lower health_watch or health_timeout`,
      text
    )
  }
  return { ...health, watchMs }
}
