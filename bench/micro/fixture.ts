import type { Binding, SubjectEntry, SubjectKind } from '../../src/bindings/types.js'
import { scopeOf } from '../../src/policy/permissions.js'
import type { CompiledPolicy, EntityKind } from '../../src/policy/types.js'
import { Rng } from './rng.js'

/** Bindable roles of a policy by the scope they are meant for (synthetic roles left out). */
export interface RolePools {
  readonly system: readonly string[]
  readonly workspace: readonly string[]
  readonly deployment: readonly string[]
}

/** How many entities and bindings a synthetic store adds (to its base, if any). */
export interface FixtureSpec {
  readonly workspaces: number
  readonly deployments: number
  readonly users: number
  /** Each with one workspace or deployment binding. */
  readonly serviceAccounts: number
  /** Share of users that also get one system-scope binding. */
  readonly systemShare: number
  /** Workspace bindings per user, [min, max]. */
  readonly workspaceBindings: readonly [number, number]
  /** Deployment bindings per user, [min, max]. */
  readonly deploymentBindings: readonly [number, number]
  readonly seed: number
}

/** A bindings store's content, plus the indexes the peers and the case builder need. */
export interface Fixture {
  readonly deployments: Map<string, string>
  readonly deploymentsOf: Map<string, string[]>
  readonly subjects: Map<string, SubjectEntry>
  readonly workspaceIds: readonly string[]
  readonly deploymentIds: readonly string[]
  readonly subjectIds: readonly string[]
  /** Store bindings (synthetic roles not counted). */
  readonly bindingCount: number
}

/**
 * Roles whose every permission has one scope are pooled under it; a role mixing scopes is
 * pooled as a system role (it is bound system-wide in practice).
 */
export function rolePools(policy: CompiledPolicy): RolePools {
  const pools: Record<'system' | EntityKind, string[]> = { system: [], workspace: [], deployment: [] }
  for (const role of policy.roles.values()) {
    if (policy.syntheticRoles.includes(role.id) || role.permissions.length === 0) continue
    const scopes = new Set(role.permissions.map(scopeOf))
    const only = scopes.size === 1 ? ([...scopes][0] as string) : 'system'
    if (only === 'system' || only === 'workspace' || only === 'deployment') pools[only].push(role.id)
  }
  for (const k of ['system', 'workspace', 'deployment'] as const) {
    if (pools[k].length === 0) throw new Error(`policy ${policy.name} has no bindable ${k} role`)
  }
  return pools
}

/**
 * A deterministic store: each new deployment belongs to one of the new workspaces (round
 * robin); users get a mix of system, workspace and deployment bindings; service accounts one
 * workspace or deployment binding each. With `base`, the store extends a copy of it (ids
 * continue after the base's), so the base's subjects keep exactly their bindings and masks.
 */
export function buildFixture(spec: FixtureSpec, roles: RolePools, base?: Fixture): Fixture {
  const rng = new Rng(spec.seed)
  const workspaceIds = [...(base?.workspaceIds ?? [])]
  const deploymentIds = [...(base?.deploymentIds ?? [])]
  const subjectIds = [...(base?.subjectIds ?? [])]
  const deployments = new Map<string, string>(base?.deployments)
  const deploymentsOf = new Map<string, string[]>([...(base?.deploymentsOf ?? [])].map(([w, ds]) => [w, [...ds]]))
  const subjects = new Map<string, SubjectEntry>(base?.subjects)
  let bindingCount = base?.bindingCount ?? 0

  const firstWs = workspaceIds.length
  for (let i = 0; i < spec.workspaces; i++) {
    const id = `ws-${firstWs + i}`
    workspaceIds.push(id)
    deploymentsOf.set(id, [])
  }
  const firstDep = deploymentIds.length
  for (let i = 0; i < spec.deployments; i++) {
    const id = `dep-${firstDep + i}`
    const ws = workspaceIds[firstWs + (i % spec.workspaces)] as string
    deploymentIds.push(id)
    deployments.set(id, ws)
    ;(deploymentsOf.get(ws) as string[]).push(id)
  }

  const anyWorkspace = (): string => workspaceIds[rng.int(workspaceIds.length)] as string
  const anyDeployment = (): string => deploymentIds[rng.int(deploymentIds.length)] as string
  const add = (id: string, kind: SubjectKind, bindings: Binding[]): void => {
    if (subjects.has(id)) throw new Error(`subject ${id} twice`)
    subjects.set(id, { kind, bindings })
    subjectIds.push(id)
    bindingCount += bindings.length
  }
  const firstUser = subjectIds.length
  for (let i = 0; i < spec.users; i++) {
    const bindings: Binding[] = []
    if (rng.chance(spec.systemShare)) bindings.push({ role: rng.pick(roles.system) })
    for (let n = rng.between(...spec.workspaceBindings); n > 0; n--) bindings.push({ role: rng.pick(roles.workspace), workspace: anyWorkspace() })
    for (let n = rng.between(...spec.deploymentBindings); n > 0; n--) bindings.push({ role: rng.pick(roles.deployment), deployment: anyDeployment() })
    add(`user-${firstUser + i}`, 'user', bindings)
  }
  for (let i = 0; i < spec.serviceAccounts; i++) {
    const binding: Binding = rng.chance(0.5)
      ? { role: rng.pick(roles.workspace), workspace: anyWorkspace() }
      : { role: rng.pick(roles.deployment), deployment: anyDeployment() }
    add(`sa-${firstUser + i}`, 'serviceAccount', [binding])
  }
  return { deployments, deploymentsOf, subjects, workspaceIds, deploymentIds, subjectIds, bindingCount }
}
