/**
 * End-to-end benchmark: the upstream direct, a plain @fastify/http-proxy, the reference proxies
 * (bare Node, fastify + undici, nginx when installed) and permgate (routing only, warm,
 * realistic, every token new) side by side against one upstream, in
 * alternating rounds, then a memory check with many distinct tokens. Build with
 * `npx tsc -p tsconfig.json`, run with `node dist/bench/e2e/run.js [--quick]` (`npm run bench`).
 */
import { existsSync, mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, relative } from 'node:path'
import { machine, writeResults } from '../micro/report.js'
import { repoRoot } from '../micro/root.js'
import { MILLION_TOKENS, parseArgs, type Options } from './args.js'
import { checkAnswers } from './answer-check.js'
import { buildCases, summarize as summarizeCases, type CaseSummary } from './cases.js'
import { CONFIGURATIONS, REFERENCE_KEYS, type Configuration, type TargetKey, type TokenContext } from './configs.js'
import { WARM_DOCUMENT } from './documents.js'
import { writeFixture } from './fixture.js'
import { findNginx } from './nginx-config.js'
import { headerLines, memoryLines, resultLines, targetLines } from './print.js'
import { guardChildren, LOAD_CORE, pinning, pinSelf, PROXY_CORE, startServer, stopAll, type ServerChild } from './processes.js'
import { profileLines, summarizeProfile, type ProfiledProcess } from './profile-summary.js'
import { sourceRevision } from './revision.js'
import { runRounds, type Samples } from './rounds.js'
import { summarize, targets, type Row } from './summary.js'
import { signToken, TOKEN_LIFETIME_S } from './tokens.js'
import { runTokensMemory, startMemoryTarget, type MemoryReport } from './tokens-memory.js'
import { subjectId, WARM_SUBJECT } from './world.js'

const log = (line: string): void => console.error(`  ${line}`)

interface RoundsPart {
  readonly cases: CaseSummary
  readonly samples: Samples
  readonly rows: Row[]
}

/** The processes profiled under --cpu-prof, by the name of their profile file. */
const PROFILED = ['plain', 'bare', 'fastify+undici', 'routing', 'warm+realistic', 'fresh'] as const
type Profiled = (typeof PROFILED)[number]
const PROFILED_KEYS: Record<Profiled, readonly TargetKey[]> = {
  plain: ['plain'],
  bare: ['bare'],
  'fastify+undici': ['fastify'],
  routing: ['routing'],
  'warm+realistic': ['warm', 'realistic'],
  fresh: ['fresh'],
}

