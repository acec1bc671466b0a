/** Latencies are kept to the microsecond up to this; slower responses share one overflow bucket. */
export const LATENCY_RANGE_US = 1_000_000 // 1 s

/**
 * A latency histogram with 1 µs buckets. autocannon's own histogram keeps whole milliseconds,
 * too coarse to see a few hundred microseconds added by a proxy.
 */
export class LatencyHistogram {
  readonly #buckets = new Uint32Array(LATENCY_RANGE_US + 1)
  #count = 0

  record(ms: number): void {
    const us = Math.round(ms * 1000)
    this.#buckets[us < LATENCY_RANGE_US ? (us > 0 ? us : 0) : LATENCY_RANGE_US]! += 1
    this.#count += 1
  }

  get count(): number {
    return this.#count
  }

  /** The latency at quantile q (0..1), in ms; Infinity when it falls in the overflow bucket. */
  quantileMs(q: number): number {
    if (this.#count === 0) return Number.NaN
    const rank = Math.max(1, Math.ceil(q * this.#count))
    let seen = 0
    for (let us = 0; us <= LATENCY_RANGE_US; us++) {
      seen += this.#buckets[us] as number
      if (seen >= rank) return us === LATENCY_RANGE_US ? Infinity : us / 1000
    }
    return Infinity
  }
}
