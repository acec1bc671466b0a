import { FileBindingsStore } from '../../src/bindings/file.js'
import { Authorizer } from '../../src/policy/authorizer.js'
import type { CompiledPolicy, CompiledRule } from '../../src/policy/types.js'
import { buildCases, distinctPrincipals, type Case, type CaseOptions } from './cases.js'
import { permgateEngine } from './engines.js'
import { buildFixture, type Fixture, type FixtureSpec, type RolePools } from './fixture.js'
import { Rng } from './rng.js'
import { alternate, pairedRatio, type EngineResult, type RoundsOptions } from './timing.js'

/** 10 bindings: 5 users, each bound on one workspace and one deployment. */
export const SMALL_STORE: FixtureSpec = {
  workspaces: 3,
  deployments: 6,
  users: 5,
  serviceAccounts: 0,
  systemShare: 0,
  workspaceBindings: [1, 1],
  deploymentBindings: [1, 1],
  seed: 0x5ca1e,
}

/**
 * Added to the small store to make it 1,000,000 bindings: 100,000 workspaces, 200,000
 * deployments, 250,004 subjects (249,997 users with two workspace and two deployment
 * bindings each, 2 service accounts with one).
 */
export const LARGE_EXTRA: FixtureSpec = {
  workspaces: 99_997,
  deployments: 199_994,
  users: 249_997,
  serviceAccounts: 2,
  systemShare: 0,
  workspaceBindings: [2, 2],
  deploymentBindings: [2, 2],
  seed: 0xb16,
}

export interface ScaleRow {
  readonly label: string
  readonly workspaces: number
  readonly deployments: number
  readonly subjects: number
  readonly bindings: number
  readonly principals: number
  readonly buildMs: number
  readonly result: EngineResult
}

export interface ScaleReport {
  readonly rows: ScaleRow[]
  /** Large store over small store, same cases: median of per-round ratios of decisions/s. */
  readonly ratio: number
  /** Both stores allowed the same cases (they must: the large one only adds other subjects). */
  readonly sameAnswers: boolean
}

function timed<T>(f: () => T): { value: T; ms: number } {
  const t = process.hrtime.bigint()
  const value = f()
  return { value, ms: Number(process.hrtime.bigint() - t) / 1e6 }
}

function sample(fixture: Fixture, n: number, seed: number): string[] {
  const rng = new Rng(seed)
  const out = new Set<string>()
  while (out.size < Math.min(n, fixture.subjectIds.length)) out.add(rng.pick(fixture.subjectIds))
  return [...out]
}

/**
 * The same cases against a 10-binding store and a 1,000,000-binding store that contains it
 * (only the store differs, so the answers must be identical), then, for information, cases of
 * the same shapes drawn from 1,000 principals spread over the large store (the working set of
 * cached masks and of looked-up entities grows too).
 */
export function runScale(
  policy: CompiledPolicy,
  roles: RolePools,
  rules: readonly CompiledRule[],
  caseOpts: Omit<CaseOptions, 'principals'>,
  rounds: RoundsOptions,
): ScaleReport {
  const small = timed(() => buildFixture(SMALL_STORE, roles))
  const large = timed(() => buildFixture(LARGE_EXTRA, roles, small.value))
  const same = buildCases(policy, small.value, rules, caseOpts)
  const spread = buildCases(policy, large.value, rules, { ...caseOpts, principals: sample(large.value, 1000, 1) })
  const sets: { label: string; fx: Fixture; ms: number; cases: Case[] }[] = [
    { label: '10 bindings', fx: small.value, ms: small.ms, cases: same },
    { label: '1,000,000 bindings, same cases', fx: large.value, ms: large.ms, cases: same },
    { label: '1,000,000 bindings, spread cases', fx: large.value, ms: large.ms, cases: spread },
  ]
  const engines = sets.map((s) => {
    const authorizer = new Authorizer(policy, new FileBindingsStore(s.fx.deployments, s.fx.subjects, new Map()))
    return permgateEngine(s.label, authorizer, s.cases)
  })
  const results = alternate(engines, rounds)
  const rows = sets.map((s, i) => ({
    label: s.label,
    workspaces: s.fx.workspaceIds.length,
    deployments: s.fx.deploymentIds.length,
    subjects: s.fx.subjectIds.length,
    bindings: s.fx.bindingCount,
    principals: distinctPrincipals(s.cases),
    buildMs: s.ms,
    result: results[i] as EngineResult,
  }))
  const [r0, r1] = results as [EngineResult, EngineResult]
  return { rows, ratio: pairedRatio(r1, r0), sameAnswers: r0.allowed === r1.allowed }
}