async function main(): Promise<number> {
  const opts = parseArgs(process.argv.slice(2))
  guardChildren()
  pinSelf()
  const started = Date.now()
  const m = machine()
  const root = repoRoot()
  const direct = ['node', relative(root, process.argv[1] ?? 'dist/bench/e2e/run.js'), ...process.argv.slice(2)].join(' ')
  const npm = process.env.npm_lifecycle_event
  const command = npm?.startsWith('bench') ? `npm run ${npm} (${direct})` : direct
  const revision = sourceRevision(root)
  const profiles = opts.cpuProf ? mkdtempSync(join(tmpdir(), 'permgate-bench-profiles-')) : undefined
  const nginx = findNginx()
  const configs = CONFIGURATIONS.filter((c) => c.key !== 'nginx' || nginx !== undefined)
  const skipped = nginx === undefined ? ['nginx not installed: row skipped (Debian: nginx-light; looked on PATH and in /usr/sbin)'] : []
  const fixture = writeFixture()
  // SIGINT ends the process without running `finally`
  process.once('exit', () => fixture.remove())
  try {
    const tokens: TokenContext = { secret: fixture.secret, expSec: Math.floor(Date.now() / 1000) + TOKEN_LIFETIME_S }
    const upstream = await startServer('upstream', 'upstream.js', [], LOAD_CORE)
    const upstreamUrl = `http://127.0.0.1:${upstream.port}/graphql`
    // every server starts before any traffic, in parallel on both cores, then is pinned
    const [memoryTarget, servers] = await Promise.all([
      opts.cpuProf ? undefined : startMemoryTarget(fixture.dir, upstreamUrl),
      opts.tokensOnly ? undefined : startRoundServers(fixture.dir, upstream, upstreamUrl, nginx),
    ])
    log(`started in ${((Date.now() - started) / 1000).toFixed(1)} s; pinning ${pinning ? 'on' : 'off'}${skipped.map((n) => `; ${n}`).join('')}`)
    if (servers !== undefined) await checkReferences(servers, tokens)
    const rounds = servers === undefined ? undefined : await runRoundsPart(opts, configs, servers, tokens, profiles)
    if (memoryTarget !== undefined) log(`memory check: ${opts.plan.tokens.toLocaleString('en-US')} distinct tokens`)
    const memory = memoryTarget === undefined ? undefined : await runTokensMemory({ tokens, connections: opts.plan.connections, log }, memoryTarget, opts.plan.tokens)
    const seconds = (Date.now() - started) / 1000

    const title = opts.quick ? ' (quick: a smoke run, the figures mean little)' : opts.cpuProf ? ' (profiled: slower, for where the time goes)' : ''
    const lines = [`## permgate end-to-end benchmark${title}`, '', ...headerLines(m, pinning, command, revision, rounds && opts.plan), '']
    let targetList: ReturnType<typeof targets> | undefined
    if (rounds !== undefined) {
      const c = rounds.cases
      lines.push(...resultLines(configs, rounds.rows, skipped))
      lines.push(`- realistic cases: ${c.cases.toLocaleString('en-US')} requests cycled, ${c.distinctSubjects.toLocaleString('en-US')} subjects, ${c.distinctDocuments} documents, ${c.distinctBodies.toLocaleString('en-US')} distinct bodies, ${((100 * c.denied) / c.cases).toFixed(1)}% denied`, '')
      targetList = targets(rounds.rows, rounds.samples)
      lines.push(...targetLines(targetList.list, targetList.missCostUs, memory), '')
    }
    if (memory !== undefined) lines.push(...memoryLines(memory, memoryNote(opts, memory)), '')
    if (profiles !== undefined && rounds !== undefined) lines.push(...profileReport(profiles, rounds.samples))
    lines.push(`- total ${seconds.toFixed(0)} s`)
    console.log(lines.join('\n'))

    // a profiled run's figures are slowed by the profiler: its output is the profiles, not results
    if (opts.cpuProf) return 0
    const stamp = new Date(started).toISOString().replace(/\.\d+Z$/, 'Z').replace(/:/g, '-')
    const data = { machine: m, pinning, command, revision, plan: opts.plan, startedAt: new Date(started).toISOString(), seconds, configurations: configs, skipped, ...rounds, targets: targetList, memory }
    const files = writeResults(join(root, 'bench', 'results'), opts.quick ? `${stamp}-quick` : stamp, data, !opts.quick, opts.tokensOnly ? 'e2e-tokens' : 'e2e')
    console.log(`\nresults: ${files.map((f) => relative(root, f)).join(', ')}`)
    return 0
  } finally {
    stopAll()
    fixture.remove()
  }
}

/**
 * The proxies of the rounds. `warm` and `realistic` share one permgate: the warm token is one
 * of the realistic tokens, so neither evicts the other's cache entries (and a permgate that
 * loads 10,000 subjects takes seconds to start).
 */
async function startRoundServers(dir: string, upstream: ServerChild, upstreamUrl: string, nginxBinary: string | undefined): Promise<RoundServers> {
  const permgate = (mode: 'houston' | 'routing', label: string): Promise<ServerChild> => startServer(label, 'permgate-target.js', [mode, dir, upstreamUrl], PROXY_CORE)
  const origin = `http://127.0.0.1:${upstream.port}`
  const [plain, bare, fastify, nginx, routing, houston, fresh] = await Promise.all([
    startServer('plain proxy', 'plain-proxy.js', [origin], PROXY_CORE),
    startServer('bare Node proxy', 'bare-proxy.js', [origin], PROXY_CORE),
    startServer('fastify + undici', 'fastify-undici-proxy.js', [origin], PROXY_CORE),
    // nginx pins itself to the proxy core; the Node process beside it only answers usage requests
    nginxBinary === undefined ? undefined : startServer('nginx', 'nginx-target.js', [nginxBinary, String(upstream.port)], PROXY_CORE),
    permgate('routing', 'permgate routing only'),
    permgate('houston', 'permgate warm and realistic'),
    permgate('houston', 'permgate every token new'),
  ])
  return { upstream, plain, bare, fastify, ...(nginx === undefined ? {} : { nginx }), routing, warm: houston, realistic: houston, fresh }
}

