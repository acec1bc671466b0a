// The decision loop: one operation for one principal, field by field, from compiled bitsets (the
// rule, its scope, its conditions), and the decision it returns. Synchronous, allocation-light on
// the hot path, and pure: it reads the policy, the masks and the request, and writes nothing but
// its own scratch. What the principal holds is in ./holds.ts, scopes in ./scope.ts, conditions in
// ./condition-check.ts.
import { cidrsContain } from '../config/cidr.js'
import { conditionFails } from './condition-check.js'
import { NO_CONTEXT, type RequestContext } from './context.js'
import { entityMask, holds, permits, UNCACHED, type DeploymentMasks } from './holds.js'
import type { ExtractedOperation, OperationType, RootField } from './operation.js'
import { scopeOf } from './permissions.js'
import type { PrincipalMasks } from './principal.js'
import { clearScope, emptyScope, resolveScope, type ResolvedScope } from './scope.js'
import type { CompiledPolicy, CompiledRule, Combinator, EntityKind } from './types.js'

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

// Deciding is synchronous and never re-entrant, so one scratch serves every call.
const SCRATCH: ResolvedScope = emptyScope()

/**
 * Decides one operation for one principal: allowed only if every root field is allowed.
 * Synchronous and pure; allocates only to describe a denial. `dm` answers what the principal
 * holds on a deployment (the Authorizer passes its per-principal cache of the answers).
 */
export function decide(
  policy: CompiledPolicy,
  pm: PrincipalMasks,
  op: ExtractedOperation,
  variables: Readonly<Record<string, unknown>> | undefined,
  ctx: RequestContext = NO_CONTEXT,
  dm: DeploymentMasks = UNCACHED,
): Decision {
  let denied: FieldDecision[] | undefined
  let unauthenticated = false
  const fields = op.fields
  for (let i = 0; i < fields.length; i++) {
    const f = fields[i] as RootField
    const reason = decideField(policy, pm, dm, op, f, variables, ctx, SCRATCH)
    if (ALLOWED[reason]) continue
    if (reason === 'unauthenticated') unauthenticated = true
    ;(denied ??= []).push(describe(policy, pm, dm, op.type, f, reason, SCRATCH))
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
  dm: DeploymentMasks = UNCACHED,
): FieldDecision[] {
  return op.fields.map((f) => {
    const scope = emptyScope()
    return describe(policy, pm, dm, op.type, f, decideField(policy, pm, dm, op, f, variables, ctx, scope), scope)
  })
}

function describe(policy: CompiledPolicy, pm: PrincipalMasks, dm: DeploymentMasks, type: OperationType, f: RootField, reason: FieldReason, s: ResolvedScope): FieldDecision {
  const rule = policy.rulesByType[type].get(f.name)
  return {
    type,
    field: f.name,
    alias: f.alias,
    allowed: ALLOWED[reason],
    reason,
    required: rule?.permissions ?? [],
    op: rule?.access === 'permission' ? rule.op : undefined,
    scope: reportedScope(policy, pm, dm, rule, reason, s),
  }
}

/**
 * The entity a decision reports (error bodies, the decision log): the one the field named; for a
 * rule naming a workspace and a deployment, the entity of the first scoped permission the caller
 * lacks (else the first named); an unknown release name as written; none for an invalid scope.
 */
function reportedScope(policy: CompiledPolicy, pm: PrincipalMasks, dm: DeploymentMasks, rule: CompiledRule | undefined, reason: FieldReason, s: ResolvedScope): EntityRef | null {
  if (reason === 'invalid_scope') return null
  if (reason === 'unknown_release') return s.release === undefined ? null : { kind: 'deployment', id: s.release }
  const ws = s.workspace
  const dep = s.deployment
  if (ws === undefined) return dep === undefined ? null : { kind: 'deployment', id: dep }
  if (dep === undefined) return { kind: 'workspace', id: ws }
  return bothReported(policy, pm, dm, rule, reason, ws, dep)
}

/** Kept apart so that the common case above stays small enough to inline. */
function bothReported(policy: CompiledPolicy, pm: PrincipalMasks, dm: DeploymentMasks, rule: CompiledRule | undefined, reason: FieldReason, ws: string, dep: string): EntityRef {
  if (reason === 'missing_permission' && rule !== undefined) {
    for (const p of rule.permissions) {
      const kind = scopeOf(p)
      if (kind !== 'workspace' && kind !== 'deployment') continue
      const id = kind === 'workspace' ? ws : dep
      const bit = policy.bitOf.get(p) as number
      const m = entityMask(pm, dm, kind, id)
      const have = ((m === null ? 0 : (m[bit >>> 5] as number)) | (pm.global[bit >>> 5] as number)) >>> 0
      if ((have & (1 << (bit & 31))) === 0) return { kind, id }
    }
  }
  return rule?.scope[0]?.kind === 'deployment' ? { kind: 'deployment', id: dep } : { kind: 'workspace', id: ws }
}

function decideField(
  policy: CompiledPolicy,
  pm: PrincipalMasks,
  dm: DeploymentMasks,
  op: ExtractedOperation,
  f: RootField,
  variables: Readonly<Record<string, unknown>> | undefined,
  ctx: RequestContext,
  s: ResolvedScope,
): FieldReason {
  clearScope(s)
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
    if (!rule.scoped) return permits(pm, rule, undefined, null, dm) ? 'permission' : 'missing_permission'
    const bad = resolveScope(pm, rule, f, variables, op.variableDefaults, s)
    if (bad !== undefined) return bad
    return holds(pm, dm, rule, s.workspace, s.deployment) ? 'permission' : 'missing_permission'
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
    const ok = rule.scoped ? holds(pm, dm, rule, s.workspace, s.deployment) : permits(pm, rule, undefined, null, dm)
    if (!ok) return 'missing_permission'
    reason = 'permission'
  }
  return conditionFails(policy, pm, dm, op, f, variables, c, s) ?? reason
}
