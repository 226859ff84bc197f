import { describe, expect, it } from 'vitest'
import { CancelledError } from '../../../src/common/errors.js'
import {
  type PollPolicy,
  type Probe,
  PROGRESS_EVERY_MS,
  type WaitOptions,
  WaitTimeoutError,
  adaptivePolicy,
  fixedPolicy,
  waitFor
} from '../../../src/common/wait.js'
import { simulateWait } from '../../../scripts/simulated-wait.js'
import { type FakeClock, fakeClock, seededRandom } from '../../helpers/fake-clock.js'

const SECOND = 1000
const MINUTE = 60 * SECOND
const HOUR = 60 * MINUTE

/** waitFor's options for a wait starting now on `clock`, an hour long, adaptive. */
function waitOptions(clock: FakeClock, overrides: Partial<WaitOptions> = {}): WaitOptions {
  return {
    what: 'x',
    clock,
    random: Math.random,
    policy: adaptivePolicy,
    startedAt: clock.now(),
    initialStatus: 'in_progress',
    deadline: clock.now() + HOUR,
    ...overrides
  }
}

const RANDOMS: Array<[string, () => () => number]> = [
  ['random = 0', () => () => 0],
  ['random = 1', () => () => 1],
  ['seeded random', () => seededRandom(42)]
]

describe('adaptivePolicy', () => {
  it('looks first one second after the start', () => {
    expect(adaptivePolicy(0, () => 0)).toBe(1000)
    expect(adaptivePolicy(400, () => 0)).toBe(600)
  })

  it('then waits a tenth of the time elapsed, between 2 s and 60 s', () => {
    expect(adaptivePolicy(1000, () => 0)).toBe(2000)
    expect(adaptivePolicy(15_000, () => 0)).toBe(2000)
    expect(adaptivePolicy(100_000, () => 0)).toBe(10_000)
    expect(adaptivePolicy(10 * MINUTE, () => 0)).toBe(60_000)
    expect(adaptivePolicy(5 * HOUR, () => 0)).toBe(60_000)
  })

  it('jitters by at most 2%, and only shorter', () => {
    for (const elapsed of [1000, 30_000, 300_000, 3 * HOUR]) {
      const base = adaptivePolicy(elapsed, () => 0)
      const shortest = adaptivePolicy(elapsed, () => 1)
      expect(shortest).toBeLessThan(base)
      expect(shortest).toBeGreaterThanOrEqual(base * 0.98 - 1e-9)
      const random = seededRandom(elapsed)
      for (let i = 0; i < 20; i++) {
        const delay = adaptivePolicy(elapsed, random)
        expect(delay).toBeLessThanOrEqual(base)
        expect(delay).toBeGreaterThanOrEqual(shortest)
      }
    }
  })
})

describe('fixedPolicy', () => {
  it('always answers the same interval', () => {
    const policy = fixedPolicy(5000)
    expect(policy(0, Math.random)).toBe(5000)
    expect(policy(HOUR, Math.random)).toBe(5000)
  })

  it('drives waitFor at that interval', async () => {
    const result = await simulateWait(fixedPolicy(5000), 17 * SECOND, () => 0.5)
    expect(result.delays).toEqual([5000, 5000, 5000, 5000])
    expect(result.latenessMs).toBe(3000)
  })
})

