/**
 * The PostgreSQL bindings store under a large directory: 1,000,000 role bindings and 100,000
 * deployments imported into a private PostgreSQL server (test/helpers/pg.ts) through the import's
 * own batched writer (`writeBindings`, as `permgate bindings import` uses), then decisions through
 * `PgBindingsStore` and an `Authorizer` over policies/houston:
 *
 * - cold: the first decision for a subject (prepare awaits the database, then decide);
 * - warm: prepare answers from memory (returns undefined), decide from the caches;
 * - memory: RSS and heap of the store and authorizer once N subjects are cached.
 *
 * Build with `npx tsc -p tsconfig.json`, run with `node --expose-gc dist/bench/pg/run.js [--quick]
 * [--subjects N]`. Writes bench/results/pg-<date>.json and pg-latest.json (quick: only
 * pg-<date>-quick.json), and prints a table. Needs the PostgreSQL server binaries (apt-get install
 * postgresql), as the tests do.
 */
import { join, relative } from 'node:path'
import pg from 'pg'
import { migrate } from '../../src/bindings/pg/migrate.js'
import { PgBindingsStore } from '../../src/bindings/pg/store.js'
import type { Binding, SubjectEntry } from '../../src/bindings/types.js'
import type { Principal } from '../../src/identity/types.js'
import { writeBindings, type BindingsData, type ImportCounts } from '../../src/commands/bindings.js'
import { DocumentCache } from '../../src/operation/cache.js'
import { Authorizer } from '../../src/policy/authorizer.js'
import { compilePolicy } from '../../src/policy/compile.js'
import { loadPolicy } from '../../src/policy/load.js'
import { startPostgres } from '../../test/helpers/pg.js'
import { fmtInt, machine, table, writeResults } from '../micro/report.js'
import { repoRoot } from '../micro/root.js'

const USAGE = `usage: node --expose-gc dist/bench/pg/run.js [--quick] [--subjects N]
  --quick        10,000 bindings, 1,000 deployments, 1,000 subjects decided (a smoke run)
  --subjects N   subjects decided cold then warm (default 50,000; quick 1,000)`

interface Plan {
  readonly quick: boolean
  readonly bindings: number
  readonly deployments: number
  readonly workspaces: number
  /** Bindings per subject (so bindings / perSubject subjects). */
  readonly perSubject: number
  readonly decided: number
  readonly warmRounds: number
}

function parse(argv: readonly string[]): Plan {
  let quick = false
  let decided: number | undefined
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]
    if (a === '--quick') quick = true
    else if (a === '--subjects') decided = Number(argv[++i])
    else if (a === '--help' || a === '-h') {
      console.log(USAGE)
      process.exit(0)
    } else {
      console.error(`unknown argument ${a}\n${USAGE}`)
      process.exit(2)
    }
  }
  const plan: Plan = quick
    ? { quick, bindings: 10_000, deployments: 1_000, workspaces: 100, perSubject: 10, decided: decided ?? 1_000, warmRounds: 20 }
    : { quick, bindings: 1_000_000, deployments: 100_000, workspaces: 10_000, perSubject: 10, decided: decided ?? 50_000, warmRounds: 20 }
  const subjects = plan.bindings / plan.perSubject
  if (!Number.isInteger(plan.decided) || plan.decided < 1 || plan.decided > subjects) {
    console.error(`--subjects must be an integer from 1 to ${subjects}\n${USAGE}`)
    process.exit(2)
  }
  return plan
}

const WORKSPACE_ROLES = ['WORKSPACE_VIEWER', 'WORKSPACE_EDITOR', 'WORKSPACE_ADMIN'] as const
const DEPLOYMENT_ROLES = ['DEPLOYMENT_VIEWER', 'DEPLOYMENT_EDITOR', 'DEPLOYMENT_ADMIN'] as const
const POOL_SIZE = 4
const QUERY = 'mutation($d: Uuid!) { updateDeployment(deploymentUuid: $d) }'

/**
 * Deterministic directory: subject s has perSubject distinct bindings, half on workspaces and half
 * on deployments; one subject in 50 has a system role in place of its first binding.
 */
