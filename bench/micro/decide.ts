/**
 * Micro-benchmark of warm authorization decisions: permgate against casbin and CASL modelling
 * the same Houston policy and bindings, then permgate against a 10-binding and a
 * 1,000,000-binding store. Build with `npx tsc -p tsconfig.json`, run with
 * `node dist/bench/micro/decide.js [--quick]`.
 */
import { join, relative } from 'node:path'
import { FileBindingsStore } from '../../src/bindings/file.js'
import { Authorizer } from '../../src/policy/authorizer.js'
import { compilePolicy } from '../../src/policy/compile.js'
import { loadPolicy } from '../../src/policy/load.js'
import { parseArgs } from './args.js'
import { buildCases, distinctPrincipals, mirroredRules, type CaseOptions } from './cases.js'
import { buildCasbin, CASBIN_MATCHER, casbinCases, casbinDecide } from './casbin-peer.js'
import { buildAbilities, caslCases, caslDecide } from './casl-peer.js'
import { casbinEngine, caslEngine, decideOnlyEngine, permgateEngine } from './engines.js'
import { buildFixture, rolePools, type FixtureSpec } from './fixture.js'
import { cpuLine, ENGINE_HEAD, engineRows, fmtInt, fmtRatio, machine, scaleLines, table, verdict, writeResults } from './report.js'
import { repoRoot } from './root.js'
import { runScale } from './scale.js'
import { alternate, pairedRatio, type EngineResult, type RoundsOptions } from './timing.js'
import { verify } from './verify.js'

const TARGET_RATE = 5_000_000
const TARGET_VS_CASBIN = 20
const TARGET_SCALE_DRIFT = 0.1

const STORE: FixtureSpec = {
  workspaces: 50,
  deployments: 200,
  users: 200,
  serviceAccounts: 20,
  systemShare: 0.05,
  workspaceBindings: [1, 3],
  deploymentBindings: [0, 2],
  seed: 0x9e37,
}

const CASES: Omit<CaseOptions, 'principals'> = {
  count: 1000,
  seed: 0xdec1de,
  anonymousShare: 0.05,
  relatedShare: 0.6,
  variableShare: 0.5,
}

