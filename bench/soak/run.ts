/**
 * Soak run: sustained mixed load through permgate for a set time, on 127.0.0.1, with the
 * bindings file hot-reloaded every few seconds. Every answer is checked against the status
 * (and coded reason) intended for its request; permgate's RSS is sampled every interval.
 * Build with `npx tsc -p tsconfig.json`, run with `node dist/bench/soak/run.js [--quick]
 * [--duration S] [--connections N]` (`npm run soak`, `npm run soak:quick`). Exits 1 on any
 * error, and (full runs) when RSS grows past the bound in args.ts.
 *
 * Processes, as in the end-to-end benchmark (bench/e2e): the upstream (a minimal HTTP server),
 * permgate (`permgate serve` in a child, with --expose-gc for the heap samples) and the load
 * driver (autocannon) each in their own process; with taskset, permgate alone on core 0.
 */
import { relative, join } from 'node:path'
import { machine, writeResults } from '../micro/report.js'
import { repoRoot } from '../micro/root.js'
import { headerLines } from '../e2e/print.js'
import { DRIVER_GRACE_MS, forkChild, guardChildren, LOAD_CORE, nextMessage, pinning, pinSelf, PROXY_CORE, startServer, stopAll, type ServerChild } from '../e2e/processes.js'
import { sourceRevision } from '../e2e/revision.js'
import { TOKEN_LIFETIME_S } from '../e2e/tokens.js'
import { parseSoakArgs, type SoakOptions } from './args.js'
import { readAdminPort, writeSoakFixture, type SoakFixture } from './fixture.js'
import { requestClasses } from './mix.js'
import type { Progress, SoakJob, SoakResult } from './protocol.js'
import { Reloader, scrape, seriesValue } from './reloads.js'
import { classTable, summaryLines, type EndMetrics, type SoakReport } from './report.js'
import { classRows, mb, memoryVerdict, rateSummary, type IntervalSample } from './samples.js'

const SEED = 0x50a4
/**
 * permgate's V8 heap limit. With none, V8 sizes it from the machine's memory (gigabytes here)
 * and lets garbage pile up to hundreds of MB before a full collection, so RSS would measure
 * V8's laziness rather than what permgate keeps. 256 MB is the old space node gives itself in a
 * container of about 1 GiB, and half the Kubernetes example's 512 MiB limit: a leak shows as
 * RSS growth, and in the end as an out-of-memory crash (every request after it an error).
 */
const HEAP_LIMIT_MB = 256
/** Intervals at the end of the run in which no rewrite of the bindings starts. */
const QUIET_INTERVALS = 3
const log = (line: string): void => console.error(`  ${line}`)

async function main(): Promise<number> {
  const opts = parseSoakArgs(process.argv.slice(2))
  guardChildren()
  pinSelf()
  const started = Date.now()
  const root = repoRoot()
  const m = machine()
  const direct = ['node', relative(root, process.argv[1] ?? 'dist/bench/soak/run.js'), ...process.argv.slice(2)].join(' ')
  const npm = process.env.npm_lifecycle_event
  const command = npm?.startsWith('soak') ? `npm run ${npm} (${direct})` : direct
  const fixture = writeSoakFixture()
  process.once('exit', () => fixture.remove())
  try {
    const report = await soak(opts, fixture)
    const seconds = (Date.now() - started) / 1000
    const p = opts.plan
    const title = opts.quick ? ' (quick: a smoke run; memory reported, not judged)' : ''
    console.log(
      [
        `## permgate soak${title}`,
        '',
        ...headerLines(m, pinning, command, sourceRevision(root), undefined),
        `- ${p.warmupS} s warm-up, then ${p.durationS} s measured; ${p.connections} connections, 1 request in flight each; ${report.classes.length - (report.classes.some((c) => c.expect === '-') ? 1 : 0)} request classes drawn at random by weight; ` +
          `the bindings file (10,000 users) rewritten every ${p.reloadEveryS} s; all traffic on 127.0.0.1`,
        '',
        classTable(report.classes),
        '',
        ...summaryLines(report),
        `- total ${seconds.toFixed(0)} s`,
      ].join('\n'),
    )
    const passed = report.errors === 0 && (opts.quick || !report.memory.exceeded)
    const data = { machine: m, pinning, command, revision: sourceRevision(root), startedAt: new Date(started).toISOString(), seconds, passed, ...report }
    const files = writeResults(join(root, 'bench', 'results'), 'latest', data, false, opts.quick ? 'soak-quick' : 'soak')
    console.log(`\nresults: ${files.map((f) => relative(root, f)).join(', ')}`)
    if (!passed) console.error(`soak FAILED: ${report.errors} error(s)${!opts.quick && report.memory.exceeded ? '; RSS grew past the bound' : ''}`)
    return passed ? 0 : 1
  } finally {
    stopAll()
    fixture.remove()
  }
}

