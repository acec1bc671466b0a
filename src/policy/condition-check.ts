// Condition evaluation: what a rule's conditions add once its access check passed (principal
// kinds, invite tokens, and the escalation guard over the roles an operation grants).
import { isStrictRecord, NOT_PLAIN, resolveArgPath, resolveArgPathStrict, walkStrict } from './args.js'
import type { DenyReason } from './decide.js'
import { callerHolds, type DeploymentMasks } from './holds.js'
import type { ExtractedOperation, RootField } from './operation.js'
import type { PrincipalMasks } from './principal.js'
import { idOf, type ResolvedScope } from './scope.js'
import type { CompiledCondition, CompiledPolicy, GrantDef, GrantScope, Mask } from './types.js'

type Variables = Readonly<Record<string, unknown>> | undefined

/** The first condition that does not hold, or undefined when all do. */
export function conditionFails(
  policy: CompiledPolicy,
  pm: PrincipalMasks,
  dm: DeploymentMasks,
  op: ExtractedOperation,
  f: RootField,
  variables: Variables,
  c: CompiledCondition,
  s: ResolvedScope,
): DenyReason | undefined {
  const kind = pm.principal.kind
  if (c.principals !== undefined) {
    if (kind === 'anonymous') return 'unauthenticated'
    if (!c.principals.has(kind)) return 'principal_kind'
  }
  if (c.invite !== undefined) {
    const token = resolveArgPath(f, c.invite, variables, op.variableDefaults)
    if (typeof token !== 'string' || token.trim() === '') return 'invite_required'
  }
  const grants = c.grants
  if (grants !== undefined) {
    for (let i = 0; i < grants.length; i++) {
      const g = grants[i] as GrantDef
      if (!(g.each === undefined ? grantWithin(policy, pm, dm, op, f, variables, g, s) : eachWithin(policy, pm, dm, op, f, variables, g, g.each))) return 'escalation'
    }
  }
  return undefined
}

/**
 * The escalation guard: the role the field grants must be one of its scope's roles, and what
 * granting it gives (the role's permissions and those of its cascade) must all be held by the
 * caller at that scope: one bitset test against the caller's own mask there. Its arguments are
 * read strictly: a payload that is a JSON string, a list, or an object with a `__proto__`,
 * `constructor` or `prototype` key holds no own `role`, yet a resolver that parses or merges it
 * may find one: denied, not taken for "no role".
 */
function grantWithin(
  policy: CompiledPolicy,
  pm: PrincipalMasks,
  dm: DeploymentMasks,
  op: ExtractedOperation,
  f: RootField,
  variables: Variables,
  g: GrantDef,
  s: ResolvedScope,
): boolean {
  const defaults = op.variableDefaults
  const grant = grantedRole(policy, g, resolveArgPathStrict(f, g.role, variables, defaults))
  if (grant === undefined) return false
  if (grant === null) return true

  let scope: GrantScope | undefined = g.scope
  if (g.scopeFrom !== undefined) {
    const v = resolveArgPathStrict(f, g.scopeFrom.arg, variables, defaults)
    scope = typeof v === 'string' ? g.scopeFrom.values.get(v) : undefined
  } else if (scope === undefined) {
    scope = s.workspace !== undefined ? 'workspace' : s.deployment !== undefined ? 'deployment' : undefined
  }
  if (scope === undefined || grant.scope !== scope) return false

  let id: string | null = null
  if (scope !== 'system') {
    if (g.entity !== undefined) {
      const v = resolveArgPathStrict(f, g.entity, variables, defaults)
      id = idOf(v)
      if (id === null && v !== undefined && v !== null) return false
    } else {
      id = (scope === 'workspace' ? s.workspace : s.deployment) ?? null
    }
  }
  return callerHolds(pm, dm, grant.mask, scope, id)
}

/**
 * The escalation guard over a list argument (`workspaceAddTeam(deploymentRoles: [{ deploymentId,
 * role }])`): every element is a grant of its own, guarded at its own entity. The list and its
 * elements are read as strictly as a payload: anything but a list of plain objects is denied; an
 * absent or null list grants nothing, nor does an empty one. With `within`, every element's
 * deployment must be one of that workspace's (an operation on one workspace must not grant roles
 * on another's deployments).
 */
function eachWithin(
  policy: CompiledPolicy,
  pm: PrincipalMasks,
  dm: DeploymentMasks,
  op: ExtractedOperation,
  f: RootField,
  variables: Variables,
  g: GrantDef,
  each: readonly string[],
): boolean {
  const defaults = op.variableDefaults
  const list = resolveArgPathStrict(f, each, variables, defaults)
  if (list === undefined || list === null) return true
  if (!Array.isArray(list)) return false
  if (list.length === 0) return true
  let workspace: string | null = null
  if (g.within !== undefined) {
    workspace = idOf(resolveArgPathStrict(f, g.within, variables, defaults))
    if (workspace === null) return false
  }
  const scope = g.scope as GrantScope
  for (let i = 0; i < list.length; i++) {
    const el: unknown = list[i]
    if (!isStrictRecord(el)) return false
    const grant = grantedRole(policy, g, walkStrict(el, g.role))
    if (grant === undefined) return false
    if (grant === null) continue
    if (grant.scope !== scope) return false
    let id: string | null = null
    if (scope !== 'system') {
      id = idOf(walkStrict(el, g.entity as readonly string[]))
      if (id === null) return false
      if (workspace !== null && pm.parentOf.get(id) !== workspace) return false
    }
    if (!callerHolds(pm, dm, grant.mask, scope, id)) return false
  }
  return true
}

/**
 * The role a grant's role value names: what granting it gives, null when nothing is granted (an
 * optional role left out), undefined when it must be denied (not a role of roleScopes, not read
 * for sure, absent without a default).
 */
function grantedRole(policy: CompiledPolicy, g: GrantDef, v: unknown): { readonly scope: GrantScope; readonly mask: Mask } | null | undefined {
  if (v === NOT_PLAIN) return undefined
  let role = v
  if (role === undefined || role === null) {
    if (g.optional) return null
    if (g.default === undefined) return undefined
    role = g.default
  }
  return typeof role === 'string' ? policy.grantable.get(role) : undefined
}
