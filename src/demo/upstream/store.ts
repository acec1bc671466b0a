import { releaseNameFor } from './release-names.js'
import { seed } from './seed.js'
import type { Deployment, Invite, RoleBinding, ServiceAccount, Team, User, Workspace } from './types.js'

function highestSuffix(prefix: string, ids: Iterable<string>): number {
  let max = 0
  for (const id of ids) {
    const n = id.startsWith(prefix) ? Number(id.slice(prefix.length)) : NaN
    if (Number.isInteger(n) && n > max) max = n
  }
  return max
}

function fill<T extends { id: string }>(map: Map<string, T>, items: readonly T[]): void {
  map.clear()
  for (const item of items) map.set(item.id, item)
}

/** The upstream's in-memory data; each server owns one, so tests do not share state. */
export class DemoStore {
  readonly workspaces = new Map<string, Workspace>()
  readonly deployments = new Map<string, Deployment>()
  readonly users = new Map<string, User>()
  readonly serviceAccounts = new Map<string, ServiceAccount>()
  /** Bindings of users and teams, in creation order. */
  readonly roleBindings = new Map<string, RoleBinding>()
  readonly teams = new Map<string, Team>()
  readonly invites = new Map<string, Invite>()
  private readonly clock: () => Date
  private readonly issued = new Map<string, number>()

  constructor(clock: () => Date = () => new Date()) {
    this.clock = clock
    this.reset()
  }

  /** Back to the seed data. */
  reset(): void {
    const s = seed()
    fill(this.workspaces, s.workspaces)
    fill(this.deployments, s.deployments)
    fill(this.users, s.users)
    fill(this.serviceAccounts, s.serviceAccounts)
    fill(this.roleBindings, s.roleBindings)
    fill(this.teams, s.teams)
    fill(this.invites, s.invites)
    // Counted from the seed now, not at first use: a seed object deleted first is not reissued.
    this.issued.clear()
    for (const [prefix, map] of this.idPrefixes()) this.issued.set(prefix, highestSuffix(prefix, map.keys()))
  }

  private idPrefixes(): [string, ReadonlyMap<string, unknown>][] {
    return [
      ['w', this.workspaces],
      ['d', this.deployments],
      ['u-', this.users],
      ['sa-', this.serviceAccounts],
      ['rb-', this.roleBindings],
      ['t-', this.teams],
      ['inv-', this.invites],
    ]
  }

  now(): string {
    return this.clock().toISOString()
  }

  /** A new `${prefix}N`; never one issued before, so a deleted id is not reused for another object. */
  freshId(prefix: string, map: ReadonlyMap<string, unknown>): string {
    let n = this.issued.get(prefix) ?? highestSuffix(prefix, map.keys())
    do n++
    while (map.has(`${prefix}${n}`))
    this.issued.set(prefix, n)
    return `${prefix}${n}`
  }

  /** A new deployment id with an unused release name of the seed's scheme. */
  freshDeployment(): { id: string; releaseName: string } {
    const id = this.freshId('d', this.deployments)
    let n = Number(id.slice(1))
    let releaseName = releaseNameFor(n)
    while (this.byReleaseName(releaseName) !== undefined) releaseName = releaseNameFor(++n * 31)
    return { id, releaseName }
  }

  /** Adds a workspace; its creator, when a known user, becomes its WORKSPACE_ADMIN (as in Houston). */
  addWorkspace(label: string | undefined, description: string, creatorId: string | undefined): Workspace {
    const now = this.now()
    const id = this.freshId('w', this.workspaces)
    const w: Workspace = {
      id,
      label: label ?? id,
      description,
      createdAt: now,
      updatedAt: now,
      active: true,
      properties: {},
      stripeCustomerId: null,
      trialEndsAt: null,
      card: null,
    }
    this.workspaces.set(id, w)
    if (creatorId !== undefined && this.users.has(creatorId)) this.addBinding('WORKSPACE_ADMIN', { userId: creatorId, workspaceId: id })
    return w
  }

  addBinding(role: string, on: Partial<Pick<RoleBinding, 'userId' | 'teamId' | 'workspaceId' | 'deploymentId'>>): RoleBinding {
    const now = this.now()
    const b: RoleBinding = {
      id: this.freshId('rb-', this.roleBindings),
      role,
      userId: on.userId ?? null,
      teamId: on.teamId ?? null,
      workspaceId: on.workspaceId ?? null,
      deploymentId: on.deploymentId ?? null,
      createdAt: now,
      updatedAt: now,
    }
    this.roleBindings.set(b.id, b)
    return b
  }

  /** Adds a deployment in `workspaceId` with defaults for what `init` leaves out; status DEPLOYING. */
  addDeployment(workspaceId: string, init: Partial<Deployment>): Deployment {
    const now = this.now()
    const fresh = this.freshDeployment()
    const releaseName = init.releaseName ?? fresh.releaseName
    const d: Deployment = {
      id: fresh.id,
      workspaceId,
      label: fresh.id,
      description: '',
      type: 'airflow',
      version: '0.16.0',
      airflowVersion: '2.2.5',
      status: 'DEPLOYING',
      config: { executor: 'CeleryExecutor' },
      env: [],
      runtimeVersion: '4.2.9',
      desiredRuntimeVersion: null,
      desiredAirflowVersion: null,
      namespace: `astronomer-${releaseName}`,
      dagDeployment: { type: 'image' },
      properties: {},
      alertEmails: [],
      image: '',
      clusterId: null,
      ...init,
      releaseName,
      createdAt: now,
      updatedAt: now,
    }
    this.deployments.set(d.id, d)
    return d
  }

  workspace(id: string | undefined): Workspace {
    const w = id === undefined ? undefined : this.workspaces.get(id)
    if (w === undefined) throw new Error(`Workspace ${id ?? '(none)'} not found`)
    return w
  }

  deployment(id: string | undefined): Deployment {
    const d = id === undefined ? undefined : this.deployments.get(id)
    if (d === undefined) throw new Error(`Deployment ${id ?? '(none)'} not found`)
    return d
  }

  byReleaseName(releaseName: string | undefined): Deployment | undefined {
    for (const d of this.deployments.values()) if (d.releaseName === releaseName) return d
    return undefined
  }

  deploymentsOf(workspaceId: string): Deployment[] {
    return [...this.deployments.values()].filter((d) => d.workspaceId === workspaceId)
  }

  bindings(match: (b: RoleBinding) => boolean): RoleBinding[] {
    return [...this.roleBindings.values()].filter(match)
  }

  /** Each workspace member with their role, in binding order (direct user bindings only). */
  workspaceMembers(workspaceId: string): { user: User; role: string }[] {
    return this.bindings((b) => b.workspaceId === workspaceId && b.userId !== null).flatMap((b) => {
      const user = this.users.get(b.userId ?? '')
      return user === undefined ? [] : [{ user, role: b.role }]
    })
  }

  /** Removes every binding on a workspace or deployment (and its deployments' bindings). */
  dropBindingsOn(scope: { workspaceId?: string; deploymentId?: string }): void {
    for (const [id, b] of this.roleBindings) {
      if ((scope.workspaceId !== undefined && b.workspaceId === scope.workspaceId) || (scope.deploymentId !== undefined && b.deploymentId === scope.deploymentId)) {
        this.roleBindings.delete(id)
      }
    }
  }
}