async function soak(opts: SoakOptions, fixture: SoakFixture): Promise<SoakReport> {
  const p = opts.plan
  const totalS = p.warmupS + p.durationS
  const expSec = Math.floor(Date.now() / 1000) + totalS + TOKEN_LIFETIME_S
  const upstream = await startServer('upstream', 'upstream.js', [], LOAD_CORE)
  const pg = await startServer('permgate', '../soak/target.js', [fixture.dir, `http://127.0.0.1:${upstream.port}/graphql`], PROXY_CORE, ['--expose-gc', `--max-old-space-size=${HEAP_LIMIT_MB}`])
  const adminPort = readAdminPort(fixture)
  log(`permgate listening on 127.0.0.1:${pg.port} (admin ${adminPort}); ${totalS} s of load from now`)

  const samples: IntervalSample[] = []
  // a full collection is forced twice during the load (start and middle of the measured part)
  const gcAt = [p.warmupS, p.warmupS + p.durationS / 2]
  let sampling: Promise<void> = Promise.resolve()
  const onProgress = (msg: Progress): void => {
    // one sample at a time, in order: each asks permgate for its memory
    sampling = sampling.then(async () => {
      const u = await pg.usage(false)
      const warmup = msg.elapsedS < p.warmupS + p.intervalS / 2
      const gc = !warmup && gcAt.length > 0 && msg.elapsedS >= (gcAt[0] as number)
      if (gc) gcAt.shift()
      const heapAfterGcMb = gc ? mb((await pg.usage(true)).memory.heapUsed) : undefined
      const s: IntervalSample = {
        elapsedS: msg.elapsedS, warmup, rps: msg.responses / p.intervalS, errors: msg.errors, p99Ms: msg.p99Ms,
        rssMb: mb(u.memory.rss), heapUsedMb: mb(u.memory.heapUsed), ...(heapAfterGcMb === undefined ? {} : { heapAfterGcMb }),
      }
      samples.push(s)
      log(`${s.elapsedS.toFixed(0).padStart(5)} s${warmup ? ' (warm-up)' : ''}: ${Math.round(s.rps)} req/s, p99 ${s.p99Ms === null ? '-' : s.p99Ms.toFixed(1)} ms, RSS ${s.rssMb.toFixed(0)} MB, heap ${s.heapUsedMb.toFixed(0)} MB${s.errors > 0 ? `, ${s.errors} transport errors` : ''}`)
    })
  }

  const driver = forkChild('../soak/driver.js', [], LOAD_CORE)
  driver.on('message', (msg: { type?: string }) => {
    if (msg?.type === 'progress') onProgress(msg as Progress)
  })
  const result = nextMessage<SoakResult>(driver, 'soak driver', 'result', totalS * 1000 + DRIVER_GRACE_MS)
  const job: SoakJob = { type: 'soak', url: `http://127.0.0.1:${pg.port}`, connections: p.connections, totalS, intervalS: p.intervalS, secret: fixture.secret, expSec, apiKey: fixture.apiKey, seed: SEED }
  driver.send(job)
  const reloader = new Reloader(fixture, adminPort, pg.port, expSec)
  await reloader.start(p.reloadEveryS, Date.now() + (totalS - QUIET_INTERVALS * p.intervalS) * 1000)
  const r = await result.catch(async (e: unknown) => {
    await reloader.stop()
    throw e
  })
  const reloads = await reloader.stop()
  await sampling
  const end = await pg.usage(true)
  const metrics = endMetrics(await scrape(adminPort))
  await stopServers([pg, upstream])

  const classes = classRows(requestClasses({ secret: fixture.secret, expSec, apiKey: fixture.apiKey }), r.tally)
  const wrong = classes.reduce((a, c) => a + c.wrong, 0)
  return {
    opts,
    classes,
    rates: rateSummary(samples),
    latency: { p50Ms: r.p50Ms, p99Ms: r.p99Ms },
    memory: memoryVerdict(samples, mb(end.memory.heapUsed)),
    reloads,
    metrics,
    errors: wrong + reloads.errors.length,
    wrongSamples: r.wrongSamples,
    intervals: samples.filter((s) => !s.warmup).length,
    samples,
  }
}

function endMetrics(text: string): EndMetrics {
  const v = (series: string): number => seriesValue(text, series)
  return {
    tokenHits: v('permgate_cache_hits_total{cache="tokens"}'),
    tokenMisses: v('permgate_cache_misses_total{cache="tokens"}'),
    tokenEvictions: v('permgate_cache_evictions_total{cache="tokens"}'),
    documentMisses: v('permgate_cache_misses_total{cache="documents"}'),
    decisionLogRecorded: v('permgate_decision_log_events_total{result="recorded"}'),
    decisionLogDropped: v('permgate_decision_log_events_total{result="dropped"}'),
    upstream5xx: v('permgate_upstream_requests_total{status_class="5xx"}'),
  }
}

async function stopServers(servers: readonly ServerChild[]): Promise<void> {
  await Promise.all(servers.map((s) => s.stop()))
}

main().then(
  (code) => process.exit(code),
  (e: Error) => {
    stopAll()
    console.error(`soak failed: ${e.stack ?? e.message}`)
    process.exit(1)
  },
)
