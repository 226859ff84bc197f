import type { Clock } from './clock.js'
import { formatDuration } from './duration.js'
import { ActionError } from './errors.js'
import type { Logger } from './log.js'

/**
 * The longest sleep between two lines of a wait's log: with a status request's round trip, a line
 * at least every minute, so that a long wait does not look hung.
 */
export const PROGRESS_EVERY_MS = 55_000

/** How long to wait before the next status request, given how long the wait has lasted. */
export type PollPolicy = (elapsedMs: number, random: () => number) => number

/**
 * Adaptive polling: the first look after a second, then a delay near a tenth of the time already
 * waited, between 2 s and 60 s. A backup that ends T after it started is so noticed within
 * max(2 s, T/10) and never more than 60 s late, with a number of requests that grows with the
 * logarithm of T until the cap. The jitter (up to 2% shorter) keeps parallel jobs out of lockstep
 * without making any delay longer.
 */
export const adaptivePolicy: PollPolicy = (elapsedMs, random) => {
  if (elapsedMs < 1000) return 1000 - elapsedMs
  const delay = Math.min(60_000, Math.max(2000, elapsedMs / 10))
  return delay * (1 - 0.02 * random())
}

/** A fixed interval, for users who must (`poll_interval`). */
export const fixedPolicy =
  (intervalMs: number): PollPolicy =>
  () =>
    intervalMs

export class WaitTimeoutError extends ActionError {
  override name = 'WaitTimeoutError'
  constructor(
    readonly what: string,
    readonly waitedMs: number,
    readonly lastStatus: string
  ) {
    super(
      `Timed out after ${formatDuration(waitedMs)} waiting for ${what}; its last status was '${lastStatus}'`
    )
  }
}

export type Probe<T> = () => Promise<{ done: true; value: T } | { done: false; status: string }>

export interface WaitOptions {
  /** For messages: "backup 502 to complete". */
  what: string
  clock: Clock
  random: () => number
  policy: PollPolicy
  /** When the operation started: delays grow with the time since. */
  startedAt: number
  /** The status the caller last saw, before the wait. */
  initialStatus: string
  deadline: number
  signal?: AbortSignal
  /** Called with the initial status, then with each status that differs from the previous one. */
  onStatus?: (status: string, elapsedMs: number) => void
  /**
   * Where a progress line goes whenever the log would otherwise stay silent for longer than
   * PROGRESS_EVERY_MS: "Waiting for …: in_progress, 6m10s elapsed, next check in 40s". Longer
   * sleeps are cut into pieces for it; the status requests stay the same.
   */
  log?: Pick<Logger, 'info'>
}

/**
 * Sleeps, then probes, until the probe reports done, or until the deadline: then it fails with
 * WaitTimeoutError naming the last status. Never sleeps past the deadline; the last probe is made
 * at it. Each probe is sent early by 1.5 times the last one's round trip (at most half the delay):
 * an answer tells the state of half a round trip ago and arrives half a round trip later, so the
 * policy's delays bound the lateness whatever the network adds.
 */
export async function waitFor<T>(probe: Probe<T>, options: WaitOptions): Promise<T> {
  const { clock, deadline, startedAt } = options
  let last = options.initialStatus
  let roundTripMs = 0
  let saidAt = clock.now()
  options.onStatus?.(last, saidAt - startedAt)
  for (;;) {
    const now = clock.now()
    if (now >= deadline) throw new WaitTimeoutError(options.what, now - startedAt, last)
    const delay = options.policy(now - startedAt, options.random)
    const early = Math.min(1.5 * roundTripMs, delay / 2)
    saidAt = await sleep(Math.min(delay - early, deadline - now), saidAt, last, options)
    const sentAt = clock.now()
    const result = await probe()
    roundTripMs = clock.now() - sentAt
    if (result.done) return result.value
    if (result.status !== last) {
      saidAt = clock.now()
      options.onStatus?.(result.status, saidAt - startedAt)
    }
    last = result.status
  }
}

/**
 * Sleeps `ms` before the next probe. With a log, wakes up whenever it has been silent for
 * PROGRESS_EVERY_MS to say where the wait stands. Returns when the log last heard from the wait.
 */
async function sleep(
  ms: number,
  saidAt: number,
  status: string,
  { clock, log, signal, startedAt, what }: WaitOptions
): Promise<number> {
  let left = ms
  while (log && left > saidAt + PROGRESS_EVERY_MS - clock.now()) {
    const quiet = Math.max(0, saidAt + PROGRESS_EVERY_MS - clock.now())
    if (quiet > 0) await clock.sleep(quiet, signal)
    left -= quiet
    saidAt = clock.now()
    log.info(
      `Waiting for ${what}: ${status}, ${formatDuration(saidAt - startedAt)} elapsed, next check in ${formatDuration(left)}`
    )
  }
  await clock.sleep(left, signal)
  return saidAt
}
