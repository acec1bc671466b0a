import { PermgateError, type Warning } from '../errors.js'
import { maskOf, orInto, wordsFor } from './bits.js'
import { scopeOf, validatePermissionName } from './permissions.js'
import { compileCidrs } from '../config/cidr.js'
import type { CompiledCondition, CompiledPolicy, CompiledRole, CompiledRule, ConditionDef, EntityKind, GrantScope, KindMasks, Mask, PolicySource, RoleDef } from './types.js'

/**
 * Validates a policy and compiles it: permission -> bit, role -> bitset with inheritance and
 * overrides applied, rule -> required mask. Everything a decision needs is prepared here.
 */
export function compilePolicy(src: PolicySource): CompiledPolicy {
  const warnings: Warning[] = []
  const known = new Set([...src.basePermissions, ...src.declaredPermissions])
  for (const p of src.declaredPermissions) validatePermissionName(p, src.scopes, src.legacyPermissions, src.manifestPlace)

  for (const role of src.roles.values()) {
    for (const p of role.permissions.keys()) {
      const place = role.placeOfPermission(p)
      validatePermissionName(p, src.scopes, src.legacyPermissions, place)
      if (!known.has(p)) {
        throw new PermgateError(
          'PERMGATE_ERR_POLICY_UNKNOWN_PERMISSION',
          `role ${role.id} names unknown permission "${p}": no base role grants it; ` +
            `declare it under permissions.declared in policy.yaml if it is new`,
          place,
        )
      }
    }
  }

  const permissions = [...known].sort()
  const bitOf = new Map(permissions.map((p, i) => [p, i]))
  const words = wordsFor(permissions.length)
  const effective = resolveInheritance(src.roles)

  const roles = new Map<string, CompiledRole>()
  for (const [id, def] of src.roles) {
    const perms = [...(effective.get(id) as Set<string>)].sort()
    roles.set(id, {
      id,
      name: def.name,
      mask: maskOf(words, perms.map((p) => bitOf.get(p) as number)),
      permissions: perms,
      direct: new Set([...def.permissions].filter(([, g]) => g).map(([p]) => p)),
      inherits: def.inherits,
      overriddenBy: def.overriddenBy,
    })
  }

  for (const r of src.syntheticRoles) {
    if (!roles.has(r)) throw new PermgateError('PERMGATE_ERR_POLICY_UNKNOWN_ROLE', `syntheticRoles names unknown role ${r}`, src.manifestPlace)
  }
  const cascade = new Map<string, string>()
  for (const c of src.cascades) {
    for (const [from, to] of c.roles) {
      for (const r of [from, to]) {
        if (!roles.has(r)) throw new PermgateError('PERMGATE_ERR_POLICY_UNKNOWN_ROLE', `cascade names unknown role ${r}`, c.place)
      }
      cascade.set(from, to)
    }
  }

  const grantable = new Map<string, { scope: GrantScope; mask: Mask }>()
  for (const [id, scope] of src.roleScopes) {
    const role = roles.get(id)
    if (!role) throw new PermgateError('PERMGATE_ERR_POLICY_UNKNOWN_ROLE', `roleScopes names unknown role ${id}`, src.manifestPlace)
    const mask = Uint32Array.from(role.mask)
    const to = cascade.get(id)
    if (to !== undefined) orInto(mask, (roles.get(to) as CompiledRole).mask)
    grantable.set(id, { scope, mask })
  }
  const conditionOf = new Map<string, ConditionDef>()
  for (const c of src.conditions) conditionOf.set(c.key, c)

  const granted = new Set<string>()
  for (const r of roles.values()) for (const p of r.permissions) granted.add(p)
  const rules = new Map<string, CompiledRule>()
  const rulesByType = { Query: new Map<string, CompiledRule>(), Mutation: new Map<string, CompiledRule>(), Subscription: new Map<string, CompiledRule>() }
  const placeOfRule = new Map<string, string>()
  for (const def of src.rules) {
    const key = `${def.type}.${def.field}`
    const where = `${def.place.file ?? ''}:${def.place.line ?? '?'}`
    if (rules.has(key)) {
      throw new PermgateError('PERMGATE_ERR_POLICY_DUPLICATE_RULE', `a second rule for ${key} (the first is at ${placeOfRule.get(key)})`, def.place)
    }
    placeOfRule.set(key, where)
    for (const p of def.permissions) {
      validatePermissionName(p, src.scopes, src.legacyPermissions, def.place)
      if (!known.has(p)) {
        throw new PermgateError('PERMGATE_ERR_POLICY_UNKNOWN_PERMISSION', `rule ${key} requires unknown permission "${p}"`, def.place)
      }
      if (!granted.has(p)) {
        warnings.push({
          code: 'PERMGATE_WARN_PERMISSION_UNGRANTED',
          message: `rule ${key} requires ${p}, which no role grants`,
          place: def.place,
        })
      }
    }
    const scoped = def.permissions.some((p) => scopeOf(p) !== 'system')
    if (scoped && def.scope.length === 0) {
      warnings.push({
        code: 'PERMGATE_WARN_RULE_WITHOUT_SCOPE',
        message: `rule ${key} requires a scoped permission but names no scope argument; that permission can never pass`,
        place: def.place,
      })
    }
    const kinds = new Set(def.scope.map((a) => a.kind))
    const cond = conditionOf.get(key)
    const compiled: CompiledRule = {
      key,
      type: def.type,
      field: def.field,
      access: def.access,
      op: def.op,
      permissions: def.permissions,
      required: maskOf(words, def.permissions.map((p) => bitOf.get(p) as number)),
      scoped,
      scope: def.scope,
      byKind: kinds.size > 1 ? kindMasks(def.permissions, words, bitOf) : undefined,
      condition: cond === undefined ? undefined : compileCondition(cond, kinds, src),
    }
    conditionOf.delete(key)
    rules.set(key, compiled)
    rulesByType[def.type].set(def.field, compiled)
  }

  for (const c of conditionOf.values()) {
    throw new PermgateError('PERMGATE_ERR_POLICY_CONDITION', `a condition on ${c.key}, which has no rule`, c.place)
  }
  const ipRules = [...rules.values()].some((r) => r.condition?.ipAllow !== undefined)

  return {
    name: src.name,
    revision: src.revision,
    words,
    permissions,
    bitOf,
    systemScope: 'system',
    systemBits: maskOf(words, permissions.flatMap((p, i) => (scopeOf(p) === 'system' ? [i] : []))),
    roles,
    syntheticRoles: src.syntheticRoles,
    cascade,
    rules,
    rulesByType,
    introspection: src.introspection,
    grantable,
    ipAllow: src.ipAllow.length === 0 ? undefined : compileCidrs(src.ipAllow, 'PERMGATE_ERR_POLICY_SHAPE', src.manifestPlace),
    ipRules,
    warnings,
    source: src,
  }
}

