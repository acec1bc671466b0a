import { LRUCache } from 'lru-cache'
import type { Principal } from '../identity/types.js'
import { sha256Hex } from './api-key.js'
import { DEFAULT_TOKEN_CACHE_MAX_TTL_MS } from './types.js'

export interface CachedIdentity {
  readonly principal: Principal
  /** The token's `exp` in epoch milliseconds; the entry is never returned at or after it. */
  readonly expiresAtMs: number | undefined
}

export interface TokenCacheStats {
  readonly hits: number
  readonly misses: number
  /** Entries pushed out by newer ones (the cache was full). */
  readonly evictions: number
  /** Entries dropped because their token expired or they outlived the TTL. */
  readonly expirations: number
  readonly size: number
}

/** One object per cached token (the cache churns under new tokens: fewer objects, less GC). */
interface Entry extends CachedIdentity {
  readonly validUntilMs: number
}

/**
 * Verified tokens, so a token repeated on every request is verified once. Keyed by the
 * SHA-256 of the token rather than the token: 64 characters per entry instead of up to
 * `maxTokenBytes` (10,000 entries of 8 KiB tokens would hold 80 MiB), and a heap dump holds
 * no replayable bearer token. The price is one hash per lookup, about a microsecond.
 */
export class TokenCache {
  readonly #lru: LRUCache<string, Entry>
  readonly #now: () => number
  readonly #maxTtlMs: number
  #hits = 0
  #misses = 0
  #evictions = 0
  #expirations = 0

  constructor(max: number, now: () => number, maxTtlMs: number = DEFAULT_TOKEN_CACHE_MAX_TTL_MS) {
    this.#now = now
    this.#maxTtlMs = maxTtlMs
    this.#lru = new LRUCache<string, Entry>({
      max,
      // TTLs run on the injected clock; 0 reads it on every check instead of caching it for 1 ms.
      perf: { now },
      ttlResolution: 0,
      dispose: (_v, _k, reason) => {
        if (reason === 'evict') this.#evictions += 1
        else if (reason === 'expire') this.#expirations += 1
      },
    })
  }

  /** The identity a still-valid token was verified as, or undefined. */
  get(token: string): CachedIdentity | undefined {
    const key = sha256Hex(token)
    const entry = this.#lru.get(key)
    if (entry === undefined) {
      this.#misses += 1
      return undefined
    }
    // Checked here on the injected clock, to the millisecond; the LRU's own TTL only frees memory.
    if (entry.validUntilMs <= this.#now()) {
      this.#lru.delete(key)
      this.#expirations += 1
      this.#misses += 1
      return undefined
    }
    this.#hits += 1
    return entry
  }

  /** Like `get`, without counting a hit or a miss (for a second look right after `get`/`set`). */
  peek(token: string): CachedIdentity | undefined {
    const entry = this.#lru.peek(sha256Hex(token))
    return entry === undefined || entry.validUntilMs <= this.#now() ? undefined : entry
  }

  /** Keeps `identity` until the token's `exp` or the TTL bound, whichever is first. */
  set(token: string, identity: CachedIdentity): void {
    const now = this.#now()
    const validUntilMs = Math.min(identity.expiresAtMs ?? Infinity, now + this.#maxTtlMs)
    const ttl = Math.ceil(validUntilMs - now)
    if (ttl < 1) return
    this.#lru.set(sha256Hex(token), { principal: identity.principal, expiresAtMs: identity.expiresAtMs, validUntilMs }, { ttl })
  }

  stats(): TokenCacheStats {
    return { hits: this.#hits, misses: this.#misses, evictions: this.#evictions, expirations: this.#expirations, size: this.#lru.size }
  }
}
