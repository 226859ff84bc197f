/**
 * The waiting policy on a simulated clock, for the unit tests (which assert the targets) and the
 * benchmark (which reports the figures): both measure the same thing.
 */
import type { Clock } from '../src/clock.js'
import { type PollPolicy, waitFor } from '../src/wait.js'

export interface SimulatedWait {
  /** When the step learned of the completion, minus the completion. */
  latenessMs: number
  /** Status requests made. */
  requests: number
  /** The delays waitFor slept between requests, in order. */
  delays: number[]
}

/**
 * One wait, with `policy`, for an operation that completes `targetMs` after it started. Each
 * status request takes `latencyMs` of simulated time: the server answers with the state at the
 * request's arrival (half-way), and the step learns it when the answer is back.
 */
export async function simulateWait(
  policy: PollPolicy,
  targetMs: number,
  random: () => number,
  latencyMs = 0
): Promise<SimulatedWait> {
  let now = 0
  const delays: number[] = []
  const clock: Clock = {
    now: () => now,
    sleep: async (ms) => {
      delays.push(ms)
      now += Math.max(0, ms)
    }
  }
  let requests = 0
  await waitFor(
    async () => {
      requests++
      now += latencyMs / 2
      const done = now >= targetMs
      now += latencyMs / 2
      return done ? { done: true, value: undefined } : { done: false, status: 'in_progress' }
    },
    {
      what: 'the simulated operation',
      clock,
      random,
      policy,
      startedAt: 0,
      initialStatus: 'in_progress',
      deadline: 24 * 3_600_000
    }
  )
  return { latenessMs: now - targetMs, requests, delays }
}
