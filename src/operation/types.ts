/** Limits on the work a client's document can cause. Every one has a named default. */
export interface ParseLimits {
  /** graphql-js `maxTokens`. @default DEFAULT_MAX_TOKENS */
  maxTokens: number
  /** Deepest selection nesting, counted through fragments. @default DEFAULT_MAX_DEPTH */
  maxDepth: number
  /** Aliased fields in the selected operation, counted through fragments. @default DEFAULT_MAX_ALIASES */
  maxAliases: number
  /** Root fields of the selected operation. @default DEFAULT_MAX_ROOT_FIELDS */
  maxRootFields: number
}