function directory(plan: Plan): BindingsData {
  const deployments = new Map<string, string>()
  for (let d = 0; d < plan.deployments; d++) deployments.set(`d${d}`, `w${d % plan.workspaces}`)
  const subjects = new Map<string, SubjectEntry>()
  const n = plan.bindings / plan.perSubject
  const half = plan.perSubject / 2
  for (let s = 0; s < n; s++) {
    const bindings: Binding[] = []
    for (let j = 0; j < plan.perSubject; j++) {
      if (j === 0 && s % 50 === 0) bindings.push({ role: s % 100 === 0 ? 'SYSTEM_EDITOR' : 'SYSTEM_VIEWER' })
      else if (j < half) bindings.push({ role: WORKSPACE_ROLES[(s + j) % 3] as string, workspace: `w${(s * 7 + j) % plan.workspaces}` })
      else bindings.push({ role: DEPLOYMENT_ROLES[(s + j) % 3] as string, deployment: `d${(s * 13 + j * 7919) % plan.deployments}` })
    }
    subjects.set(`u${s}`, { kind: 'user', bindings })
  }
  return { deployments, subjects, groups: new Map() }
}

/** The deployment a subject's request names: in one of its workspaces, one of its deployments, or any. */
function target(plan: Plan, s: number): string {
  switch (s % 3) {
    case 0:
      return `d${(s * 7 + 1) % plan.workspaces}` // d(w) is in workspace w: allowed by an editor or admin there
    case 1:
      return `d${(s * 13 + 7 * 7919) % plan.deployments}` // the subject's 8th binding (a deployment role)
    default:
      return `d${(s * 104_729) % plan.deployments}`
  }
}

const percentile = (sorted: Float64Array, q: number): number => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? NaN
const us = (ms: number): string => (ms * 1000).toFixed(ms < 0.01 ? 2 : ms < 1 ? 1 : 0)
const mb = (bytes: number): number => Math.round((bytes / 1048576) * 10) / 10
const gc = (): void => (globalThis as { gc?: () => void }).gc?.()

function memory(): { rss: number; heapUsed: number } {
  gc()
  gc()
  const m = process.memoryUsage()
  return { rss: m.rss, heapUsed: m.heapUsed }
}

interface Latency {
  readonly count: number
  readonly medianUs: number
  readonly p99Us: number
  readonly maxUs: number
}

function latency(samples: Float64Array): Latency {
  const sorted = Float64Array.from(samples).sort()
  return {
    count: sorted.length,
    medianUs: Number(us(percentile(sorted, 0.5))),
    p99Us: Number(us(percentile(sorted, 0.99))),
    maxUs: Number(us(sorted[sorted.length - 1] ?? NaN)),
  }
}

