import { argRecord, argString, optional } from './args.js'
import type { EnvVar, RootResolver } from './types.js'
import { deploymentView, workspaceView } from './views.js'

/** Env vars from a JSON argument; a secret sent back empty keeps its stored value, as Houston does. */
export function toEnv(value: unknown, previous: readonly EnvVar[]): EnvVar[] | undefined {
  if (!Array.isArray(value)) return undefined
  const env: EnvVar[] = []
  for (const item of value as unknown[]) {
    if (typeof item !== 'object' || item === null) continue
    const { key, value: v, isSecret } = item as Record<string, unknown>
    if (typeof key !== 'string' || key === '') continue
    const secret = isSecret === true
    const kept = secret && (v === undefined || v === '') ? previous.find((e) => e.key === key)?.value : undefined
    env.push({ key, value: kept ?? (v === undefined || v === null ? '' : String(v)), isSecret: secret })
  }
  return env
}

function applyText(target: { label: string; description: string }, payload: Record<string, unknown> | undefined) {
  if (typeof payload?.['label'] === 'string') target.label = payload['label']
  if (typeof payload?.['description'] === 'string') target.description = payload['description']
}

export const mutationResolvers: Readonly<Record<string, RootResolver>> = {
  createWorkspace: (args, { store, subject }) => {
    const label = argString(args, 'label')
    const w = store.addWorkspace(label, argString(args, 'description') ?? '', subject)
    return workspaceView(store, w)
  },

  updateWorkspace: (args, { store }) => {
    const w = store.workspace(argString(args, 'workspaceUuid'))
    applyText(w, argRecord(args, 'payload'))
    w.updatedAt = store.now()
    return workspaceView(store, w)
  },

  deleteWorkspace: (args, { store }) => {
    const w = store.workspace(argString(args, 'workspaceUuid'))
    if (store.deploymentsOf(w.id).length > 0) throw new Error(`Workspace ${w.id} still has deployments`)
    store.workspaces.delete(w.id)
    store.dropBindingsOn({ workspaceId: w.id })
    return workspaceView(store, w)
  },

  createDeployment: (args, { store }) => {
    const w = store.workspace(argString(args, 'workspaceUuid'))
    const d = store.addDeployment(w.id, {
      ...optional('label', argString(args, 'label')),
      description: argString(args, 'description') ?? '',
      type: argString(args, 'type') ?? 'airflow',
      version: argString(args, 'version') ?? '0.16.0',
      airflowVersion: argString(args, 'airflowVersion') ?? '2.2.5',
      config: { executor: 'CeleryExecutor', ...argRecord(args, 'config') },
      env: toEnv(args['env'], []) ?? [],
    })
    return deploymentView(store, d)
  },

  updateDeployment: (args, { store }) => {
    const d = store.deployment(argString(args, 'deploymentUuid'))
    applyText(d, argRecord(args, 'payload'))
    const config = argRecord(args, 'config')
    if (config !== undefined) d.config = { ...d.config, ...structuredClone(config) }
    const env = toEnv(args['env'], d.env)
    if (env !== undefined) d.env = env
    d.updatedAt = store.now()
    return deploymentView(store, d)
  },

  deleteDeployment: (args, { store }) => {
    const d = store.deployment(argString(args, 'deploymentUuid'))
    store.deployments.delete(d.id)
    return { ...deploymentView(store, d), status: 'DELETED' }
  },
}
