import { AbilityBuilder, createMongoAbility, subject, type ForcedSubject, type MongoAbility } from '@casl/ability'
import type { Binding } from '../../src/bindings/types.js'
import { scopeOf } from '../../src/policy/permissions.js'
import type { CompiledPolicy, EntityKind } from '../../src/policy/types.js'
import type { Case } from './cases.js'
import type { Fixture } from './fixture.js'

/** One case as CASL sees it: the entity as a typed subject object, built before timing. */
export interface CaslCase {
  readonly source: Case
  readonly sub: string
  readonly entity: (ForcedSubject<EntityKind> & { readonly id: string }) | null
}

/**
 * A subject's ability: system permissions on `system`; workspace/deployment permissions of
 * system-scope roles on every workspace/deployment; those of entity bindings on that entity
 * (`{ id }`), and a workspace role's cascade on the workspace's deployments (`{ id: { $in } }`).
 */
export function buildAbility(policy: CompiledPolicy, fixture: Fixture, subjectId: string): MongoAbility {
  const { can, build } = new AbilityBuilder<MongoAbility>(createMongoAbility)
  const bindings: Binding[] = policy.syntheticRoles.map((role) => ({ role }))
  bindings.push(...(fixture.subjects.get(subjectId)?.bindings ?? []))
  const scoped = (roleId: string): string[] => (policy.roles.get(roleId)?.permissions ?? []).filter((p) => scopeOf(p) !== 'system')
  for (const b of bindings) {
    const role = policy.roles.get(b.role)
    if (!role) continue
    if (b.workspace !== undefined) {
      const perms = scoped(b.role)
      if (perms.length > 0) can(perms, 'workspace', { id: b.workspace })
      const to = policy.cascade.get(b.role)
      const deps = fixture.deploymentsOf.get(b.workspace) ?? []
      const cascaded = to === undefined ? [] : scoped(to)
      if (cascaded.length > 0 && deps.length > 0) can(cascaded, 'deployment', { id: { $in: deps } })
    } else if (b.deployment !== undefined) {
      const perms = scoped(b.role)
      if (perms.length > 0) can(perms, 'deployment', { id: b.deployment })
    } else {
      const system = role.permissions.filter((p) => scopeOf(p) === 'system')
      const global = scoped(b.role)
      if (system.length > 0) can(system, 'system')
      if (global.length > 0) can(global, ['workspace', 'deployment'])
    }
  }
  return build()
}

/** Abilities of every principal the cases name, built (and so cached) before timing. */
export function buildAbilities(policy: CompiledPolicy, fixture: Fixture, cases: readonly Case[]): Map<string, MongoAbility> {
  const out = new Map<string, MongoAbility>()
  for (const c of cases) {
    const id = c.principal.id
    if (id !== null && !out.has(id)) out.set(id, buildAbility(policy, fixture, id))
  }
  return out
}

export function caslCases(cases: readonly Case[]): CaslCase[] {
  return cases.map((c) => ({
    source: c,
    sub: c.principal.id ?? '',
    entity: c.entity === null ? null : subject(c.entity.kind, { id: c.entity.id }),
  }))
}

const NO_ABILITY = createMongoAbility()

/** permgate's decision, asked of CASL: one `can` per required permission. */
export function caslDecide(abilities: ReadonlyMap<string, MongoAbility>, k: CaslCase): boolean {
  const c = k.source
  const rule = c.rule
  if (rule.access === 'public') return true
  if (c.principal.kind === 'anonymous') return false
  if (rule.access === 'authenticated') return true
  const ability = abilities.get(k.sub) ?? NO_ABILITY
  const and = rule.op === 'AND'
  for (const check of c.checks) {
    const ok = check.system ? ability.can(check.perm, 'system') : k.entity !== null && ability.can(check.perm, k.entity)
    if (ok !== and) return ok
  }
  return and
}
