import type { DemoStore } from '../store.js'
import type { RoleBinding } from '../types.js'

// Houston's *Capabilities objects tell a UI which buttons to show. The demo derives them from
// the caller's role level, for display only: what a request may do is permgate's decision.

const LEVELS: Readonly<Record<string, number>> = { VIEWER: 1, EDITOR: 2, ADMIN: 3 }
const level = (role: string): number => LEVELS[role.slice(role.indexOf('_') + 1)] ?? 0

/** The bindings that apply to `subject`: a user's own and their teams', or a service account's one. */
export function subjectBindings(store: DemoStore, subject: string | undefined): { role: string; workspaceId: string | null; deploymentId: string | null }[] {
  if (subject === undefined) return []
  const sa = store.serviceAccounts.get(subject)
  if (sa !== undefined) {
    return [{ role: sa.role, workspaceId: sa.entityType === 'WORKSPACE' ? sa.entityId : null, deploymentId: sa.entityType === 'DEPLOYMENT' ? sa.entityId : null }]
  }
  const teams = new Set([...store.teams.values()].filter((t) => t.userIds.includes(subject)).map((t) => t.id))
  return store.bindings((b: RoleBinding) => b.userId === subject || (b.teamId !== null && teams.has(b.teamId)))
}

/** 0 (none) to 3 (admin) on a workspace, or on a deployment (workspace roles cascade to it). */
export function callerLevel(store: DemoStore, subject: string | undefined, on: { workspaceId: string; deploymentId?: string }): number {
  let best = 0
  for (const b of subjectBindings(store, subject)) {
    const applies =
      isSystemBinding(b) ||
      (b.workspaceId === on.workspaceId && b.deploymentId === null) ||
      (on.deploymentId !== undefined && b.deploymentId === on.deploymentId)
    if (applies) best = Math.max(best, level(b.role))
  }
  return best
}

// as permgate: a system role counts only on a system-wide binding
const isSystemBinding = (b: { role: string; workspaceId: string | null; deploymentId: string | null }): boolean =>
  b.role.startsWith('SYSTEM_') && b.workspaceId === null && b.deploymentId === null

export function isSystemAdmin(store: DemoStore, subject: string | undefined): boolean {
  return subjectBindings(store, subject).some((b) => isSystemBinding(b) && b.role === 'SYSTEM_ADMIN')
}

export function workspaceCapabilities(n: number) {
  return {
    canUpdateBilling: n >= 3,
    canUpdateIAM: n >= 3,
    canGetWorkspace: n >= 1,
    canUpdateWorkspace: n >= 2,
    canDeleteWorkspace: n >= 3,
    canCreateDeployment: n >= 2,
    canInviteUser: n >= 3,
    canUpdateUser: n >= 3,
    canDeleteUser: n >= 3,
    canCreateServiceAccount: n >= 2,
    canUpdateServiceAccount: n >= 2,
    canDeleteServiceAccount: n >= 2,
  }
}

export function deploymentCapabilities(n: number) {
  return {
    canDeploy: n >= 2,
    canUpdateDeployment: n >= 2,
    canDeleteDeployment: n >= 3,
    canCreateServiceAccount: n >= 2,
    canUpdateServiceAccount: n >= 2,
    canDeleteServiceAccount: n >= 2,
  }
}
