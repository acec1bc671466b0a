// One concept: deciding one operation for one principal from compiled bitsets (rules, per-kind
// scopes, release-name lookups, conditions and the escalation guard over single and list grants),
// synchronous and allocation-light on the hot path.
import { isStrictRecord, NOT_PLAIN, resolveArgPath, resolveArgPathStrict, walkStrict } from '../operation/args.js'
import type { ExtractedOperation, OperationType, RootField } from '../operation/types.js'
import { orInto } from './bits.js'
import { NO_CONTEXT, type RequestContext } from './context.js'
import { cidrsContain } from '../config/cidr.js'
import { scopeOf } from './permissions.js'
import { DEFAULT_DECISIONS_PER_PRINCIPAL, type PrincipalMasks } from './principal.js'
import type { CompiledCondition, CompiledPolicy, CompiledRule, Combinator, EntityKind, GrantDef, GrantScope, KindMasks, Mask } from './types.js'

/** Why a field was allowed. */
export type AllowReason = 'public' | 'authenticated' | 'permission' | 'typename' | 'introspection'
/** Why a field was denied. */
export type DenyReason =
  | 'unauthenticated' // the field needs a principal and there is none
  | 'missing_permission' // the principal's roles do not hold what the rule requires
  | 'no_rule' // unknown root field: denied by default
  | 'invalid_scope' // a scope argument is no id (an object, a list, an empty string), two name different entities of a kind, or the deployment is not the workspace's
  | 'unknown_release' // a scope argument's release name names no deployment the bindings store knows
  | 'introspection_denied'
  | 'escalation' // the role the field grants is of another scope, holds more than the caller does there, or cannot be read for sure
  | 'invite_required' // public signups are off and no invite token was given
  | 'principal_kind' // the field is open to other kinds of principal (e.g. service accounts only)
  | 'ip_denied' // the client address is outside the field's allowed ranges
export type FieldReason = AllowReason | DenyReason

export interface EntityRef {
  readonly kind: EntityKind
  readonly id: string
}

export interface FieldDecision {
  readonly type: OperationType
  readonly field: string
  readonly alias: string | undefined
  readonly allowed: boolean
  readonly reason: FieldReason
  readonly required: readonly string[]
  readonly op: Combinator | undefined
  readonly scope: EntityRef | null
}

export interface Decision {
  readonly allowed: boolean
  /** `allowed`, or the reason of the denial (unauthenticated first: it answers 401). */
  readonly reason: 'allowed' | DenyReason
  readonly operationType: OperationType
  readonly operationName: string | undefined
  /** The denied fields (empty when allowed). */
  readonly denied: readonly FieldDecision[]
}

const NONE: readonly FieldDecision[] = Object.freeze([])
const ALLOWED: Readonly<Record<FieldReason, boolean>> = {
  public: true,
  authenticated: true,
  permission: true,
  typename: true,
  introspection: true,
  unauthenticated: false,
  missing_permission: false,
  no_rule: false,
  invalid_scope: false,
  unknown_release: false,
  introspection_denied: false,
  escalation: false,
  invite_required: false,
  principal_kind: false,
  ip_denied: false,
}

/** Scratch for the entities a field's scope resolved to, read right after each field's decision. */
interface Scratch {
  workspace: string | undefined
  deployment: string | undefined
  /** A release name the store does not know (reported as the denial's scope). */
  release: string | undefined
}
// Deciding is synchronous and never re-entrant, so one scratch serves every call.
const SCRATCH: Scratch = { workspace: undefined, deployment: undefined, release: undefined }

/**
 * Decides one operation for one principal: allowed only if every root field is allowed.
 * Synchronous and pure; allocates only to describe a denial.
 */
export function decide(
  policy: CompiledPolicy,
  pm: PrincipalMasks,
  op: ExtractedOperation,
  variables: Readonly<Record<string, unknown>> | undefined,
  ctx: RequestContext = NO_CONTEXT,
): Decision {
  let denied: FieldDecision[] | undefined
  let unauthenticated = false
  const fields = op.fields
  for (let i = 0; i < fields.length; i++) {
    const f = fields[i] as RootField
    const reason = decideField(policy, pm, op, f, variables, ctx, SCRATCH)
    if (ALLOWED[reason]) continue
    if (reason === 'unauthenticated') unauthenticated = true
    ;(denied ??= []).push(describe(policy, pm, op.type, f, reason, SCRATCH))
  }
  if (!denied) return { allowed: true, reason: 'allowed', operationType: op.type, operationName: op.name, denied: NONE }
  return {
    allowed: false,
    reason: unauthenticated ? 'unauthenticated' : (denied[0] as FieldDecision).reason as DenyReason,
    operationType: op.type,
    operationName: op.name,
    denied,
  }
}

