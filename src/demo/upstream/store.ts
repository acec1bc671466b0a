import { seed } from './seed.js'
import type { Deployment, Membership, ServiceAccount, User, Workspace } from './types.js'

function highestSuffix(prefix: string, ids: Iterable<string>): number {
  let max = 0
  for (const id of ids) {
    const n = id.startsWith(prefix) ? Number(id.slice(prefix.length)) : NaN
    if (Number.isInteger(n) && n > max) max = n
  }
  return max
}

/** The upstream's in-memory data; each server owns one, so tests do not share state. */
export class DemoStore {
  readonly workspaces = new Map<string, Workspace>()
  readonly deployments = new Map<string, Deployment>()
  readonly users = new Map<string, User>()
  readonly serviceAccounts = new Map<string, ServiceAccount>()
  memberships: Membership[] = []
  private readonly clock: () => Date
  private readonly issued = new Map<string, number>()

  constructor(clock: () => Date = () => new Date()) {
    this.clock = clock
    this.reset()
  }

  /** Back to the seed data. */
  reset(): void {
    const s = seed()
    this.workspaces.clear()
    this.deployments.clear()
    this.users.clear()
    this.serviceAccounts.clear()
    for (const w of s.workspaces) this.workspaces.set(w.id, w)
    for (const d of s.deployments) this.deployments.set(d.id, d)
    for (const u of s.users) this.users.set(u.id, u)
    for (const a of s.serviceAccounts) this.serviceAccounts.set(a.id, a)
    this.memberships = s.memberships
    this.issued.clear()
    this.issued.set('w', highestSuffix('w', this.workspaces.keys()))
    this.issued.set('d', highestSuffix('d', this.deployments.keys()))
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

  deploymentsOf(workspaceId: string): Deployment[] {
    return [...this.deployments.values()].filter((d) => d.workspaceId === workspaceId)
  }
}
