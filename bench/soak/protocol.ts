/** IPC messages between the soak orchestrator (run.ts) and its load driver (driver.ts). */

/** What the driver sends, and for how long. */
export interface SoakJob {
  readonly type: 'soak'
  readonly url: string
  readonly connections: number
  /** Warm-up and measured load together. */
  readonly totalS: number
  readonly intervalS: number
  /** The HMAC secret permgate verifies tokens with, and the expiry of the valid ones. */
  readonly secret: string
  readonly expSec: number
  /** The service account's API key (its SHA-256 is in the bindings file). */
  readonly apiKey: string
  readonly seed: number
}

/** The class transport errors (refused, reset, timed out) are counted under. */
export const TRANSPORT = 'transport (no answer)'

/** Answers so far: request class -> outcome (a status, `<status> without <reason>`, or a transport error) -> count. */
export type Tally = Record<string, Record<string, number>>

export interface Progress {
  readonly type: 'progress'
  /** Seconds since the load started. */
  readonly elapsedS: number
  /** Answers (any status) and transport errors in this interval. */
  readonly responses: number
  readonly errors: number
  /** Latency percentiles over this interval's answers, ms (1000: 1 s or more); null with no answers. */
  readonly p50Ms: number | null
  readonly p99Ms: number | null
  readonly tally: Tally
}

export interface SoakResult {
  readonly type: 'result'
  readonly durationS: number
  readonly responses: number
  readonly tally: Tally
  /** The first few answers that were not the intended ones, as `class: expected -> got`. */
  readonly wrongSamples: readonly string[]
  readonly p50Ms: number | null
  readonly p99Ms: number | null
}
