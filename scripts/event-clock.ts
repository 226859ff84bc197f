import type { Clock } from '../src/common/clock.js'
import { CancelledError } from '../src/common/errors.js'

/** Turns of the event loop with nothing new before the clock moves: work in flight has settled. */
const QUIET_TURNS = 3

interface Sleeper {
  at: number
  order: number
  wake: () => void
}

/**
 * A discrete-event clock, for several loops that sleep concurrently: each sleep registers its
 * wake-up time, and once everything else is waiting (a few turns of the event loop with no new
 * sleep and no `touch()`), time moves to the earliest wake-up and that sleeper alone goes on, the
 * earlier registered first among equal times. Unlike a clock that advances on every sleep, loops
 * waiting side by side do not add their sleeps up. Work must not wait on real I/O or timers
 * meanwhile (in-process requests through undici's MockAgent settle within a turn).
 */
export class EventClock implements Clock {
  #now: number
  #sleepers: Sleeper[] = []
  #order = 0
  #activity = 0
  #running = false

  constructor(start = 0) {
    this.#now = start
  }

  readonly now = (): number => this.#now

  readonly sleep = (ms: number, signal?: AbortSignal): Promise<void> => {
    if (signal?.aborted) return Promise.reject(new CancelledError())
    return new Promise((wake) => {
      this.#sleepers.push({ at: this.#now + Math.max(0, ms), order: this.#order++, wake })
      this.touch()
      void this.#run()
    })
  }

  /** Something happened (a request arrived): time waits until it has settled. */
  touch(): void {
    this.#activity++
  }

  async #run(): Promise<void> {
    if (this.#running) return
    this.#running = true
    let seen = this.#activity
    let quiet = 0
    while (this.#sleepers.length) {
      await new Promise((turn) => setImmediate(turn))
      if (this.#activity !== seen) {
        seen = this.#activity
        quiet = 0
      } else if (++quiet >= QUIET_TURNS) {
        this.#sleepers.sort((a, b) => a.at - b.at || a.order - b.order)
        const next = this.#sleepers.shift()!
        this.#now = Math.max(this.#now, next.at)
        next.wake()
        quiet = 0
      }
    }
    this.#running = false
  }
}
