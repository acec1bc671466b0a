import type { Principal } from '../../src/identity/types.js'
import { DocumentCache } from '../../src/operation/cache.js'
import type { ExtractedOperation } from '../../src/policy/operation.js'
import { scopeOf } from '../../src/policy/permissions.js'
import type { CompiledPolicy, CompiledRule, EntityKind } from '../../src/policy/types.js'
import type { Fixture } from './fixture.js'
import { Rng } from './rng.js'

export interface Entity {
  readonly kind: EntityKind
  readonly id: string
}

/** One permission a rule requires, as the peers check it. */
export interface Check {
  readonly perm: string
  readonly system: boolean
}

/** One authorization question, prepared so that every engine answers it warm. */
export interface Case {
  readonly principal: Principal
  readonly rule: CompiledRule
  readonly query: string
  readonly variables: Readonly<Record<string, unknown>> | undefined
  /** Parsed and extracted once, through permgate's document cache. */
  readonly op: ExtractedOperation
  /** The entity the rule's scope argument names, as permgate resolves it from the operation. */
  readonly entity: Entity | null
  readonly checks: readonly Check[]
}

export interface CaseOptions {
  readonly count: number
  readonly seed: number
  /** Share of anonymous principals. */
  readonly anonymousShare: number
  /** Share of scoped cases naming an entity the principal holds a binding on (else any entity). */
  readonly relatedShare: number
  /** Share of cases passing the scope id as a variable (else as a literal). */
  readonly variableShare: number
  /** Subjects the principals are drawn from (default: every subject of the fixture). */
  readonly principals?: readonly string[]
}

/**
 * Rules the three engines model identically. The peers check a rule's scoped permissions on
 * the entity its first scope argument names, in the domain (casbin) or subject type (CASL) of
 * the permission's own scope; permgate checks them on the entity whatever their prefix. A rule
 * whose scoped permissions have another scope than its scope argument's kind is left out.
 */
export function mirroredRules(policy: CompiledPolicy): { rules: CompiledRule[]; excluded: string[] } {
  const rules: CompiledRule[] = []
  const excluded: string[] = []
  for (const rule of policy.rules.values()) {
    const kind = rule.scope[0]?.kind
    // the peers model roles and permissions only: fields with conditions (escalation guard,
    // invitations) are left out of the shared case set
    const ok = rule.condition === undefined && (rule.access !== 'permission' || rule.permissions.every((p) => scopeOf(p) === 'system' || scopeOf(p) === kind))
    if (ok) rules.push(rule)
    else excluded.push(rule.key)
  }
  return { rules, excluded }
}

const KEYWORD = { Query: 'query', Mutation: 'mutation', Subscription: 'subscription' } as const

/** `a: { b: "x" }` for path [a, b], as a GraphQL argument literal. */
function literalArg(path: readonly string[], id: string): string {
  let value = JSON.stringify(id)
  for (let i = path.length - 1; i >= 1; i--) value = `{ ${path[i]}: ${value} }`
  return `${path[0]}: ${value}`
}

function nestedValue(path: readonly string[], id: string): unknown {
  let value: unknown = id
  for (let i = path.length - 1; i >= 1; i--) value = { [path[i] as string]: value }
  return value
}

/** Entities of a kind the subject is bound on, directly or through its workspaces. */
function relatedEntities(fixture: Fixture, subjectId: string, kind: EntityKind): string[] {
  const out: string[] = []
  for (const b of fixture.subjects.get(subjectId)?.bindings ?? []) {
    if (kind === 'workspace') {
      if (b.workspace !== undefined) out.push(b.workspace)
      else if (b.deployment !== undefined) {
        const ws = fixture.deployments.get(b.deployment)
        if (ws !== undefined) out.push(ws)
      }
    } else if (b.deployment !== undefined) out.push(b.deployment)
    else if (b.workspace !== undefined) out.push(...(fixture.deploymentsOf.get(b.workspace) ?? []))
  }
  return out
}

export function buildCases(policy: CompiledPolicy, fixture: Fixture, rules: readonly CompiledRule[], opts: CaseOptions): Case[] {
  const rng = new Rng(opts.seed)
  const docs = new DocumentCache({ max: opts.count * 2 + 100 })
  const pool = opts.principals ?? fixture.subjectIds
  const cases: Case[] = []
  for (let i = 0; i < opts.count; i++) {
    let principal: Principal
    if (rng.chance(opts.anonymousShare)) {
      principal = { kind: 'anonymous', id: null, groups: [] }
    } else {
      const id = rng.pick(pool)
      const entry = fixture.subjects.get(id)
      if (!entry) throw new Error(`unknown subject ${id}`)
      principal = { kind: entry.kind, id, groups: [] }
    }
    const rule = rng.pick(rules)
    const keyword = KEYWORD[rule.type]
    const scope = rule.scope[0]
    let query = `${keyword} { ${rule.field} }`
    let variables: Record<string, unknown> | undefined
    let named: Entity | null = null
    if (scope) {
      const all = scope.kind === 'workspace' ? fixture.workspaceIds : fixture.deploymentIds
      const related = principal.id === null ? [] : relatedEntities(fixture, principal.id, scope.kind)
      const id = related.length > 0 && rng.chance(opts.relatedShare) ? rng.pick(related) : rng.pick(all)
      named = { kind: scope.kind, id }
      if (rng.chance(opts.variableShare)) {
        const type = scope.path.length === 1 ? 'Uuid' : 'JSON'
        query = `${keyword} Decide($scope: ${type}) { ${rule.field}(${scope.path[0]}: $scope) }`
        variables = { scope: nestedValue(scope.path, id) }
      } else {
        query = `${keyword} { ${rule.field}(${literalArg(scope.path, id)}) }`
      }
    }
    cases.push({
      principal,
      rule,
      query,
      variables,
      op: docs.get(query, undefined),
      // permgate resolves the scope only for rules needing an entity; the peers do likewise
      entity: rule.scoped ? named : null,
      checks: rule.permissions.map((perm) => ({ perm, system: scopeOf(perm) === 'system' })),
    })
  }
  return cases
}

export function distinctPrincipals(cases: readonly Case[]): number {
  return new Set(cases.map((c) => `${c.principal.kind}:${c.principal.id ?? ''}`)).size
}
