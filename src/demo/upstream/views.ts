import type { DemoStore } from './store.js'
import type { Deployment, ServiceAccount, User, Workspace } from './types.js'

// Shapes returned to clients; copies, so a later mutation never changes an answer already built.

export function workspaceView(store: DemoStore, w: Workspace) {
  const { id, label, description, createdAt, updatedAt } = w
  return { id, label, description, createdAt, updatedAt, deploymentCount: store.deploymentsOf(w.id).length }
}

export function deploymentView(store: DemoStore, d: Deployment) {
  const w = store.workspaces.get(d.workspaceId)
  const { id, label, description, type, releaseName, version, airflowVersion, status, createdAt, updatedAt } = d
  return {
    id,
    label,
    description,
    type,
    releaseName,
    version,
    airflowVersion,
    status,
    createdAt,
    updatedAt,
    workspace: w === undefined ? null : { id: w.id, label: w.label },
    config: structuredClone(d.config),
    // Houston never returns a secret's value once stored.
    env: d.env.map((e) => ({ ...e, value: e.isSecret ? '' : e.value })),
    urls: [{ type: 'airflow', url: `https://deployments.example.com/${d.releaseName}/airflow` }],
  }
}

export function userView(store: DemoStore, u: User) {
  return {
    id: u.id,
    username: u.username,
    fullName: u.fullName,
    status: u.status,
    emails: [{ address: u.email, primary: true, verified: true }],
    workspaces: store
      .bindings((b) => b.userId === u.id && b.workspaceId !== null)
      .map((b) => ({ id: b.workspaceId, label: store.workspaces.get(b.workspaceId ?? '')?.label ?? null, role: b.role })),
    createdAt: u.createdAt,
  }
}

export function memberView(store: DemoStore, u: User, role: string) {
  return { ...userView(store, u), role }
}

export function serviceAccountView(a: ServiceAccount) {
  return {
    id: a.id,
    label: a.label,
    category: a.category,
    entityType: a.entityType,
    entityUuid: a.entityId,
    roleBinding: { role: a.role },
    active: a.active,
    createdAt: a.createdAt,
  }
}

const LOG_LINES: readonly (readonly [component: string, message: string])[] = [
  ['scheduler', 'Starting the scheduler'],
  ['scheduler', 'Filling up the DagBag from /usr/local/airflow/dags'],
  ['webserver', 'Listening at: http://0.0.0.0:8080'],
  ['worker', 'celery@worker-0 ready.'],
  ['worker', 'Task extract_orders succeeded'],
  ['worker', 'Task load_orders failed: connection refused'],
]

export function logLines(d: Deployment) {
  return LOG_LINES.map(([component, message], i) => ({
    id: `${d.id}-log-${i + 1}`,
    timestamp: new Date(Date.UTC(2024, 0, 15, 9, 0, i * 5)).toISOString(),
    release: d.releaseName,
    component,
    level: message.includes('failed') ? 'error' : 'info',
    message,
  }))
}
