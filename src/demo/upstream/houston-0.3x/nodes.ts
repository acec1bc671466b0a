import type { DemoContext, Deployment, Invite, RoleBinding, ServiceAccount, Team, User, Workspace } from '../types.js'
import { BASE_DOMAIN, runtimeRelease } from './catalogue.js'
import { callerLevel, deploymentCapabilities, isSystemAdmin, workspaceCapabilities } from './capabilities.js'

// The objects of the 0.3x schema, built from the store. Scalars are copied when the node is
// built; relations are functions, which graphql-js's default resolver calls only when a client
// selects them, so cycles (deployment -> workspace -> deployments) cost nothing unselected.

export function workspaceNode(ctx: DemoContext, w: Workspace) {
  const { store } = ctx
  return {
    id: w.id,
    uuid: w.id,
    label: w.label,
    description: w.description,
    active: w.active,
    properties: structuredClone(w.properties),
    stripeCustomerId: w.stripeCustomerId,
    billingEnabled: w.stripeCustomerId !== null,
    paywallEnabled: false,
    trialEndsAt: w.trialEndsAt,
    createdAt: w.createdAt,
    updatedAt: w.updatedAt,
    deploymentCount: () => store.deploymentsOf(w.id).length,
    users: () => store.workspaceMembers(w.id).map(({ user }) => userNode(ctx, user)),
    deployments: () => store.deploymentsOf(w.id).map((d) => deploymentNode(ctx, d)),
    serviceAccounts: () => serviceAccountsOn(ctx, 'WORKSPACE', w.id).map((a) => serviceAccountNode(ctx, a)),
    invites: () => [...store.invites.values()].filter((i) => i.workspaceId === w.id).map(inviteNode),
    roleBindings: () => [
      ...store.bindings((b) => b.workspaceId === w.id).map((b) => roleBindingNode(ctx, b)),
      ...serviceAccountsOn(ctx, 'WORKSPACE', w.id).map((a) => serviceAccountBindingNode(ctx, a)),
    ],
    workspaceCapabilities: () => workspaceCapabilities(callerLevel(store, ctx.subject, { workspaceId: w.id })),
  }
}

/** Houston never returns a secret's value once stored. */
export const maskedEnv = (d: Deployment) => d.env.map((e) => ({ key: e.key, value: e.isSecret ? '' : e.value, isSecret: e.isSecret }))

export function deploymentNode(ctx: DemoContext, d: Deployment) {
  const { store } = ctx
  const tag = d.image.slice(d.image.lastIndexOf(':') + 1)
  const deployNumber = Number(/^deploy-(\d+)$/.exec(tag)?.[1] ?? 0)
  return {
    id: d.id,
    uuid: d.id,
    label: d.label,
    description: d.description,
    type: d.type,
    releaseName: d.releaseName,
    version: d.version,
    airflowVersion: d.airflowVersion,
    runtimeVersion: d.runtimeVersion,
    runtimeAirflowVersion: runtimeRelease(d.runtimeVersion)?.airflowVersion ?? null,
    desiredAirflowVersion: d.desiredAirflowVersion,
    desiredRuntimeVersion: d.desiredRuntimeVersion,
    status: d.status,
    clusterId: d.clusterId,
    namespace: d.namespace,
    executor: typeof d.config['executor'] === 'string' ? d.config['executor'] : null,
    config: structuredClone(d.config),
    properties: structuredClone(d.properties),
    dagDeployment: structuredClone(d.dagDeployment),
    alertEmails: [...d.alertEmails],
    environmentVariables: maskedEnv(d),
    upsertedEnvironmentVariables: maskedEnv(d),
    env: maskedEnv(d),
    urls: [
      { type: 'airflow', url: `https://deployments.${BASE_DOMAIN}/${d.releaseName}/airflow` },
      { type: 'flower', url: `https://deployments.${BASE_DOMAIN}/${d.releaseName}/flower` },
    ],
    deployInfo: { current: tag === '' ? null : tag, nextCli: `deploy-${deployNumber + 1}`, latest: tag === '' ? null : tag, next: `deploy-${deployNumber + 1}` },
    createdAt: d.createdAt,
    updatedAt: d.updatedAt,
    workspace: () => {
      const w = store.workspaces.get(d.workspaceId)
      return w === undefined ? null : workspaceNode(ctx, w)
    },
    roleBindings: () => [
      ...store.bindings((b) => b.deploymentId === d.id).map((b) => roleBindingNode(ctx, b)),
      ...serviceAccountsOn(ctx, 'DEPLOYMENT', d.id).map((a) => serviceAccountBindingNode(ctx, a)),
    ],
    serviceAccounts: () => serviceAccountsOn(ctx, 'DEPLOYMENT', d.id).map((a) => serviceAccountNode(ctx, a)),
    deploymentCapabilities: () => deploymentCapabilities(callerLevel(store, ctx.subject, { workspaceId: d.workspaceId, deploymentId: d.id })),
  }
}

