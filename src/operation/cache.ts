import { LRUCache } from 'lru-cache'
import { PermgateError, type ErrorCode } from '../errors.js'
import { DEFAULT_LIMITS } from './limits.js'
import { parseDocument } from './parse.js'
import { DEFAULT_ROOT_TYPE_NAMES, extractOperation } from './select.js'
import type { ExtractedOperation, OperationType } from '../policy/operation.js'
import type { ParseLimits } from './types.js'

/** Entries kept (one per query text and operation name). */
export const DEFAULT_DOCUMENT_CACHE_SIZE = 1000
/** Query text kept across all entries, in UTF-16 code units (2 bytes each): 32 MiB. */
export const DEFAULT_DOCUMENT_CACHE_MAX_CHARS = 16 * 1024 * 1024

export interface DocumentCacheOptions {
  /** Most entries kept. @default DEFAULT_DOCUMENT_CACHE_SIZE */
  max?: number
  /**
   * Most query text kept across entries, in UTF-16 code units, so a few huge documents
   * cannot hold the memory of `max` entries; a longer query is answered but not kept.
   * @default DEFAULT_DOCUMENT_CACHE_MAX_CHARS
   */
  maxChars?: number
  /** Limits applied to every document; unset ones take their default. @default DEFAULT_LIMITS */
  limits?: Partial<ParseLimits>
  /** The schema's root type names; unset ones take their default. @default DEFAULT_ROOT_TYPE_NAMES */
  rootTypeNames?: Partial<Record<OperationType, string>>
}

export interface DocumentCacheStats {
  readonly hits: number
  readonly misses: number
  readonly evictions: number
  readonly size: number
}

type Entry =
  | { readonly ok: true; readonly operation: ExtractedOperation }
  | { readonly ok: false; readonly code: ErrorCode; readonly message: string }

/**
 * Parsed and extracted operations by query text and operation name. A rejected document
 * is kept too, as its error, so a client repeating an expensive invalid document does not
 * make permgate parse it again; both share the same bounded LRU.
 */
export class DocumentCache {
  readonly limits: Readonly<ParseLimits>
  readonly #rootTypeNames: Readonly<Record<OperationType, string>>
  readonly #lru: LRUCache<string, Entry>
  #hits = 0
  #misses = 0
  #evictions = 0

  constructor(options: DocumentCacheOptions = {}) {
    this.limits = Object.freeze({
      maxTokens: options.limits?.maxTokens ?? DEFAULT_LIMITS.maxTokens,
      maxDepth: options.limits?.maxDepth ?? DEFAULT_LIMITS.maxDepth,
      maxAliases: options.limits?.maxAliases ?? DEFAULT_LIMITS.maxAliases,
      maxRootFields: options.limits?.maxRootFields ?? DEFAULT_LIMITS.maxRootFields,
    })
    this.#rootTypeNames = Object.freeze({ ...DEFAULT_ROOT_TYPE_NAMES, ...options.rootTypeNames })
    this.#lru = new LRUCache<string, Entry>({
      max: options.max ?? DEFAULT_DOCUMENT_CACHE_SIZE,
      maxSize: options.maxChars ?? DEFAULT_DOCUMENT_CACHE_MAX_CHARS,
      sizeCalculation: (_entry, key) => key.length,
      dispose: (_entry, _key, reason) => {
        if (reason === 'evict') this.#evictions += 1
      },
    })
  }

  /** The extraction of `operationName` from `query`, parsed at most once while cached. */
  get(query: string, operationName: string | undefined | null): ExtractedOperation {
    if (typeof query !== 'string') return this.#extract(query, operationName)
    const key = cacheKey(query, operationName)
    let entry = this.#lru.get(key)
    if (entry !== undefined) {
      this.#hits += 1
    } else {
      this.#misses += 1
      entry = this.#compute(query, operationName)
      this.#lru.set(key, entry)
    }
    if (entry.ok) return entry.operation
    throw new PermgateError(entry.code, entry.message)
  }

  stats(): DocumentCacheStats {
    return { hits: this.#hits, misses: this.#misses, evictions: this.#evictions, size: this.#lru.size }
  }

  #compute(query: string, operationName: string | undefined | null): Entry {
    try {
      return { ok: true, operation: this.#extract(query, operationName) }
    } catch (e) {
      if (e instanceof PermgateError) return { ok: false, code: e.code, message: e.message }
      throw e
    }
  }

  #extract(query: string, operationName: string | undefined | null): ExtractedOperation {
    return extractOperation(parseDocument(query, this.limits), operationName, this.limits, this.#rootTypeNames)
  }
}

/**
 * The operation name is length-prefixed so that no (name, query) pair can produce another
 * pair's key, whatever characters a client puts in either.
 */
function cacheKey(query: string, operationName: string | undefined | null): string {
  return operationName == null ? `-${query}` : `${operationName.length}:${operationName}${query}`
}
