import type { Deployment, Membership, ServiceAccount, User, Workspace } from './types.js'

const T0 = '2024-01-15T09:00:00.000Z'

/** Ids match policies/houston/bindings.example.yaml, so the demo policy and data agree. */
export interface Seed {
  workspaces: Workspace[]
  deployments: Deployment[]
  users: User[]
  memberships: Membership[]
  serviceAccounts: ServiceAccount[]
}

const workspace = (id: string, label: string, description: string): Workspace => ({
  id,
  label,
  description,
  createdAt: T0,
  updatedAt: T0,
})

const deployment = (
  id: string,
  workspaceId: string,
  label: string,
  releaseName: string,
  workers: number,
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
})

const user = (id: string, username: string, fullName: string): User => ({
  id,
  username,
  email: `${username}@example.com`,
  fullName,
  status: 'active',
  createdAt: T0,
})

export function seed(): Seed {
  return {
    workspaces: [
      workspace('w1', 'Data Platform', 'Pipelines that feed the warehouse'),
      workspace('w2', 'Analytics', 'Reporting and dashboards'),
    ],
    deployments: [
      deployment('d1', 'w1', 'etl-prod', 'stellar-galaxy-1234', 3),
      deployment('d2', 'w1', 'etl-dev', 'nebular-comet-5678', 1),
      deployment('d3', 'w2', 'reports', 'lunar-orbit-9012', 2),
    ],
    users: [
      user('u-admin', 'admin', 'Ada Admin'),
      user('u-1', 'jdoe', 'Jane Doe'),
      user('u-viewer', 'vroe', 'Victor Roe'),
    ],
    memberships: [
      { userId: 'u-1', workspaceId: 'w1', role: 'WORKSPACE_ADMIN' },
      { userId: 'u-viewer', workspaceId: 'w1', role: 'WORKSPACE_VIEWER' },
      { userId: 'u-admin', workspaceId: 'w2', role: 'WORKSPACE_ADMIN' },
    ],
    serviceAccounts: [
      {
        id: 'sa-ci',
        label: 'ci',
        category: 'CI',
        entityType: 'DEPLOYMENT',
        entityId: 'd1',
        role: 'DEPLOYMENT_EDITOR',
        active: true,
        createdAt: T0,
      },
      {
        id: 'sa-reports',
        label: 'report-publisher',
        category: 'Reporting',
        entityType: 'WORKSPACE',
        entityId: 'w2',
        role: 'WORKSPACE_VIEWER',
        active: true,
        createdAt: T0,
      },
    ],
  }
}
