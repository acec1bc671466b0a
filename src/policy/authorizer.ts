import { LRUCache } from 'lru-cache'
import { loadBindingsFile } from '../bindings/file.js'
import { compilePolicy } from './compile.js'
import { loadPolicy } from './load.js'
import type { BindingsStore, Subject } from '../bindings/types.js'
import type { ExtractedOperation } from '../operation/types.js'
import { NO_CONTEXT, type RequestContext } from './context.js'
import { decide, type Decision } from './decide.js'
import { compilePrincipal, DEFAULT_DECISIONS_PER_PRINCIPAL, type PrincipalMasks } from './principal.js'
import type { CompiledPolicy } from './types.js'

/** Compiled principals kept in memory. @default 10_000 entries */
export const DEFAULT_PRINCIPAL_CACHE_SIZE = 10_000

export interface AuthorizerOptions {
  /** @default DEFAULT_PRINCIPAL_CACHE_SIZE */
  principalCacheSize?: number
}

/**
 * A compiled policy and a bindings store, with a cache of compiled principals. A new policy or
 * store is a new Authorizer (swapped in whole), so a cache never mixes versions.
 */
export class Authorizer {
  readonly policy: CompiledPolicy
  readonly store: BindingsStore
  private readonly cache: LRUCache<string, PrincipalMasks>
  /**
   * The same principal object (the identity stage caches one per verified token) maps straight
   * to its masks, skipping the key string and the LRU; entries go with the principal.
   */
  private byObject = new WeakMap<Subject, PrincipalMasks>()
  private readonly counters = { hits: 0, misses: 0, evictions: 0 }
  private readonly decisionCounters = { hits: 0, misses: 0, evictions: 0 }
  private storeVersion: number

  constructor(policy: CompiledPolicy, store: BindingsStore, opts: AuthorizerOptions = {}) {
    this.policy = policy
    this.store = store
    this.storeVersion = store.version
    this.cache = new LRUCache({
      max: opts.principalCacheSize ?? DEFAULT_PRINCIPAL_CACHE_SIZE,
      dispose: (_v, _k, reason) => {
        if (reason === 'evict') this.counters.evictions++
      },
    })
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
    if (this.store.version !== this.storeVersion) {
      this.cache.clear()
      this.byObject = new WeakMap()
      this.storeVersion = this.store.version
    }
    const known = this.byObject.get(principal)
    if (known !== undefined) {
      this.counters.hits++
      return known
    }
    // \u0000 cannot occur in ids or group names that reach here from JSON or YAML keys unnoticed,
    // and the kind is part of the key so a user and a service account never share an entry.
    const key = `${principal.kind}\u0000${principal.id ?? ''}\u0000${principal.groups.join('\u0000')}`
    let m = this.cache.get(key)
    if (m) {
      this.counters.hits++
    } else {
      this.counters.misses++
      m = compilePrincipal(this.policy, this.store, principal)
      this.cache.set(key, m)
    }
    this.byObject.set(principal, m)
    return m
  }

  /**
   * Decides one operation. `ctx` carries what the request says besides (the client address, for
   * IP conditions); decisions that cannot depend on it or on variables are cached per principal.
   */
  decide(principal: Subject, op: ExtractedOperation, variables: Readonly<Record<string, unknown>> | undefined, ctx: RequestContext = NO_CONTEXT): Decision {
    const pm = this.masks(principal)
    if (op.usesVariables || this.policy.ipRules) return decide(this.policy, pm, op, variables, ctx)
    let d = pm.decisions.get(op)
    if (d !== undefined) {
      this.decisionCounters.hits++
    } else {
      this.decisionCounters.misses++
      d = decide(this.policy, pm, op, undefined)
      // shared by every request of the pair from now on: make it immutable
      Object.freeze(d.denied)
      Object.freeze(d)
      if (pm.decisions.size >= DEFAULT_DECISIONS_PER_PRINCIPAL) {
        this.decisionCounters.evictions += pm.decisions.size
        pm.decisions.clear()
      }
      pm.decisions.set(op, d)
    }
    return d
  }

  /** Principal masks cache (`size` entries), and the per-principal decision caches. */
  stats(): { hits: number; misses: number; evictions: number; size: number; decisions: { hits: number; misses: number; evictions: number } } {
    return { ...this.counters, size: this.cache.size, decisions: { ...this.decisionCounters } }
  }
}

/** A policy directory (with overlays) compiled, and its bindings file loaded against it. */
export function loadAuthorizer(policyDir: string, overlays: readonly string[], bindingsFile: string, opts: AuthorizerOptions = {}): Authorizer {
  const policy = compilePolicy(loadPolicy(policyDir, { overlays }))
  return new Authorizer(policy, loadBindingsFile(bindingsFile, policy), opts)
}
