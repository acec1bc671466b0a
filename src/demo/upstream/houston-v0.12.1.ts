import { GraphQLError, type GraphQLFieldResolver } from 'graphql'
import type { DemoApi, SubscriptionEvent } from './api.js'
import { argString } from './args.js'
import { mutationResolvers } from './mutations.js'
import { queryResolvers } from './queries.js'
import { houstonSchema } from './schema.js'
import type { DemoContext, RootResolver } from './types.js'
import { logLines } from './views.js'

function lookup(table: Readonly<Record<string, RootResolver>>, name: string): RootResolver | undefined {
  return Object.hasOwn(table, name) ? table[name] : undefined
}

// Every field returns the JSON scalar, so only root fields ever reach this resolver.
const rootResolver: GraphQLFieldResolver<unknown, DemoContext> = (_source, args, ctx, info) => {
  const table = info.parentType.name === 'Mutation' ? mutationResolvers : queryResolvers
  const resolve = lookup(table, info.fieldName)
  return resolve === undefined ? { field: info.fieldName, ok: true } : resolve(args, ctx)
}

/** `Subscription` fields: a short stream of JSON values per field. */
const events: Readonly<Record<string, SubscriptionEvent>> = {
  log: (args, { store }, i) => {
    const id = argString(args, 'deploymentUuid') ?? ''
    const d = store.deployments.get(id)
    if (d === undefined) throw new GraphQLError(`No deployment ${id}`)
    const lines = logLines(d)
    return lines[i % lines.length]
  },
  metrics: (args, _ctx, i) => ({ deploymentUuid: argString(args, 'deploymentUuid') ?? null, step: i, value: (i + 1) * 10 }),
  deploymentStatus: (args, _ctx, i, total) => ({ releaseName: argString(args, 'releaseName') ?? null, sequence: i, status: i + 1 < total ? 'DEPLOYING' : 'HEALTHY' }),
}

/** Houston v0.12.1: the root fields of policies/houston/schema.graphql, each returning JSON. */
export const houstonV0121: DemoApi = { name: 'v0.12.1', schema: houstonSchema, fieldResolver: rootResolver, events }
