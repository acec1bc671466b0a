import type { Plan } from './args.js'
import { requestSet, type Configuration, type TargetKey, type TokenContext } from './configs.js'
import { runDriver, type ServerChild } from './processes.js'
import { REALISTIC_CASES } from './cases.js'
import type { CacheCounts, DriverResult, RunLength, UsageMessage } from './protocol.js'

/** Time allowed per request of a run of a given amount: a generous floor of 1,000 requests/s. */
export const MS_PER_REQUEST_LIMIT = 1

/** What a server process spent during one run. */
export interface ProcessCost {
  /** CPU time, user + system, µs. */
  readonly cpuUs: number
  /** Requests it received. */
  readonly requests: number
  readonly cpuPerRequestUs: number
  /** CPU time over the run's wall time: near 1 when its core was the bottleneck. */
  readonly coreShare: number
  /** Cache activity during the run (permgate only). */
  readonly tokenCache: CacheCounts | undefined
  readonly documentCache: CacheCounts | undefined
}

/** One run of one configuration. */
export interface Sample {
  readonly round: number
  readonly driver: DriverResult
  /** The proxy under test; undefined for the upstream direct. */
  readonly proxy: ProcessCost | undefined
  readonly upstream: ProcessCost
}

export type Samples = Record<TargetKey, Sample[]>

export interface RoundsContext {
  readonly configs: readonly Configuration[]
  /** A server for every configuration of `configs` (the skipped ones have none). */
  readonly servers: Readonly<Partial<Record<TargetKey, ServerChild>>>
  readonly upstream: ServerChild
  readonly plan: Plan
  readonly tokens: TokenContext
  readonly log: (line: string) => void
  /** Called between the warm-up and round 1 (e.g. to start CPU profiles). */
  readonly afterWarmup?: () => Promise<void>
}

/**
 * A warm-up run of each configuration, then rounds in which they take turns, the order
 * rotating by one each round, so a slow phase of the machine hits all of them alike and
 * none always follows the same neighbour.
 */
export async function runRounds(ctx: RoundsContext): Promise<Samples> {
  const samples = Object.fromEntries(ctx.configs.map((c) => [c.key, [] as Sample[]])) as Samples
  const cursors = new Map<TargetKey, number>()
  const once = async (c: Configuration, round: number, length: RunLength): Promise<Sample> => {
    const s = await measure(ctx, c, round, length, cursors.get(c.key) ?? 0)
    cursors.set(c.key, (cursors.get(c.key) ?? 0) + s.driver.taken)
    return s
  }
  if (ctx.plan.warmupS > 0) {
    // the realistic warm-up goes once through its cases, so every token is verified before round 1
    for (const c of ctx.configs) check(c, await once(c, 0, c.key === 'realistic' ? { amount: REALISTIC_CASES } : { durationS: ctx.plan.warmupS }))
    ctx.log(`warm-up: ${ctx.plan.warmupS} s per configuration; ${REALISTIC_CASES.toLocaleString('en-US')} requests (every case once) for the realistic one`)
  }
  await ctx.afterWarmup?.()
  for (let r = 1; r <= ctx.plan.rounds; r++) {
    const order = rotate(ctx.configs, r - 1)
    for (const c of order) {
      const s = check(c, await once(c, r, { durationS: ctx.plan.roundS }))
      samples[c.key].push(s)
      const cpu = s.proxy === undefined ? '' : `, ${s.proxy.cpuPerRequestUs.toFixed(0)} µs CPU/request`
      ctx.log(`round ${r}/${ctx.plan.rounds}: ${c.label}: ${Math.round(s.driver.rps)} req/s, p99 ${s.driver.p99Ms ?? '-'} ms${cpu}`)
    }
  }
  return samples
}

function rotate<T>(xs: readonly T[], by: number): T[] {
  const k = by % xs.length
  return [...xs.slice(k), ...xs.slice(0, k)]
}

/** A run with wrong statuses, connection errors or no answers is a broken run: stop. */
function check(c: Configuration, s: Sample): Sample {
  const d = s.driver
  const problems: string[] = []
  if (d.completed === 0) problems.push('no responses')
  if (d.wrong > 0) problems.push(`${d.wrong} answers with the wrong status (${d.wrongSamples.join(', ')})`)
  if (d.errors > 0) problems.push(`${d.errors} errors (${d.timeouts} timeouts)`)
  if (problems.length > 0) throw new Error(`${c.label}: ${problems.join('; ')}`)
  return s
}

async function measure(ctx: RoundsContext, c: Configuration, round: number, length: RunLength, start: number): Promise<Sample> {
  const server = ctx.servers[c.key]
  if (server === undefined) throw new Error(`${c.label}: no server started`)
  const proxy = c.proxy ? server : undefined
  const before = await Promise.all([proxy?.usage(), ctx.upstream.usage()])
  const driver = await runDriver(
    { url: `http://127.0.0.1:${server.port}`, set: requestSet(c.key, ctx.tokens, start), connections: ctx.plan.connections, length },
    `driver (${c.label})`,
    'amount' in length ? length.amount * MS_PER_REQUEST_LIMIT : length.durationS * 1000,
  )
  const after = await Promise.all([proxy?.usage(), ctx.upstream.usage()])
  const wallUs = driver.durationS * 1e6
  return {
    round,
    driver,
    proxy: before[0] && after[0] ? cost(before[0], after[0], wallUs, c.counted === 'upstream' ? after[1].requests - before[1].requests : undefined) : undefined,
    upstream: cost(before[1], after[1], wallUs),
  }
}

/** `requests`: the count of another process, for a server that keeps none. */
export function cost(a: UsageMessage, b: UsageMessage, wallUs: number, requests = b.requests - a.requests): ProcessCost {
  const cpuUs = b.cpu.user + b.cpu.system - (a.cpu.user + a.cpu.system)
  return {
    cpuUs,
    requests,
    cpuPerRequestUs: requests > 0 ? cpuUs / requests : Number.NaN,
    coreShare: cpuUs / wallUs,
    tokenCache: delta(a.caches.tokens, b.caches.tokens),
    documentCache: delta(a.caches.documents, b.caches.documents),
  }
}

function delta(a: CacheCounts | undefined, b: CacheCounts | undefined): CacheCounts | undefined {
  if (a === undefined || b === undefined) return undefined
  return { hits: b.hits - a.hits, misses: b.misses - a.misses, evictions: b.evictions - a.evictions, size: b.size }
}
