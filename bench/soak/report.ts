import { fmtInt, table } from '../micro/report.js'
import { GROWTH_MB, GROWTH_RATIO, type SoakOptions } from './args.js'
import type { ReloadSummary } from './reloads.js'
import type { ClassRow, IntervalSample, MemoryVerdict, RateSummary } from './samples.js'

/** Counters read from permgate's /metrics at the end of the run. */
export interface EndMetrics {
  readonly tokenHits: number
  readonly tokenMisses: number
  readonly tokenEvictions: number
  readonly documentMisses: number
  readonly decisionLogRecorded: number
  readonly decisionLogDropped: number
  readonly upstream5xx: number
}

export interface SoakReport {
  readonly opts: SoakOptions
  readonly classes: readonly ClassRow[]
  readonly rates: RateSummary
  readonly latency: { readonly p50Ms: number | null; readonly p99Ms: number | null }
  readonly memory: MemoryVerdict
  readonly reloads: ReloadSummary
  readonly metrics: EndMetrics
  readonly errors: number
  readonly wrongSamples: readonly string[]
  readonly intervals: number
  /** Every interval, warm-up included: req/s, p99, permgate's RSS and heap. */
  readonly samples: readonly IntervalSample[]
}

/** A latency: 1000 ms stands for 1 s or more (the histogram's range). */
const f1 = (n: number | null): string => (n === null || !Number.isFinite(n) ? '-' : n >= 1000 ? '>= 1000' : n.toFixed(1))
const f0 = (n: number): string => (Number.isFinite(n) ? n.toFixed(0) : '-')
const signed = (n: number): string => `${n >= 0 ? '+' : ''}${n.toFixed(0)}`

export function classTable(rows: readonly ClassRow[]): string {
  const total = rows.reduce((a, r) => ({ answers: a.answers + r.answers, ok: a.ok + r.asIntended, wrong: a.wrong + r.wrong }), { answers: 0, ok: 0, wrong: 0 })
  const body = rows.map((r) => [r.name, r.expect, fmtInt(r.answers), fmtInt(r.asIntended), fmtInt(r.wrong), r.wrongOutcomes || '-'])
  body.push(['all', '', fmtInt(total.answers), fmtInt(total.ok), fmtInt(total.wrong), ''])
  return table(['request class', 'intended answer', 'answers', 'as intended', 'errors', 'other outcomes'], body, new Set([2, 3, 4]))
}

export function summaryLines(r: SoakReport): string[] {
  const p = r.opts.plan
  const m = r.memory
  const rl = r.reloads
  const verdict = r.opts.quick
    ? 'reported only (--quick)'
    : m.exceeded
      ? `EXCEEDED: last quarter ${m.quarterRatio.toFixed(2)}x and ${signed(m.lastQuarterMb - m.firstQuarterMb)} MB over the first`
      : 'within the bound'
  const rows: string[][] = [
    ['requests/s (median of intervals, lowest - highest)', `${fmtInt(r.rates.medianRps)} (${fmtInt(r.rates.minRps)} - ${fmtInt(r.rates.maxRps)}) over ${r.intervals} intervals of ${p.intervalS} s`],
    ['latency p50 / p99 over the run; highest interval p99', `${f1(r.latency.p50Ms)} / ${f1(r.latency.p99Ms)} ms; ${f1(r.rates.maxIntervalP99Ms)} ms`],
    ['permgate RSS start / end / highest', `${f0(m.startMb)} / ${f0(m.endMb)} / ${f0(m.maxMb)} MB (growth ${signed(m.growthMb)} MB)`],
    ['RSS median, first / last quarter', `${f0(m.firstQuarterMb)} / ${f0(m.lastQuarterMb)} MB (${m.quarterRatio.toFixed(2)}x): ${verdict}`],
    ['heap used after a full GC (retained), start / middle / end', `${m.heapAfterGcMb.map(f0).join(' / ')} MB`],
    [
      'bindings reloads: rewrites (changed) / applied / permgate ok, failed',
      `${rl.rewrites} (${rl.changed}) / ${rl.applied} / ${rl.successes}, ${rl.failures}; rewrite to reload median ${f0(rl.medianApplyMs ?? Number.NaN)} ms, highest ${f0(rl.maxApplyMs ?? Number.NaN)} ms; u-flip probes as intended ${rl.probesOk}`,
    ],
    ['token cache: verified (misses) / hits / evictions', `${fmtInt(r.metrics.tokenMisses)} / ${fmtInt(r.metrics.tokenHits)} / ${fmtInt(r.metrics.tokenEvictions)}`],
    ['decision log events recorded / dropped', `${fmtInt(r.metrics.decisionLogRecorded)} / ${fmtInt(r.metrics.decisionLogDropped)}`],
    ['upstream answers 5xx (permgate\'s count)', fmtInt(r.metrics.upstream5xx)],
    ['errors (answers other than intended, transport errors, reload problems)', fmtInt(r.errors)],
  ]
  return [
    table(['measure', 'value'], rows),
    '',
    `- memory bound (full runs): fails when the last quarter's median RSS is > ${GROWTH_RATIO}x and > +${GROWTH_MB} MB over the first quarter's`,
    ...(r.wrongSamples.length > 0 ? ['- first errors:', ...r.wrongSamples.map((s) => `  - ${s}`)] : []),
    ...rl.errors.slice(0, 10).map((e) => `- reload error: ${e}`),
  ]
}
