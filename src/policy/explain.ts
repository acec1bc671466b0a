import { scopeOf } from './permissions.js'
import type { EntityRef, FieldDecision } from './decide.js'
import type { PrincipalMasks, ResolvedBinding } from './principal.js'
import type { CompiledPolicy } from './types.js'

/** One root field's decision, spelled out for a person. */
export interface FieldExplanation {
  readonly decision: FieldDecision
  /** Required permissions the principal holds where the field is checked. */
  readonly held: readonly string[]
  readonly missing: readonly string[]
  /** The bindings that supplied a held permission. */
  readonly grantedBy: readonly ResolvedBinding[]
  /** Roles that would supply what is missing (all of it for AND, any one for OR). */
  readonly wouldGrant: readonly string[]
}

/** What one binding gives at a field's scope, under the same rules `decide` applies. */
export function grantsAt(policy: CompiledPolicy, pm: PrincipalMasks, b: ResolvedBinding, scope: EntityRef | null): string[] {
  const role = policy.roles.get(b.role)
  if (!role) return []
  const system = (p: string): boolean => scopeOf(p) === 'system'
  if (b.workspace === undefined && b.deployment === undefined) {
    return role.permissions.filter((p) => system(p) || scope !== null)
  }
  if (scope === null) return []
  if (b.workspace !== undefined) {
    if (scope.kind === 'workspace' && scope.id === b.workspace) return role.permissions.filter((p) => !system(p))
    const cascaded = policy.cascade.get(b.role)
    if (scope.kind === 'deployment' && cascaded !== undefined && pm.parentOf.get(scope.id) === b.workspace) {
      return (policy.roles.get(cascaded)?.permissions ?? []).filter((p) => !system(p))
    }
    return []
  }
  return scope.kind === 'deployment' && scope.id === b.deployment ? role.permissions.filter((p) => !system(p)) : []
}

export function explainField(policy: CompiledPolicy, pm: PrincipalMasks, d: FieldDecision): FieldExplanation {
  const heldSet = new Set<string>()
  const grantedBy: ResolvedBinding[] = []
  for (const b of pm.bindings) {
    const gives = grantsAt(policy, pm, b, d.scope).filter((p) => d.required.includes(p))
    if (gives.length === 0) continue
    grantedBy.push(b)
    for (const p of gives) heldSet.add(p)
  }
  const held = d.required.filter((p) => heldSet.has(p))
  const missing = d.required.filter((p) => !heldSet.has(p))
  const wouldGrant = missing.length === 0 || d.allowed
    ? []
    : [...policy.roles.values()]
        .filter((r) => (d.op === 'OR' ? missing.some((p) => r.permissions.includes(p)) : missing.every((p) => r.permissions.includes(p))))
        .map((r) => r.id)
  return { decision: d, held, missing, grantedBy, wouldGrant }
}
