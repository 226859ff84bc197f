// Tests for what the mutation run (docs/mutation.md) found that wait.test.ts does not check.
import { describe, expect, it } from 'vitest'
import { WaitTimeoutError, fixedPolicy, waitFor } from '../../../src/common/wait.js'
import { fakeClock } from '../../helpers/fake-clock.js'

describe('waitFor: a round trip longer than the delay', () => {
  it('sends each probe early by at most half the delay, never sleeping a negative time', async () => {
    const clock = fakeClock()
    const start = clock.now()
    let probes = 0
    const value = await waitFor(
      async () => {
        clock.advance(2000) // every status request takes 2 s, twice the 1 s interval
        return ++probes === 3
          ? { done: true as const, value: 'done' }
          : { done: false as const, status: 'in_progress' }
      },
      {
        what: 'x',
        clock,
        random: () => 0,
        policy: fixedPolicy(1000),
        startedAt: start,
        initialStatus: 'in_progress',
        deadline: start + 3_600_000
      }
    )
    expect(value).toBe('done')
    // 1.5 round trips (3 s) would be more than the whole delay: the cap is half of it.
    expect(clock.sleeps).toEqual([1000, 500, 500])
  })
})

describe('WaitTimeoutError', () => {
  it('is named, so the log and the stack tell it from other errors', () => {
    const error = new WaitTimeoutError('backup 502 to complete', 90_000, 'in_progress')
    expect(error.name).toBe('WaitTimeoutError')
    expect(String(error)).toBe(
      "WaitTimeoutError: Timed out after 1m30s waiting for backup 502 to complete; its last status was 'in_progress'"
    )
  })
})