/** Every configuration's server; nginx only when installed. */
type RoundServers = Record<Exclude<TargetKey, 'nginx'>, ServerChild> & { readonly nginx?: ServerChild }

/** The reference proxies must give the upstream's own answer before their figures mean anything. */
async function checkReferences(servers: RoundServers, tokens: TokenContext): Promise<void> {
  const contenders = REFERENCE_KEYS.flatMap((k) => {
    const s = servers[k]
    return s === undefined ? [] : [{ label: s.name, port: s.port }]
  })
  await checkAnswers(servers.upstream.port, contenders, JSON.stringify({ query: WARM_DOCUMENT }), signToken(tokens.secret, subjectId(WARM_SUBJECT), tokens.expSec))
}

async function runRoundsPart(opts: Options, configs: readonly Configuration[], servers: RoundServers, tokens: TokenContext, profiles: string | undefined): Promise<RoundsPart> {
  const cases = summarizeCases(buildCases())
  const profiled: Record<Profiled, ServerChild> = {
    plain: servers.plain,
    bare: servers.bare,
    'fastify+undici': servers.fastify,
    routing: servers.routing,
    'warm+realistic': servers.warm,
    fresh: servers.fresh,
  }
  try {
    const afterWarmup = async (): Promise<void> => {
      await Promise.all(PROFILED.map((name) => profiled[name].profile('start')))
    }
    const samples = await runRounds({ configs, servers, upstream: servers.upstream, plan: opts.plan, tokens, log, ...(profiles === undefined ? {} : { afterWarmup }) })
    if (profiles !== undefined) for (const name of PROFILED) await profiled[name].profile('stop', join(profiles, `${name}.cpuprofile`))
    return { cases, samples, rows: summarize(configs, samples) }
  } finally {
    // the memory check runs alone
    await Promise.all([...new Set(Object.values(servers) as ServerChild[])].filter((s) => s !== servers.upstream).map((s) => s.stop()))
  }
}

/** Self time per request of each profiled process, from its profile and the requests of its rounds. */
function profileReport(dir: string, samples: Samples): string[] {
  const requests = (keys: readonly TargetKey[]): number => keys.reduce((a, k) => a + samples[k].reduce((b, s) => b + (s.proxy?.requests ?? 0), 0), 0)
  const procs: ProfiledProcess[] = []
  for (const name of PROFILED) {
    const file = join(dir, `${name}.cpuprofile`)
    if (existsSync(file)) procs.push({ label: name, summary: summarizeProfile(file), requests: requests(PROFILED_KEYS[name]) })
  }
  return [
    '### Where the proxies spend their CPU over the rounds (self time, idle excluded)',
    '',
    `- V8 CPU profiles from the end of the warm-up to the end of the rounds: ${dir} (Chrome DevTools or speedscope open them)`,
    '- profiling slows every process alike; compare the columns, not the totals with an unprofiled run',
    '',
    ...profileLines(procs),
  ]
}

function memoryNote(opts: Options, r: MemoryReport): string {
  if (r.tokens >= MILLION_TOKENS) return `the full check (${opts.tokensOnly ? 'npm run bench:tokens' : 'as asked'})`
  const million = MILLION_TOKENS / r.rps
  return `${r.tokens.toLocaleString('en-US')} tokens here: 1,000,000 would take about ${million.toFixed(0)} s at this rate, beyond the 3-minute budget of npm run bench; \`npm run bench:tokens\` sends 1,000,000`
}

main().then(
  (code) => process.exit(code),
  (e: Error) => {
    stopAll()
    console.error(`benchmark failed: ${e.stack ?? e.message}`)
    process.exit(1)
  },
)