describe('waitFor with adaptivePolicy: how late, and how many requests', () => {
  const cases: Array<[string, number, number]> = [
    ['5 s', 5 * SECOND, 4],
    ['20 s', 20 * SECOND, 12],
    ['60 s', 60 * SECOND, 24],
    ['5 min', 5 * MINUTE, 41],
    ['30 min', 30 * MINUTE, 70],
    ['2 h', 2 * HOUR, 160]
  ]
  for (const [label, endsAfter, maxProbes] of cases) {
    for (const [name, makeRandom] of RANDOMS) {
      it(`notices a backup of ${label} in time (${name})`, async () => {
        const {
          latenessMs: lateness,
          requests,
          delays
        } = await simulateWait(adaptivePolicy, endsAfter, makeRandom())
        expect(lateness).toBeGreaterThanOrEqual(0)
        expect(lateness).toBeLessThanOrEqual(Math.max(2000, endsAfter / 10))
        expect(lateness).toBeLessThanOrEqual(60_000)
        expect(requests).toBeLessThanOrEqual(maxProbes)
        expect(requests).toBe(delays.length)
        for (const ms of delays) expect(ms).toBeGreaterThan(0)
      })
    }
  }

  it('stays in time when every request takes 200 ms (each probe goes out early by its round trip)', async () => {
    // Every T from 5 s to 2 h, log-spaced: an unlucky T falls just after a probe.
    for (let i = 0; i < 200; i++) {
      const endsAfter = 5 * SECOND * Math.pow((2 * HOUR) / (5 * SECOND), i / 199)
      for (let seed = 1; seed <= 5; seed++) {
        const { latenessMs } = await simulateWait(
          adaptivePolicy,
          endsAfter,
          seededRandom(seed),
          200
        )
        expect(latenessMs).toBeLessThanOrEqual(Math.max(2000, endsAfter / 10))
      }
    }
  })

  it('asks less often as the wait grows (logarithmically, then every minute)', async () => {
    const short = await simulateWait(adaptivePolicy, 5 * MINUTE, () => 0)
    const long = await simulateWait(adaptivePolicy, 2 * HOUR, () => 0)
    // 24 times longer costs far fewer than 24 times the requests.
    expect(long.requests).toBeLessThan(short.requests * 5)
    expect(Math.max(...long.delays)).toBe(60_000)
  })

  it('grows from the operation’s start, not from when waiting began', async () => {
    const clock = fakeClock()
    const startedAt = clock.now()
    clock.advance(10 * MINUTE)
    await waitFor(
      async () => ({ done: true, value: 1 }),
      waitOptions(clock, { random: () => 0, startedAt, deadline: startedAt + HOUR })
    )
    expect(clock.sleeps).toEqual([60_000])
  })
})

describe('waitFor: deadline', () => {
  function neverDone(clock: FakeClock, statuses: string[] = ['in_progress']) {
    const probedAt: number[] = []
    const probe: Probe<never> = async () => {
      probedAt.push(clock.now())
      return { done: false, status: statuses[Math.min(probedAt.length, statuses.length) - 1]! }
    }
    return { probe, probedAt }
  }

  it('fails with WaitTimeoutError naming what, the time waited and the last status', async () => {
    const clock = fakeClock()
    const start = clock.now()
    const deadline = start + 10 * MINUTE
    const { probe, probedAt } = neverDone(clock, ['queued', 'in_progress', 'finalizing'])
    const error = await waitFor(
      probe,
      waitOptions(clock, {
        what: 'backup 502 of server 12345 to complete',
        random: seededRandom(1),
        initialStatus: 'queued',
        deadline
      })
    ).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(WaitTimeoutError)
    const timeout = error as WaitTimeoutError
    expect(timeout.waitedMs).toBe(10 * MINUTE)
    expect(timeout.lastStatus).toBe('finalizing')
    expect(timeout.message).toContain('10m')
    expect(timeout.message).toContain('backup 502 of server 12345 to complete')
    expect(timeout.message).toContain("'finalizing'")
    // The last look is at the deadline, never after it.
    expect(probedAt.at(-1)).toBe(deadline)
    expect(clock.now()).toBe(deadline)
    for (let i = 0; i < clock.sleeps.length; i++) {
      expect(clock.sleptAt[i]! + clock.sleeps[i]!).toBeLessThanOrEqual(deadline)
    }
  })

  it('cuts a fixed interval short at the deadline', async () => {
    const clock = fakeClock()
    const start = clock.now()
    const { probe, probedAt } = neverDone(clock)
    await expect(
      waitFor(probe, waitOptions(clock, { policy: fixedPolicy(60_000), deadline: start + 150_000 }))
    ).rejects.toBeInstanceOf(WaitTimeoutError)
    expect(clock.sleeps).toEqual([60_000, 60_000, 30_000])
    expect(probedAt.map((t) => t - start)).toEqual([60_000, 120_000, 150_000])
  })

  it('fails at once, with the initial status, when the deadline has passed', async () => {
    const clock = fakeClock()
    const start = clock.now()
    clock.advance(5000)
    const { probe, probedAt } = neverDone(clock)
    const error = await waitFor(
      probe,
      waitOptions(clock, {
        what: 'server 12345 to be active',
        startedAt: start,
        initialStatus: 'restoring',
        deadline: start + 5000
      })
    ).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(WaitTimeoutError)
    expect((error as Error).message).toContain("'restoring'")
    expect((error as Error).message).toContain('5s')
    expect(probedAt).toEqual([])
  })

  it('stops with CancelledError when the signal aborts', async () => {
    const clock = fakeClock()
    const controller = new AbortController()
    let probes = 0
    const error = await waitFor(
      async () => {
        if (++probes === 3) controller.abort()
        return { done: false, status: 'in_progress' }
      },
      waitOptions(clock, { signal: controller.signal })
    ).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(CancelledError)
    expect(probes).toBe(3)
  })

  it('lets an error thrown by the probe through', async () => {
    const clock = fakeClock()
    const boom = new Error('backup failed')
    await expect(
      waitFor(async () => {
        throw boom
      }, waitOptions(clock))
    ).rejects.toBe(boom)
  })
})

