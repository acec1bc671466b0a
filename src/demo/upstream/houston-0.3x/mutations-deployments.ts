import { argBoolean, argRecord, argString, optional } from '../args.js'
import { toEnv } from '../mutations.js'
import { isValidReleaseName } from '../release-names.js'
import type { DemoStore } from '../store.js'
import type { DemoContext, Deployment, RootResolver } from '../types.js'
import { AIRFLOW_CHART_VERSION, AIRFLOW_VERSIONS, EXECUTORS, runtimeRelease } from './catalogue.js'
import { applyLabels } from './common.js'
import { deploymentNode, maskedEnv } from './nodes.js'

// Deployment mutations of Houston 0.3x: creation, configuration, versions, images, variables.

/** Component inputs (Workers, Scheduler, Webserver, Triggerer) and executor, merged into config. */
const COMPONENTS = ['workers', 'scheduler', 'webserver', 'triggerer'] as const

function withoutNulls(input: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(input).filter(([, v]) => v !== null && v !== undefined))
}

function applySettings(d: Deployment, args: Record<string, unknown>): void {
  const config = argRecord(args, 'config')
  if (config !== undefined) d.config = { ...d.config, ...structuredClone(config) }
  const executor = argString(args, 'executor')
  if (executor !== undefined) d.config['executor'] = executor
  for (const name of COMPONENTS) {
    const input = argRecord(args, name)
    if (input === undefined) continue
    const previous = d.config[name]
    d.config[name] = { ...(typeof previous === 'object' && previous !== null ? previous : {}), ...withoutNulls(input) }
  }
  const dagDeployment = argRecord(args, 'dagDeployment')
  if (dagDeployment !== undefined) d.dagDeployment = withoutNulls(dagDeployment)
  const properties = argRecord(args, 'properties')
  if (properties !== undefined) d.properties = { ...d.properties, ...structuredClone(properties) }
  const cloudRole = argString(args, 'cloudRole')
  if (cloudRole !== undefined) d.properties['cloudRole'] = cloudRole
  const env = toEnv(args['environmentVariables'], d.env)
  if (env !== undefined) d.env = env
}

function checkedRuntime(version: string): { version: string; airflowVersion: string } {
  const release = runtimeRelease(version)
  if (release === undefined) throw new Error(`Runtime version ${version} is not available`)
  return release
}

function checkedReleaseName(store: DemoStore, releaseName: string | undefined): string | undefined {
  if (releaseName === undefined) return undefined
  if (!isValidReleaseName(releaseName)) throw new Error(`Release name ${releaseName} is not valid: 1-63 letters, digits and '-'`)
  if (store.byReleaseName(releaseName) !== undefined) throw new Error(`Release name ${releaseName} is already taken`)
  return releaseName
}

function create(ctx: DemoContext, workspaceId: string, args: Record<string, unknown>): Deployment {
  const { store } = ctx
  const runtimeVersion = argString(args, 'runtimeVersion')
  const runtime = runtimeVersion === undefined ? undefined : checkedRuntime(runtimeVersion)
  const executor = argString(args, 'executor')
  if (executor !== undefined && !(EXECUTORS as readonly string[]).includes(executor)) throw new Error(`Executor ${executor} is not available`)
  const d = store.addDeployment(workspaceId, {
    ...optional('releaseName', checkedReleaseName(store, argString(args, 'releaseName'))),
    ...optional('label', argString(args, 'label')),
    ...optional('namespace', argString(args, 'namespace')),
    ...optional('runtimeVersion', runtime?.version),
    ...optional('airflowVersion', runtime?.airflowVersion ?? argString(args, 'airflowVersion')),
    version: argString(args, 'version') ?? AIRFLOW_CHART_VERSION,
    ...optional('clusterId', argString(args, 'clusterId')),
    description: argString(args, 'description') ?? '',
    type: argString(args, 'type') ?? 'airflow',
  })
  applySettings(d, args)
  d.image = `registry.example.com/${d.releaseName}/airflow:deploy-1`
  return d
}

function update(ctx: DemoContext, d: Deployment, args: Record<string, unknown>): Deployment {
  applyLabels(d, argRecord(args, 'payload'))
  const label = argString(args, 'label')
  if (label !== undefined) d.label = label
  const description = argString(args, 'description')
  if (description !== undefined) d.description = description
  applySettings(d, args)
  const desired = argString(args, 'desiredRuntimeVersion')
  if (desired !== undefined) d.desiredRuntimeVersion = checkedRuntime(desired).version
  const image = argString(args, 'image')
  if (image !== undefined) d.image = image
  d.updatedAt = ctx.store.now()
  return d
}

const deploymentArg = (ctx: DemoContext, args: Record<string, unknown>) => ctx.store.deployment(argString(args, 'deploymentUuid'))

