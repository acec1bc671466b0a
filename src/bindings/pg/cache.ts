// What the store holds in memory: per subject, team and API key, the last answer with how far it
// can be trusted, the fetches in flight, and which cached subjects are members of which team.
import { LRUCache } from 'lru-cache'
import type { Binding, SubjectEntry } from '../types.js'

/**
 * How far a cached entry can be trusted: `Infinity` while the listener vouches for it (every change
 * since the fetch would have been notified); a time when it is unconfirmed since then (notifications
 * may have been missed); `-Infinity` when a notification said it changed (never served after a
 * failed refetch: a revocation is never lost).
 */
export interface Cached {
  fetchedAt: number
  trustedUntil: number
}
export interface SubjectRecord extends Cached {
  entry: SubjectEntry | undefined
  teams: readonly string[]
}
export interface TeamRecord extends Cached {
  bindings: readonly Binding[]
}
export interface KeyRecord extends Cached {
  subject: string | undefined
}

/** One fetch in flight, shared by concurrent callers; `trust` drops when it is invalidated meanwhile. */
export interface Flight {
  promise: Promise<void>
  readonly startedAt: number
  trust: number
  /** Teams whose bindings changed while a subject fetch was in flight. */
  teamsHit: Set<string> | undefined
}

/** Entries of one kind, least recently used evicted, with the fetches in flight for them. */
export class Table<R extends Cached> {
  readonly lru: LRUCache<string, R>
  readonly flights = new Map<string, Flight>()

  constructor(max: number, dispose?: (r: R, id: string) => void) {
    this.lru = dispose === undefined ? new LRUCache<string, R>({ max }) : new LRUCache<string, R>({ max, dispose: (r, id) => dispose(r, id) })
  }

  /** A fetch of `id` starts now; `settle` gives it its promise. */
  start(id: string, now: number): Flight {
    const f: Flight = { promise: Promise.resolve(), startedAt: now, trust: Infinity, teamsHit: undefined }
    this.flights.set(id, f)
    return f
  }

  /** The fetch's outcome: the flight ends with it (a later one for the same id is not touched). */
  settle(id: string, f: Flight, p: Promise<void>): Promise<void> {
    f.promise = p.finally(() => {
      if (this.flights.get(id) === f) this.flights.delete(id)
    })
    return f.promise
  }

  invalidate(id: string): void {
    const r = this.lru.peek(id)
    if (r !== undefined) r.trustedUntil = -Infinity
    const f = this.flights.get(id)
    if (f !== undefined) f.trust = -Infinity
  }

  invalidateAll(): void {
    for (const r of this.lru.values()) r.trustedUntil = -Infinity
    for (const f of this.flights.values()) f.trust = -Infinity
  }

  /** Notifications may have been missed since `since`. */
  unconfirm(since: number): void {
    for (const r of this.lru.values()) r.trustedUntil = Math.min(r.trustedUntil, since)
    for (const f of this.flights.values()) f.trust = Math.min(f.trust, f.startedAt)
  }
}

/** Whether a cached entry answers without a refetch: vouched for by a live listener, and younger than the TTL. */
export function isFresh(r: Cached | undefined, now: number, connected: boolean, ttlMs: number): boolean {
  return r !== undefined && connected && r.trustedUntil === Infinity && now - r.fetchedAt < ttlMs
}

/** What a fetch that completes now may be trusted until: unconfirmed from its start if the listener is down. */
export function trustOf(f: Flight, connected: boolean): number {
  return Math.min(f.trust, connected ? Infinity : f.startedAt)
}

/** Cached subjects by team, so that a change of a team's bindings reaches its members. */
export class TeamIndex {
  private readonly membersOf = new Map<string, Set<string>>()

  members(team: string): Iterable<string> {
    return this.membersOf.get(team) ?? []
  }

  add(id: string, teams: readonly string[]): void {
    for (const t of teams) {
      let s = this.membersOf.get(t)
      if (s === undefined) this.membersOf.set(t, (s = new Set()))
      s.add(id)
    }
  }

  remove(id: string, teams: readonly string[]): void {
    for (const t of teams) {
      const s = this.membersOf.get(t)
      if (s === undefined) continue
      s.delete(id)
      if (s.size === 0) this.membersOf.delete(t)
    }
  }
}
