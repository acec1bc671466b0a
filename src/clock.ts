// One concept: the clock and the timers of the components that wait (the JWK set's age, cooldown
// and fetch timeout; the reload poller). Passed in, so a test moves time forward by hand and
// asserts what happened, instead of waiting on the real clock.

/** A pending timer, as `setTimeout` returned it. */
export type TimerHandle = unknown

export interface Clock {
  /** Epoch milliseconds. */
  now(): number
  /** Calls `f` once, `ms` from now. A pending timer never keeps the process alive. */
  setTimeout(f: () => unknown, ms: number): TimerHandle
  clearTimeout(handle: TimerHandle): void
}

/** The process's clock and timers. */
export const SYSTEM_CLOCK: Clock = Object.freeze({
  now: Date.now,
  setTimeout: (f: () => unknown, ms: number): TimerHandle => setTimeout(f, ms).unref(),
  clearTimeout: (handle: TimerHandle): void => clearTimeout(handle as NodeJS.Timeout),
})
