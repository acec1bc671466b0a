import type { Deployment, Invite, RoleBinding, ServiceAccount, Team, User, Workspace } from './types.js'

const T0 = '2024-01-15T09:00:00.000Z'
/** Every seeded user's local-login password (demo data, in clear). */
export const SEED_PASSWORD = 'demo-password'

/**
 * The demo's data. Ids and role bindings match policies/houston/bindings.example.yaml (and the
 * test harness bindings), so the data and what permgate decides agree: workspaces w1 (d1, d2)
 * and w2 (d3); users u-admin (SYSTEM_ADMIN), u-1 (WORKSPACE_ADMIN on w1, DEPLOYMENT_EDITOR on
 * d3, SYSTEM_VIEWER), u-viewer (WORKSPACE_VIEWER on w1); service account sa-ci (DEPLOYMENT_EDITOR
 * on d1); team t-data-eng, the bindings file's group data-eng (WORKSPACE_EDITOR on w2). Not in
 * the bindings file (so permgate grants them nothing): u-admin's WORKSPACE_ADMIN on w2, sa-reports
 * (WORKSPACE_VIEWER on w2) and sa-monitoring (SYSTEM_VIEWER). Release names: release-names.ts.
 */
export interface Seed {
  workspaces: Workspace[]
  deployments: Deployment[]
  users: User[]
  roleBindings: RoleBinding[]
  serviceAccounts: ServiceAccount[]
  teams: Team[]
  invites: Invite[]
}

const workspace = (id: string, label: string, description: string, billing: Partial<Workspace> = {}): Workspace => ({
  id,
  label,
  description,
  createdAt: T0,
  updatedAt: T0,
  active: true,
  properties: {},
  stripeCustomerId: null,
  trialEndsAt: null,
  card: null,
  ...billing,
})

const deployment = (
  id: string,
  workspaceId: string,
  label: string,
  releaseName: string,
  workers: number,
  extra: Partial<Deployment> = {},
): Deployment => ({
  id,
  workspaceId,
  label,
  description: '',
  type: 'airflow',
  releaseName,
  version: '0.16.0',
  airflowVersion: '2.2.5',
  status: 'HEALTHY',
  config: { executor: 'CeleryExecutor', workers: { replicas: workers }, scheduler: { replicas: 1 } },
  env: [
    { key: 'AIRFLOW__CORE__PARALLELISM', value: '32', isSecret: false },
    { key: 'WAREHOUSE_PASSWORD', value: 'not-a-real-secret', isSecret: true },
  ],
  createdAt: T0,
  updatedAt: T0,
  runtimeVersion: '4.2.9',
  desiredRuntimeVersion: null,
  desiredAirflowVersion: null,
  namespace: `astronomer-${releaseName}`,
  dagDeployment: { type: 'image' },
  properties: { extra_au: 0 },
  alertEmails: [],
  image: `registry.example.com/${releaseName}/airflow:deploy-1`,
  clusterId: null,
  ...extra,
})

const user = (id: string, username: string, fullName: string, extra: Partial<User> = {}): User => ({
  id,
  username,
  email: `${username}@example.com`,
  fullName,
  status: 'active',
  createdAt: T0,
  updatedAt: T0,
  password: SEED_PASSWORD,
  emailVerified: true,
  emailToken: `email-token-${id}`,
  resetToken: null,
  profile: [{ key: 'avatarUrl', value: `https://avatars.example.com/${username}.png`, category: 'profile' }],
  ...extra,
})

const binding = (id: string, role: string, on: Partial<RoleBinding>): RoleBinding => ({
  id,
  role,
  userId: null,
  teamId: null,
  workspaceId: null,
  deploymentId: null,
  createdAt: T0,
  updatedAt: T0,
  ...on,
})

const serviceAccount = (
  id: string,
  label: string,
  category: string,
  entityType: ServiceAccount['entityType'],
  entityId: string | null,
  role: string,
): ServiceAccount => ({ id, label, category, entityType, entityId, role, active: true, createdAt: T0, updatedAt: T0, lastUsedAt: null })

export function seed(): Seed {
  return {
    workspaces: [
      workspace('w1', 'Data Platform', 'Pipelines that feed the warehouse', {
        stripeCustomerId: 'cus_demo_w1',
        card: { name: 'Jane Doe', brand: 'Visa', last4: '4242', expMonth: 12, expYear: 2030, billingEmail: 'billing@example.com', company: 'Example Corp' },
      }),
      workspace('w2', 'Analytics', 'Reporting and dashboards'),
    ],
    deployments: [
      deployment('d1', 'w1', 'etl-prod', 'stellar-galaxy-1234', 3, { alertEmails: ['oncall@example.com'] }),
      deployment('d2', 'w1', 'etl-dev', 'nebular-comet-5678', 1, {
        desiredRuntimeVersion: '5.4.0',
        dagDeployment: { type: 'git_sync', repositoryUrl: 'https://git.example.com/data/dags.git', branchName: 'main', syncInterval: 60, dagDirectoryLocation: 'dags/' },
      }),
      deployment('d3', 'w2', 'reports', 'lunar-orbit-9012', 2),
    ],
    users: [
      user('u-admin', 'admin', 'Ada Admin'),
      user('u-1', 'jdoe', 'Jane Doe'),
      // a password reset requested and not yet used (forgotPassword issues a random one)
      user('u-viewer', 'vroe', 'Victor Roe', { resetToken: 'reset-token-u-viewer' }),
    ],
    // Order matters to the v0.12.1 answers: workspace members are listed in binding order.
    roleBindings: [
      binding('rb-1', 'SYSTEM_ADMIN', { userId: 'u-admin' }),
      binding('rb-2', 'WORKSPACE_ADMIN', { userId: 'u-1', workspaceId: 'w1' }),
      binding('rb-3', 'DEPLOYMENT_EDITOR', { userId: 'u-1', deploymentId: 'd3' }),
      binding('rb-4', 'SYSTEM_VIEWER', { userId: 'u-1' }),
      binding('rb-5', 'WORKSPACE_VIEWER', { userId: 'u-viewer', workspaceId: 'w1' }),
      binding('rb-6', 'WORKSPACE_ADMIN', { userId: 'u-admin', workspaceId: 'w2' }),
      binding('rb-7', 'WORKSPACE_EDITOR', { teamId: 't-data-eng', workspaceId: 'w2' }),
    ],
    serviceAccounts: [
      serviceAccount('sa-ci', 'ci', 'CI', 'DEPLOYMENT', 'd1', 'DEPLOYMENT_EDITOR'),
      serviceAccount('sa-reports', 'report-publisher', 'Reporting', 'WORKSPACE', 'w2', 'WORKSPACE_VIEWER'),
      serviceAccount('sa-monitoring', 'monitoring', 'Platform', 'SYSTEM', null, 'SYSTEM_VIEWER'),
    ],
    teams: [{ id: 't-data-eng', name: 'data-eng', userIds: ['u-1'], createdAt: T0, updatedAt: T0 }],
    invites: [
      { id: 'inv-1', email: 'new.hire@example.com', role: 'WORKSPACE_VIEWER', token: 'invite-token-1', workspaceId: 'w1', createdAt: T0, updatedAt: T0 },
      { id: 'inv-2', email: 'contractor@example.com', role: 'USER', token: 'invite-token-2', workspaceId: null, createdAt: T0, updatedAt: T0 },
    ],
  }
}
