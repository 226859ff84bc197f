import { describe, expect, it } from 'vitest'
import { EventClock } from '../../scripts/event-clock.js'
import { CancelledError } from '../../src/common/errors.js'

/** A loop that sleeps each of `sleeps` in turn, noting `name@time` after each. */
async function loop(clock: EventClock, name: string, sleeps: number[], woke: string[]) {
  for (const ms of sleeps) {
    await clock.sleep(ms)
    woke.push(`${name}@${clock.now()}`)
  }
}

/** Turns of the event loop, as work that is not a sleep (a request in flight) takes. */
async function busy(turns: number, clock?: EventClock): Promise<void> {
  for (let i = 0; i < turns; i++) {
    clock?.touch()
    await new Promise((turn) => setImmediate(turn))
  }
}

describe('EventClock (the benchmark’s discrete-event clock)', () => {
  it('wakes concurrent sleepers in time order, without adding their sleeps up', async () => {
    const clock = new EventClock(1000)
    const woke: string[] = []
    await Promise.all([
      loop(clock, 'a', [1000, 1000, 1000], woke),
      loop(clock, 'b', [1500, 1500], woke)
    ])
    // At 4000, b (asleep since 2500) goes before a (asleep since 3000).
    expect(woke).toEqual(['a@2000', 'b@2500', 'a@3000', 'b@4000', 'a@4000'])
    expect(clock.now()).toBe(4000)
  })

  it('waits a few quiet turns of the event loop before it moves time', async () => {
    const clock = new EventClock()
    const woke: string[] = []
    await Promise.all([
      loop(clock, 'a', [1000], woke),
      busy(2).then(() => loop(clock, 'b', [500], woke))
    ])
    expect(woke).toEqual(['b@500', 'a@1000'])
  })

  it('does not move time while work is touching it', async () => {
    const clock = new EventClock()
    const woke: string[] = []
    await Promise.all([
      loop(clock, 'a', [1000], woke),
      busy(20, clock).then(() => loop(clock, 'c', [700], woke))
    ])
    expect(woke).toEqual(['c@700', 'a@1000'])
  })

  it('refuses a sleep once the signal has aborted', async () => {
    const controller = new AbortController()
    controller.abort()
    await expect(new EventClock().sleep(1000, controller.signal)).rejects.toBeInstanceOf(
      CancelledError
    )
  })
})
