// The Authorizer's memory of principals: compiled masks, and beside them (never inside them) the
// decisions and deployment masks derived from them, bounded, dropped per subject or group when
// the bindings store says what changed.
import { LRUCache } from 'lru-cache'
import type { BindingsChange, Subject } from '../bindings/types.js'
import type { Decision } from './decide.js'
import { resolveDeploymentMask, type DeploymentMasks } from './holds.js'
import type { ExtractedOperation } from './operation.js'
import type { PrincipalMasks } from './principal.js'
import type { Mask } from './types.js'

/** Cached decisions (and, separately, resolved deployment masks) per principal; the map is emptied when it reaches this. @default 256 */
export const DEFAULT_DECISIONS_PER_PRINCIPAL = 256

export interface CacheCounters {
  hits: number
  misses: number
  evictions: number
}

/**
 * One principal's masks with what is derived from them. It answers the decision's deployment
 * reads from a small map, so a decision on a deployment does not OR its direct and cascaded
 * masks again.
 */
export class CachedPrincipal implements DeploymentMasks {
  /** Decisions of operations that use no variables, by operation: they depend on nothing else. */
  readonly decisions = new Map<ExtractedOperation, Decision>()
  private readonly resolved = new Map<string, Mask | null>()
  /** Set when the entry leaves the cache: a holder of it (the per-object map) must look again. */
  dropped = false

  constructor(
    readonly masks: PrincipalMasks,
    readonly key: string,
  ) {}

  deploymentMask(pm: PrincipalMasks, id: string): Mask | null {
    if (pm !== this.masks) return resolveDeploymentMask(pm, id)
    const known = this.resolved.get(id)
    if (known !== undefined) return known
    const m = resolveDeploymentMask(pm, id)
    if (this.resolved.size >= DEFAULT_DECISIONS_PER_PRINCIPAL) this.resolved.clear()
    this.resolved.set(id, m)
    return m
  }
}

/**
 * Compiled principals by kind, id and groups, least recently used evicted, with an index by
 * subject id and by group so that a change naming a few drops just theirs.
 */
export class PrincipalCache {
  readonly counters: CacheCounters = { hits: 0, misses: 0, evictions: 0 }
  private readonly lru: LRUCache<string, CachedPrincipal>
  /**
   * The same principal object (the identity stage caches one per verified token) maps straight
   * to its entry, skipping the key string and the LRU; entries go with the principal.
   */
  private byObject = new WeakMap<Subject, CachedPrincipal>()
  private readonly bySubject = new Map<string, Set<CachedPrincipal>>()
  private readonly byGroup = new Map<string, Set<CachedPrincipal>>()

  constructor(
    max: number,
    private readonly compile: (principal: Subject) => PrincipalMasks,
  ) {
    this.lru = new LRUCache({
      max,
      dispose: (entry, _key, reason) => {
        if (reason === 'evict') this.counters.evictions++
        entry.dropped = true
        this.unindex(entry)
      },
    })
  }

  get size(): number {
    return this.lru.size
  }

  /** The principal's entry, compiled on first use. */
  get(principal: Subject): CachedPrincipal {
    const known = this.byObject.get(principal)
    if (known !== undefined && !known.dropped) {
      this.counters.hits++
      return known
    }
    // \u0000 cannot occur in ids or group names that reach here from JSON or YAML keys unnoticed,
    // and the kind is part of the key so a user and a service account never share an entry.
    const key = `${principal.kind}\u0000${principal.id ?? ''}\u0000${principal.groups.join('\u0000')}`
    let entry = this.lru.get(key)
    if (entry !== undefined) {
      this.counters.hits++
    } else {
      this.counters.misses++
      entry = new CachedPrincipal(this.compile(principal), key)
      this.lru.set(key, entry)
      this.index(entry)
    }
    this.byObject.set(principal, entry)
    return entry
  }

  /** Drops what the change touched: the entries of the subjects and groups it names, or all. */
  drop(change: BindingsChange): void {
    if (change.all) {
      this.clear()
      return
    }
    for (const id of change.subjects) this.dropAll(this.bySubject.get(id))
    for (const g of change.groups) this.dropAll(this.byGroup.get(g))
  }

  clear(): void {
    this.lru.clear()
    this.bySubject.clear()
    this.byGroup.clear()
    this.byObject = new WeakMap()
  }

  private dropAll(entries: Set<CachedPrincipal> | undefined): void {
    if (entries === undefined) return
    // deleting disposes the entry, which takes it out of this very set: iterate a copy
    for (const e of [...entries]) this.lru.delete(e.key)
  }

  private index(entry: CachedPrincipal): void {
    const p = entry.masks.principal
    if (p.kind === 'anonymous') return // no bindings: only a change of everything reaches it
    if (p.id !== null) addTo(this.bySubject, p.id, entry)
    for (const g of p.groups) addTo(this.byGroup, g, entry)
  }

  private unindex(entry: CachedPrincipal): void {
    const p = entry.masks.principal
    if (p.kind === 'anonymous') return
    if (p.id !== null) removeFrom(this.bySubject, p.id, entry)
    for (const g of p.groups) removeFrom(this.byGroup, g, entry)
  }
}

function addTo(index: Map<string, Set<CachedPrincipal>>, k: string, entry: CachedPrincipal): void {
  let s = index.get(k)
  if (s === undefined) index.set(k, (s = new Set()))
  s.add(entry)
}

function removeFrom(index: Map<string, Set<CachedPrincipal>>, k: string, entry: CachedPrincipal): void {
  const s = index.get(k)
  if (s === undefined) return
  s.delete(entry)
  if (s.size === 0) index.delete(k)
}
