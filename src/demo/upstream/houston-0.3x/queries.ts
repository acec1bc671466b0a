import { argRecord, argString, contains } from '../args.js'
import type { DemoStore } from '../store.js'
import type { EntityType, RoleBinding, RootResolver } from '../types.js'
import { logLines } from '../views.js'
import * as catalogue from './catalogue.js'
import { subjectBindings } from './capabilities.js'
import { issueToken, matchesUserSearch, paginate, serviceAccount, team, userSearchArg } from './common.js'
import { authUserNode, deploymentNode, emailNode, inviteNode, maskedEnv, serviceAccountNode, serviceAccountsOn, teamNode, userNode, workspaceNode } from './nodes.js'

// Query fields of Houston 0.3x over the store. Lookups by an unknown id are errors, as in Houston;
// where the facts say Houston does not check that two arguments agree, neither does the demo.

export const queryResolvers: Readonly<Record<string, RootResolver>> = {
  appConfig: () => catalogue.appConfig(),
  authConfig: (args) => catalogue.authConfig(argString(args, 'redirect')),
  availableNamespaces: (_args, { store }) => {
    const used = new Set([...store.deployments.values()].map((d) => d.namespace))
    return catalogue.PRE_CREATED_NAMESPACES.filter((n) => !used.has(n)).map((name) => ({ name }))
  },
  deploymentConfig: (args, { store }) => {
    const id = argString(args, 'deploymentUuid')
    if (id !== undefined) store.deployment(id)
    return catalogue.deploymentConfig()
  },
  runtimeReleases: (args) => catalogue.runtimeReleases(argString(args, 'airflowVersion')),
  updateAvailable: () => catalogue.platformRelease(),

  self: (args, ctx) => {
    const u = ctx.subject === undefined ? undefined : ctx.store.users.get(ctx.subject)
    // self { token } hands the caller a fresh session
    return u === undefined ? null : authUserNode(ctx, u, issueToken(ctx.store, args))
  },
  users: (args, ctx) => [...ctx.store.users.values()].filter((u) => matchesUserSearch(u, userSearchArg(args))).map((u) => userNode(ctx, u)),
  email: (args, ctx) => {
    const where = argRecord(args, 'where') ?? {}
    const u = [...ctx.store.users.values()].find(
      (x) => where['id'] === `email-${x.id}` || (typeof where['address'] === 'string' && x.email === where['address']) || (typeof where['token'] === 'string' && x.emailToken === where['token']),
    )
    if (u === undefined) throw new Error('Email not found')
    return emailNode(ctx, u)
  },
  invites: (args, { store }) => {
    const search = argRecord(args, 'invite')
    return [...store.invites.values()]
      .filter((i) => (argString(search ?? {}, 'inviteUuid') ?? i.id) === i.id && contains(i.email, argString(search ?? {}, 'email')))
      .map(inviteNode)
  },

  workspaces: (_args, ctx) => {
    // Houston: the workspaces the caller holds a binding on (directly, by a team, or as a service account)
    const ids = new Set(subjectBindings(ctx.store, ctx.subject).map((b) => b.workspaceId ?? ctx.store.deployments.get(b.deploymentId ?? '')?.workspaceId))
    return [...ctx.store.workspaces.values()].filter((w) => ids.has(w.id)).map((w) => workspaceNode(ctx, w))
  },
  sysWorkspaces: (_args, ctx) => [...ctx.store.workspaces.values()].map((w) => workspaceNode(ctx, w)),
  paginatedWorkspaces: (args, ctx) => paginate([...ctx.store.workspaces.values()], args).map((w) => workspaceNode(ctx, w)),
  workspace: (args, ctx) => workspaceNode(ctx, ctx.store.workspace(argString(args, 'workspaceUuid'))),
  workspaceUsers: (args, ctx) => {
    const w = ctx.store.workspace(argString(args, 'workspaceUuid'))
    return ctx.store.workspaceMembers(w.id).filter(({ user }) => matchesUserSearch(user, userSearchArg(args))).map(({ user }) => userNode(ctx, user))
  },
  paginatedWorkspaceUsers: (args, ctx) => {
    const w = ctx.store.workspace(argString(args, 'workspaceUuid'))
    return paginate(ctx.store.workspaceMembers(w.id).map(({ user }) => user), args).map((u) => userNode(ctx, u))
  },
  workspaceUser: (args, ctx) => {
    const w = ctx.store.workspace(argString(args, 'workspaceUuid'))
    const member = ctx.store.workspaceMembers(w.id).find(({ user }) => matchesUserSearch(user, userSearchArg(args)))
    return member === undefined ? null : userNode(ctx, member.user)
  },
  workspaceInvites: (args, ctx) => {
    const w = ctx.store.workspace(argString(args, 'workspaceUuid'))
    const search = argRecord(args, 'invite') ?? {}
    return [...ctx.store.invites.values()]
      .filter((i) => i.workspaceId === w.id && (argString(search, 'inviteUuid') ?? i.id) === i.id && contains(i.email, argString(search, 'email')))
      .map(inviteNode)
  },
  workspaceServiceAccounts: (args, ctx) =>
    serviceAccountsOn(ctx, 'WORKSPACE', ctx.store.workspace(argString(args, 'workspaceUuid')).id).map((a) => serviceAccountNode(ctx, a)),
  // Houston does not check that the account belongs to the workspace (facts: v0.12.1 code).
  workspaceServiceAccount: (args, ctx) => {
    ctx.store.workspace(argString(args, 'workspaceUuid'))
    return serviceAccountNode(ctx, serviceAccount(ctx.store, argString(args, 'serviceAccountUuid')))
  },
  workspaceTeams: (args, ctx) => {
    const w = ctx.store.workspace(argString(args, 'workspaceUuid'))
    return teamsBoundTo(ctx.store, (b) => b.workspaceId === w.id).map((t) => teamNode(ctx, t))
  },
  paginatedTeams: (args, ctx) => {
    const workspaceId = argString(args, 'workspaceUuid')
    if (workspaceId !== undefined) ctx.store.workspace(workspaceId)
    const all = workspaceId === undefined ? [...ctx.store.teams.values()] : teamsBoundTo(ctx.store, (b) => b.workspaceId === workspaceId)
    return { count: all.length, teams: paginate(all, args).map((t) => teamNode(ctx, t)) }
  },
  team: (args, ctx) => {
    const workspaceId = argString(args, 'workspaceUuid')
    if (workspaceId !== undefined) ctx.store.workspace(workspaceId)
    return teamNode(ctx, team(ctx.store, argString(args, 'teamUuid')))
  },
  teamUsers: (args, ctx) => present(team(ctx.store, argString(args, 'teamUuid')).userIds.map((id) => ctx.store.users.get(id))).map((u) => userNode(ctx, u)),

  deployments: (args, ctx) => {
    const id = argString(args, 'deploymentUuid')
    const workspaceId = argString(args, 'workspaceUuid')
    const releaseName = argString(args, 'releaseName')
    return [...ctx.store.deployments.values()]
      .filter((d) => (id === undefined || d.id === id) && (workspaceId === undefined || d.workspaceId === workspaceId) && (releaseName === undefined || d.releaseName === releaseName))
      .map((d) => deploymentNode(ctx, d))
  },
  paginatedDeployments: (args, ctx) =>
    paginate([...ctx.store.deployments.values()].filter((d) => contains(d.label, argString(args, 'name'))), args).map((d) => deploymentNode(ctx, d)),
  deployment: (args, ctx) => {
    const where = argRecord(args, 'where') ?? {}
    const id = argString(where, 'id')
    const d = id !== undefined ? ctx.store.deployment(id) : ctx.store.byReleaseName(argString(where, 'releaseName'))
    if (d === undefined) throw new Error(`Deployment with release name ${argString(where, 'releaseName') ?? '(none)'} not found`)
    return deploymentNode(ctx, d)
  },
  workspaceDeployments: (args, ctx) => {
    const w = ctx.store.workspace(argString(args, 'workspaceUuid'))
    const releaseName = argString(args, 'releaseName')
    return ctx.store.deploymentsOf(w.id).filter((d) => releaseName === undefined || d.releaseName === releaseName).map((d) => deploymentNode(ctx, d))
  },
  // Houston does not check that the release belongs to the workspace (facts: operations-0.3x.json).
  workspaceDeployment: (args, ctx) => {
    ctx.store.workspace(argString(args, 'workspaceUuid'))
    return deploymentNode(ctx, byRelease(ctx.store, argString(args, 'releaseName')))
  },
  deploymentVariables: (args, ctx) => {
    ctx.store.workspace(argString(args, 'workspaceUuid'))
    return maskedEnv(byRelease(ctx.store, argString(args, 'releaseName')))
  },
  deploymentUsers: (args, ctx) => {
    const d = ctx.store.deployment(argString(args, 'deploymentId'))
    return present(ctx.store.bindings((b) => b.deploymentId === d.id && b.userId !== null).map((b) => ctx.store.users.get(b.userId ?? '')))
      .filter((u) => matchesUserSearch(u, userSearchArg(args)))
      .map((u) => userNode(ctx, u))
  },
  deploymentTeams: (args, ctx) => {
    const d = ctx.store.deployment(argString(args, 'deploymentUuid'))
    return teamsBoundTo(ctx.store, (b) => b.deploymentId === d.id).map((t) => teamNode(ctx, t))
  },
  deploymentServiceAccounts: (args, ctx) =>
    serviceAccountsOn(ctx, 'DEPLOYMENT', ctx.store.deployment(argString(args, 'deploymentUuid')).id).map((a) => serviceAccountNode(ctx, a)),
  // Houston does not check that the account belongs to the deployment (facts: v0.12.1 code).
  deploymentServiceAccount: (args, ctx) => {
    ctx.store.deployment(argString(args, 'deploymentUuid'))
    return serviceAccountNode(ctx, serviceAccount(ctx.store, argString(args, 'serviceAccountUuid')))
  },
  serviceAccounts: (args, ctx) => {
    const id = argString(args, 'serviceAccountUuid')
    const entityUuid = argString(args, 'entityUuid')
    return serviceAccountsOn(ctx, argString(args, 'entityType') as EntityType, entityUuid ?? null)
      .filter((a) => id === undefined || a.id === id)
      .map((a) => serviceAccountNode(ctx, a))
  },
  logs: (args, { store }) => {
    const d = store.deployment(argString(args, 'deploymentUuid'))
    const component = argString(args, 'component')
    const since = argString(args, 'timestamp')
    return logLines(d).filter((l) => (component === undefined || l.component === component) && (since === undefined || l.timestamp > since) && contains(l.message, argString(args, 'search')))
  },

  card: (args, { store }) => {
    const w = store.workspace(argString(args, 'workspaceUuid'))
    return w.card === null ? null : { ...w.card }
  },
}

const present = <T>(items: readonly (T | undefined)[]): T[] => items.filter((x): x is T => x !== undefined)

function byRelease(store: DemoStore, releaseName: string | undefined) {
  const d = store.byReleaseName(releaseName)
  if (d === undefined) throw new Error(`Deployment with release name ${releaseName ?? '(none)'} not found`)
  return d
}

function teamsBoundTo(store: DemoStore, match: (b: RoleBinding) => boolean) {
  const ids = new Set(store.bindings((b) => b.teamId !== null && match(b)).map((b) => b.teamId))
  return [...store.teams.values()].filter((t) => ids.has(t.id))
}
