// Subjects, teams and API keys loaded on demand into the cache: one fetch per id in flight,
// shared by its callers; each answer kept with the trust its fetch earned; a failed fetch
// answered from the cache only while ./staleness.ts allows; notifications mark entries stale.
import type { Binding, BindingsChange, Subject, SubjectEntry } from '../types.js'
import { isFresh, Table, TeamIndex, trustOf, type Cached, type Flight, type KeyRecord, type SubjectRecord, type TeamRecord } from './cache.js'
import type { Notice } from './notification.js'
import { Q_KEY, Q_SUBJECT, Q_TEAMS, SQL_KEY, SQL_SUBJECT, SQL_TEAMS, sameBindings, sameEntry, subjectOf, teamsOf, type KeyRow, type Query, type SubjectRead, type SubjectRow, type TeamRow } from './queries.js'
import type { Health } from './staleness.js'

export interface LoaderOptions {
  /** Queries for subjects, teams and keys (the store makes them fail fast while the database is down). */
  readonly query: Query
  readonly health: Health
  readonly now: () => number
  /** An entry older than this is refetched, ms. */
  readonly ttlMs: number
  /** Entries per table, least recently used evicted. */
  readonly maxEntries: number
  /** A fetch failed: the store records it (and, for a connection-level failure, loses the listener). */
  failed(e: unknown): void
  /** A refetch found an entry other than the one cached. */
  changed(change: BindingsChange): void
}

const noop = (): void => {}
const NO_BINDINGS: readonly Binding[] = Object.freeze([])
const EVERYTHING: BindingsChange = Object.freeze({ all: true })

export class BindingsLoader {
  hits = 0
  misses = 0
  private readonly subjects: Table<SubjectRecord>
  private readonly teams: Table<TeamRecord>
  private readonly keys: Table<KeyRecord>
  /** Cached subjects by team (a team's change reaches them). */
  private readonly members = new TeamIndex()

  constructor(private readonly o: LoaderOptions) {
    this.subjects = new Table<SubjectRecord>(o.maxEntries, (r, id) => this.members.remove(id, r.teams))
    this.teams = new Table<TeamRecord>(o.maxEntries)
    this.keys = new Table<KeyRecord>(o.maxEntries)
  }

  get size(): number {
    return this.subjects.lru.size
  }

  subject(id: string): SubjectEntry | undefined {
    return this.subjects.lru.get(id)?.entry
  }

  group(name: string): readonly Binding[] | undefined {
    return this.teams.lru.get(name)?.bindings
  }

  keyOwner(hex: string): string | undefined {
    return this.keys.lru.get(hex)?.subject
  }

  prepare(principal: Subject): Promise<void> | undefined {
    const id = principal.id
    if (principal.kind === 'anonymous' || id === null) return undefined
    const now = this.o.now()
    const needSubject = !this.fresh(this.subjects.lru.get(id), now)
    let needTeams = false
    const groups = principal.groups
    for (let i = 0; i < groups.length; i++) {
      if (!this.fresh(this.teams.lru.get(groups[i] as string), now)) {
        needTeams = true
        break
      }
    }
    if (!needSubject && !needTeams) {
      this.hits++
      return undefined
    }
    this.misses++
    const waits: Promise<void>[] = []
    if (needSubject) waits.push(this.fetchSubject(id))
    if (needTeams) this.fetchTeams(groups, now, waits)
    return waits.length === 1 ? (waits[0] as Promise<void>) : Promise.all(waits).then(noop)
  }

  prepareApiKey(hex: string): Promise<void> | undefined {
    if (this.fresh(this.keys.lru.get(hex), this.o.now())) {
      this.hits++
      return undefined
    }
    this.misses++
    return this.fetchKey(hex)
  }

  /** Marks what a notification names as stale (refetched on the next prepare); returns what changed. Deployments are ./deployments.ts's. */
  invalidate(n: Exclude<Notice, { kind: 'deployment' }>): BindingsChange {
    switch (n.kind) {
      case 'subject':
        this.subjects.invalidate(n.id)
        return { all: false, subjects: [n.id], groups: [] }
      case 'key':
        this.keys.invalidate(n.key)
        this.subjects.invalidate(n.subject)
        return { all: false, subjects: [n.subject], groups: [] }
      case 'team': {
        this.teams.invalidate(n.team)
        const members = [...this.members.members(n.team)]
        for (const id of members) this.subjects.invalidate(id)
        // a subject being fetched may turn out to be a member: its answer may predate the change
        for (const f of this.subjects.flights.values()) (f.teamsHit ??= new Set()).add(n.team)
        return { all: false, subjects: members, groups: [n.team] }
      }
      case 'all':
        this.subjects.invalidateAll()
        this.teams.invalidateAll()
        this.keys.invalidateAll()
        return EVERYTHING
    }
  }

