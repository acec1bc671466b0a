import type { ParseLimits } from './types.js'

/** Lexical tokens per document (graphql-js counts every non-comment token). */
export const DEFAULT_MAX_TOKENS = 10_000
/** Selection nesting levels; a root field is level 1. */
export const DEFAULT_MAX_DEPTH = 15
/** Aliased fields per operation, counted each time a fragment is expanded. */
export const DEFAULT_MAX_ALIASES = 50
/** Root fields per operation, counted each time a fragment is expanded. */
export const DEFAULT_MAX_ROOT_FIELDS = 32

export const DEFAULT_LIMITS: Readonly<ParseLimits> = Object.freeze({
  maxTokens: DEFAULT_MAX_TOKENS,
  maxDepth: DEFAULT_MAX_DEPTH,
  maxAliases: DEFAULT_MAX_ALIASES,
  maxRootFields: DEFAULT_MAX_ROOT_FIELDS,
})
