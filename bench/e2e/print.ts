import { fmtInt, table, verdict, type Machine } from '../micro/report.js'
import type { Plan } from './args.js'
import type { Configuration } from './configs.js'
import { LOAD_CORE, PROXY_CORE } from './processes.js'
import type { Row, Target } from './summary.js'
import type { MemoryReport } from './tokens-memory.js'

const num = (n: number, digits: number): string => (Number.isFinite(n) ? n.toFixed(digits) : '-')
const signed = (n: number, digits: number): string => (Number.isFinite(n) ? `${n >= 0 ? '+' : ''}${n.toFixed(digits)}` : '-')
const pct = (n: number | undefined): string => (n === undefined || !Number.isFinite(n) ? '-' : `${Math.round(n * 100)}%`)

export function headerLines(m: Machine, pinned: boolean, command: string, revision: string | undefined, plan: Plan | undefined): string[] {
  const lines = [
    `- code: ${revision === undefined ? 'not a git checkout' : `commit ${revision}`}`,
    `- machine: ${m.cpu}, ${m.cores} cores, ${m.os}, node ${m.node}, load average ${m.load.toFixed(2)} at the start`,
    pinned
      ? '- pinning: taskset used; the proxy under test alone on core 0, the upstream, the driver (autocannon) and the orchestrator on core 1'
      : '- pinning: not used (no taskset, or fewer than 2 cores); every process shares every core',
    `- command: \`${command}\``,
  ]
  if (plan !== undefined) {
    lines.push(
      `- ${plan.rounds} round${plan.rounds === 1 ? '' : 's'} of ${plan.roundS} s per configuration, order rotating each round, after ${plan.warmupS > 0 ? `a ${plan.warmupS} s warm-up run each` : 'no warm-up'}; ` +
        `${plan.connections} connections, 1 request in flight per connection; all traffic on 127.0.0.1`,
    )
  }
  return lines
}

/** `skipped`: rows left out of this run, each with why (nginx not installed). */
export function resultLines(configs: readonly Configuration[], rows: readonly Row[], skipped: readonly string[] = []): string[] {
  const body = rows.map((r) => [
    r.label,
    fmtInt(r.rps),
    num(r.p50Ms, 2),
    num(r.p99Ms, 2),
    num(r.cpuUs, 1),
    pct(r.coreShare),
    r.key === 'upstream' ? '-' : `${num(r.rpsVsPlain, 2)}x`,
    signed(r.cpuVsPlainUs, 1),
    r.key === 'upstream' ? '-' : signed(r.p99VsPlainMs, 2),
    r.key === 'upstream' ? '-' : signed(r.p99VsDirectMs, 2),
    r.key === 'upstream' || r.key === 'bare' ? '-' : `${num(r.cpuVsBare, 2)}x`,
    `${fmtInt(r.allowed)} / ${fmtInt(r.denied)} / ${fmtInt(r.wrong)}`,
  ])
  const head = ['configuration', 'req/s', 'p50 ms', 'p99 ms', 'proxy CPU µs/req', 'proxy core busy', 'req/s vs plain', 'CPU µs vs plain', 'p99 ms vs plain', 'p99 ms vs direct', 'CPU vs bare Node', '200 / 403 / wrong']
  const caches = rows
    .filter((r) => r.tokenHitRate !== undefined || r.documentHitRate !== undefined)
    .map((r) => `${r.label}: token cache hits ${pct(r.tokenHitRate)}${r.tokenMisses === undefined ? '' : ` (${fmtInt(r.tokenMisses)} verified)`}, document cache hits ${pct(r.documentHitRate)}`)
  return [
    '### permgate side by side (medians over rounds)',
    '',
    table(head, body, new Set([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11])),
    '',
    ...configs.map((c) => `- ${c.label}: ${c.note}`),
    ...skipped.map((note) => `- ${note}`),
    '- vs plain / vs direct / vs bare Node: medians of the per-round ratios and differences to the plain proxy (the upstream direct, the bare Node proxy) in the same round',
    '- proxy CPU: user + system time of the proxy process (process.cpuUsage) over the requests it received in the round; ' +
      'proxy core busy: that CPU time over the round\'s wall time (near 100%: the proxy\'s core was the bottleneck)',
    '- latency: over every answer (denied ones too), at 1 µs resolution, under full load (closed loop: a connection sends its next ' +
      'request when answered), so it includes the wait behind the other connections',
    `- req/s over the rounds, lowest - highest: ${rows.map((r) => `${r.label} ${fmtInt(r.rpsMin)} - ${fmtInt(r.rpsMax)}`).join(', ')}`,
    `- upstream CPU µs/request (for scale): ${rows.map((r) => `${r.label} ${num(r.upstreamCpuUs, 1)}`).join(', ')}`,
    `- driver (autocannon) CPU µs/request: ${rows.map((r) => `${r.label} ${num(r.driverCpuUs, 1)}`).join(', ')}`,
    `- cores busy during the load (/proc/stat, every process and the kernel), core ${PROXY_CORE} (proxy) / core ${LOAD_CORE} (upstream, driver): ` +
      rows.map((r) => `${r.label} ${pct(r.proxyCoreBusy)} / ${pct(r.loadCoreBusy)}`).join(', '),
    ...(caches.length > 0 ? ['- caches over all rounds: ' + caches.join('; ')] : []),
  ]
}

