import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { buildSchema, type GraphQLSchema } from 'graphql'
import { findPackageRoot } from './package-root.js'

/** The Houston SDL shipped with the policy, relative to the package root. */
export const HOUSTON_SDL_PATH = join('policies', 'houston', 'schema.graphql')

let cached: GraphQLSchema | undefined

/** The Houston schema built once from its SDL; every root field returns the JSON scalar. */
export function houstonSchema(): GraphQLSchema {
  cached ??= buildSchema(readFileSync(join(findPackageRoot(), HOUSTON_SDL_PATH), 'utf8'))
  return cached
}
