import { loadBindingsFile } from '../bindings/file.js'
import { compilePolicy } from './compile.js'
import { loadPolicy } from './load.js'
import type { BindingsChange, BindingsStore, Subject } from '../bindings/types.js'
import type { ExtractedOperation } from './operation.js'
import { NO_CONTEXT, type RequestContext } from './context.js'
import { decide, type Decision } from './decide.js'
import { compilePrincipal, type PrincipalMasks } from './principal.js'
import { DEFAULT_DECISIONS_PER_PRINCIPAL, PrincipalCache, type CacheCounters, type CachedPrincipal } from './principal-cache.js'
import type { CompiledPolicy } from './types.js'

/** Compiled principals kept in memory. @default 10_000 entries */
export const DEFAULT_PRINCIPAL_CACHE_SIZE = 10_000

export interface AuthorizerOptions {
  /** @default DEFAULT_PRINCIPAL_CACHE_SIZE */
  principalCacheSize?: number
}

/** Principal masks cache (`size` entries), and the per-principal decision caches. */
export interface AuthorizerStats extends CacheCounters {
  size: number
  decisions: CacheCounters
}

// A store outlives the Authorizers made over it (each policy reload makes one): its listener holds
// the Authorizer weakly, and is removed once the Authorizer is collected.
const unsubscribeWhenCollected = new FinalizationRegistry<() => void>((off) => off())

/**
 * A compiled policy and a bindings store, with a cache of compiled principals and what is derived
 * from them. A new policy or store is a new Authorizer (swapped in whole), so a cache never mixes
 * versions; a change inside the store drops the entries it names (`onChange`), or, for a store
 * without change events, every entry when its `version` moves.
 */
export class Authorizer {
  readonly policy: CompiledPolicy
  readonly store: BindingsStore
  private readonly cache: PrincipalCache
  private readonly decisionCounters: CacheCounters = { hits: 0, misses: 0, evictions: 0 }
  /** The store version the cache was filled at; undefined when the store's change events are followed instead. */
  private storeVersion: number | undefined

  constructor(policy: CompiledPolicy, store: BindingsStore, opts: AuthorizerOptions = {}) {
    this.policy = policy
    this.store = store
    this.cache = new PrincipalCache(opts.principalCacheSize ?? DEFAULT_PRINCIPAL_CACHE_SIZE, (p) => compilePrincipal(policy, store, p))
    if (store.onChange === undefined) {
      this.storeVersion = store.version
    } else {
      const self = new WeakRef(this)
      const off = store.onChange((change) => self.deref()?.changed(change))
      unsubscribeWhenCollected.register(this, off)
    }
  }

  /**
   * Makes the principal's bindings available in memory (a database store loads them on demand):
   * undefined when they are (the hot path), else a Promise; rejects 503 when the store cannot answer.
   */
  prepare(principal: Subject): Promise<void> | undefined {
    return this.store.prepare?.(principal)
  }

  /** The principal's effective masks, computed on first use and cached. */
  masks(principal: Subject): PrincipalMasks {
    return this.entry(principal).masks
  }

  /**
   * Decides one operation. `ctx` carries what the request says besides (the client address, for
   * IP conditions); decisions that cannot depend on it or on variables are cached per principal.
   */
  decide(principal: Subject, op: ExtractedOperation, variables: Readonly<Record<string, unknown>> | undefined, ctx: RequestContext = NO_CONTEXT): Decision {
    const e = this.entry(principal)
    if (op.usesVariables || this.policy.ipRules) return decide(this.policy, e.masks, op, variables, ctx, e)
    const decisions = e.decisions
    let d = decisions.get(op)
    if (d !== undefined) {
      this.decisionCounters.hits++
    } else {
      this.decisionCounters.misses++
      d = decide(this.policy, e.masks, op, undefined, NO_CONTEXT, e)
      // shared by every request of the pair from now on: make it immutable
      Object.freeze(d.denied)
      Object.freeze(d)
      if (decisions.size >= DEFAULT_DECISIONS_PER_PRINCIPAL) {
        this.decisionCounters.evictions += decisions.size
        decisions.clear()
      }
      decisions.set(op, d)
    }
    return d
  }

  stats(): AuthorizerStats {
    return { ...this.cache.counters, size: this.cache.size, decisions: { ...this.decisionCounters } }
  }

  private entry(principal: Subject): CachedPrincipal {
    if (this.storeVersion !== undefined && this.store.version !== this.storeVersion) {
      this.cache.clear()
      this.storeVersion = this.store.version
    }
    return this.cache.get(principal)
  }

  /** The store took in a change: what was derived from what it names is computed again on next use. */
  private changed(change: BindingsChange): void {
    this.cache.drop(change)
  }
}

/** A policy directory (with overlays) compiled, and its bindings file loaded against it. */
export function loadAuthorizer(policyDir: string, overlays: readonly string[], bindingsFile: string, opts: AuthorizerOptions = {}): Authorizer {
  const policy = compilePolicy(loadPolicy(policyDir, { overlays }))
  return new Authorizer(policy, loadBindingsFile(bindingsFile, policy), opts)
}
