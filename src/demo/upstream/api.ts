import type { GraphQLFieldResolver, GraphQLSchema } from 'graphql'
import { houston03x } from './houston-0.3x/api.js'
import { houstonV0121 } from './houston-v0.12.1.js'
import type { DemoContext } from './types.js'

/**
 * Which Houston the demo upstream speaks: `v0.12.1`, every root field returning the JSON scalar
 * (policies/houston/schema.graphql), or `0.3x`, platform 0.30-0.35 with its object types
 * (src/demo/upstream/houston-0.3x/schema.graphql).
 */
export type HoustonApi = 'v0.12.1' | '0.3x'
export const HOUSTON_APIS: readonly HoustonApi[] = ['v0.12.1', '0.3x']

/** The i-th value (0-based) of a subscription field's stream of `total`. */
export type SubscriptionEvent = (args: Record<string, unknown>, ctx: DemoContext, i: number, total: number) => unknown

/** One Houston API over the shared store: its schema, how its fields resolve, its subscription events. */
export interface DemoApi {
  readonly name: HoustonApi
  schema(): GraphQLSchema
  /** For every field without a resolver of its own (graphql-js `fieldResolver`). */
  readonly fieldResolver: GraphQLFieldResolver<unknown, DemoContext>
  readonly events: Readonly<Record<string, SubscriptionEvent>>
}

export function demoApi(name: HoustonApi): DemoApi {
  if (name === 'v0.12.1') return houstonV0121
  if (name === '0.3x') return houston03x
  throw new RangeError(`houston must be one of ${HOUSTON_APIS.join(', ')}, got ${String(name)}`)
}