async function main(): Promise<number> {
  const { quick } = parseArgs(process.argv.slice(2))
  const started = Date.now()
  const m = machine()
  const root = repoRoot()
  const command = ['node', relative(root, process.argv[1] ?? 'dist/bench/micro/decide.js'), ...process.argv.slice(2)].join(' ')
  const rounds: RoundsOptions = quick ? { rounds: 1, budgetMs: 150, warmupMs: 50 } : { rounds: 5, budgetMs: 700, warmupMs: 300 }
  const scaleRounds: RoundsOptions = quick ? rounds : { rounds: 11, budgetMs: 250, warmupMs: 300 }

  const policyDir = join(root, 'policies', 'houston')
  const policy = compilePolicy(loadPolicy(policyDir))
  const roles = rolePools(policy)
  const { rules, excluded } = mirroredRules(policy)
  const fixture = buildFixture(STORE, roles)
  const authorizer = new Authorizer(policy, new FileBindingsStore(fixture.deployments, fixture.subjects, new Map()))
  const cases = buildCases(policy, fixture, rules, CASES)

  const casbin = await buildCasbin(policy, fixture)
  const cbCases = casbinCases(cases)
  const abilities = buildAbilities(policy, fixture, cases)
  const clCases = caslCases(cases)

  const agreement = verify(
    cases,
    [
      { name: 'permgate', decide: (i) => authorizer.decide(cases[i]!.principal, cases[i]!.op, cases[i]!.variables).allowed },
      { name: 'casbin', decide: (i) => casbinDecide(casbin.enforcer, cbCases[i]!) },
      { name: 'CASL', decide: (i) => caslDecide(abilities, clCases[i]!) },
    ],
    authorizer,
  )

  const results = alternate(
    [
      permgateEngine('permgate', authorizer, cases),
      casbinEngine(casbin.enforcer, cbCases),
      caslEngine(abilities, clCases),
      decideOnlyEngine('(info) permgate decide() only', authorizer, cases),
    ],
    rounds,
  )
  const [pg, cb, cl] = results as [EngineResult, EngineResult, EngineResult]
  const vsCasbin = pairedRatio(pg, cb)
  const vsCasl = pairedRatio(pg, cl)
  const scale = runScale(policy, roles, rules, CASES, scaleRounds)

  const scoped = cases.filter((c) => c.entity !== null).length
  const variables = cases.filter((c) => c.variables !== undefined).length
  const out: string[] = []
  out.push(`## permgate micro-benchmark: warm decisions${quick ? ' (--quick: smoke run, numbers are rough)' : ''}`, '')
  out.push(`- command: \`${command}\` (repo root ${root})`)
  out.push(`- machine: ${m.cpu}, ${m.cores} cores, node ${m.node}, ${m.os}; load average ${m.load.toFixed(2)} at start`)
  out.push(`- policy: ${relative(root, policyDir)} (${policy.name} ${policy.revision}), ${policy.rules.size} rules, ${policy.roles.size} roles`)
  out.push(
    `- store: ${STORE.workspaces} workspaces, ${STORE.deployments} deployments, ${STORE.users} users + ${STORE.serviceAccounts} service accounts, ` +
      `${fmtInt(fixture.bindingCount)} bindings (system, workspace, deployment; plus the synthetic ${policy.syntheticRoles.join(', ')})`,
  )
  out.push(
    `- cases: ${fmtInt(cases.length)} (${distinctPrincipals(cases)} distinct principals, ${Math.round(CASES.anonymousShare * 100)}% anonymous; ` +
      `${scoped} name a workspace/deployment; ${variables} pass the scope id as a variable, the rest as a literal), ` +
      `one root field each over ${rules.length} rules` +
      (excluded.length > 0 ? `; left out as not modelled identically by the peers: ${excluded.join(', ')}` : '; no rule left out'),
  )
  out.push(
    `- warm: permgate decides operations parsed once through DocumentCache, principal masks cached in Authorizer; ` +
      `casbin (enforceSync; ${casbin.policyLines} policy lines with domain patterns, ${fmtInt(casbin.groupingLines)} grouping lines; ` +
      `matcher \`${CASBIN_MATCHER}\`) and CASL ` +
      `(${abilities.size} abilities built beforehand) get the scope entity pre-resolved, so they skip the argument lookup permgate does`,
  )
  out.push(
    `- timing: warm-up ${rounds.warmupMs} ms each, then ${rounds.rounds} alternating round(s) of >= ${rounds.budgetMs} ms per engine ` +
      `(scaling: ${scaleRounds.rounds} of >= ${scaleRounds.budgetMs} ms); rates are medians over rounds; (paired) = median of the ratios of back-to-back rounds`,
    '',
  )
  out.push(table(['engine', ...ENGINE_HEAD], engineRows(results), new Set([1, 3, 5])), '')
  out.push(
    `- (info) row: the pure \`decide()\` on every case, principal masks fetched beforehand and no decision reused; ` +
      `the permgate row goes through Authorizer, which reuses the decision of an operation without variables ` +
      `for the same principal (the cases passing the scope id as a variable are decided afresh every time)`,
  )
  out.push(`- permgate / casbin: ${fmtRatio(vsCasbin)}; permgate / CASL: ${fmtRatio(vsCasl)} (paired)`)
  out.push(cpuLine(results))
  out.push(
    `- target: >= ${fmtInt(TARGET_RATE)} decisions/s warm and >= ${TARGET_VS_CASBIN}x casbin: ` +
      `${fmtInt(pg.median)}/s ${verdict(pg.median >= TARGET_RATE)}, ${fmtRatio(vsCasbin)} ${verdict(vsCasbin >= TARGET_VS_CASBIN)}`,
  )
  const agree = agreement.mismatches === 0 && new Set(Object.values(agreement.allowed)).size === 1 && agreement.scopeErrors.length === 0
  out.push(
    `- agreement: ${agree ? 'all three engines give the same answer on every case' : `${agreement.mismatches} case(s) answered differently`} ` +
      `(allowed ${Object.entries(agreement.allowed).map(([k, v]) => `${k} ${v}`).join(', ')} of ${agreement.cases})`,
  )

  out.push('', ...scaleLines(scale, TARGET_SCALE_DRIFT), cpuLine(scale.rows.map((r) => r.result)))
  out.push('', `total ${((Date.now() - started) / 1000).toFixed(1)} s`)
  console.log(out.join('\n'))

  const stamp = new Date(started).toISOString().replace(/\.\d+Z$/, 'Z').replace(/:/g, '-')
  const files = writeResults(join(root, 'bench', 'results'), quick ? `${stamp}-quick` : stamp, {
    date: new Date(started).toISOString(),
    command,
    quick,
    machine: m,
    policy: { dir: relative(root, policyDir), name: policy.name, revision: policy.revision, rules: rules.map((r) => r.key), excludedRules: excluded },
    store: { ...STORE, subjects: fixture.subjectIds.length, bindings: fixture.bindingCount },
    cases: { ...CASES, distinctPrincipals: distinctPrincipals(cases), scoped, variables },
    peers: { casbin: { policyLines: casbin.policyLines, groupingLines: casbin.groupingLines }, casl: { abilities: abilities.size } },
    timing: rounds,
    engines: results,
    ratios: { permgateOverCasbin: vsCasbin, permgateOverCasl: vsCasl },
    targets: {
      decisionsPerSecond: { target: TARGET_RATE, value: pg.median, met: pg.median >= TARGET_RATE },
      overCasbin: { target: TARGET_VS_CASBIN, value: vsCasbin, met: vsCasbin >= TARGET_VS_CASBIN },
      scaling: { target: TARGET_SCALE_DRIFT, value: scale.ratio, met: Math.abs(1 - scale.ratio) <= TARGET_SCALE_DRIFT },
    },
    agreement,
    scaling: { timing: scaleRounds, ...scale },
  }, !quick)
  console.log(`results: ${files.map((f) => relative(root, f)).join(', ')}`)

  const counts = results.map((r) => `${r.name} ${r.allowed} allowed / ${r.denied} denied`).join(', ')
  if (!agree || new Set(results.map((r) => r.allowed)).size !== 1) {
    console.error(`\nFAIL: the engines disagree on the case set: ${counts}`)
    for (const e of agreement.examples) console.error(`  ${e}`)
    for (const e of agreement.scopeErrors) console.error(`  scope: ${e}`)
    return 1
  }
  if (!scale.sameAnswers) {
    console.error(`\nFAIL: the 10-binding and the 1,000,000-binding store answer the same cases differently`)
    return 1
  }
  return 0
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(err instanceof Error ? (err.stack ?? err.message) : err)
    process.exit(1)
  },
)
