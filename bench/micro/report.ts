import { mkdirSync, renameSync, writeFileSync } from 'node:fs'
import { cpus, loadavg, release, type as osType } from 'node:os'
import { join } from 'node:path'
import type { ScaleReport } from './scale.js'
import { pairedRatio, type EngineResult } from './timing.js'

export interface Machine {
  readonly cpu: string
  readonly cores: number
  readonly node: string
  readonly os: string
  /** 1-minute load average when the run started: other work on the machine skews the numbers. */
  readonly load: number
}

export function machine(): Machine {
  const list = cpus()
  return {
    cpu: list[0]?.model.trim() ?? 'unknown',
    cores: list.length,
    node: process.version,
    os: `${osType()} ${release()} ${process.arch}`,
    load: loadavg()[0] ?? 0,
  }
}

const int = new Intl.NumberFormat('en-US', { maximumFractionDigits: 0 })
const dec = new Intl.NumberFormat('en-US', { maximumFractionDigits: 1, minimumFractionDigits: 1 })

export const fmtInt = (n: number): string => int.format(n)
export const fmtRatio = (n: number): string => `${n >= 100 ? int.format(n) : dec.format(n)}x`
export const fmtNs = (perSecond: number): string => dec.format(1e9 / perSecond)

/** A markdown table with aligned columns (numbers right-aligned). */
export function table(head: readonly string[], rows: readonly (readonly string[])[], right: ReadonlySet<number> = new Set()): string {
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)))
  const cell = (s: string, i: number): string => (right.has(i) ? s.padStart(widths[i] as number) : s.padEnd(widths[i] as number))
  const line = (r: readonly string[]): string => `| ${r.map((s, i) => cell(s, i)).join(' | ')} |`
  const rule = `|${widths.map((w, i) => (right.has(i) ? `${'-'.repeat(w + 1)}:` : `${'-'.repeat(w + 2)}`)).join('|')}|`
  return [line(head), rule, ...rows.map(line)].join('\n')
}

/**
 * Rows for engines: rates, spread over rounds, ns per decision, checksum, and how many times
 * faster the first engine is (median of per-round ratios).
 */
export function engineRows(results: readonly EngineResult[], label: (r: EngineResult) => readonly string[] = (r) => [r.name]): string[][] {
  const base = results[0]
  return results.map((r) => [
    ...label(r),
    fmtInt(r.median),
    `${fmtInt(r.min)} - ${fmtInt(r.max)}`,
    fmtNs(r.median),
    `${fmtInt(r.allowed)} / ${fmtInt(r.denied)}`,
    base === undefined || r === base ? '1.0x' : fmtRatio(pairedRatio(base, r)),
  ])
}

export const ENGINE_HEAD = ['median decisions/s', 'min - max over rounds', 'ns/decision', 'allowed / denied', 'permgate is (paired)']

export const verdict = (met: boolean): string => (met ? 'met' : 'MISSED')

/** Writes the results as `<prefix>-<stamp>.json` and, for a full run, `<prefix>-latest.json` too. */
export function writeResults(dir: string, stamp: string, data: unknown, latest: boolean, prefix = 'micro'): string[] {
  mkdirSync(dir, { recursive: true })
  const text = `${JSON.stringify(data, null, 2)}\n`
  const names = [`${prefix}-${stamp}.json`, ...(latest ? [`${prefix}-latest.json`] : [])]
  for (const name of names) {
    const tmp = join(dir, `${name}.${process.pid}.tmp`)
    writeFileSync(tmp, text)
    renameSync(tmp, join(dir, name))
  }
  return names.map((n) => join(dir, n))
}

/** The scaling section: one row per store, the ratio to the 10-binding store, the target. */
export function scaleLines(scale: ScaleReport, drift: number): string[] {
  const [small, large] = scale.rows
  if (!small || !large) throw new Error('the scaling check needs a small and a large store')
  const rows = scale.rows.map((r) => [
    r.label,
    `${fmtInt(r.workspaces)} / ${fmtInt(r.deployments)} / ${fmtInt(r.subjects)}`,
    fmtInt(r.bindings),
    String(r.principals),
    ...(engineRows([r.result])[0] as string[]).slice(1, 5),
    r === small ? '1.00' : pairedRatio(r.result, small.result).toFixed(2),
  ])
  return [
    '### Scaling: permgate warm decisions/s against store size',
    '',
    table(
      ['store', 'workspaces / deployments / subjects', 'bindings', 'principals', ...ENGINE_HEAD.slice(0, 4), 'vs 10 bindings (paired)'],
      rows,
      new Set([2, 3, 4, 6, 8]),
    ),
    '',
    `- the ${fmtInt(large.bindings)}-binding store is built in code (${Math.round(large.buildMs)} ms) around the 10-binding one, ` +
      'so the same cases get the same answers from both; the last row draws cases of the same shapes from 1,000 principals ' +
      'spread over the large store (more cached masks and entities: for information, no target)',
    `- target: 1,000,000 bindings within ${drift * 100}% of 10 bindings (same cases): ` +
      `ratio ${scale.ratio.toFixed(2)} ${verdict(Math.abs(1 - scale.ratio) <= drift)}` +
      (scale.sameAnswers ? '' : ' (and the answers differ: FAIL)'),
  ]
}

/** The lowest CPU share over rounds: a warning when other work on the machine took the core. */
export function cpuLine(results: readonly EngineResult[]): string {
  const shares = results.flatMap((r) => r.rounds.map((x) => x.cpuShare))
  const low = Math.min(...shares)
  return low < 0.9
    ? `- warning: in some rounds this process got only ${Math.round(low * 100)}% of a core (other work on the machine); those rounds read low`
    : `- this process had its core for every round (lowest CPU share ${Math.round(low * 100)}%)`
}
