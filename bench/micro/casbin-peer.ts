import { newEnforcer, newModelFromString, StringAdapter, type Enforcer } from 'casbin'
import { scopeOf } from '../../src/policy/permissions.js'
import type { CompiledPolicy } from '../../src/policy/types.js'
import type { Case } from './cases.js'
import type { Fixture } from './fixture.js'

/**
 * RBAC with domains. A role's permissions hold in the `system` domain (where system-scope
 * bindings live) and, for workspace/deployment permissions, in every domain of their kind
 * (`workspace:*`), so one policy line serves every entity: with `r.dom == p.dom` casbin would
 * need a copy of each role per entity, and it scans its policy lines on every enforce.
 * `r.obj == p.obj` comes first so casbin's short-circuit skips unrelated lines cheaply.
 */
export const CASBIN_MATCHER = 'r.obj == p.obj && keyMatch(r.dom, p.dom) && g(r.sub, p.sub, r.dom)'

export const CASBIN_MODEL = `
[request_definition]
r = sub, dom, obj

[policy_definition]
p = sub, dom, obj

[role_definition]
g = _, _, _

[policy_effect]
e = some(where (p.eft == allow))

[matchers]
m = ${CASBIN_MATCHER}
`

export interface CasbinPeer {
  readonly enforcer: Enforcer
  readonly policyLines: number
  readonly groupingLines: number
}

/** One case as casbin sees it: subject and domain strings built before timing. */
export interface CasbinCase {
  readonly source: Case
  readonly sub: string
  readonly dom: string | null
}

export function policyLines(policy: CompiledPolicy): string[] {
  const lines: string[] = []
  for (const role of policy.roles.values()) {
    for (const perm of role.permissions) {
      lines.push(`p, ${role.id}, system, ${perm}`)
      const scope = scopeOf(perm)
      if (scope !== 'system') lines.push(`p, ${role.id}, ${scope}:*, ${perm}`)
    }
  }
  return lines
}

/** Bindings as grouping lines, with the synthetic roles and the workspace -> deployment cascade. */
export function groupingLines(policy: CompiledPolicy, fixture: Fixture): string[] {
  const lines: string[] = []
  for (const [id, entry] of fixture.subjects) {
    for (const role of policy.syntheticRoles) lines.push(`g, ${id}, ${role}, system`)
    for (const b of entry.bindings) {
      if (b.workspace !== undefined) {
        lines.push(`g, ${id}, ${b.role}, workspace:${b.workspace}`)
        const to = policy.cascade.get(b.role)
        if (to !== undefined) {
          for (const d of fixture.deploymentsOf.get(b.workspace) ?? []) lines.push(`g, ${id}, ${to}, deployment:${d}`)
        }
      } else if (b.deployment !== undefined) {
        lines.push(`g, ${id}, ${b.role}, deployment:${b.deployment}`)
      } else {
        lines.push(`g, ${id}, ${b.role}, system`)
      }
    }
  }
  return lines
}

export async function buildCasbin(policy: CompiledPolicy, fixture: Fixture): Promise<CasbinPeer> {
  const p = policyLines(policy)
  const g = groupingLines(policy, fixture)
  const enforcer = await newEnforcer(newModelFromString(CASBIN_MODEL), new StringAdapter([...p, ...g].join('\n')))
  return { enforcer, policyLines: p.length, groupingLines: g.length }
}

export function casbinCases(cases: readonly Case[]): CasbinCase[] {
  return cases.map((c) => ({
    source: c,
    sub: c.principal.id ?? '',
    dom: c.entity === null ? null : `${c.entity.kind}:${c.entity.id}`,
  }))
}

/** permgate's decision, asked of casbin: each required permission is one or two enforce calls. */
export function casbinDecide(e: Enforcer, k: CasbinCase): boolean {
  const c = k.source
  const rule = c.rule
  if (rule.access === 'public') return true
  if (c.principal.kind === 'anonymous') return false
  if (rule.access === 'authenticated') return true
  const and = rule.op === 'AND'
  for (const check of c.checks) {
    const ok = check.system
      ? e.enforceSync(k.sub, 'system', check.perm)
      : k.dom !== null && (e.enforceSync(k.sub, k.dom, check.perm) || e.enforceSync(k.sub, 'system', check.perm))
    if (ok !== and) return ok
  }
  return and
}