async function main(): Promise<number> {
  const plan = parse(process.argv.slice(2))
  const root = repoRoot()
  const started = Date.now()
  const log = (line: string): void => console.error(`  ${line}`)
  if ((globalThis as { gc?: unknown }).gc === undefined) log('(run node with --expose-gc for exact heap figures)')

  const db = await startPostgres()
  try {
    // --- import -------------------------------------------------------------------------
    log(`generating ${fmtInt(plan.bindings)} bindings, ${fmtInt(plan.deployments)} deployments`)
    let data: BindingsData | undefined = directory(plan)
    const client = new pg.Client(db.url)
    await client.connect()
    await migrate(client)
    log('importing')
    let t = performance.now()
    const counts: ImportCounts = await writeBindings(client, data)
    const importMs = performance.now() - t
    t = performance.now()
    const again = await writeBindings(client, data)
    const reimportMs = performance.now() - t
    const stored = (await client.query<{ n: string }>('SELECT count(*) AS n FROM permgate_role_bindings')).rows[0]?.n
    await client.query('VACUUM ANALYZE')
    await client.query('CHECKPOINT') // not in the middle of the measurements
    await client.end()
    if (Number(stored) !== plan.bindings || again.changed.roleBindingsAdded + again.changed.roleBindingsRemoved !== 0) {
      throw new Error(`import check failed: ${stored} role bindings stored, re-import changed ${JSON.stringify(again.changed)}`)
    }
    log(`imported in ${(importMs / 1000).toFixed(1)} s (re-import, nothing changed: ${(reimportMs / 1000).toFixed(1)} s)`)
    data = undefined

    // --- the store, cold then warm --------------------------------------------------------
    const policy = compilePolicy(loadPolicy(join(root, 'policies', 'houston')))
    const documents = new DocumentCache()
    const op = documents.get(QUERY, undefined)
    const principals: Principal[] = []
    const variables: Record<string, unknown>[] = []
    for (let s = 0; s < plan.decided; s++) {
      principals.push({ kind: 'user', id: `u${s}`, groups: [] })
      variables.push({ d: target(plan, s) })
    }
    const before = memory()
    const store = await PgBindingsStore.open({ url: db.url, maxSubjects: Math.max(plan.decided, 1000), poolSize: POOL_SIZE })
    try {
      let authorizer: Authorizer | undefined = new Authorizer(policy, store, { principalCacheSize: Math.max(plan.decided, 1000) })
      // Every pool connection opened before measuring (subjects the directory does not have).
      await Promise.all(Array.from({ length: POOL_SIZE }, (_, k) => store.prepare({ kind: 'user', id: `warmup-${k}`, groups: [] })))
      const opened = memory()

      log(`cold: ${fmtInt(plan.decided)} subjects`)
      const cold = new Float64Array(plan.decided)
      let allowed = 0
      let coldSync = 0
      for (let s = 0; s < plan.decided; s++) {
        const p = principals[s] as Principal
        const t0 = performance.now()
        const wait = store.prepare(p)
        if (wait === undefined) coldSync++
        else await wait
        if (authorizer.decide(p, op, variables[s]).allowed) allowed++
        cold[s] = performance.now() - t0
      }
      const cached = memory()

      log(`warm: ${plan.warmRounds} rounds over them`)
      const warm = new Float64Array(plan.decided * plan.warmRounds)
      let warmAsync = 0
      let i = 0
      for (let r = 0; r < plan.warmRounds; r++) {
        for (let s = 0; s < plan.decided; s++) {
          const p = principals[s] as Principal
          const t0 = performance.now()
          const wait = store.prepare(p)
          if (wait !== undefined) {
            warmAsync++
            await wait
          }
          authorizer.decide(p, op, variables[s])
          warm[i++] = performance.now() - t0
        }
      }
      // throughput without a timer per decision
      let decisions = 0
      let sink = 0
      const budgetMs = plan.quick ? 300 : 2000
      const t1 = performance.now()
      while (performance.now() - t1 < budgetMs) {
        for (let s = 0; s < plan.decided; s++) {
          const p = principals[s] as Principal
          if (store.prepare(p) !== undefined) warmAsync++
          if (authorizer.decide(p, op, variables[s]).allowed) sink++
        }
        decisions += plan.decided
      }
      const perSecond = decisions / ((performance.now() - t1) / 1000)
      const stats = store.stats()
      // What the authorizer's caches (compiled principals, decisions) hold, apart from the store's.
      authorizer = undefined
      const storeOnly = memory()

      const coldL = latency(cold)
      const warmL = latency(warm)
      const report = {
        benchmark: 'pg',
        quick: plan.quick,
        date: new Date().toISOString(),
        command: ['node', relative(root, process.argv[1] ?? 'dist/bench/pg/run.js'), ...process.argv.slice(2)].join(' '),
        machine: machine(),
        postgres: (await serverVersion(db.url)) ?? 'unknown',
        directory: {
          roleBindings: plan.bindings,
          deployments: plan.deployments,
          workspaces: plan.workspaces,
          subjects: plan.bindings / plan.perSubject,
        },
        import: {
          seconds: Math.round(importMs) / 1000,
          rowsPerSecond: Math.round(plan.bindings / (importMs / 1000)),
          reimportUnchangedSeconds: Math.round(reimportMs) / 1000,
          counts,
        },
        operation: QUERY,
        subjectsDecided: plan.decided,
        allowedShare: Math.round((allowed / plan.decided) * 1000) / 1000,
        cold: { ...coldL, preparedSynchronously: coldSync },
        warm: { ...warmL, rounds: plan.warmRounds, decisionsPerSecond: Math.round(perSecond), preparesThatWaited: warmAsync },
        memory: {
          gcExposed: (globalThis as { gc?: unknown }).gc !== undefined,
          rssBeforeOpenMB: mb(before.rss),
          rssAfterOpenMB: mb(opened.rss),
          rssWithSubjectsCachedMB: mb(cached.rss),
          heapForDeploymentsMB: mb(opened.heapUsed - before.heapUsed),
          heapForSubjectsMB: mb(cached.heapUsed - opened.heapUsed),
          heapBytesPerSubject: Math.round((cached.heapUsed - opened.heapUsed) / plan.decided),
          heapOfStoreBytesPerSubject: Math.round((storeOnly.heapUsed - opened.heapUsed) / plan.decided),
          heapOfAuthorizerBytesPerSubject: Math.round((cached.heapUsed - storeOnly.heapUsed) / plan.decided),
        },
        store: stats,
        seconds: Math.round((Date.now() - started) / 100) / 10,
      }
      if (sink < 0) console.log(sink)
      const stamp = report.date.replace(/:/g, '-').replace(/\.\d+Z$/, 'Z')
      // Quick runs leave pg-latest.json alone (as the micro-benchmark does; *-quick.json is git-ignored).
      const files = writeResults(join(root, 'bench', 'results'), plan.quick ? `${stamp}-quick` : stamp, report, !plan.quick, 'pg')
      const m = report.memory
      console.log(
        [
          `## permgate PostgreSQL bindings store${plan.quick ? ' (quick: a smoke run)' : ''}`,
          '',
          `${report.machine.cpu} x${report.machine.cores}, node ${report.machine.node}, ${report.postgres}`,
          `directory: ${fmtInt(plan.bindings)} role bindings, ${fmtInt(report.directory.subjects)} subjects, ` +
            `${fmtInt(plan.deployments)} deployments in ${fmtInt(plan.workspaces)} workspaces`,
          `import (one transaction, batched unnest inserts): ${report.import.seconds.toFixed(1)} s, ` +
            `${fmtInt(report.import.rowsPerSecond)} bindings/s; re-import of the same, nothing changed: ${report.import.reimportUnchangedSeconds.toFixed(1)} s`,
          `decisions: ${QUERY} over ${fmtInt(plan.decided)} subjects (${Math.round(report.allowedShare * 100)}% allowed)`,
          '',
          table(
            ['path', 'decisions', 'median µs', 'p99 µs', 'max µs', 'decisions/s'],
            [
              ['cold (prepare awaits the database, then decide)', fmtInt(coldL.count), String(coldL.medianUs), String(coldL.p99Us), String(coldL.maxUs), '-'],
              ['warm (prepare from memory, decide)', fmtInt(warmL.count), String(warmL.medianUs), String(warmL.p99Us), String(warmL.maxUs), fmtInt(report.warm.decisionsPerSecond)],
            ],
            new Set([1, 2, 3, 4, 5]),
          ),
          '',
          `memory: RSS ${m.rssBeforeOpenMB} MB before open, ${m.rssAfterOpenMB} MB open (deployments loaded: heap +${m.heapForDeploymentsMB} MB), ` +
            `${m.rssWithSubjectsCachedMB} MB with ${fmtInt(plan.decided)} subjects cached (heap +${m.heapForSubjectsMB} MB, ${fmtInt(m.heapBytesPerSubject)} B/subject: ` +
            `store ${fmtInt(m.heapOfStoreBytesPerSubject)}, authorizer caches ${fmtInt(m.heapOfAuthorizerBytesPerSubject)})` +
            (m.gcExposed ? '' : ' (no --expose-gc: heap figures include garbage)'),
          `warm latencies include a performance.now() pair per decision; decisions/s is measured without`,
          `results: ${files.map((f) => relative(root, f)).join(', ')}`,
          '',
        ].join('\n'),
      )
      const ok = coldSync === 0 && warmAsync === 0 && stats.connected
      if (!ok) console.error(`unexpected: ${coldSync} cold prepares answered from memory, ${warmAsync} warm prepares waited, connected ${stats.connected}`)
      return ok ? 0 : 1
    } finally {
      await store.close()
    }
  } finally {
    db.close()
  }
}

async function serverVersion(url: string): Promise<string | undefined> {
  const c = new pg.Client(url)
  try {
    await c.connect()
    const v = (await c.query<{ v: string }>(`SELECT current_setting('server_version') AS v`)).rows[0]?.v
    return v === undefined ? undefined : `PostgreSQL ${v.split(' ')[0]}`
  } catch {
    return undefined
  } finally {
    await c.end().catch(() => undefined)
  }
}

process.exitCode = await main()
