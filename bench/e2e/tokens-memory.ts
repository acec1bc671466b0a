import { DEFAULT_TOKEN_CACHE_SIZE } from '../../src/identity/types.js'
import { TOKEN_CHECKPOINT } from './args.js'
import type { TokenContext } from './configs.js'
import { SELF_DOCUMENT } from './documents.js'
import { PROXY_CORE, runDriver, startServer, type ServerChild } from './processes.js'
import type { UsageMessage } from './protocol.js'
import { MS_PER_REQUEST_LIMIT } from './rounds.js'

/** RSS growth allowed beyond the caches' own bounds (issue 4). */
export const MEMORY_ALLOWANCE_MB = 150
/** Samples per run at least, so a short run still shows a curve. */
const MIN_CHECKPOINTS = 4
/** Prefix of the `jti` of the memory check's tokens: never one of the rounds' tokens. */
const MEMORY_PREFIX = 'mem-'

/** Settling before the start sample: full collections, a pause after each, until RSS holds still. */
const SETTLE_MAX_COLLECTIONS = 8
const SETTLE_PAUSE_MS = 500
const SETTLED_WITHIN_MB = 1

const MB = 1024 * 1024

export interface MemoryPoint {
  readonly tokens: number
  readonly rssMb: number
  readonly heapUsedMb: number
  /** After a full garbage collection: what is actually retained. */
  readonly rssAfterGcMb: number
  readonly heapUsedAfterGcMb: number
  readonly tokenCacheSize: number | undefined
}

export interface MemoryReport {
  readonly tokens: number
  readonly tokenCacheBound: number
  readonly points: MemoryPoint[]
  readonly rssGrowthMb: number
  readonly heapGrowthAfterGcMb: number
  readonly allowanceMb: number
  readonly met: boolean
  readonly rps: number
  readonly tokenMisses: number | undefined
  readonly seconds: number
}

/** The memory check's own permgate, with gc() exposed; started early, beside the others. */
export function startMemoryTarget(fixtureDir: string, upstreamUrl: string): Promise<ServerChild> {
  return startServer('permgate (memory check)', 'permgate-target.js', ['houston', fixtureDir, upstreamUrl], PROXY_CORE, ['--expose-gc'])
}

export interface MemoryContext {
  readonly tokens: TokenContext
  readonly connections: number
  readonly log: (line: string) => void
}

/**
 * `total` distinct tokens (subjects taking turns, `{ self }`, every answer 200) sent through a
 * permgate that has had no traffic before, its memory sampled at the start and after every
 * checkpoint. The caches filling up count against the allowance: met when RSS grows by at
 * most MEMORY_ALLOWANCE_MB.
 */
export async function runTokensMemory(ctx: MemoryContext, pg: ServerChild, total: number): Promise<MemoryReport> {
  const started = Date.now()
  try {
    await settle(pg)
    const points: MemoryPoint[] = [await sample(pg.usage, 0)]
    const step = Math.min(TOKEN_CHECKPOINT, Math.ceil(total / MIN_CHECKPOINTS))
    const first = await pg.usage()
    let sent = 0
    let next = 0
    let seconds = 0
    while (sent < total) {
      const amount = Math.min(step, total - sent)
      const d = await runDriver(
        {
          url: `http://127.0.0.1:${pg.port}`,
          set: { kind: 'fresh', body: JSON.stringify({ query: SELF_DOCUMENT }), secret: ctx.tokens.secret, expSec: ctx.tokens.expSec, prefix: MEMORY_PREFIX, start: next, subjects: 'all' },
          connections: ctx.connections,
          length: { amount },
        },
        'driver (memory check)',
        amount * MS_PER_REQUEST_LIMIT,
      )
      if (d.completed === 0) throw new Error('memory check: the driver got no answers')
      if (d.wrong > 0 || d.errors > 0) throw new Error(`memory check: ${d.wrong} wrong statuses (${d.wrongSamples.join(', ')}), ${d.errors} errors`)
      // each request carried its own token; the next run starts after every token signed for this one
      sent += d.completed
      next += Math.max(d.taken, d.completed)
      seconds += d.durationS
      const p = await sample(pg.usage, sent)
      points.push(p)
      ctx.log(`memory check: ${sent.toLocaleString('en-US')} tokens, RSS ${p.rssMb.toFixed(0)} MB, heap after GC ${p.heapUsedAfterGcMb.toFixed(0)} MB`)
    }
    const last = await pg.usage()
    const start = points[0] as MemoryPoint
    const end = points[points.length - 1] as MemoryPoint
    const rssGrowthMb = Math.max(...points.map((p) => p.rssMb)) - start.rssMb
    const misses = last.caches.tokens && first.caches.tokens ? last.caches.tokens.misses - first.caches.tokens.misses : undefined
    return {
      tokens: sent,
      tokenCacheBound: DEFAULT_TOKEN_CACHE_SIZE,
      points,
      rssGrowthMb,
      heapGrowthAfterGcMb: end.heapUsedAfterGcMb - start.heapUsedAfterGcMb,
      allowanceMb: MEMORY_ALLOWANCE_MB,
      met: rssGrowthMb <= MEMORY_ALLOWANCE_MB,
      rps: sent / seconds,
      tokenMisses: misses,
      seconds: (Date.now() - started) / 1000,
    }
  } finally {
    await pg.stop()
  }
}

/**
 * Lets a process that has just started (or sat idle) give back the memory its start-up used:
 * V8 shrinks its heap after a couple of full collections, and the start sample, the baseline
 * of the growth, should not count start-up garbage.
 */
async function settle(pg: ServerChild): Promise<void> {
  let last = Number.NaN
  for (let i = 0; i < SETTLE_MAX_COLLECTIONS; i++) {
    const rss = (await pg.usage(true)).memory.rss / MB
    if (Math.abs(rss - last) < SETTLED_WITHIN_MB) return
    last = rss
    await new Promise((resolve) => setTimeout(resolve, SETTLE_PAUSE_MS))
  }
}

/** Memory as it is, then after a full collection. */
async function sample(usage: (gc?: boolean) => Promise<UsageMessage>, tokens: number): Promise<MemoryPoint> {
  const raw = await usage(false)
  const collected = await usage(true)
  if (!collected.gcRan) throw new Error('memory check: the permgate process has no gc(); it must run with --expose-gc')
  return {
    tokens,
    rssMb: raw.memory.rss / MB,
    heapUsedMb: raw.memory.heapUsed / MB,
    rssAfterGcMb: collected.memory.rss / MB,
    heapUsedAfterGcMb: collected.memory.heapUsed / MB,
    tokenCacheSize: collected.caches.tokens?.size,
  }
}