/** Every root field with its decision, allowed or not (for `explain` and tests). */
export function decideFields(
  policy: CompiledPolicy,
  pm: PrincipalMasks,
  op: ExtractedOperation,
  variables: Readonly<Record<string, unknown>> | undefined,
  ctx: RequestContext = NO_CONTEXT,
): FieldDecision[] {
  return op.fields.map((f) => {
    const scratch: Scratch = { workspace: undefined, deployment: undefined, release: undefined }
    return describe(policy, pm, op.type, f, decideField(policy, pm, op, f, variables, ctx, scratch), scratch)
  })
}

function describe(policy: CompiledPolicy, pm: PrincipalMasks, type: OperationType, f: RootField, reason: FieldReason, s: Scratch): FieldDecision {
  const rule = policy.rulesByType[type].get(f.name)
  return {
    type,
    field: f.name,
    alias: f.alias,
    allowed: ALLOWED[reason],
    reason,
    required: rule?.permissions ?? [],
    op: rule?.access === 'permission' ? rule.op : undefined,
    scope: reportedScope(policy, pm, rule, reason, s),
  }
}

/**
 * The entity a decision reports (error bodies, the decision log): the one the field named; for a
 * rule naming a workspace and a deployment, the entity of the first scoped permission the caller
 * lacks (else the first named); an unknown release name as written; none for an invalid scope.
 */
function reportedScope(policy: CompiledPolicy, pm: PrincipalMasks, rule: CompiledRule | undefined, reason: FieldReason, s: Scratch): EntityRef | null {
  if (reason === 'invalid_scope') return null
  if (reason === 'unknown_release') return s.release === undefined ? null : { kind: 'deployment', id: s.release }
  const ws = s.workspace
  const dep = s.deployment
  if (ws === undefined) return dep === undefined ? null : { kind: 'deployment', id: dep }
  if (dep === undefined) return { kind: 'workspace', id: ws }
  return bothReported(policy, pm, rule, reason, ws, dep)
}

/** Kept apart so that the common case above stays small enough to inline. */
function bothReported(policy: CompiledPolicy, pm: PrincipalMasks, rule: CompiledRule | undefined, reason: FieldReason, ws: string, dep: string): EntityRef {
  if (reason === 'missing_permission' && rule !== undefined) {
    for (const p of rule.permissions) {
      const kind = scopeOf(p)
      if (kind !== 'workspace' && kind !== 'deployment') continue
      const id = kind === 'workspace' ? ws : dep
      const bit = policy.bitOf.get(p) as number
      const m = entityMask(pm, kind, id)
      const have = ((m === null ? 0 : (m[bit >>> 5] as number)) | (pm.global[bit >>> 5] as number)) >>> 0
      if ((have & (1 << (bit & 31))) === 0) return { kind, id }
    }
  }
  return rule?.scope[0]?.kind === 'deployment' ? { kind: 'deployment', id: dep } : { kind: 'workspace', id: ws }
}

function decideField(
  policy: CompiledPolicy,
  pm: PrincipalMasks,
  op: ExtractedOperation,
  f: RootField,
  variables: Readonly<Record<string, unknown>> | undefined,
  ctx: RequestContext,
  s: Scratch,
): FieldReason {
  s.workspace = undefined
  s.deployment = undefined
  s.release = undefined
  const anonymous = pm.principal.kind === 'anonymous'
  if (f.name.charCodeAt(0) === 95 /* _ */ && f.name.charCodeAt(1) === 95) {
    if (f.name === '__typename') return 'typename'
    if (f.name === '__schema' || f.name === '__type') {
      const mode = policy.introspection
      if (mode === 'public') return 'introspection'
      if (mode === 'denied') return 'introspection_denied'
      return anonymous ? 'unauthenticated' : 'introspection'
    }
  }
  const rule = policy.rulesByType[op.type].get(f.name)
  if (rule === undefined) return 'no_rule'
  const c = rule.condition
  if (c === undefined) {
    if (rule.access === 'public') return 'public'
    if (anonymous) return 'unauthenticated'
    if (rule.access === 'authenticated') return 'authenticated'
    if (!rule.scoped) return permits(pm, rule, undefined, null) ? 'permission' : 'missing_permission'
    const bad = resolveScope(pm, rule, f, variables, op.variableDefaults, s)
    if (bad !== undefined) return bad
    return holds(pm, rule, s.workspace, s.deployment) ? 'permission' : 'missing_permission'
  }

  // A rule with conditions: the rule first, then every condition must hold.
  if (c.ipAllow !== undefined && !cidrsContain(c.ipAllow, ctx.clientIp)) return 'ip_denied'
  let reason: FieldReason
  if (rule.access === 'public') reason = 'public'
  else if (anonymous) return 'unauthenticated'
  else if (rule.access === 'authenticated') reason = 'authenticated'
  else {
    // the scope is resolved even when only system permissions are required: a grant may need it
    const bad = rule.scope.length === 0 ? undefined : resolveScope(pm, rule, f, variables, op.variableDefaults, s)
    if (bad !== undefined) return bad
    const ok = rule.scoped ? holds(pm, rule, s.workspace, s.deployment) : permits(pm, rule, undefined, null)
    if (!ok) return 'missing_permission'
    reason = 'permission'
  }
  return conditionFails(policy, pm, op, f, variables, c, s) ?? reason
}

