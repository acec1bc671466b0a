import type { Counter } from 'prom-client'
import type { Metrics } from '../telemetry/metrics.js'

/** How often the decision counters are read. @default 10 s */
export const COUNTER_SAMPLE_MS = 10_000
/** Minutes of per-minute snapshots kept. @default 15 */
export const COUNTER_MINUTES = 15
const MINUTE_MS = 60_000

export interface CounterRow {
  readonly decision: string
  readonly reason: string
  readonly operation_type: string
  readonly count: number
}

export interface CountersView {
  readonly sampledEverySeconds: number
  /** Oldest first; the last is the minute in progress. */
  readonly minutes: readonly { readonly start: string; readonly complete: boolean; readonly decisions: readonly CounterRow[] }[]
  /** Every minute above together. */
  readonly window: readonly CounterRow[]
  readonly windowStart: string
  /** Totals since the process started. */
  readonly sinceStart: readonly CounterRow[]
}

type Values = ReadonlyMap<string, number>
interface Snapshot {
  readonly minute: number
  readonly values: Values
}

/** Reads permgate_decisions_total from the registry: `decision|reason|operation_type` -> value. */
export function decisionCounterReader(metrics: Metrics): () => Promise<Values> {
  return async () => {
    const out = new Map<string, number>()
    const m = metrics.registry.getSingleMetric('permgate_decisions_total') as Counter | undefined
    if (m === undefined) return out
    for (const v of (await m.get()).values) {
      const l = v.labels
      out.set(`${String(l.decision ?? '')}|${String(l.reason ?? '')}|${String(l.operation_type ?? '')}`, v.value)
    }
    return out
  }
}

/**
 * Per-minute decision counts from a cumulative counter: a bounded ring of snapshots, one taken
 * in the first sample of each minute; a minute's counts are the next snapshot (or now) less its own.
 */
export class DecisionCounters {
  readonly #read: () => Promise<Values>
  readonly #now: () => number
  readonly #ring: (Snapshot | undefined)[] = new Array<Snapshot | undefined>(COUNTER_MINUTES).fill(undefined)
  #next = 0
  #last: Snapshot | undefined
  #timer: NodeJS.Timeout | undefined

  constructor(read: () => Promise<Values>, now: () => number = Date.now) {
    this.#read = read
    this.#now = now
  }

  /** Takes the first snapshot and samples every COUNTER_SAMPLE_MS (the timer never keeps the process alive). */
  start(intervalMs = COUNTER_SAMPLE_MS): Promise<void> {
    this.#timer = setInterval(() => void this.sample().catch(() => undefined), intervalMs)
    this.#timer.unref()
    return this.sample()
  }

  stop(): void {
    if (this.#timer !== undefined) clearInterval(this.#timer)
    this.#timer = undefined
  }

  async sample(): Promise<void> {
    const values = await this.#read()
    const minute = Math.floor(this.#now() / MINUTE_MS)
    if (this.#last !== undefined && this.#last.minute === minute) return
    this.#last = { minute, values }
    this.#ring[this.#next] = this.#last
    this.#next = (this.#next + 1) % COUNTER_MINUTES
  }

  async view(): Promise<CountersView> {
    if (this.#last === undefined) await this.sample()
    const current = await this.#read()
    const snaps: Snapshot[] = []
    for (let i = 0; i < COUNTER_MINUTES; i++) {
      const s = this.#ring[(this.#next + i) % COUNTER_MINUTES]
      if (s !== undefined) snaps.push(s)
    }
    const minutes = snaps.map((s, i) => {
      const to = snaps[i + 1]?.values ?? current
      return { start: new Date(s.minute * MINUTE_MS).toISOString(), complete: i + 1 < snaps.length, decisions: delta(s.values, to) }
    })
    const first = snaps[0]
    return {
      sampledEverySeconds: COUNTER_SAMPLE_MS / 1000,
      minutes,
      window: first === undefined ? [] : delta(first.values, current),
      windowStart: new Date((first?.minute ?? Math.floor(this.#now() / MINUTE_MS)) * MINUTE_MS).toISOString(),
      sinceStart: delta(new Map(), current),
    }
  }
}

function delta(from: Values, to: Values): CounterRow[] {
  const rows: CounterRow[] = []
  for (const [key, v] of to) {
    const count = v - (from.get(key) ?? 0)
    if (count <= 0) continue
    const [decision = '', reason = '', operation_type = ''] = key.split('|')
    rows.push({ decision, reason, operation_type, count })
  }
  return rows.sort((a, b) => a.decision.localeCompare(b.decision) || a.operation_type.localeCompare(b.operation_type) || a.reason.localeCompare(b.reason))
}
