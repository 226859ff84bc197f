import { setTimeout as delay } from 'node:timers/promises'
import { CancelledError } from './errors.js'

/** Time, injectable: production uses the real clock, tests a simulated one. */
export interface Clock {
  now(): number
  /** Resolves after `ms`, or rejects with CancelledError as soon as `signal` aborts. */
  sleep(ms: number, signal?: AbortSignal): Promise<void>
}

export const systemClock: Clock = {
  now: () => Date.now(),
  sleep: async (ms, signal) => {
    try {
      await delay(ms, undefined, { signal })
    } catch (error) {
      throw signal?.aborted ? new CancelledError() : error
    }
  }
}
