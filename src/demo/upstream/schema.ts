import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { buildSchema, type GraphQLSchema } from 'graphql'
import { findPackageRoot } from './package-root.js'

/** The Houston SDL shipped with the policy, relative to the package root. */
export const HOUSTON_SDL_PATH = join('policies', 'houston', 'schema.graphql')

/**
 * The demo's Houston 0.3x SDL (object types, no @auth), relative to the package root. Kept
 * beside its resolvers under src/, which the package ships; tsc does not copy it to dist/, so
 * it is read from the package root in both cases.
 */
export const HOUSTON_03X_SDL_PATH = join('src', 'demo', 'upstream', 'houston-0.3x', 'schema.graphql')

const cached = new Map<string, GraphQLSchema>()

function load(path: string): GraphQLSchema {
  let schema = cached.get(path)
  if (schema === undefined) {
    schema = buildSchema(readFileSync(join(findPackageRoot(), path), 'utf8'))
    cached.set(path, schema)
  }
  return schema
}

/** The Houston v0.12.1 schema built once from its SDL; every root field returns the JSON scalar. */
export const houstonSchema = (): GraphQLSchema => load(HOUSTON_SDL_PATH)

/** The Houston 0.3x schema (platform 0.30-0.35) built once from its SDL. */
export const houston03xSchema = (): GraphQLSchema => load(HOUSTON_03X_SDL_PATH)