describe('waitFor: onStatus', () => {
  /** Follows probes that report `statuses`, then done; returns what onStatus was called with. */
  async function reported(initialStatus: string, statuses: string[]) {
    const clock = fakeClock()
    const seen: Array<[string, number]> = []
    let probes = 0
    const value = await waitFor(
      async () => {
        const status = statuses[probes++]
        return status === undefined
          ? { done: true as const, value: 'done' }
          : { done: false as const, status }
      },
      waitOptions(clock, {
        policy: fixedPolicy(1000),
        initialStatus,
        onStatus: (status, elapsed) => seen.push([status, elapsed])
      })
    )
    expect(value).toBe('done')
    return seen
  }

  it('is called with the initial status, then only when the status changes', async () => {
    const statuses = ['in_progress', 'in_progress', 'finalizing', 'finalizing', 'in_progress']
    expect(await reported('in_progress', statuses)).toEqual([
      ['in_progress', 0],
      ['finalizing', 3000],
      ['in_progress', 5000]
    ])
  })

  it('reports a first status that differs from the initial one', async () => {
    expect(await reported('active', ['restoring'])).toEqual([
      ['active', 0],
      ['restoring', 1000]
    ])
  })

  it('does not report the final, done, result as a status', async () => {
    expect(await reported('in_progress', [])).toEqual([['in_progress', 0]])
  })
})

