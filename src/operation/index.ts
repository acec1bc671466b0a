export type { ExtractedOperation, OperationType, RootField } from '../policy/operation.js'
export type { ParseLimits } from './types.js'
export {
  DEFAULT_LIMITS,
  DEFAULT_MAX_ALIASES,
  DEFAULT_MAX_DEPTH,
  DEFAULT_MAX_ROOT_FIELDS,
  DEFAULT_MAX_TOKENS,
} from './limits.js'
export { parseDocument } from './parse.js'
export { DEFAULT_ROOT_TYPE_NAMES, extractOperation, selectOperation } from './select.js'
export { resolveArgPath, resolveArgument } from '../policy/args.js'
export {
  DEFAULT_DOCUMENT_CACHE_MAX_CHARS,
  DEFAULT_DOCUMENT_CACHE_SIZE,
  DocumentCache,
  type DocumentCacheOptions,
  type DocumentCacheStats,
} from './cache.js'