export const deploymentMutations: Readonly<Record<string, RootResolver>> = {
  createDeployment: (args, ctx) => deploymentNode(ctx, create(ctx, ctx.store.workspace(argString(args, 'workspaceUuid')).id, args)),

  updateDeployment: (args, ctx) => deploymentNode(ctx, update(ctx, deploymentArg(ctx, args), args)),

  /** With deploymentUuid (or, Houston 2.1's image deploy, only a known releaseName) an update; else a creation. */
  upsertDeployment: (args, ctx) => {
    const id = argString(args, 'deploymentUuid')
    const workspaceId = argString(args, 'workspaceUuid')
    const byRelease = id === undefined && workspaceId === undefined ? ctx.store.byReleaseName(argString(args, 'releaseName')) : undefined
    if (id !== undefined || byRelease !== undefined) return deploymentNode(ctx, update(ctx, byRelease ?? ctx.store.deployment(id), args))
    if (workspaceId === undefined) throw new Error('upsertDeployment needs deploymentUuid to update or workspaceUuid to create')
    return deploymentNode(ctx, create(ctx, ctx.store.workspace(workspaceId).id, args))
  },

  deleteDeployment: (args, ctx) => {
    const d = deploymentArg(ctx, args)
    const node = deploymentNode(ctx, d)
    ctx.store.deployments.delete(d.id)
    ctx.store.dropBindingsOn({ deploymentId: d.id })
    for (const [id, a] of ctx.store.serviceAccounts) if (a.entityType === 'DEPLOYMENT' && a.entityId === d.id) ctx.store.serviceAccounts.delete(id)
    return { ...node, status: argBoolean(args, 'deploymentHardDelete') === true ? 'HARD_DELETED' : 'DELETED' }
  },

  /** Takes over an Airflow custom resource; the caller becomes its DEPLOYMENT_ADMIN (facts: design note). */
  adoptDeployment: (args, ctx) => {
    const w = ctx.store.workspace(argString(args, 'workspaceUuid'))
    const d = create(ctx, w.id, {
      ...args,
      releaseName: argString(args, 'crName'),
      namespace: argString(args, 'crNamespace'),
      properties: { useApcLogging: argBoolean(args, 'useApcLogging') ?? false, useApcRegistry: argBoolean(args, 'useApcRegistry') ?? false },
    })
    d.status = 'HEALTHY'
    if (ctx.subject !== undefined && ctx.store.users.has(ctx.subject)) ctx.store.addBinding('DEPLOYMENT_ADMIN', { userId: ctx.subject, deploymentId: d.id })
    return deploymentNode(ctx, d)
  },

  /** Houston lets go of the deployment without deleting its resources. */
  unadoptDeployment: (args, ctx) => {
    const d = deploymentArg(ctx, args)
    const node = deploymentNode(ctx, d)
    ctx.store.deployments.delete(d.id)
    ctx.store.dropBindingsOn({ deploymentId: d.id })
    return { ...node, status: 'UNADOPTED' }
  },

  upgradeDeployment: (args, ctx) => {
    const d = deploymentArg(ctx, args)
    d.version = argString(args, 'version') ?? d.version
    d.updatedAt = ctx.store.now()
    return deploymentNode(ctx, d)
  },

  /** Sets the target; the upgrade completes with the next image deploy. */
  updateDeploymentAirflow: (args, ctx) => {
    const d = deploymentArg(ctx, args)
    const version = argString(args, 'desiredAirflowVersion') ?? ''
    if (!AIRFLOW_VERSIONS.includes(version)) throw new Error(`Airflow version ${version} is not available`)
    d.desiredAirflowVersion = version
    d.updatedAt = ctx.store.now()
    return deploymentNode(ctx, d)
  },

  updateDeploymentRuntime: (args, ctx) => {
    const d = deploymentArg(ctx, args)
    d.desiredRuntimeVersion = checkedRuntime(argString(args, 'desiredRuntimeVersion') ?? '').version
    d.updatedAt = ctx.store.now()
    return deploymentNode(ctx, d)
  },

  cancelRuntimeUpdate: (args, ctx) => {
    const d = deploymentArg(ctx, args)
    d.desiredRuntimeVersion = null
    d.updatedAt = ctx.store.now()
    return deploymentNode(ctx, d)
  },

  /** A deploy by image (BYO registry): names the deployment by its release only. */
  updateDeploymentImage: (args, ctx) => {
    const releaseName = argString(args, 'releaseName')
    const d = ctx.store.byReleaseName(releaseName)
    if (d === undefined) throw new Error(`Deployment with release name ${releaseName ?? '(none)'} not found`)
    d.image = argString(args, 'image') ?? d.image
    const runtimeVersion = argString(args, 'runtimeVersion')
    if (runtimeVersion !== undefined) {
      const runtime = checkedRuntime(runtimeVersion)
      d.runtimeVersion = runtime.version
      d.airflowVersion = runtime.airflowVersion
      if (d.desiredRuntimeVersion === runtime.version) d.desiredRuntimeVersion = null
    }
    const airflowVersion = argString(args, 'airflowVersion')
    if (airflowVersion !== undefined) {
      d.airflowVersion = airflowVersion
      if (d.desiredAirflowVersion === airflowVersion) d.desiredAirflowVersion = null
    }
    d.updatedAt = ctx.store.now()
    return deploymentNode(ctx, d)
  },

  /** Houston v0.16.6 does not check that releaseName names the same deployment; neither does the demo. */
  updateDeploymentVariables: (args, ctx) => {
    const d = deploymentArg(ctx, args)
    d.env = toEnv(args['environmentVariables'], d.env) ?? d.env
    d.updatedAt = ctx.store.now()
    return maskedEnv(d)
  },

  deploymentAlertsUpdate: (args, ctx) => {
    const d = deploymentArg(ctx, args)
    const emails = args['alertEmails']
    d.alertEmails = Array.isArray(emails) ? emails.filter((e): e is string => typeof e === 'string') : []
    d.updatedAt = ctx.store.now()
    return deploymentNode(ctx, d)
  },
}
