import type { Clock, TimerHandle } from '../../src/clock.js'

interface Timer {
  readonly at: number
  readonly f: () => unknown
}

/**
 * A clock that moves only when a test moves it. `advance(ms)` runs every timer that falls due on
 * the way, in the order they fall due, and waits for what each returns (a poll's file reads), so
 * a timer set by another one runs too when it falls due within the same advance.
 */
export class FakeClock implements Clock {
  #now: number
  #next = 0
  readonly #timers = new Map<number, Timer>()

  /** Starts at `startMs` (the real time by default, so tokens signed now are valid on it). */
  constructor(startMs: number = Date.now()) {
    this.#now = startMs
  }

  readonly now = (): number => this.#now

  readonly setTimeout = (f: () => unknown, ms: number): TimerHandle => {
    const id = ++this.#next
    this.#timers.set(id, { at: this.#now + Math.max(0, ms), f })
    return id
  }

  readonly clearTimeout = (handle: TimerHandle): void => {
    this.#timers.delete(handle as number)
  }

  /** Timers set and not yet run or cleared. */
  get pending(): number {
    return this.#timers.size
  }

  async advance(ms: number): Promise<void> {
    const until = this.#now + ms
    for (;;) {
      let due: [number, Timer] | undefined
      // strictly earlier only: of timers due together, the first set runs first
      for (const t of this.#timers) if (t[1].at <= until && (due === undefined || t[1].at < due[1].at)) due = t
      if (due === undefined) break
      this.#timers.delete(due[0])
      this.#now = due[1].at
      await due[1].f()
    }
    this.#now = until
  }
}