/** The first condition that does not hold, or undefined when all do. */
function conditionFails(
  policy: CompiledPolicy,
  pm: PrincipalMasks,
  op: ExtractedOperation,
  f: RootField,
  variables: Readonly<Record<string, unknown>> | undefined,
  c: CompiledCondition,
  s: Scratch,
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
      if (!(g.each === undefined ? grantWithin(policy, pm, op, f, variables, g, s) : eachWithin(policy, pm, op, f, variables, g, g.each))) return 'escalation'
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
  op: ExtractedOperation,
  f: RootField,
  variables: Readonly<Record<string, unknown>> | undefined,
  g: GrantDef,
  s: Scratch,
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
  return callerHolds(pm, grant.mask, scope, id)
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
  op: ExtractedOperation,
  f: RootField,
  variables: Readonly<Record<string, unknown>> | undefined,
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
    if (!callerHolds(pm, grant.mask, scope, id)) return false
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

/** Whether the caller holds all of `want` at the scope: system and global masks, plus the entity's. */
function callerHolds(pm: PrincipalMasks, want: Mask, scope: GrantScope, id: string | null): boolean {
  const entity = id === null || scope === 'system' ? undefined : scope === 'workspace' ? pm.workspaces.get(id) : (deploymentMask(pm, id) ?? undefined)
  const cascaded = id !== null && scope === 'workspace' ? pm.cascaded.get(id) : undefined
  for (let i = 0; i < want.length; i++) {
    const w = want[i] as number
    if (w === 0) continue
    const have = (pm.system[i] as number) | (pm.global[i] as number) | (entity ? (entity[i] as number) : 0) | (cascaded ? (cascaded[i] as number) : 0)
    if ((have & w) >>> 0 !== w >>> 0) return false
  }
  return true
}

/** An entity id as a scope or grant argument may give it: a non-empty string or a safe integer; else null. */
function idOf(v: unknown): string | null {
  if (typeof v === 'string') return v === '' ? null : v
  if (typeof v === 'number' && Number.isSafeInteger(v)) return String(v)
  return null
}

/**
 * Whether the principal holds what a permission rule requires, with scoped permissions
 * checked on the entity (kind, id); `id` null: no entity named, scoped permissions fail. For a
 * rule naming both kinds, the entity counts for the permissions of its kind only.
 */
export function permits(pm: PrincipalMasks, rule: CompiledRule, kind: EntityKind | undefined, id: string | null): boolean {
  if (rule.byKind !== undefined) {
    return permitsAt(pm, rule, kind === 'workspace' ? id : null, kind === 'deployment' ? id : null)
  }
  if (id === null) return passes(rule, pm.system, undefined, undefined)
  const entity = kind === 'workspace' ? pm.workspaces.get(id) : deploymentMask(pm, id)
  return passes(rule, pm.system, entity ?? undefined, pm.global)
}

/**
 * The same with a workspace and a deployment named (null: none): a rule naming one kind checks
 * every scoped permission on the entity of that kind (the workspace when both are given); a rule
 * naming both checks workspace.* on the workspace and deployment.* on the deployment.
 */
export function permitsAt(pm: PrincipalMasks, rule: CompiledRule, workspace: string | null, deployment: string | null): boolean {
  return holds(pm, rule, workspace ?? undefined, deployment ?? undefined)
}

function holds(pm: PrincipalMasks, rule: CompiledRule, ws: string | undefined, dep: string | undefined): boolean {
  const k = rule.byKind
  if (k === undefined) {
    if (ws !== undefined) return passes(rule, pm.system, pm.workspaces.get(ws), pm.global)
    if (dep !== undefined) return passes(rule, pm.system, deploymentMask(pm, dep) ?? undefined, pm.global)
    return passes(rule, pm.system, undefined, undefined)
  }
  return passesByKind(
    rule.op,
    k,
    pm,
    ws === undefined ? undefined : (pm.workspaces.get(ws) ?? null),
    dep === undefined ? undefined : deploymentMask(pm, dep),
  )
}

function entityMask(pm: PrincipalMasks, kind: EntityKind, id: string): Mask | null {
  return kind === 'workspace' ? (pm.workspaces.get(id) ?? null) : deploymentMask(pm, id)
}

/** What the principal holds on deployment `id`: bound there, or cascaded from its workspace. */
function deploymentMask(pm: PrincipalMasks, id: string): Mask | null {
  const known = pm.resolvedDeployments.get(id)
  if (known !== undefined) return known
  const direct = pm.deployments.get(id)
  const ws = pm.parentOf.get(id)
  const cascaded = ws === undefined ? undefined : pm.cascaded.get(ws)
  let m: Mask | null = direct ?? cascaded ?? null
  if (direct !== undefined && cascaded !== undefined) {
    m = Uint32Array.from(direct)
    orInto(m, cascaded)
  }
  if (pm.resolvedDeployments.size >= DEFAULT_DECISIONS_PER_PRINCIPAL) pm.resolvedDeployments.clear()
  pm.resolvedDeployments.set(id, m)
  return m
}

/**
 * The entities a field's scope arguments name, per kind, into `s`; undefined when they do, else
 * the reason to deny. Null and absent arguments are skipped; every present argument of a kind must
 * name the same entity (an upstream could act on either); a value that is no id is
 * invalid_scope, a release name the store does not know unknown_release; with a workspace and a
 * deployment named, the deployment must be the workspace's: deny on doubt rather than guess.
 */
function resolveScope(
  pm: PrincipalMasks,
  rule: CompiledRule,
  f: RootField,
  variables: Readonly<Record<string, unknown>> | undefined,
  defaults: Readonly<Record<string, unknown>>,
  s: Scratch,
): 'invalid_scope' | 'unknown_release' | undefined {
  const args = rule.scope
  for (let i = 0; i < args.length; i++) {
    const arg = args[i] as CompiledRule['scope'][number]
    const v = resolveArgPath(f, arg.path, variables, defaults)
    if (v === undefined || v === null) continue
    let id: string | null
    if (arg.lookup === 'releaseName') {
      if (typeof v !== 'string' || v === '') return 'invalid_scope'
      id = pm.releases.deploymentByReleaseName(v) ?? null
      if (id === null) {
        s.release = v
        return 'unknown_release'
      }
    } else {
      id = idOf(v)
      if (id === null) return 'invalid_scope'
    }
    if (arg.kind === 'workspace') {
      if (s.workspace !== undefined && s.workspace !== id) return 'invalid_scope'
      s.workspace = id
    } else {
      if (s.deployment !== undefined && s.deployment !== id) return 'invalid_scope'
      s.deployment = id
    }
  }
  if (s.workspace !== undefined && s.deployment !== undefined && pm.parentOf.get(s.deployment) !== s.workspace) return 'invalid_scope'
  return undefined
}

/**
 * A rule naming both kinds, in one pass over the words: system bits from the system mask,
 * workspace bits from the workspace's mask and `global` (only with a workspace named), deployment
 * bits likewise. `ws`/`dep`: undefined when not named, null when named with nothing bound there.
 */
function passesByKind(op: Combinator, k: KindMasks, pm: PrincipalMasks, ws: Mask | null | undefined, dep: Mask | null | undefined): boolean {
  const and = op === 'AND'
  if (and && k.unscoped) return false
  const sys = pm.system
  const g = pm.global
  const w = ws !== undefined
  const d = dep !== undefined
  for (let i = 0; i < sys.length; i++) {
    const rs = k.system[i] as number
    const rw = k.workspace[i] as number
    const rd = k.deployment[i] as number
    if ((rs | rw | rd) === 0) continue
    const gi = g[i] as number
    const hs = ((sys[i] as number) & rs) >>> 0
    const hw = w ? ((((ws ? (ws[i] as number) : 0) | gi) & rw) >>> 0) : 0
    const hd = d ? ((((dep ? (dep[i] as number) : 0) | gi) & rd) >>> 0) : 0
    if (and) {
      if (hs !== rs || hw !== rw || hd !== rd) return false
    } else if ((hs | hw | hd) !== 0) {
      return true
    }
  }
  return and
}

/** One pass over the words: system bits from `sys`, scoped bits from the entity's mask and `g`. */
function passes(rule: CompiledRule, sys: Mask, a: Mask | undefined, g: Mask | undefined): boolean {
  const req = rule.required
  const and = rule.op === 'AND'
  for (let i = 0; i < req.length; i++) {
    const r = req[i] as number
    if (r === 0) continue
    const have = (sys[i] as number) | (a ? (a[i] as number) : 0) | (g ? (g[i] as number) : 0)
    if (and) {
      if ((have & r) >>> 0 !== r) return false
    } else if ((have & r) !== 0) {
      return true
    }
  }
  return and
}
