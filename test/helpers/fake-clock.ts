import type { Clock } from '../../src/common/clock.js'
import { CancelledError } from '../../src/common/errors.js'

/** A clock whose sleeps return at once and move time forward, recording each duration. */
export interface FakeClock extends Clock {
  /** Every sleep requested, in order, in milliseconds. */
  readonly sleeps: number[]
  /** The clock time at which each sleep started. */
  readonly sleptAt: number[]
  /** Moves time forward without a sleep (e.g. to simulate a slow request). */
  advance(ms: number): void
  /** Sets the current time. */
  set(ms: number): void
}

/** Thursday 16 January 2025 15:45:00 UTC: a plausible epoch time, so HTTP dates make sense. */
export const EPOCH = Date.parse('2025-01-16T15:45:00Z')

export function fakeClock(start = EPOCH): FakeClock {
  let t = start
  const sleeps: number[] = []
  const sleptAt: number[] = []
  return {
    sleeps,
    sleptAt,
    now: () => t,
    sleep: async (ms: number, signal?: AbortSignal) => {
      if (signal?.aborted) throw new CancelledError()
      sleeps.push(ms)
      sleptAt.push(t)
      t += ms
    },
    advance: (ms: number) => {
      t += ms
    },
    set: (ms: number) => {
      t = ms
    }
  }
}

/** The simulator's seeded PRNG, for reproducible "random" jitter. */
export { seededRandom } from '../../simulator/server.js'
