import { readFileSync } from 'node:fs'
import { table } from '../micro/report.js'

/** Functions listed per profile. */
export const TOP_FUNCTIONS = 25

interface ProfileNode {
  readonly id: number
  readonly callFrame: { readonly functionName: string; readonly url: string; readonly lineNumber: number }
  readonly hitCount?: number
}

interface CpuProfile {
  readonly nodes: readonly ProfileNode[]
  readonly startTime: number
  readonly endTime: number
}

export interface ProfileSummary {
  /** Busy (not idle) time sampled, ms. */
  readonly busyMs: number
  /** Self time by area (a package, permgate's own code, node internals, GC), ms. */
  readonly areas: readonly (readonly [string, number])[]
  readonly functions: readonly (readonly [string, number])[]
}

/** Where a frame's code lives: a package under node_modules, permgate's src/, the bench, or node. */
export function areaOf(url: string, fn: string): string {
  if (url === '') return fn.startsWith('(') ? fn : '(native: bindings, syscalls)'
  if (url.startsWith('wasm://')) return 'wasm (llhttp, undici\'s HTTP parser)'
  // node:internal/streams/readable -> node streams; node:_http_server -> node _http_server
  if (url.startsWith('node:')) return `node ${url.slice(5).replace(/^internal\//, '').split('/')[0]}`
  const m = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url)
  if (m !== null) return m[1] as string
  const src = /\/dist\/(src|bench)\/([^/]+)/.exec(url)
  if (src !== null) return src[1] === 'src' ? `permgate src/${src[2]}` : 'bench harness'
  return url
}

/** Self time of a .cpuprofile (written by node --cpu-prof), by area and by function. */
export function summarizeProfile(file: string): ProfileSummary {
  const p = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile
  const hits = p.nodes.reduce((a, n) => a + (n.hitCount ?? 0), 0)
  const msPerHit = hits === 0 ? 0 : (p.endTime - p.startTime) / 1000 / hits
  const areas = new Map<string, number>()
  const functions = new Map<string, number>()
  let busyMs = 0
  for (const n of p.nodes) {
    const ms = (n.hitCount ?? 0) * msPerHit
    const { functionName, url, lineNumber } = n.callFrame
    if (ms === 0 || functionName === '(idle)') continue
    busyMs += ms
    const area = areaOf(url, functionName)
    areas.set(area, (areas.get(area) ?? 0) + ms)
    const where = url === '' ? '' : ` ${url.replace(/^.*?(node_modules\/|dist\/)/, '')}:${lineNumber + 1}`
    const key = `${functionName || '(anonymous)'}${where}`
    functions.set(key, (functions.get(key) ?? 0) + ms)
  }
  const top = (m: Map<string, number>, n: number): [string, number][] => [...m].sort((a, b) => b[1] - a[1]).slice(0, n)
  return { busyMs, areas: top(areas, 1000), functions: top(functions, TOP_FUNCTIONS) }
}

export interface ProfiledProcess {
  readonly label: string
  readonly summary: ProfileSummary
  /** Requests the process received while profiled. */
  readonly requests: number
}

/** Areas shown: those costing at least this much in some process. */
const MIN_AREA_US = 1 // µs per request

/**
 * Markdown: self time per request by area, one column per process, so the extra cost of
 * permgate over the plain proxy reads off a row; then each process's top functions.
 */
export function profileLines(procs: readonly ProfiledProcess[]): string[] {
  const perReq = (p: ProfiledProcess, ms: number): number => (p.requests > 0 ? (ms * 1000) / p.requests : Number.NaN)
  const areaUs = procs.map((p) => new Map(p.summary.areas.map(([a, ms]) => [a, perReq(p, ms)])))
  const areas = [...new Set(procs.flatMap((p) => p.summary.areas.map(([a]) => a)))]
    .filter((a) => areaUs.some((m) => (m.get(a) ?? 0) >= MIN_AREA_US))
    .sort((a, b) => Math.max(...areaUs.map((m) => m.get(b) ?? 0)) - Math.max(...areaUs.map((m) => m.get(a) ?? 0)))
  const fmt = (us: number | undefined): string => (us === undefined || !Number.isFinite(us) ? '-' : us.toFixed(1))
  const right = new Set(procs.map((_, i) => i + 1))
  const lines = [
    table(
      ['area (self time, µs/request)', ...procs.map((p) => p.label)],
      [
        ['all (busy)', ...procs.map((p) => fmt(perReq(p, p.summary.busyMs)))],
        ...areas.map((a) => [a, ...areaUs.map((m) => fmt(m.get(a)))]),
      ],
      right,
    ),
    '',
  ]
  for (const p of procs) {
    lines.push(`#### ${p.label}: top functions by self time (${p.requests.toLocaleString('en-US')} requests profiled)`, '')
    lines.push(table(['function', 'µs/request', 'share'], p.summary.functions.map(([f, ms]) => [f, fmt(perReq(p, ms)), `${((100 * ms) / p.summary.busyMs).toFixed(1)}%`]), new Set([1, 2])), '')
  }
  return lines
}
