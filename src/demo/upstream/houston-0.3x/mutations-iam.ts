import { randomBytes } from 'node:crypto'
import { argRecord, argString } from '../args.js'
import type { DemoStore } from '../store.js'
import type { DemoContext, EntityType, RoleBinding, RootResolver, ServiceAccount } from '../types.js'
import { applyLabels, findBinding, requireRolePrefix, serviceAccount, team, userById, userByEmail, userByIdOrEmail } from './common.js'
import { roleBindingNode, serviceAccountNode, workspaceNode } from './nodes.js'

// Who holds which role: workspaces and their members, teams, deployment roles, system roles,
// service accounts. The demo stores what it is asked to; whether the caller may ask is
// permgate's decision. Houston's own input checks are kept where the facts record them.

type Scope = Partial<Pick<RoleBinding, 'userId' | 'teamId' | 'workspaceId' | 'deploymentId'>>

function bind(store: DemoStore, scope: Scope, role: string): RoleBinding {
  if (findBinding(store, scope) !== undefined) throw new Error('A role binding for this subject and scope already exists')
  return store.addBinding(role, scope)
}

function rebind(store: DemoStore, scope: Scope, role: string): RoleBinding {
  const b = findBinding(store, scope)
  if (b === undefined) throw new Error('No role binding for this subject and scope')
  b.role = role
  b.updatedAt = store.now()
  return b
}

function unbind(store: DemoStore, scope: Scope, role?: string): RoleBinding {
  const b = findBinding(store, scope, role)
  if (b === undefined) throw new Error('No role binding for this subject and scope')
  store.roleBindings.delete(b.id)
  return b
}

/** deploymentRoles: [{ deploymentUuid, role }], each a deployment of the workspace. */
function bindDeploymentRoles(store: DemoStore, workspaceId: string, subject: Scope, list: unknown): void {
  if (!Array.isArray(list)) return
  for (const item of list as unknown[]) {
    const entry = (typeof item === 'object' && item !== null ? item : {}) as Record<string, unknown>
    const d = store.deployment(argString(entry, 'deploymentUuid'))
    if (d.workspaceId !== workspaceId) throw new Error(`Deployment ${d.id} is not in workspace ${workspaceId}`)
    bind(store, { ...subject, deploymentId: d.id }, requireRolePrefix(argString(entry, 'role') ?? '', 'DEPLOYMENT'))
  }
}

/** Removes the subject's bindings on the workspace and on each of its deployments. */
function leaveWorkspace(store: DemoStore, workspaceId: string, subject: { userId?: string; teamId?: string }): number {
  const deployments = new Set(store.deploymentsOf(workspaceId).map((d) => d.id))
  let removed = 0
  for (const [id, b] of store.roleBindings) {
    const mine = (subject.userId !== undefined && b.userId === subject.userId) || (subject.teamId !== undefined && b.teamId === subject.teamId)
    if (mine && (b.workspaceId === workspaceId || deployments.has(b.deploymentId ?? ''))) {
      store.roleBindings.delete(id)
      removed++
    }
  }
  return removed
}

function newServiceAccount(ctx: DemoContext, args: Record<string, unknown>, entityType: EntityType, entityId: string | null) {
  const role = argString(args, 'role') ?? ''
  // Houston v0.12.1 refuses a WORKSPACE_*/DEPLOYMENT_* role on another kind of entity (SYSTEM_* passes)
  if ((role.startsWith('WORKSPACE_') || role.startsWith('DEPLOYMENT_')) && !role.startsWith(`${entityType}_`)) {
    throw new Error(`Role ${role} cannot be given on a ${entityType.toLowerCase()}`)
  }
  const now = ctx.store.now()
  const a: ServiceAccount = {
    id: ctx.store.freshId('sa-', ctx.store.serviceAccounts),
    label: argString(args, 'label') ?? '',
    category: argString(args, 'category') ?? '',
    entityType,
    entityId,
    role,
    active: true,
    createdAt: now,
    updatedAt: now,
    lastUsedAt: null,
  }
  ctx.store.serviceAccounts.set(a.id, a)
  // an API key is 32 characters without a dot; Houston shows it once, at creation
  return serviceAccountNode(ctx, a, randomBytes(16).toString('hex'))
}

