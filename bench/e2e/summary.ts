import { median } from '../micro/timing.js'
import type { Configuration, TargetKey } from './configs.js'
import { LOAD_CORE, PROXY_CORE } from './processes.js'
import type { Sample, Samples } from './rounds.js'

/** One configuration over its rounds: medians, and the differences from the baselines. */
export interface Row {
  readonly key: TargetKey
  readonly label: string
  readonly rounds: number
  readonly rps: number
  readonly rpsMin: number
  readonly rpsMax: number
  readonly p50Ms: number
  readonly p99Ms: number
  /** The proxy process's CPU per request (NaN for the upstream direct). */
  readonly cpuUs: number
  /** The proxy's CPU time over wall time. */
  readonly coreShare: number
  readonly upstreamCpuUs: number
  /** Median share of the run each core was busy, all processes and the kernel (Linux). */
  readonly proxyCoreBusy: number
  readonly loadCoreBusy: number
  readonly driverCpuUs: number
  /** Median of the per-round ratios of req/s to the plain proxy's in the same round. */
  readonly rpsVsPlain: number
  readonly cpuVsPlainUs: number
  readonly p99VsPlainMs: number
  readonly p99VsDirectMs: number
  /** Median of the per-round ratios of CPU per request to the bare Node proxy's (issue 16's reference). */
  readonly cpuVsBare: number
  /** Answers over every round: as expected (200 allowed, 403 denied) and otherwise. */
  readonly allowed: number
  readonly denied: number
  readonly wrong: number
  readonly statuses: Record<string, number>
  /** permgate's verified-token cache over every round: hits / (hits + misses). */
  readonly tokenHitRate: number | undefined
  readonly tokenMisses: number | undefined
  readonly documentHitRate: number | undefined
}

const med = (samples: readonly Sample[], f: (s: Sample) => number | null | undefined): number => {
  const xs = samples.map(f).filter((x): x is number => typeof x === 'number' && Number.isFinite(x))
  return xs.length === 0 ? Number.NaN : median(xs)
}

/**
 * Median over rounds of f(sample) against f(the same round's sample of `base`): `ratio` or
 * difference. Pairing runs made seconds apart cancels the machine's slower and faster phases.
 */
function paired(ss: readonly Sample[], base: readonly Sample[], f: (s: Sample) => number | null | undefined, how: 'ratio' | 'difference'): number {
  return med(ss, (s) => {
    const b = base.find((x) => x.round === s.round)
    const x = f(s)
    const y = b === undefined ? undefined : f(b)
    if (typeof x !== 'number' || typeof y !== 'number') return undefined
    return how === 'ratio' ? x / y : x - y
  })
}

export function summarize(configs: readonly Configuration[], samples: Samples): Row[] {
  const cpu = (s: Sample): number | undefined => s.proxy?.cpuPerRequestUs
  const p99 = (s: Sample): number | null => s.driver.p99Ms
  return configs.map((c) => {
    const ss = samples[c.key]
    const cpuUs = med(ss, cpu)
    const p99Ms = med(ss, p99)
    const statuses: Record<string, number> = {}
    for (const s of ss) for (const [code, n] of Object.entries(s.driver.statuses)) statuses[code] = (statuses[code] ?? 0) + n
    const sum = (f: (s: Sample) => number | undefined): number | undefined => (ss.some((s) => f(s) === undefined) ? undefined : ss.reduce((a, s) => a + (f(s) ?? 0), 0))
    const tokenHits = sum((s) => s.proxy?.tokenCache?.hits)
    const tokenMisses = sum((s) => s.proxy?.tokenCache?.misses)
    const docHits = sum((s) => s.proxy?.documentCache?.hits)
    const docMisses = sum((s) => s.proxy?.documentCache?.misses)
    return {
      key: c.key,
      label: c.label,
      rounds: ss.length,
      rps: med(ss, (s) => s.driver.rps),
      rpsMin: Math.min(...ss.map((s) => s.driver.rps)),
      rpsMax: Math.max(...ss.map((s) => s.driver.rps)),
      p50Ms: med(ss, (s) => s.driver.p50Ms),
      p99Ms,
      cpuUs,
      coreShare: med(ss, (s) => s.proxy?.coreShare),
      upstreamCpuUs: med(ss, (s) => s.upstream.cpuPerRequestUs),
      proxyCoreBusy: med(ss, (s) => s.driver.coreBusy[PROXY_CORE]),
      loadCoreBusy: med(ss, (s) => s.driver.coreBusy[LOAD_CORE]),
      driverCpuUs: med(ss, (s) => s.driver.driverCpuPerRequestUs),
      rpsVsPlain: paired(ss, samples.plain, (s) => s.driver.rps, 'ratio'),
      cpuVsPlainUs: paired(ss, samples.plain, cpu, 'difference'),
      p99VsPlainMs: paired(ss, samples.plain, p99, 'difference'),
      p99VsDirectMs: paired(ss, samples.upstream, p99, 'difference'),
      cpuVsBare: paired(ss, samples.bare ?? [], cpu, 'ratio'),
      allowed: ss.reduce((a, s) => a + s.driver.allowed, 0),
      denied: ss.reduce((a, s) => a + s.driver.denied, 0),
      wrong: ss.reduce((a, s) => a + s.driver.wrong, 0),
      statuses,
      tokenHitRate: rate(tokenHits, tokenMisses),
      tokenMisses,
      documentHitRate: rate(docHits, docMisses),
    }
  })
}

