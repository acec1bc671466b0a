import { defaultFieldResolver, GraphQLError, type GraphQLFieldResolver } from 'graphql'
import type { DemoApi, SubscriptionEvent } from '../api.js'
import { argString } from '../args.js'
import { houston03xSchema } from '../schema.js'
import type { DemoContext, RootResolver } from '../types.js'
import { logLines } from '../views.js'
import { accountMutations } from './mutations-account.js'
import { deploymentMutations } from './mutations-deployments.js'
import { iamMutations } from './mutations-iam.js'
import { queryResolvers } from './queries.js'

const mutationResolvers: Readonly<Record<string, RootResolver>> = { ...deploymentMutations, ...iamMutations, ...accountMutations }

function lookup(table: Readonly<Record<string, RootResolver>>, name: string): RootResolver | undefined {
  return Object.hasOwn(table, name) ? table[name] : undefined
}

// Root fields from the tables; every other field by graphql-js's default (a property, or a
// function of the node called with the field's arguments).
const fieldResolver: GraphQLFieldResolver<unknown, DemoContext> = (source, args, ctx, info) => {
  const table = info.parentType.name === 'Query' ? queryResolvers : info.parentType.name === 'Mutation' ? mutationResolvers : undefined
  if (table === undefined) return defaultFieldResolver(source, args, ctx, info)
  const resolve = lookup(table, info.fieldName)
  if (resolve === undefined) throw new GraphQLError(`The demo does not serve ${info.parentType.name}.${info.fieldName}`)
  return resolve(args, ctx)
}

const METRIC_TYPES = ['DEPLOYMENT_STATUS']

const events: Readonly<Record<string, SubscriptionEvent>> = {
  /** DeploymentLog lines of the deployment, of `component` when given, in a loop. */
  log: (args, { store }, i) => {
    const d = store.deployment(argString(args, 'deploymentUuid'))
    const component = argString(args, 'component')
    const lines = logLines(d)
    const chosen = lines.filter((l) => component === undefined || l.component === component)
    const from = chosen.length > 0 ? chosen : lines
    return from[i % from.length]
  },
  /** [Metric]: one per requested metricType, the value growing with each step. */
  metrics: (args, { store }, i) => {
    const d = store.deployment(argString(args, 'deploymentUuid'))
    const types = Array.isArray(args['metricType']) && args['metricType'].length > 0 ? (args['metricType'] as string[]) : METRIC_TYPES
    return types.map((label) => ({ label, result: { deploymentUuid: d.id, releaseName: d.releaseName, step: i, value: (i + 1) * 10 } }))
  },
  /** DeploymentStatus of a release: DEPLOYING, then HEALTHY with the last event. */
  deploymentStatus: (args, { store }, i, total) => {
    const releaseName = argString(args, 'releaseName')
    const d = store.byReleaseName(releaseName)
    if (d === undefined) throw new GraphQLError(`Deployment with release name ${releaseName ?? '(none)'} not found`)
    return { result: { releaseName: d.releaseName, deploymentUuid: d.id, sequence: i, status: i + 1 < total ? 'DEPLOYING' : 'HEALTHY' } }
  },
}

/** Houston 0.3x (platform 0.30-0.35): src/demo/upstream/houston-0.3x/schema.graphql over the store. */
export const houston03x: DemoApi = { name: '0.3x', schema: houston03xSchema, fieldResolver, events }