/** The required bits of a rule by permission prefix, for a rule whose scope names both kinds. */
function kindMasks(permissions: readonly string[], words: number, bitOf: ReadonlyMap<string, number>): KindMasks {
  const of = (kind: string): Mask => maskOf(words, permissions.filter((p) => scopeOf(p) === kind).map((p) => bitOf.get(p) as number))
  const unscoped = permissions.some((p) => !['system', 'workspace', 'deployment'].includes(scopeOf(p)))
  return { system: of('system'), workspace: of('workspace'), deployment: of('deployment'), unscoped }
}

function compileCondition(c: ConditionDef, kinds: ReadonlySet<EntityKind>, src: PolicySource): CompiledCondition {
  const fail = (msg: string): never => {
    throw new PermgateError('PERMGATE_ERR_POLICY_CONDITION', `${c.key}: ${msg}`, c.place)
  }
  for (const g of c.grants ?? []) {
    if (src.roleScopes.size === 0) fail('grants needs roleScopes in policy.yaml (the roles each scope may grant)')
    if (g.default !== undefined && !src.roleScopes.has(g.default)) fail(`grants.default ${g.default} is not a role listed under roleScopes`)
    if (g.scope === undefined && g.scopeFrom === undefined) {
      if (kinds.size === 0) fail('grants names no scope: give grants.scope or grants.scopeFrom, or scope arguments on the rule')
      // the rule's entity is the grant's scope only when there is one kind of it
      if (kinds.size > 1) fail('the rule names a workspace and a deployment: give grants.scope (workspace or deployment)')
    }
    if (g.scope === 'system' && g.entity !== undefined) fail('a system grant names no entity')
  }
  return {
    grants: c.grants,
    invite: src.publicSignups ? undefined : c.invite,
    principals: c.principals,
    ipAllow: c.ipAllow === undefined ? undefined : compileCidrs(c.ipAllow, 'PERMGATE_ERR_POLICY_CONDITION', c.place),
  }
}

/** effective(R) = union of effective(inherited) and R's grants, minus R's revocations. */
function resolveInheritance(defs: ReadonlyMap<string, RoleDef>): Map<string, Set<string>> {
  const done = new Map<string, Set<string>>()
  const visiting: string[] = []
  const visit = (id: string, from: RoleDef | undefined): Set<string> => {
    const cached = done.get(id)
    if (cached) return cached
    const def = defs.get(id)
    if (!def) {
      throw new PermgateError('PERMGATE_ERR_POLICY_UNKNOWN_ROLE', `role ${from?.id ?? '?'} inherits unknown role ${id}`, from?.place ?? {})
    }
    const at = visiting.indexOf(id)
    if (at >= 0) {
      throw new PermgateError('PERMGATE_ERR_POLICY_INHERITANCE_CYCLE', `inheritance cycle: ${[...visiting.slice(at), id].join(' -> ')}`, def.place)
    }
    visiting.push(id)
    const set = new Set<string>()
    for (const parent of def.inherits) for (const p of visit(parent, def)) set.add(p)
    for (const [p, granted] of def.permissions) {
      if (granted) set.add(p)
      else set.delete(p)
    }
    visiting.pop()
    done.set(id, set)
    return set
  }
  for (const id of defs.keys()) visit(id, undefined)
  return done
}