function updateServiceAccount(ctx: DemoContext, a: ServiceAccount, payload: Record<string, unknown> | undefined) {
  applyLabels(a, payload)
  if (typeof payload?.['category'] === 'string') a.category = payload['category']
  if (typeof payload?.['role'] === 'string') a.role = payload['role']
  if (typeof payload?.['active'] === 'boolean') a.active = payload['active']
  a.updatedAt = ctx.store.now()
  return serviceAccountNode(ctx, a)
}

function deleteServiceAccount(ctx: DemoContext, a: ServiceAccount) {
  ctx.store.serviceAccounts.delete(a.id)
  return serviceAccountNode(ctx, a)
}

const workspaceArg = (ctx: DemoContext, args: Record<string, unknown>) => ctx.store.workspace(argString(args, 'workspaceUuid'))
const deploymentArg = (ctx: DemoContext, args: Record<string, unknown>) => ctx.store.deployment(argString(args, 'deploymentUuid') ?? argString(args, 'deploymentId'))
const accountArg = (ctx: DemoContext, args: Record<string, unknown>) => serviceAccount(ctx.store, argString(args, 'serviceAccountUuid'))
const role = (args: Record<string, unknown>) => argString(args, 'role') ?? ''

export const iamMutations: Readonly<Record<string, RootResolver>> = {
  createWorkspace: (args, ctx) => workspaceNode(ctx, ctx.store.addWorkspace(argString(args, 'label'), argString(args, 'description') ?? '', ctx.subject)),

  updateWorkspace: (args, ctx) => {
    const w = workspaceArg(ctx, args)
    const payload = argRecord(args, 'payload')
    applyLabels(w, payload)
    const properties = argRecord(payload ?? {}, 'properties')
    if (properties !== undefined) w.properties = { ...w.properties, ...structuredClone(properties) }
    w.updatedAt = ctx.store.now()
    return workspaceNode(ctx, w)
  },

  deleteWorkspace: (args, ctx) => {
    const w = workspaceArg(ctx, args)
    if (ctx.store.deploymentsOf(w.id).length > 0) throw new Error(`Workspace ${w.id} still has deployments`)
    const node = workspaceNode(ctx, w)
    ctx.store.workspaces.delete(w.id)
    ctx.store.dropBindingsOn({ workspaceId: w.id })
    for (const [id, a] of ctx.store.serviceAccounts) if (a.entityType === 'WORKSPACE' && a.entityId === w.id) ctx.store.serviceAccounts.delete(id)
    for (const [id, i] of ctx.store.invites) if (i.workspaceId === w.id) ctx.store.invites.delete(id)
    return node
  },

  /** A known e-mail gets the role; an unknown one an invitation carrying it. */
  workspaceAddUser: (args, ctx) => {
    const w = workspaceArg(ctx, args)
    const email = argString(args, 'email') ?? ''
    const u = userByEmail(ctx.store, email)
    if (u === undefined) {
      const now = ctx.store.now()
      const id = ctx.store.freshId('inv-', ctx.store.invites)
      ctx.store.invites.set(id, { id, email, role: requireRolePrefix(role(args), 'WORKSPACE'), token: randomBytes(16).toString('hex'), workspaceId: w.id, createdAt: now, updatedAt: now })
      return workspaceNode(ctx, w)
    }
    bind(ctx.store, { userId: u.id, workspaceId: w.id }, requireRolePrefix(role(args), 'WORKSPACE'))
    bindDeploymentRoles(ctx.store, w.id, { userId: u.id }, args['deploymentRoles'])
    return workspaceNode(ctx, w)
  },

  workspaceRemoveUser: (args, ctx) => {
    const w = workspaceArg(ctx, args)
    const u = argString(args, 'userUuid') !== undefined ? userById(ctx.store, argString(args, 'userUuid')) : userByIdOrEmail(ctx.store, args)
    if (leaveWorkspace(ctx.store, w.id, { userId: u.id }) === 0) throw new Error(`User ${u.id} is not a member of workspace ${w.id}`)
    return workspaceNode(ctx, w)
  },

  /** Also changes a pending invitation's role. */
  workspaceUpdateUserRole: (args, ctx) => {
    const w = workspaceArg(ctx, args)
    const email = argString(args, 'email') ?? ''
    const r = requireRolePrefix(role(args), 'WORKSPACE')
    const u = userByEmail(ctx.store, email)
    if (u !== undefined) return rebind(ctx.store, { userId: u.id, workspaceId: w.id }, r).role
    const pending = [...ctx.store.invites.values()].find((i) => i.workspaceId === w.id && i.email === email)
    if (pending === undefined) throw new Error(`No member or invitation ${email} in workspace ${w.id}`)
    pending.role = r
    pending.updatedAt = ctx.store.now()
    return r
  },

  workspaceUpsertUserRole: (args, ctx) => {
    const w = workspaceArg(ctx, args)
    const u = userByIdOrEmail(ctx.store, args)
    const r = requireRolePrefix(role(args), 'WORKSPACE')
    const scope = { userId: u.id, workspaceId: w.id }
    return (findBinding(ctx.store, scope) === undefined ? bind(ctx.store, scope, r) : rebind(ctx.store, scope, r)).role
  },

  workspaceAddTeam: (args, ctx) => {
    const w = workspaceArg(ctx, args)
    const t = team(ctx.store, argString(args, 'teamUuid'))
    bind(ctx.store, { teamId: t.id, workspaceId: w.id }, requireRolePrefix(argString(args, 'role') ?? 'WORKSPACE_VIEWER', 'WORKSPACE'))
    bindDeploymentRoles(ctx.store, w.id, { teamId: t.id }, args['deploymentRoles'])
    return workspaceNode(ctx, w)
  },

  workspaceRemoveTeam: (args, ctx) => {
    const w = workspaceArg(ctx, args)
    const t = team(ctx.store, argString(args, 'teamUuid'))
    if (leaveWorkspace(ctx.store, w.id, { teamId: t.id }) === 0) throw new Error(`Team ${t.id} has no role in workspace ${w.id}`)
    return workspaceNode(ctx, w)
  },

  workspaceUpdateTeamRole: (args, ctx) =>
    rebind(ctx.store, { teamId: team(ctx.store, argString(args, 'teamUuid')).id, workspaceId: workspaceArg(ctx, args).id }, requireRolePrefix(role(args), 'WORKSPACE')).role,

  deploymentAddUserRole: (args, ctx) =>
    roleBindingNode(ctx, bind(ctx.store, { userId: userByIdOrEmail(ctx.store, args).id, deploymentId: deploymentArg(ctx, args).id }, requireRolePrefix(role(args), 'DEPLOYMENT'))),
  deploymentUpdateUserRole: (args, ctx) =>
    roleBindingNode(ctx, rebind(ctx.store, { userId: userByIdOrEmail(ctx.store, args).id, deploymentId: deploymentArg(ctx, args).id }, requireRolePrefix(role(args), 'DEPLOYMENT'))),
  deploymentRemoveUserRole: (args, ctx) =>
    roleBindingNode(ctx, unbind(ctx.store, { userId: userByIdOrEmail(ctx.store, args).id, deploymentId: deploymentArg(ctx, args).id })),
  deploymentAddTeamRole: (args, ctx) =>
    roleBindingNode(ctx, bind(ctx.store, { teamId: team(ctx.store, argString(args, 'teamUuid')).id, deploymentId: deploymentArg(ctx, args).id }, requireRolePrefix(role(args), 'DEPLOYMENT'))),
  deploymentUpdateTeamRole: (args, ctx) =>
    roleBindingNode(ctx, rebind(ctx.store, { teamId: team(ctx.store, argString(args, 'teamUuid')).id, deploymentId: deploymentArg(ctx, args).id }, requireRolePrefix(role(args), 'DEPLOYMENT'))),
  deploymentRemoveTeamRole: (args, ctx) =>
    roleBindingNode(ctx, unbind(ctx.store, { teamId: team(ctx.store, argString(args, 'teamUuid')).id, deploymentId: deploymentArg(ctx, args).id })),

  // Houston v0.12.1: a system binding's role must start with SYSTEM.
  createSystemRoleBinding: (args, ctx) =>
    roleBindingNode(ctx, ctx.store.addBinding(requireRolePrefix(role(args), 'SYSTEM'), { userId: userById(ctx.store, argString(args, 'userId')).id })),
  deleteSystemRoleBinding: (args, ctx) => roleBindingNode(ctx, unbind(ctx.store, { userId: userById(ctx.store, argString(args, 'userId')).id }, role(args))),
  createTeamSystemRoleBinding: (args, ctx) =>
    roleBindingNode(ctx, ctx.store.addBinding(requireRolePrefix(role(args), 'SYSTEM'), { teamId: team(ctx.store, argString(args, 'teamUuid')).id })),
  deleteTeamSystemRoleBinding: (args, ctx) => roleBindingNode(ctx, unbind(ctx.store, { teamId: team(ctx.store, argString(args, 'teamUuid')).id }, role(args))),

  createServiceAccount: (args, ctx) => {
    const entityType = argString(args, 'entityType') as EntityType
    if (entityType === 'SYSTEM') return newServiceAccount(ctx, args, 'SYSTEM', null)
    const entityId = argString(args, 'entityUuid')
    const entity = entityType === 'WORKSPACE' ? ctx.store.workspace(entityId) : ctx.store.deployment(entityId)
    return newServiceAccount(ctx, args, entityType, entity.id)
  },
  createWorkspaceServiceAccount: (args, ctx) => newServiceAccount(ctx, args, 'WORKSPACE', workspaceArg(ctx, args).id),
  createDeploymentServiceAccount: (args, ctx) => newServiceAccount(ctx, args, 'DEPLOYMENT', deploymentArg(ctx, args).id),
  createSystemServiceAccount: (args, ctx) => newServiceAccount(ctx, { ...args, role: requireRolePrefix(role(args), 'SYSTEM') }, 'SYSTEM', null),

  // As in Houston (facts: v0.12.1 code), the workspace/deployment argument is not compared with
  // the account's own: it must exist, and it is what permgate authorizes against.
  updateServiceAccount: (args, ctx) => updateServiceAccount(ctx, accountArg(ctx, args), argRecord(args, 'payload')),
  updateWorkspaceServiceAccount: (args, ctx) => {
    workspaceArg(ctx, args)
    return updateServiceAccount(ctx, accountArg(ctx, args), argRecord(args, 'payload'))
  },
  updateDeploymentServiceAccount: (args, ctx) => {
    deploymentArg(ctx, args)
    return updateServiceAccount(ctx, accountArg(ctx, args), argRecord(args, 'payload'))
  },
  deleteServiceAccount: (args, ctx) => deleteServiceAccount(ctx, accountArg(ctx, args)),
  deleteWorkspaceServiceAccount: (args, ctx) => {
    workspaceArg(ctx, args)
    return deleteServiceAccount(ctx, accountArg(ctx, args))
  },
  deleteDeploymentServiceAccount: (args, ctx) => {
    deploymentArg(ctx, args)
    return deleteServiceAccount(ctx, accountArg(ctx, args))
  },
  deleteSystemServiceAccount: (args, ctx) => deleteServiceAccount(ctx, accountArg(ctx, args)),
}