export function targetLines(list: readonly Target[], missCostUs: number, memory: MemoryReport | undefined): string[] {
  const rows = list.map((t) => [t.name, t.measured, verdict(t.met)])
  if (memory !== undefined) rows.push([`${fmtInt(memory.tokens)} distinct tokens: RSS growth <= cache bounds + ${memory.allowanceMb} MB`, `+${memory.rssGrowthMb.toFixed(0)} MB`, verdict(memory.met)])
  return [
    '### Targets (measured, not asserted)',
    '',
    table(['target', 'measured', ''], rows),
    '',
    `- token-cache miss cost: CPU µs/request (every token new) - CPU µs/request (warm), median of the per-round differences = ${signed(missCostUs, 1)} µs`,
  ]
}

export function memoryLines(r: MemoryReport, note: string): string[] {
  const rows = r.points.map((p) => [fmtInt(p.tokens), num(p.rssMb, 0), num(p.heapUsedMb, 0), num(p.heapUsedAfterGcMb, 0), p.tokenCacheSize === undefined ? '-' : fmtInt(p.tokenCacheSize)])
  return [
    `### Memory: ${fmtInt(r.tokens)} distinct tokens through permgate`,
    '',
    table(['tokens sent', 'RSS MB', 'heapUsed MB', 'heapUsed MB after a full GC', 'token cache entries'], rows, new Set([0, 1, 2, 3, 4])),
    '',
    `- token cache bound: ${fmtInt(r.tokenCacheBound)} entries (DEFAULT_TOKEN_CACHE_SIZE); entries at the end: ${r.points.at(-1)?.tokenCacheSize ?? '-'}` +
      (r.tokenMisses === undefined ? '' : `; tokens verified: ${fmtInt(r.tokenMisses)}`),
    `- RSS growth (highest sample - start, once start-up memory was given back): +${r.rssGrowthMb.toFixed(0)} MB, allowance ${r.allowanceMb} MB beyond the caches' bounds ` +
      `(the filled caches are counted inside it): ${verdict(r.met)}; heapUsed after GC grew ${signed(r.heapGrowthAfterGcMb, 1)} MB`,
    `- HS256 tokens (claim uuid, a distinct jti each), subjects taking turns, \`{ self }\`, every answer 200; ${fmtInt(r.rps)} req/s; ${r.seconds.toFixed(0)} s`,
    `- ${note}`,
  ]
}
