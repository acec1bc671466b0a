import { FileBindingsStore } from '../bindings/file.js'
import type { Binding, Subject, SubjectEntry } from '../bindings/types.js'
import { permits, permitsAt } from './holds.js'
import { scopeOf } from './permissions.js'
import { compilePrincipal, type PrincipalMasks } from './principal.js'
import type { CompiledPolicy, CompiledRule } from './types.js'

/** The caller without a credential. */
const NOBODY: Subject = Object.freeze({ kind: 'anonymous', id: null, groups: Object.freeze([]) as readonly string[] })

/** The entities a diff binds roles on and decides scoped rules on: deployment d1 belongs to workspace w1. */
export const DIFF_WORKSPACE = 'w1'
export const DIFF_DEPLOYMENT = 'd1'

export const ANONYMOUS_LABEL = 'anonymous'
export const NO_ROLE_LABEL = 'authenticated (no role)'

export type NaturalScope = 'system' | 'workspace' | 'deployment'
export type Verdict = 'allow' | 'deny'

/** Who is compared: a role bound once at its natural scope, or one of the two pseudo-principals. */
export interface DiffPrincipal {
  readonly label: string
  /** Undefined for the pseudo-principals. */
  readonly role?: string
  readonly scope?: NaturalScope
  /** How the scope was chosen: from the role's id prefix, or from the majority of its permissions' scopes. */
  readonly scopeBy?: 'name' | 'permissions'
}

export interface DecisionChange {
  readonly role: string
  readonly field: string
  readonly a: Verdict
  readonly b: Verdict
  /** The policy that does not define the role (it is denied everything there). */
  readonly absentIn?: 'a' | 'b'
}

export interface DiffSummary {
  readonly changes: number
  readonly newlyAllowed: number
  readonly newlyDenied: number
  readonly roles: number
  readonly fields: number
}

export interface PolicyDiff {
  readonly principals: readonly DiffPrincipal[]
  readonly fields: readonly string[]
  readonly changes: readonly DecisionChange[]
  readonly summary: DiffSummary
}

const PREFIX: readonly [string, NaturalScope][] = [['SYSTEM_', 'system'], ['WORKSPACE_', 'workspace'], ['DEPLOYMENT_', 'deployment']]
// Ties between scopes go to the first listed.
const SCOPES: readonly NaturalScope[] = ['system', 'workspace', 'deployment']

/**
 * For every principal and field, the decisions of two policies that differ. Each role is bound
 * once at its natural scope (system; workspace w1; deployment d1 in w1) and a scoped rule is decided
 * on the entity its first scope argument names (w1 or d1). `fields` defaults to the union of both
 * policies' rule keys, in order.
 */
export function diffPolicies(a: CompiledPolicy, b: CompiledPolicy, fields?: readonly string[]): PolicyDiff {
  const keys = fields ?? [...new Set([...a.rules.keys(), ...b.rules.keys()])]
  const roleIds = [...new Set([...a.roles.keys(), ...b.roles.keys()])]
  const principals: DiffPrincipal[] = [{ label: ANONYMOUS_LABEL }, { label: NO_ROLE_LABEL }]
  for (const id of roleIds) principals.push({ label: id, role: id, ...naturalScope(id, a, b) })

  const masksA = principalMasks(a, principals)
  const masksB = principalMasks(b, principals)
  const changes: DecisionChange[] = []
  for (const [i, p] of principals.entries()) {
    const inA = p.role === undefined || a.roles.has(p.role)
    const inB = p.role === undefined || b.roles.has(p.role)
    const pmA = masksA[i] as PrincipalMasks
    const pmB = masksB[i] as PrincipalMasks
    for (const field of keys) {
      const va = inA && allows(a.rules.get(field), pmA) ? 'allow' : 'deny'
      const vb = inB && allows(b.rules.get(field), pmB) ? 'allow' : 'deny'
      if (va === vb) continue
      const absentIn = !inA ? 'a' : !inB ? 'b' : undefined
      changes.push(absentIn === undefined ? { role: p.label, field, a: va, b: vb } : { role: p.label, field, a: va, b: vb, absentIn })
    }
  }
  const newlyAllowed = changes.filter((c) => c.b === 'allow').length
  return {
    principals,
    fields: keys,
    changes,
    summary: { changes: changes.length, newlyAllowed, newlyDenied: changes.length - newlyAllowed, roles: principals.length, fields: keys.length },
  }
}

/** By the id's prefix; otherwise the scope of most of the role's permissions in either policy. */
function naturalScope(id: string, a: CompiledPolicy, b: CompiledPolicy): { scope: NaturalScope; scopeBy: 'name' | 'permissions' } {
  for (const [prefix, scope] of PREFIX) if (id.startsWith(prefix)) return { scope, scopeBy: 'name' }
  const perms = new Set([...(a.roles.get(id)?.permissions ?? []), ...(b.roles.get(id)?.permissions ?? [])])
  const count = new Map<string, number>()
  for (const p of perms) count.set(scopeOf(p), (count.get(scopeOf(p)) ?? 0) + 1)
  let best: NaturalScope = 'system'
  for (const s of SCOPES) if ((count.get(s) ?? 0) > (count.get(best) ?? 0)) best = s
  return { scope: best, scopeBy: 'permissions' }
}

/** One subject per role, bound once at its natural scope; the policy adds its synthetic roles itself. */
function principalMasks(policy: CompiledPolicy, principals: readonly DiffPrincipal[]): PrincipalMasks[] {
  // Principal ids by position, so a role named like a pseudo-principal cannot collide with it.
  const subjects = new Map<string, SubjectEntry>()
  for (const [i, p] of principals.entries()) {
    const bindings: Binding[] = []
    if (p.role !== undefined && policy.roles.has(p.role)) {
      if (p.scope === 'workspace') bindings.push({ role: p.role, workspace: DIFF_WORKSPACE })
      else if (p.scope === 'deployment') bindings.push({ role: p.role, deployment: DIFF_DEPLOYMENT })
      else bindings.push({ role: p.role })
    }
    subjects.set(String(i), { kind: 'user', bindings })
  }
  const store = new FileBindingsStore(new Map([[DIFF_DEPLOYMENT, DIFF_WORKSPACE]]), subjects, new Map())
  return principals.map((p, i) => {
    const principal: Subject = p.role === undefined && p.label === ANONYMOUS_LABEL ? NOBODY : { kind: 'user', id: String(i), groups: [] }
    return compilePrincipal(policy, store, principal)
  })
}

/** The decision of one field, its scope argument naming the natural entity (w1 or d1). No rule: denied. */
function allows(rule: CompiledRule | undefined, pm: PrincipalMasks): boolean {
  if (rule === undefined) return false
  if (rule.access === 'public') return true
  if (pm.principal.kind === 'anonymous') return false
  if (rule.access === 'authenticated') return true
  const arg = rule.scoped ? rule.scope[0] : undefined
  if (arg === undefined) return permits(pm, rule, undefined, null)
  // a rule naming both kinds: both entities named (the deployment is the workspace's)
  if (rule.byKind !== undefined) return permitsAt(pm, rule, DIFF_WORKSPACE, DIFF_DEPLOYMENT)
  return permits(pm, rule, arg.kind, arg.kind === 'workspace' ? DIFF_WORKSPACE : DIFF_DEPLOYMENT)
}
