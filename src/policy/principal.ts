import type { Binding, BindingsStore, Subject } from '../bindings/types.js'
import { andInto, andNotInto, orInto } from './bits.js'
import type { CompiledPolicy, Mask } from './types.js'

/** A binding as the decision saw it, with where it came from (for `explain`). */
export interface ResolvedBinding extends Binding {
  readonly source: 'subject' | 'synthetic' | `group:${string}`
}

/**
 * A principal's effective masks per scope, computed once and cached by the Authorizer; immutable
 * data (what is derived from it per request is cached beside it, never in it).
 * - `system`: system permissions, from system-scope bindings only (never from a binding on a
 *   workspace or deployment: a workspace service account bound to SYSTEM_ADMIN is no system admin);
 * - `global`: workspace/deployment permissions of system-scope roles, valid on every entity;
 * - `workspaces` / `deployments`: scoped permissions bound on that entity (union of all bindings);
 * - `cascaded`: per workspace, what its roles grant on each of its deployments.
 */
export interface PrincipalMasks {
  readonly principal: Subject
  readonly system: Mask
  readonly global: Mask
  readonly workspaces: ReadonlyMap<string, Mask>
  readonly deployments: ReadonlyMap<string, Mask>
  readonly cascaded: ReadonlyMap<string, Mask>
  /** deployment -> workspace, from the store the masks were computed with. */
  readonly parentOf: ReadonlyMap<string, string>
  /** The store the masks were computed with, for release name -> deployment (scope `lookup: releaseName`). */
  readonly releases: Pick<BindingsStore, 'deploymentByReleaseName'>
  readonly bindings: readonly ResolvedBinding[]
}

export function bindingsOf(policy: CompiledPolicy, store: BindingsStore, p: Subject): ResolvedBinding[] {
  if (p.kind === 'anonymous' || p.id === null) return []
  const out: ResolvedBinding[] = policy.syntheticRoles.map((role) => ({ role, source: 'synthetic' as const }))
  for (const b of store.subject(p.id)?.bindings ?? []) out.push({ ...b, source: 'subject' })
  for (const g of p.groups) {
    for (const b of store.group(g) ?? []) out.push({ ...b, source: `group:${g}` })
  }
  return out
}

export function compilePrincipal(policy: CompiledPolicy, store: BindingsStore, principal: Subject): PrincipalMasks {
  const w = policy.words
  const system = new Uint32Array(w)
  const global = new Uint32Array(w)
  const workspaces = new Map<string, Mask>()
  const deployments = new Map<string, Mask>()
  const cascaded = new Map<string, Mask>()
  const bindings = bindingsOf(policy, store, principal)
  const add = (map: Map<string, Mask>, id: string, m: Mask): void => {
    let cur = map.get(id)
    if (!cur) map.set(id, (cur = new Uint32Array(w)))
    orInto(cur, m)
    andNotInto(cur, policy.systemBits)
  }
  for (const b of bindings) {
    const role = policy.roles.get(b.role)
    if (!role) continue // bindings are validated against the policy when loaded; a stale one grants nothing
    if (b.workspace !== undefined) {
      add(workspaces, b.workspace, role.mask)
      const to = policy.cascade.get(b.role)
      const toRole = to === undefined ? undefined : policy.roles.get(to)
      if (toRole) add(cascaded, b.workspace, toRole.mask)
    } else if (b.deployment !== undefined) {
      add(deployments, b.deployment, role.mask)
    } else {
      orInto(system, role.mask)
      orInto(global, role.mask)
    }
  }
  andInto(system, policy.systemBits)
  andNotInto(global, policy.systemBits)
  return Object.freeze({ principal, system, global, workspaces, deployments, cascaded, parentOf: store.deployments, releases: store, bindings })
}
