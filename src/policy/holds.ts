// What a principal holds where: its masks tested against a rule's required bits, or a granted
// role's, on the entity a field names. One pass over the words each; nothing allocated.
import { orInto } from './bits.js'
import type { PrincipalMasks } from './principal.js'
import type { CompiledRule, Combinator, EntityKind, GrantScope, KindMasks, Mask } from './types.js'

/**
 * What a principal holds on a deployment: bound there, or cascaded from its workspace (null:
 * nothing). A decision reads it through this, so that a cache of the answers can be kept by its
 * owner (the Authorizer, per principal) while the masks stay immutable and deciding writes nothing.
 */
export interface DeploymentMasks {
  deploymentMask(pm: PrincipalMasks, id: string): Mask | null
}

/** The direct and cascaded masks of deployment `id` OR'd (a new mask only when both exist). */
export function resolveDeploymentMask(pm: PrincipalMasks, id: string): Mask | null {
  const direct = pm.deployments.get(id)
  const ws = pm.parentOf.get(id)
  const cascaded = ws === undefined ? undefined : pm.cascaded.get(ws)
  if (direct === undefined || cascaded === undefined) return direct ?? cascaded ?? null
  const m = Uint32Array.from(direct)
  orInto(m, cascaded)
  return m
}

/** Resolved again on every read (explain, diff, route checks, tests). */
export const UNCACHED: DeploymentMasks = Object.freeze({ deploymentMask: resolveDeploymentMask })

/**
 * Whether the principal holds what a permission rule requires, with scoped permissions
 * checked on the entity (kind, id); `id` null: no entity named, scoped permissions fail. For a
 * rule naming both kinds, the entity counts for the permissions of its kind only.
 */
export function permits(pm: PrincipalMasks, rule: CompiledRule, kind: EntityKind | undefined, id: string | null, dm: DeploymentMasks = UNCACHED): boolean {
  if (rule.byKind !== undefined) {
    return holds(pm, dm, rule, kind === 'workspace' && id !== null ? id : undefined, kind === 'deployment' && id !== null ? id : undefined)
  }
  if (id === null) return passes(rule, pm.system, undefined, undefined)
  const entity = kind === 'workspace' ? pm.workspaces.get(id) : dm.deploymentMask(pm, id)
  return passes(rule, pm.system, entity ?? undefined, pm.global)
}

/**
 * The same with a workspace and a deployment named (null: none): a rule naming one kind checks
 * every scoped permission on the entity of that kind (the workspace when both are given); a rule
 * naming both checks workspace.* on the workspace and deployment.* on the deployment.
 */
export function permitsAt(pm: PrincipalMasks, rule: CompiledRule, workspace: string | null, deployment: string | null, dm: DeploymentMasks = UNCACHED): boolean {
  return holds(pm, dm, rule, workspace ?? undefined, deployment ?? undefined)
}

/** {@link permitsAt} with the entities as a field's scope resolved them (undefined: not named). */
export function holds(pm: PrincipalMasks, dm: DeploymentMasks, rule: CompiledRule, ws: string | undefined, dep: string | undefined): boolean {
  const k = rule.byKind
  if (k === undefined) {
    if (ws !== undefined) return passes(rule, pm.system, pm.workspaces.get(ws), pm.global)
    if (dep !== undefined) return passes(rule, pm.system, dm.deploymentMask(pm, dep) ?? undefined, pm.global)
    return passes(rule, pm.system, undefined, undefined)
  }
  return passesByKind(
    rule.op,
    k,
    pm,
    ws === undefined ? undefined : (pm.workspaces.get(ws) ?? null),
    dep === undefined ? undefined : dm.deploymentMask(pm, dep),
  )
}

/** What the principal holds on one entity, bound there (or, for a deployment, cascaded). */
export function entityMask(pm: PrincipalMasks, dm: DeploymentMasks, kind: EntityKind, id: string): Mask | null {
  return kind === 'workspace' ? (pm.workspaces.get(id) ?? null) : dm.deploymentMask(pm, id)
}

/** Whether the caller holds all of `want` at the scope: system and global masks, plus the entity's. */
export function callerHolds(pm: PrincipalMasks, dm: DeploymentMasks, want: Mask, scope: GrantScope, id: string | null): boolean {
  const entity = id === null || scope === 'system' ? undefined : scope === 'workspace' ? pm.workspaces.get(id) : (dm.deploymentMask(pm, id) ?? undefined)
  const cascaded = id !== null && scope === 'workspace' ? pm.cascaded.get(id) : undefined
  for (let i = 0; i < want.length; i++) {
    const w = want[i] as number
    if (w === 0) continue
    const have = (pm.system[i] as number) | (pm.global[i] as number) | (entity ? (entity[i] as number) : 0) | (cascaded ? (cascaded[i] as number) : 0)
    if ((have & w) >>> 0 !== w >>> 0) return false
  }
  return true
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