export function userNode(ctx: DemoContext, u: User) {
  return {
    id: u.id,
    uuid: u.id,
    username: u.username,
    fullName: u.fullName,
    status: u.status,
    createdAt: u.createdAt,
    updatedAt: u.updatedAt,
    profile: u.profile.map((p) => ({ ...p })),
    emails: [emailNode(ctx, u)],
    roleBindings: () => ctx.store.bindings((b) => b.userId === u.id).map((b) => roleBindingNode(ctx, b)),
  }
}

/** Each user has one address. Its token is the confirmation token, selectable as in Houston. */
export function emailNode(ctx: DemoContext, u: User) {
  return {
    id: `email-${u.id}`,
    address: u.email,
    primary: true,
    verified: u.emailVerified,
    token: u.emailToken,
    createdAt: u.createdAt,
    updatedAt: u.updatedAt,
    user: () => userNode(ctx, u),
  }
}

export function roleBindingNode(ctx: DemoContext, b: RoleBinding) {
  const { store } = ctx
  return {
    id: b.id,
    role: b.role,
    createdAt: b.createdAt,
    updatedAt: b.updatedAt,
    serviceAccount: null,
    user: () => orNull(store.users.get(b.userId ?? ''), (u) => userNode(ctx, u)),
    team: () => orNull(store.teams.get(b.teamId ?? ''), (t) => teamNode(ctx, t)),
    workspace: () => orNull(store.workspaces.get(b.workspaceId ?? ''), (w) => workspaceNode(ctx, w)),
    deployment: () => orNull(store.deployments.get(b.deploymentId ?? ''), (d) => deploymentNode(ctx, d)),
  }
}

/** A service account's one binding, named after the account. */
export function serviceAccountBindingNode(ctx: DemoContext, a: ServiceAccount) {
  const { store } = ctx
  return {
    id: `rb-${a.id}`,
    role: a.role,
    createdAt: a.createdAt,
    updatedAt: a.updatedAt,
    user: null,
    team: null,
    serviceAccount: () => serviceAccountNode(ctx, a),
    workspace: () => (a.entityType === 'WORKSPACE' ? orNull(store.workspaces.get(a.entityId ?? ''), (w) => workspaceNode(ctx, w)) : null),
    deployment: () => (a.entityType === 'DEPLOYMENT' ? orNull(store.deployments.get(a.entityId ?? ''), (d) => deploymentNode(ctx, d)) : null),
  }
}

/** `apiKey` only in the answer to the mutation that created the account: Houston shows it once. */
export function serviceAccountNode(ctx: DemoContext, a: ServiceAccount, apiKey: string | null = null) {
  return {
    id: a.id,
    uuid: a.id,
    apiKey,
    label: a.label,
    category: a.category,
    entityType: a.entityType,
    entityUuid: a.entityId,
    // Houston aliases both to entityUuid; the demo gives each its meaning (the workspace of a deployment account)
    workspaceUuid: a.entityType === 'WORKSPACE' ? a.entityId : a.entityType === 'DEPLOYMENT' ? (ctx.store.deployments.get(a.entityId ?? '')?.workspaceId ?? null) : null,
    deploymentUuid: a.entityType === 'DEPLOYMENT' ? a.entityId : null,
    active: a.active,
    lastUsedAt: a.lastUsedAt,
    createdAt: a.createdAt,
    updatedAt: a.updatedAt,
    roleBinding: () => serviceAccountBindingNode(ctx, a),
  }
}

export function teamNode(ctx: DemoContext, t: Team) {
  return {
    id: t.id,
    name: t.name,
    createdAt: t.createdAt,
    updatedAt: t.updatedAt,
    roleBindings: () => ctx.store.bindings((b) => b.teamId === t.id).map((b) => roleBindingNode(ctx, b)),
  }
}

export function inviteNode(i: Invite) {
  return { id: i.id, uuid: i.id, assignments: null, role: i.role, email: i.email, token: i.token, createdAt: i.createdAt, updatedAt: i.updatedAt }
}

export function authUserNode(ctx: DemoContext, u: User, token: { value: string; iat: number; exp: number } | null) {
  const admin = isSystemAdmin(ctx.store, u.id)
  return {
    user: userNode(ctx, u),
    token: token === null ? null : { value: token.value, payload: { uuid: u.id, iat: token.iat, exp: token.exp } },
    // Permissions are permgate's to compute from its policy; the demo does not hold the roles.
    permissions: null,
    isAdmin: admin,
    authUserCapabilities: { canSysAdmin: admin },
  }
}

export function serviceAccountsOn(ctx: DemoContext, entityType: ServiceAccount['entityType'], entityId: string | null): ServiceAccount[] {
  return [...ctx.store.serviceAccounts.values()].filter((a) => a.entityType === entityType && (entityId === null || a.entityId === entityId))
}

const orNull = <T, R>(value: T | undefined, f: (v: T) => R): R | null => (value === undefined ? null : f(value))