function rate(hits: number | undefined, misses: number | undefined): number | undefined {
  if (hits === undefined || misses === undefined || hits + misses === 0) return undefined
  return hits / (hits + misses)
}

/** A target of issue 4, measured (never asserted). */
export interface Target {
  readonly name: string
  readonly measured: string
  readonly met: boolean
}

/** Permgate targets. What a token-cache miss costs: CPU per request of `every token new` minus `warm`, paired by round. */
export function targets(rows: readonly Row[], samples: Samples): { list: Target[]; missCostUs: number } {
  const row = (k: TargetKey): Row => {
    const r = rows.find((x) => x.key === k)
    if (r === undefined) throw new Error(`no row ${k}`)
    return r
  }
  const warm = row('warm')
  const realistic = row('realistic')
  const missCostUs = paired(samples.fresh, samples.warm, (s) => s.proxy?.cpuPerRequestUs, 'difference')
  const x = (n: number): string => `${n.toFixed(2)}x`
  const us = (n: number): string => `${n >= 0 ? '+' : ''}${n.toFixed(1)} µs`
  const ms = (n: number): string => `${n >= 0 ? '+' : ''}${n.toFixed(3)} ms`
  const list: Target[] = [
    { name: 'permgate warm req/s >= 1.0x plain proxy (aim 1.2x)', measured: `${x(warm.rpsVsPlain)}${warm.rpsVsPlain >= 1.2 ? ' (aim met)' : ''}`, met: warm.rpsVsPlain >= 1.0 },
    { name: 'permgate realistic req/s >= 0.9x plain proxy', measured: x(realistic.rpsVsPlain), met: realistic.rpsVsPlain >= 0.9 },
    { name: 'permgate warm CPU/request <= plain proxy + 10 µs', measured: us(warm.cpuVsPlainUs), met: warm.cpuVsPlainUs <= 10 },
    { name: 'permgate realistic CPU/request <= plain proxy + 10 µs', measured: us(realistic.cpuVsPlainUs), met: realistic.cpuVsPlainUs <= 10 },
    { name: 'permgate warm p99 added vs plain proxy < 1 ms', measured: ms(warm.p99VsPlainMs), met: warm.p99VsPlainMs < 1 },
    { name: 'permgate realistic p99 added vs plain proxy < 1 ms', measured: ms(realistic.p99VsPlainMs), met: realistic.p99VsPlainMs < 1 },
    { name: 'token-cache miss <= 60 µs more CPU than a hit', measured: us(missCostUs), met: missCostUs <= 60 },
    // issue 16: against the bare Node proxy (NaN, so not met, if its row is missing)
    { name: 'permgate warm CPU/request <= 1.25x bare Node proxy', measured: x(warm.cpuVsBare), met: warm.cpuVsBare <= 1.25 },
    { name: 'permgate realistic CPU/request <= 1.5x bare Node proxy', measured: x(realistic.cpuVsBare), met: realistic.cpuVsBare <= 1.5 },
  ]
  return { list, missCostUs }
}
