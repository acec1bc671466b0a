import { NOT_PLAIN, resolveArgPath, resolveArgPathStrict } from '../operation/args.js'
import type { ExtractedOperation, OperationType, RootField } from '../operation/types.js'
import { orInto } from './bits.js'
import { NO_CONTEXT, type RequestContext } from './context.js'
import { cidrsContain } from './ip.js'
import { DEFAULT_DECISIONS_PER_PRINCIPAL, type PrincipalMasks } from './principal.js'
import type { CompiledCondition, CompiledPolicy, CompiledRule, Combinator, EntityKind, GrantDef, GrantScope, Mask } from './types.js'

/** Why a field was allowed. */
export type AllowReason = 'public' | 'authenticated' | 'permission' | 'typename' | 'introspection'
/** Why a field was denied. */
export type DenyReason =
  | 'unauthenticated' // the field needs a principal and there is none
  | 'missing_permission' // the principal's roles do not hold what the rule requires
  | 'no_rule' // unknown root field: denied by default
  | 'invalid_scope' // the scope argument is not an id (an object, a list, an empty string)
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
  introspection_denied: false,
  escalation: false,
  invite_required: false,
  principal_kind: false,
  ip_denied: false,
}

/** Scratch for the entity a field's scope resolved to, read right after each field's decision. */
interface Scratch {
  kind: EntityKind | undefined
  id: string | undefined
}
// Deciding is synchronous and never re-entrant, so one scratch serves every call.
const SCRATCH: Scratch = { kind: undefined, id: undefined }

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
    ;(denied ??= []).push(describe(policy, op.type, f, reason, SCRATCH))
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
    const scratch: Scratch = { kind: undefined, id: undefined }
    return describe(policy, op.type, f, decideField(policy, pm, op, f, variables, ctx, scratch), scratch)
  })
}

function describe(policy: CompiledPolicy, type: OperationType, f: RootField, reason: FieldReason, s: Scratch): FieldDecision {
  const rule = policy.rulesByType[type].get(f.name)
  return {
    type,
    field: f.name,
    alias: f.alias,
    allowed: ALLOWED[reason],
    reason,
    required: rule?.permissions ?? [],
    op: rule?.access === 'permission' ? rule.op : undefined,
    scope: s.kind !== undefined && s.id !== undefined ? { kind: s.kind, id: s.id } : null,
  }
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
  s.kind = undefined
  s.id = undefined
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
    const id = resolveScope(rule, f, variables, op.variableDefaults, s)
    if (id === INVALID) return 'invalid_scope'
    return permits(pm, rule, s.kind, id) ? 'permission' : 'missing_permission'
  }

  // A rule with conditions: the rule first, then every condition must hold.
  if (c.ipAllow !== undefined && !cidrsContain(c.ipAllow, ctx.clientIp)) return 'ip_denied'
  let reason: FieldReason
  if (rule.access === 'public') reason = 'public'
  else if (anonymous) return 'unauthenticated'
  else if (rule.access === 'authenticated') reason = 'authenticated'
  else {
    // the scope is resolved even when only system permissions are required: a grant may need it
    const id = rule.scope.length === 0 ? null : resolveScope(rule, f, variables, op.variableDefaults, s)
    if (id === INVALID) return 'invalid_scope'
    if (!permits(pm, rule, rule.scoped ? s.kind : undefined, rule.scoped ? id : null)) return 'missing_permission'
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
  if (c.grants !== undefined && !grantWithin(policy, pm, op, f, variables, c.grants, s)) return 'escalation'
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
  let role = resolveArgPathStrict(f, g.role, variables, defaults)
  if (role === NOT_PLAIN) return false
  if (role === undefined || role === null) {
    if (g.optional) return true
    if (g.default === undefined) return false
    role = g.default
  }
  if (typeof role !== 'string') return false
  const grant = policy.grantable.get(role)
  if (grant === undefined) return false

  let scope: GrantScope | undefined = g.scope
  if (g.scopeFrom !== undefined) {
    const v = resolveArgPathStrict(f, g.scopeFrom.arg, variables, defaults)
    scope = typeof v === 'string' ? g.scopeFrom.values.get(v) : undefined
  } else if (scope === undefined) {
    scope = s.kind
  }
  if (scope === undefined || grant.scope !== scope) return false

  let id: string | null = null
  if (scope !== 'system') {
    if (g.entity !== undefined) {
      const v = resolveArgPathStrict(f, g.entity, variables, defaults)
      if (typeof v === 'string' && v !== '') id = v
      else if (typeof v === 'number' && Number.isSafeInteger(v)) id = String(v)
      else if (v !== undefined && v !== null) return false
    } else if (s.kind === scope) {
      id = s.id ?? null
    }
  }
  // The caller's own set at that scope: system and global masks, plus the entity's.
  const entity = id === null ? undefined : scope === 'workspace' ? pm.workspaces.get(id) : (deploymentMask(pm, id) ?? undefined)
  const cascaded = id !== null && scope === 'workspace' ? pm.cascaded.get(id) : undefined
  const want = grant.mask
  for (let i = 0; i < want.length; i++) {
    const w = want[i] as number
    if (w === 0) continue
    const have = (pm.system[i] as number) | (pm.global[i] as number) | (entity ? (entity[i] as number) : 0) | (cascaded ? (cascaded[i] as number) : 0)
    if ((have & w) >>> 0 !== w >>> 0) return false
  }
  return true
}

/**
 * Whether the principal holds what a permission rule requires, with scoped permissions
 * checked on the entity (kind, id); `id` null: no entity named, scoped permissions fail.
 */
export function permits(pm: PrincipalMasks, rule: CompiledRule, kind: EntityKind | undefined, id: string | null): boolean {
  if (id === null) return passes(rule, pm.system, undefined, undefined)
  const entity = kind === 'workspace' ? pm.workspaces.get(id) : deploymentMask(pm, id)
  return passes(rule, pm.system, entity ?? undefined, pm.global)
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

const INVALID = Symbol('invalid scope')

/**
 * The first scope argument present names the entity; null and absent arguments are skipped.
 * Returns the entity id (its kind in `s`), null when none is named, INVALID when the value is
 * no id: deny on doubt rather than guess.
 */
function resolveScope(
  rule: CompiledRule,
  f: RootField,
  variables: Readonly<Record<string, unknown>> | undefined,
  defaults: Readonly<Record<string, unknown>>,
  s: Scratch,
): string | null | typeof INVALID {
  for (const arg of rule.scope) {
    const v = resolveArgPath(f, arg.path, variables, defaults)
    if (v === undefined || v === null) continue
    let id: string
    if (typeof v === 'string' && v !== '') id = v
    else if (typeof v === 'number' && Number.isSafeInteger(v)) id = String(v)
    else return INVALID
    s.kind = arg.kind
    s.id = id
    return id
  }
  return null
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
