/**
 * Django REST Framework's SimpleRateThrottle (e.g. `'DEFAULT_THROTTLE_RATES': {'user': '10/min'}`):
 * at most `requests` in any `windowMs`, counting every request the API lets through, reads and
 * writes alike. The history slides: a request leaves it `windowMs` after it was made. A request
 * over the rate is refused with 429, `Retry-After` the whole seconds until the oldest request
 * leaves the window (rounded up, as DRF's `Throttled` does), and DRF's message; it is not counted.
 */
import { type Reply, apiError } from './validation.js'

export interface ThrottleOptions {
  requests: number
  windowMs: number
}

export class SlidingWindowThrottle {
  /** When each request of the window was let through, oldest first. */
  readonly #history: number[] = []

  constructor(
    readonly options: ThrottleOptions,
    private readonly now: () => number
  ) {}

  /** Undefined: the request is let through (and counted). Otherwise DRF's 429. */
  check(): Reply | undefined {
    const { requests, windowMs } = this.options
    const now = this.now()
    while (this.#history.length && this.#history[0]! <= now - windowMs) this.#history.shift()
    if (this.#history.length < requests) {
      this.#history.push(now)
      return undefined
    }
    const wait = Math.ceil((windowMs - (now - this.#history[0]!)) / 1000)
    return apiError(
      429,
      `Request was throttled. Expected available in ${wait} second${wait === 1 ? '' : 's'}.`,
      { 'retry-after': String(wait) }
    ).reply
  }
}

/** DRF's rate form, `N/s`, `N/min`, `N/hour`, `N/day` (any word starting s, m, h, d), or `N/Ss`. */
export function parseRate(text: string): ThrottleOptions | undefined {
  const match = /^(\d+)\/(?:(\d+)s|([smhd])[a-z]*)$/.exec(text)
  if (!match) return undefined
  const unit = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 }
  const windowMs =
    match[2] === undefined ? unit[match[3] as keyof typeof unit] : Number(match[2]) * 1000
  const requests = Number(match[1])
  return requests >= 1 && windowMs >= 1000 ? { requests, windowMs } : undefined
}
