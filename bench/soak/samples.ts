import { median } from '../micro/timing.js'
import { GROWTH_MB, GROWTH_RATIO } from './args.js'
import { TRANSPORT, type Tally } from './protocol.js'
import type { RequestClass } from './mix.js'

const MB = 1024 * 1024

/** One interval of the run: its load, and permgate's memory at its end. */
export interface IntervalSample {
  readonly elapsedS: number
  readonly warmup: boolean
  readonly rps: number
  readonly errors: number
  readonly p99Ms: number | null
  readonly rssMb: number
  readonly heapUsedMb: number
  /** Heap used after a full collection, where one was forced (start and middle of the measured part). */
  readonly heapAfterGcMb?: number
}

export interface MemoryVerdict {
  readonly startMb: number
  readonly endMb: number
  readonly maxMb: number
  readonly growthMb: number
  /** Medians of the first and last quarter of the measured samples. */
  readonly firstQuarterMb: number
  readonly lastQuarterMb: number
  readonly quarterRatio: number
  /** Whether the last quarter exceeds the bound (both conditions). */
  readonly exceeded: boolean
  /** Heap used after a full collection (what is retained): start and middle of the measured part, and the end. */
  readonly heapAfterGcMb: readonly number[]
}

export const mb = (bytes: number): number => bytes / MB

/** RSS from the samples after the warm-up: start, end, highest, and the quarter medians against the bound. */
export function memoryVerdict(samples: readonly IntervalSample[], heapAfterGcEndMb: number): MemoryVerdict {
  const measured = samples.filter((s) => !s.warmup)
  if (measured.length === 0) throw new Error('no memory sample after the warm-up')
  const rss = measured.map((s) => s.rssMb)
  const q = Math.max(1, Math.floor(rss.length / 4))
  const firstQuarterMb = median(rss.slice(0, q))
  const lastQuarterMb = median(rss.slice(rss.length - q))
  const startMb = rss[0] as number
  const endMb = rss[rss.length - 1] as number
  return {
    startMb,
    endMb,
    maxMb: Math.max(...rss),
    growthMb: endMb - startMb,
    firstQuarterMb,
    lastQuarterMb,
    quarterRatio: lastQuarterMb / firstQuarterMb,
    exceeded: lastQuarterMb > GROWTH_RATIO * firstQuarterMb && lastQuarterMb - firstQuarterMb > GROWTH_MB,
    heapAfterGcMb: [...measured.flatMap((s) => (s.heapAfterGcMb === undefined ? [] : [s.heapAfterGcMb])), heapAfterGcEndMb],
  }
}

export interface ClassRow {
  readonly name: string
  readonly expect: string
  readonly answers: number
  readonly asIntended: number
  readonly wrong: number
  /** Outcomes other than the intended one, e.g. `500 x3`. */
  readonly wrongOutcomes: string
}

/** Per class: answers, those with the intended status (and reason), and the rest. */
export function classRows(classes: readonly RequestClass[], tally: Tally): ClassRow[] {
  const rows = classes.map((c) => {
    const row = tally[c.name] ?? {}
    const answers = Object.values(row).reduce((a, n) => a + n, 0)
    const asIntended = row[String(c.expect)] ?? 0
    const other = Object.entries(row).filter(([outcome]) => outcome !== String(c.expect))
    return {
      name: c.name,
      expect: c.reason === undefined ? String(c.expect) : `${c.expect} ${c.reason}`,
      answers,
      asIntended,
      wrong: answers - asIntended,
      wrongOutcomes: other.map(([o, n]) => `${o} x${n}`).join(', '),
    }
  })
  const transport = tally[TRANSPORT]
  if (transport !== undefined) {
    const n = Object.values(transport).reduce((a, x) => a + x, 0)
    rows.push({ name: TRANSPORT, expect: '-', answers: n, asIntended: 0, wrong: n, wrongOutcomes: Object.entries(transport).map(([o, x]) => `${o} x${x}`).join(', ') })
  }
  return rows
}

export interface RateSummary {
  readonly medianRps: number
  readonly minRps: number
  readonly maxRps: number
  readonly maxIntervalP99Ms: number | null
}

export function rateSummary(samples: readonly IntervalSample[]): RateSummary {
  const measured = samples.filter((s) => !s.warmup)
  const rps = measured.map((s) => s.rps)
  const p99 = measured.map((s) => s.p99Ms).filter((x): x is number => x !== null)
  return {
    medianRps: rps.length === 0 ? Number.NaN : median(rps),
    minRps: rps.length === 0 ? Number.NaN : Math.min(...rps),
    maxRps: rps.length === 0 ? Number.NaN : Math.max(...rps),
    maxIntervalP99Ms: p99.length === 0 ? null : Math.max(...p99),
  }
}