describe('waitFor: progress lines', () => {
  /**
   * A wait of `endsAfter` whose every status request takes `roundTripMs`, with or without a log.
   * Returns the lines (with when each was written, onStatus lines included) and the requests made.
   */
  async function follow(policy: PollPolicy, endsAfter: number, withLog: boolean, roundTripMs = 0) {
    const clock = fakeClock()
    const start = clock.now()
    const lines: Array<[number, string]> = []
    const say = (line: string) => lines.push([clock.now() - start, line])
    let requests = 0
    await waitFor(
      async () => {
        requests++
        clock.advance(roundTripMs)
        return clock.now() - start >= endsAfter
          ? { done: true as const, value: undefined }
          : { done: false as const, status: 'in_progress' }
      },
      waitOptions(clock, {
        what: 'backup 501 of server 12345 to complete',
        random: seededRandom(7),
        policy,
        onStatus: (status) => say(`status ${status}`),
        ...(withLog ? { log: { info: say } } : {})
      })
    )
    return { lines, requests, end: clock.now() - start }
  }

  const cases: Array<[string, PollPolicy, number]> = [
    ['adaptive, 30 min', adaptivePolicy, 30 * MINUTE],
    ['poll_interval 5 min, 40 min', fixedPolicy(5 * MINUTE), 40 * MINUTE],
    ['poll_interval 10 s, 3 min', fixedPolicy(10 * SECOND), 3 * MINUTE]
  ]
  for (const [label, policy, endsAfter] of cases) {
    it(`writes a line every minute or so, round trips included (${label})`, async () => {
      const { lines, end } = await follow(policy, endsAfter, true, 2 * SECOND)
      const times = [...lines.map(([t]) => t), end]
      for (let i = 1; i < times.length; i++) {
        expect(times[i]! - times[i - 1]!).toBeLessThanOrEqual(MINUTE)
      }
      // And not more: one line per PROGRESS_EVERY_MS at most, the first status aside.
      expect(lines.length).toBeLessThanOrEqual(1 + Math.ceil(end / PROGRESS_EVERY_MS))
    })

    it(`makes no more status requests for it (${label})`, async () => {
      const silent = await follow(policy, endsAfter, false)
      const talking = await follow(policy, endsAfter, true)
      expect(talking.requests).toBe(silent.requests)
      expect(talking.end).toBe(silent.end)
    })
  }

  it('says what it waits for, the status, the time elapsed and when it looks next', async () => {
    const { lines } = await follow(fixedPolicy(5 * MINUTE), 6 * MINUTE, true)
    expect(lines.map(([, line]) => line)).toEqual([
      'status in_progress',
      'Waiting for backup 501 of server 12345 to complete: in_progress, 55s elapsed, next check in 4m5s',
      'Waiting for backup 501 of server 12345 to complete: in_progress, 1m50s elapsed, next check in 3m10s',
      'Waiting for backup 501 of server 12345 to complete: in_progress, 2m45s elapsed, next check in 2m15s',
      'Waiting for backup 501 of server 12345 to complete: in_progress, 3m40s elapsed, next check in 1m20s',
      'Waiting for backup 501 of server 12345 to complete: in_progress, 4m35s elapsed, next check in 25s',
      'Waiting for backup 501 of server 12345 to complete: in_progress, 5m30s elapsed, next check in 4m30s',
      'Waiting for backup 501 of server 12345 to complete: in_progress, 6m25s elapsed, next check in 3m35s',
      'Waiting for backup 501 of server 12345 to complete: in_progress, 7m20s elapsed, next check in 2m40s',
      'Waiting for backup 501 of server 12345 to complete: in_progress, 8m15s elapsed, next check in 1m45s',
      'Waiting for backup 501 of server 12345 to complete: in_progress, 9m10s elapsed, next check in 50s'
    ])
  })

  it('writes no line for a check due just as one would be written: the check says more', async () => {
    const { lines } = await follow(fixedPolicy(PROGRESS_EVERY_MS), 2 * PROGRESS_EVERY_MS, true)
    expect(lines).toEqual([
      [0, 'status in_progress'],
      [
        PROGRESS_EVERY_MS,
        'Waiting for backup 501 of server 12345 to complete: in_progress, 55s elapsed, next check in 55s'
      ]
    ])
  })

  it('adds nothing to a wait shorter than PROGRESS_EVERY_MS', async () => {
    const { lines } = await follow(adaptivePolicy, PROGRESS_EVERY_MS - 5 * SECOND, true)
    expect(lines).toEqual([[0, 'status in_progress']])
  })
})

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

describe('WaitTimeoutError is named', () => {
  it('is named, so the log and the stack tell it from other errors', () => {
    const error = new WaitTimeoutError('backup 502 to complete', 90_000, 'in_progress')
    expect(error.name).toBe('WaitTimeoutError')
    expect(String(error)).toBe(
      "WaitTimeoutError: Timed out after 1m30s waiting for backup 502 to complete; its last status was 'in_progress'"
    )
  })
})