  /** Notifications may have been missed since `since`: nothing cached is vouched for past it. */
  unconfirm(since: number): void {
    this.subjects.unconfirm(since)
    this.teams.unconfirm(since)
    this.keys.unconfirm(since)
  }

  private fresh(r: Cached | undefined, now: number): boolean {
    return isFresh(r, now, this.o.health.connected, this.o.ttlMs)
  }

  /** A fetch failed: the cached entry answers if staleness allows, else the prepare rejects 503. */
  private failed(e: unknown, cached: Cached | undefined): void {
    this.o.failed(e)
    this.o.health.answerAfterFailure(cached)
  }

  private fetchSubject(id: string): Promise<void> {
    const running = this.subjects.flights.get(id)
    if (running !== undefined) return running.promise
    const f = this.subjects.start(id, this.o.now())
    const p = this.o.query<SubjectRow>(Q_SUBJECT, SQL_SUBJECT, [id]).then(
      (rows) => this.storeSubject(id, f, subjectOf(rows)),
      (e: unknown) => this.failed(e, this.subjects.lru.peek(id)),
    )
    return this.subjects.settle(id, f, p)
  }

  private storeSubject(id: string, f: Flight, read: SubjectRead): void {
    const { entry, teams } = read
    let trust = trustOf(f, this.o.health.connected)
    if (f.teamsHit !== undefined && teams.some((t) => f.teamsHit?.has(t))) trust = -Infinity
    const prev = this.subjects.lru.peek(id)
    if (prev === undefined) {
      this.subjects.lru.set(id, { fetchedAt: f.startedAt, trustedUntil: trust, entry, teams })
      this.members.add(id, teams)
      return
    }
    const changed = !sameEntry(prev.entry, entry)
    this.members.remove(id, prev.teams)
    prev.entry = entry
    prev.teams = teams
    prev.fetchedAt = f.startedAt
    prev.trustedUntil = trust
    this.members.add(id, teams)
    if (changed) this.o.changed({ all: false, subjects: [id], groups: [] })
  }

  private fetchTeams(groups: readonly string[], now: number, waits: Promise<void>[]): void {
    let batch: Map<string, Flight> | undefined
    for (const name of groups) {
      if (batch?.has(name) || this.fresh(this.teams.lru.peek(name), now)) continue
      const running = this.teams.flights.get(name)
      if (running !== undefined) {
        waits.push(running.promise)
        continue
      }
      ;(batch ??= new Map()).set(name, this.teams.start(name, this.o.now()))
    }
    if (batch === undefined) return
    const grouped = this.o.query<TeamRow>(Q_TEAMS, SQL_TEAMS, [[...batch.keys()]]).then(teamsOf)
    for (const [name, f] of batch) {
      const p = grouped.then(
        (by) => this.storeTeam(name, f, by.get(name) ?? NO_BINDINGS),
        (e: unknown) => this.failed(e, this.teams.lru.peek(name)),
      )
      waits.push(this.teams.settle(name, f, p))
    }
  }

  private storeTeam(name: string, f: Flight, bindings: readonly Binding[]): void {
    const trust = trustOf(f, this.o.health.connected)
    const prev = this.teams.lru.peek(name)
    if (prev === undefined) {
      this.teams.lru.set(name, { fetchedAt: f.startedAt, trustedUntil: trust, bindings })
      return
    }
    const changed = !sameBindings(prev.bindings, bindings)
    prev.bindings = bindings
    prev.fetchedAt = f.startedAt
    prev.trustedUntil = trust
    if (changed) this.o.changed({ all: false, subjects: [], groups: [name] })
  }

  private fetchKey(hex: string): Promise<void> {
    const running = this.keys.flights.get(hex)
    if (running !== undefined) return running.promise
    const f = this.keys.start(hex, this.o.now())
    const p = this.o.query<KeyRow>(Q_KEY, SQL_KEY, [hex]).then(
      (rows) => this.storeKey(hex, f, rows[0]?.subject_id),
      (e: unknown) => this.failed(e, this.keys.lru.peek(hex)),
    )
    return this.keys.settle(hex, f, p)
  }

  private storeKey(hex: string, f: Flight, subject: string | undefined): void {
    const trust = trustOf(f, this.o.health.connected)
    const prev = this.keys.lru.peek(hex)
    if (prev === undefined) {
      this.keys.lru.set(hex, { fetchedAt: f.startedAt, trustedUntil: trust, subject })
      return
    }
    const before = prev.subject
    prev.subject = subject
    prev.fetchedAt = f.startedAt
    prev.trustedUntil = trust
    if (before !== subject) this.o.changed({ all: false, subjects: [before, subject].filter((s) => s !== undefined), groups: [] })
  }
}
