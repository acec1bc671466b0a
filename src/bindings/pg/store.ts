// One concept, large: the PostgreSQL bindings store (pool and prepared queries, the per-subject
// cache, the LISTEN connection with its reconnection and staleness). Its parts are not yet split
// into modules testable without a database.
import { LRUCache } from 'lru-cache'
import pg from 'pg'
import { PermgateError } from '../../errors.js'
import type { Binding, BindingsStore, Subject, SubjectEntry, SubjectKind } from '../types.js'
import { NOTIFY_CHANNEL, PERMGATE_TABLES } from './migrations.js'

/** An entry older than this is refetched on the next prepare. */
export const DEFAULT_PG_CACHE_TTL_MS = 60_000
/** With the database lost, cached entries keep answering this long; then prepare rejects 503. */
export const DEFAULT_PG_MAX_STALENESS_MS = 30_000
/** Subjects (and, separately, teams and API keys) held in memory, least recently used evicted. */
export const DEFAULT_PG_MAX_SUBJECTS = 100_000
/** pg.Pool `max`. */
export const DEFAULT_PG_POOL_SIZE = 4
/** Connecting and each query give up after this (a request never waits on the database longer). */
export const DEFAULT_PG_QUERY_TIMEOUT_MS = 5_000
/** The listener connection is pinged this often, so a silently dead connection is noticed. */
export const DEFAULT_PG_HEARTBEAT_MS = 5_000
const RECONNECT_MIN_MS = 100
const RECONNECT_MAX_MS = 5_000

export interface PgStoreOptions {
  /** postgres://user:password@host:port/database (the password never appears in an error). */
  readonly url: string
  /** @default DEFAULT_PG_CACHE_TTL_MS */
  readonly cacheTtlMs?: number
  /** @default DEFAULT_PG_MAX_STALENESS_MS */
  readonly maxStalenessMs?: number
  /** @default DEFAULT_PG_MAX_SUBJECTS */
  readonly maxSubjects?: number
  /** @default DEFAULT_PG_POOL_SIZE */
  readonly poolSize?: number
  /** @default DEFAULT_PG_QUERY_TIMEOUT_MS */
  readonly queryTimeoutMs?: number
  /** @default DEFAULT_PG_HEARTBEAT_MS */
  readonly heartbeatMs?: number
  /** Clock in ms, for tests. @default performance.now */
  readonly now?: () => number
}

export interface PgStoreStats {
  readonly subjects: number
  readonly hits: number
  readonly misses: number
  /** Queries issued for subjects, teams and API keys. */
  readonly fetches: number
  /** Notifications received (each marks entries stale), plus reconnects. */
  readonly invalidations: number
  /** The LISTEN connection is up: cached entries are kept current by notifications. */
  readonly connected: boolean
  /** How long (ms) the cache has gone unconfirmed (listener down); undefined while connected. */
  readonly staleSinceMs: number | undefined
}

/**
 * How far a cached entry can be trusted: `Infinity` while the listener vouches for it (every change
 * since the fetch would have been notified); a time when it is unconfirmed since then (notifications
 * may have been missed); `-Infinity` when a notification said it changed (never served after a
 * failed refetch: a revocation is never lost).
 */
interface Cached {
  fetchedAt: number
  trustedUntil: number
}
interface SubjectRecord extends Cached {
  entry: SubjectEntry | undefined
  teams: readonly string[]
}
interface TeamRecord extends Cached {
  bindings: readonly Binding[]
}
interface KeyRecord extends Cached {
  subject: string | undefined
}
/** One fetch in flight, shared by concurrent callers; `trust` drops when it is invalidated meanwhile. */
interface Flight {
  promise: Promise<void>
  readonly startedAt: number
  trust: number
  /** Teams whose bindings changed while a subject fetch was in flight. */
  teamsHit: Set<string> | undefined
}

class Table<R extends Cached> {
  readonly lru: LRUCache<string, R>
  readonly flights = new Map<string, Flight>()
  constructor(max: number, dispose?: (r: R, id: string) => void) {
    this.lru = dispose === undefined ? new LRUCache<string, R>({ max }) : new LRUCache<string, R>({ max, dispose: (r, id) => dispose(r, id) })
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

const Q_SUBJECT = 'permgate_subject_v1'
const SQL_SUBJECT = `
SELECT 0 AS k, 0::bigint AS n, kind AS a, NULL::text AS b, NULL::text AS c FROM permgate_subjects WHERE id = $1
UNION ALL
SELECT 1, id, role, workspace_id, deployment_id FROM permgate_role_bindings WHERE subject_id = $1
UNION ALL
SELECT 2, 0, team_id, NULL, NULL FROM permgate_team_members WHERE subject_id = $1
UNION ALL
SELECT 3, b.id, b.role, b.workspace_id, b.deployment_id FROM permgate_team_members m JOIN permgate_team_bindings b ON b.team_id = m.team_id WHERE m.subject_id = $1
ORDER BY 1, 2, 3`
const Q_TEAMS = 'permgate_teams_v1'
const SQL_TEAMS = 'SELECT team_id, role, workspace_id, deployment_id FROM permgate_team_bindings WHERE team_id = ANY($1::text[]) ORDER BY id'
const Q_KEY = 'permgate_key_v1'
const SQL_KEY = 'SELECT subject_id FROM permgate_service_account_keys WHERE key_sha256 = $1'
const Q_DEPLOYMENTS = 'permgate_deployments_v2'
const SQL_DEPLOYMENTS = 'SELECT id, workspace_id, release_name FROM permgate_deployments'
const Q_DEPLOYMENT_ROWS = 'permgate_deployment_rows_v2'
const SQL_DEPLOYMENT_ROWS = 'SELECT id, workspace_id, release_name FROM permgate_deployments WHERE id = ANY($1::text[])'
/** Columns the store reads that a later migration added: a database without them must be migrated first. */
const REQUIRED_COLUMNS: readonly (readonly [string, string])[] = [['permgate_deployments', 'release_name']]
const TABLES = PERMGATE_TABLES

interface SubjectRow {
  k: number
  a: string
  b: string | null
  c: string | null
}
interface DeploymentRow {
  id: string
  workspace_id: string
  release_name: string | null
}
interface TeamRow {
  team_id: string
  role: string
  workspace_id: string | null
  deployment_id: string | null
}

/** Rejected at once while the database is known to be down (until the listener reconnects). */
const DATABASE_DOWN = new Error('the database is down (waiting for the listener to reconnect)')
/** Server errors that mean the connection or the server is going away, not a bad query. */
const CONNECTION_SQLSTATES = new Set(['57P01', '57P02', '57P03', '53300', '53400'])

function isConnectionError(e: unknown): boolean {
  if (e instanceof pg.DatabaseError) return (e.code ?? '').startsWith('08') || CONNECTION_SQLSTATES.has(e.code ?? '')
  return true // refused, reset, timed out, terminated: anything that is not the server's answer to the query
}

const noop = (): void => {}

/**
 * Role bindings in PostgreSQL (schema: ./migrations.ts), loaded per subject on demand and cached.
 * Every change is notified on `permgate_bindings`; a notification marks the affected entries stale
 * (they keep answering until the next prepare refetches them). With the LISTEN connection lost,
 * cached entries answer for at most `maxStalenessMs` from the loss, then prepare rejects 503:
 * a security gateway denies on doubt and never loses a revocation.
 */
export class PgBindingsStore implements BindingsStore {
  version = 1
  readonly #listeners = new Set<() => void>()
  readonly deployments = new Map<string, string>()
  /** deployment -> its release name, and the reverse (both follow the table like `deployments`). */
  private readonly releaseOf = new Map<string, string>()
  private readonly byReleaseName = new Map<string, string>()
  /** The last database error, password redacted (for logs and health endpoints). */
  lastError: string | undefined

  private readonly url: string
  private readonly ttl: number
  private readonly maxStaleness: number
  private readonly queryTimeout: number
  private readonly heartbeatMs: number
  private readonly now: () => number
  private readonly redact: (s: string) => string
  private readonly pool: pg.Pool
  private readonly subjects: Table<SubjectRecord>
  private readonly teams: Table<TeamRecord>
  private readonly keys: Table<KeyRecord>
  /** team -> cached subjects that are its members (a team's change reaches them). */
  private readonly membersOf = new Map<string, Set<string>>()

  private listener: pg.Client | undefined
  private readonly deadClients = new WeakSet<pg.Client>()
  private connected = false
  /** Since when the listener is lost (defined exactly when !connected, once open). */
  private lostAt: number | undefined
  /** A connection-level failure was seen: queries fail fast until the listener reconnects. */
  private databaseDown = false
  private lastContact = 0
  private backoff = RECONNECT_MIN_MS
  private reconnectTimer: NodeJS.Timeout | undefined
  private reconnecting = false
  private heartbeatTimer: NodeJS.Timeout | undefined
  private pinging = false
  private closed = false
  private closing: Promise<void> | undefined

  private deploymentChain: Promise<void> = Promise.resolve()
  private readonly deploymentsPending = new Set<string>()
  private deploymentsScheduled = false

  private hits = 0
  private misses = 0
  private fetches = 0
  private invalidations = 0

  private constructor(opts: PgStoreOptions) {
    this.url = opts.url
    this.ttl = positive(opts.cacheTtlMs, DEFAULT_PG_CACHE_TTL_MS, 'cacheTtlMs')
    this.maxStaleness = positive(opts.maxStalenessMs, DEFAULT_PG_MAX_STALENESS_MS, 'maxStalenessMs')
    const maxSubjects = positive(opts.maxSubjects, DEFAULT_PG_MAX_SUBJECTS, 'maxSubjects')
    const poolSize = positive(opts.poolSize, DEFAULT_PG_POOL_SIZE, 'poolSize')
    this.queryTimeout = positive(opts.queryTimeoutMs, DEFAULT_PG_QUERY_TIMEOUT_MS, 'queryTimeoutMs')
    this.heartbeatMs = positive(opts.heartbeatMs, DEFAULT_PG_HEARTBEAT_MS, 'heartbeatMs')
    this.now = opts.now ?? (() => performance.now())
    this.redact = redactor(opts.url)
    this.subjects = new Table<SubjectRecord>(maxSubjects, (r, id) => this.unindex(id, r.teams))
    this.teams = new Table<TeamRecord>(maxSubjects)
    this.keys = new Table<KeyRecord>(maxSubjects)
    this.pool = new pg.Pool({
      connectionString: opts.url,
      max: poolSize,
      connectionTimeoutMillis: this.queryTimeout,
      query_timeout: this.queryTimeout,
      idleTimeoutMillis: 30_000,
      keepAlive: true,
      application_name: 'permgate',
    })
    // An idle client's error (server restart, network) must never crash the process; the listener
    // notices the same loss and handles it.
    this.pool.on('error', (e) => {
      this.lastError = this.describe(e)
    })
  }

  /**
   * Connects, checks the schema, starts listening and loads the deployments.
   * @throws PermgateError PERMGATE_ERR_BINDINGS_DATABASE when the database is unreachable or has no permgate tables
   */
  static async open(opts: PgStoreOptions): Promise<PgBindingsStore> {
    const store = new PgBindingsStore(opts)
    try {
      await store.checkSchema()
      const c = await store.connectListener()
      try {
        await store.reloadDeployments()
      } catch (e) {
        void c.end().catch(noop)
        throw e
      }
      if (store.deadClients.has(c)) throw new Error('the listener connection was lost while starting')
      store.listener = c
      store.connected = true
      store.lastContact = store.now()
      store.heartbeatTimer = setInterval(() => store.heartbeat(), store.heartbeatMs)
      store.heartbeatTimer.unref()
    } catch (e) {
      await store.close().catch(noop)
      if (e instanceof PermgateError) throw e
      throw new PermgateError('PERMGATE_ERR_BINDINGS_DATABASE', `cannot use the bindings database at ${where(opts.url)}: ${store.describe(e)}`)
    }
    return store
  }

  subject(id: string): SubjectEntry | undefined {
    return this.subjects.lru.get(id)?.entry
  }

  group(name: string): readonly Binding[] | undefined {
    return this.teams.lru.get(name)?.bindings
  }

  subjectByApiKeySha256(hex: string): string | undefined {
    return this.keys.lru.get(hex)?.subject
  }

  deploymentByReleaseName(name: string): string | undefined {
    return this.byReleaseName.get(name)
  }

  prepare(principal: Subject): Promise<void> | undefined {
    const id = principal.id
    if (principal.kind === 'anonymous' || id === null) return undefined
    const now = this.now()
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
    if (this.fresh(this.keys.lru.get(hex), this.now())) {
      this.hits++
      return undefined
    }
    this.misses++
    return this.fetchKey(hex)
  }

  stats(): PgStoreStats {
    return {
      subjects: this.subjects.lru.size,
      hits: this.hits,
      misses: this.misses,
      fetches: this.fetches,
      invalidations: this.invalidations,
      connected: this.connected,
      staleSinceMs: this.lostAt === undefined ? undefined : this.now() - this.lostAt,
    }
  }

  close(): Promise<void> {
    if (this.closing) return this.closing
    this.closed = true
    this.connected = false
    if (this.reconnectTimer !== undefined) clearTimeout(this.reconnectTimer)
    if (this.heartbeatTimer !== undefined) clearInterval(this.heartbeatTimer)
    const c = this.listener
    this.listener = undefined
    this.closing = Promise.all([c?.end().catch(noop), this.pool.end().catch(noop)]).then(noop)
    return this.closing
  }

  // --- reads ------------------------------------------------------------------------------

  private fresh(r: Cached | undefined, now: number): boolean {
    return r !== undefined && this.connected && r.trustedUntil === Infinity && now - r.fetchedAt < this.ttl
  }

  private query<R extends pg.QueryResultRow>(name: string, text: string, values: unknown[]): Promise<pg.QueryResult<R>> {
    if (this.closed) return Promise.reject(new Error('the bindings store is closed'))
    if (this.databaseDown) return Promise.reject(DATABASE_DOWN)
    this.fetches++
    return this.pool.query<R>({ name, text, values })
  }

  private flight(flights: Map<string, Flight>, id: string): Flight {
    const f: Flight = { promise: Promise.resolve(), startedAt: this.now(), trust: Infinity, teamsHit: undefined }
    flights.set(id, f)
    return f
  }

  private settle(flights: Map<string, Flight>, id: string, f: Flight, p: Promise<void>): Promise<void> {
    f.promise = p.finally(() => {
      if (flights.get(id) === f) flights.delete(id)
    })
    return f.promise
  }

  /** What a fetch that completes now may be trusted until. */
  private trustOf(f: Flight): number {
    return Math.min(f.trust, this.connected ? Infinity : f.startedAt)
  }

  private fetchSubject(id: string): Promise<void> {
    const running = this.subjects.flights.get(id)
    if (running !== undefined) return running.promise
    const f = this.flight(this.subjects.flights, id)
    const p = this.query<SubjectRow>(Q_SUBJECT, SQL_SUBJECT, [id]).then(
      (res) => this.storeSubject(id, f, res.rows),
      (e: unknown) => this.failed(e, this.subjects.lru.peek(id)),
    )
    return this.settle(this.subjects.flights, id, f, p)
  }

  private storeSubject(id: string, f: Flight, rows: readonly SubjectRow[]): void {
    let kind: SubjectKind | undefined
    const bindings: Binding[] = []
    const teams: string[] = []
    for (const r of rows) {
      if (r.k === 0) kind = r.a === 'serviceAccount' ? 'serviceAccount' : 'user'
      else if (r.k === 2) teams.push(r.a)
      else bindings.push(binding(r.a, r.b, r.c))
    }
    const entry: SubjectEntry | undefined =
      kind === undefined && bindings.length === 0 && teams.length === 0 ? undefined : Object.freeze({ kind: kind ?? 'user', bindings: Object.freeze(bindings) })
    let trust = this.trustOf(f)
    if (f.teamsHit !== undefined && teams.some((t) => f.teamsHit?.has(t))) trust = -Infinity
    const prev = this.subjects.lru.peek(id)
    if (prev === undefined) {
      this.subjects.lru.set(id, { fetchedAt: f.startedAt, trustedUntil: trust, entry, teams })
      this.index(id, teams)
      return
    }
    if (!sameEntry(prev.entry, entry)) this.version++
    this.unindex(id, prev.teams)
    prev.entry = entry
    prev.teams = teams
    prev.fetchedAt = f.startedAt
    prev.trustedUntil = trust
    this.index(id, teams)
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
      ;(batch ??= new Map()).set(name, this.flight(this.teams.flights, name))
    }
    if (batch === undefined) return
    const names = [...batch.keys()]
    const grouped = this.query<TeamRow>(Q_TEAMS, SQL_TEAMS, [names]).then((res) => {
      const by = new Map<string, Binding[]>()
      for (const r of res.rows) {
        let list = by.get(r.team_id)
        if (list === undefined) by.set(r.team_id, (list = []))
        list.push(binding(r.role, r.workspace_id, r.deployment_id))
      }
      return by
    })
    for (const [name, f] of batch) {
      const p = grouped.then(
        (by) => this.storeTeam(name, f, by.get(name) ?? []),
        (e: unknown) => this.failed(e, this.teams.lru.peek(name)),
      )
      waits.push(this.settle(this.teams.flights, name, f, p))
    }
  }

  private storeTeam(name: string, f: Flight, bindings: Binding[]): void {
    Object.freeze(bindings)
    const trust = this.trustOf(f)
    const prev = this.teams.lru.peek(name)
    if (prev === undefined) {
      this.teams.lru.set(name, { fetchedAt: f.startedAt, trustedUntil: trust, bindings })
      return
    }
    if (!sameBindings(prev.bindings, bindings)) this.version++
    prev.bindings = bindings
    prev.fetchedAt = f.startedAt
    prev.trustedUntil = trust
  }

  private fetchKey(hex: string): Promise<void> {
    const running = this.keys.flights.get(hex)
    if (running !== undefined) return running.promise
    const f = this.flight(this.keys.flights, hex)
    const p = this.query<{ subject_id: string }>(Q_KEY, SQL_KEY, [hex]).then(
      (res) => {
        const subject = res.rows[0]?.subject_id
        const trust = this.trustOf(f)
        const prev = this.keys.lru.peek(hex)
        if (prev === undefined) {
          this.keys.lru.set(hex, { fetchedAt: f.startedAt, trustedUntil: trust, subject })
          return
        }
        if (prev.subject !== subject) this.version++
        prev.subject = subject
        prev.fetchedAt = f.startedAt
        prev.trustedUntil = trust
      },
      (e: unknown) => this.failed(e, this.keys.lru.peek(hex)),
    )
    return this.settle(this.keys.flights, hex, f, p)
  }

  /**
   * A fetch failed: the cached entry answers if it is still trusted (the listener was lost less
   * than maxStalenessMs before, and no notification said it changed); otherwise 503.
   */
  private failed(e: unknown, cached: Cached | undefined): void {
    if (isConnectionError(e)) this.databaseLost(e)
    else this.lastError = this.describe(e)
    if (this.lostAt === undefined) {
      throw new PermgateError('PERMGATE_ERR_BINDINGS_UNAVAILABLE', 'the bindings database failed to answer; denying rather than deciding without bindings')
    }
    if (cached === undefined) {
      throw new PermgateError('PERMGATE_ERR_BINDINGS_UNAVAILABLE', 'the bindings database is unreachable and no bindings are cached for this caller')
    }
    const since = Math.min(cached.trustedUntil, this.lostAt)
    if (this.now() - since < this.maxStaleness) return
    throw new PermgateError(
      'PERMGATE_ERR_BINDINGS_UNAVAILABLE',
      since === -Infinity
        ? 'the bindings database is unreachable and the cached bindings of this caller have changed since they were fetched'
        : `the bindings database is unreachable and the cached bindings are older than ${this.maxStaleness} ms`,
    )
  }

  // --- the team index -------------------------------------------------------------------

  private index(id: string, teams: readonly string[]): void {
    for (const t of teams) {
      let s = this.membersOf.get(t)
      if (s === undefined) this.membersOf.set(t, (s = new Set()))
      s.add(id)
    }
  }

  private unindex(id: string, teams: readonly string[]): void {
    for (const t of teams) {
      const s = this.membersOf.get(t)
      if (s === undefined) continue
      s.delete(id)
      if (s.size === 0) this.membersOf.delete(t)
    }
  }

  // --- notifications --------------------------------------------------------------------

  private onNotification(msg: pg.Notification): void {
    if (msg.channel !== NOTIFY_CHANNEL || this.closed) return
    this.invalidations++
    this.lastContact = this.now()
    let p: unknown
    try {
      p = JSON.parse(msg.payload ?? '')
    } catch {
      p = undefined
    }
    if (!this.invalidateFor(p)) this.invalidateEverything()
    this.version++
    this.changed()
  }

  onChange(listener: () => void): () => void {
    this.#listeners.add(listener)
    return () => this.#listeners.delete(listener)
  }

  /** Something cached may have changed: listeners (open WebSockets) re-check what they hold. */
  private changed(): void {
    for (const l of this.#listeners) l()
  }

  /** Marks what the payload names as stale; false when it cannot tell (then everything is). */
  private invalidateFor(p: unknown): boolean {
    if (!isObject(p) || typeof p.table !== 'string') return false
    if (p.all === true) return false
    const row = p.row
    if (!isObject(row)) return false
    const str = (k: string): string | undefined => (typeof row[k] === 'string' ? (row[k] as string) : undefined)
    switch (p.table) {
      case 'permgate_subjects':
      case 'permgate_role_bindings':
      case 'permgate_team_members': {
        const id = str(p.table === 'permgate_subjects' ? 'id' : 'subject_id')
        if (id === undefined) return false
        this.subjects.invalidate(id)
        return true
      }
      case 'permgate_service_account_keys': {
        const key = str('key_sha256')
        const id = str('subject_id')
        if (key === undefined || id === undefined) return false
        this.keys.invalidate(key)
        this.subjects.invalidate(id)
        return true
      }
      case 'permgate_team_bindings': {
        const team = str('team_id')
        if (team === undefined) return false
        this.teams.invalidate(team)
        for (const id of this.membersOf.get(team) ?? []) this.subjects.invalidate(id)
        for (const f of this.subjects.flights.values()) (f.teamsHit ??= new Set()).add(team)
        return true
      }
      case 'permgate_deployments': {
        const id = str('id')
        if (id === undefined) return false
        this.deploymentChanged(id)
        return true
      }
      default:
        return false
    }
  }

  private invalidateEverything(): void {
    this.subjects.invalidateAll()
    this.teams.invalidateAll()
    this.keys.invalidateAll()
    this.reloadDeployments().catch((e: unknown) => this.deploymentsFailed(e))
  }

  // --- deployments: one serial queue, so an older answer never overwrites a newer one ----

  private serial<T>(work: () => Promise<T>): Promise<T> {
    const p = this.deploymentChain.then(work)
    this.deploymentChain = p.then(noop, noop)
    return p
  }

  private reloadDeployments(): Promise<void> {
    return this.serial(async () => {
      const res = await this.pool.query<DeploymentRow>({ name: Q_DEPLOYMENTS, text: SQL_DEPLOYMENTS })
      let changed = res.rows.length !== this.deployments.size
      let named = 0
      for (const r of res.rows) {
        const name = r.release_name || undefined
        if (this.deployments.get(r.id) !== r.workspace_id || this.releaseOf.get(r.id) !== name) changed = true
        if (name !== undefined) named++
      }
      if (!changed && named === this.releaseOf.size) return
      this.deployments.clear()
      this.releaseOf.clear()
      this.byReleaseName.clear()
      for (const r of res.rows) this.setDeployment(r.id, r.workspace_id, r.release_name)
      this.version++
      this.changed()
    })
  }

  /** One deployment row as read (workspace undefined: the row is gone). */
  private setDeployment(id: string, workspace: string | undefined, releaseName: string | null): void {
    const old = this.releaseOf.get(id)
    if (old !== undefined) {
      this.releaseOf.delete(id)
      if (this.byReleaseName.get(old) === id) this.byReleaseName.delete(old)
    }
    if (workspace === undefined) {
      this.deployments.delete(id)
      return
    }
    this.deployments.set(id, workspace)
    if (releaseName === null || releaseName === '') return
    // The name is unique in the table; another deployment holding it here has lost it since
    // (its own notification is on the way): the row just read wins.
    const holder = this.byReleaseName.get(releaseName)
    if (holder !== undefined && holder !== id) this.releaseOf.delete(holder)
    this.byReleaseName.set(releaseName, id)
    this.releaseOf.set(id, releaseName)
  }

  private deploymentChanged(id: string): void {
    this.deploymentsPending.add(id)
    if (this.deploymentsScheduled) return
    this.deploymentsScheduled = true
    this.serial(async () => {
      this.deploymentsScheduled = false
      const ids = [...this.deploymentsPending]
      this.deploymentsPending.clear()
      const res = await this.pool.query<DeploymentRow>({ name: Q_DEPLOYMENT_ROWS, text: SQL_DEPLOYMENT_ROWS, values: [ids] })
      const found = new Map(res.rows.map((r) => [r.id, r]))
      let changed = false
      // names first given up, then taken: a rename moving a name between deployments of the batch is seen whole
      for (const d of ids) {
        const r = found.get(d)
        if (r?.workspace_id === this.deployments.get(d) && (r?.release_name || undefined) === this.releaseOf.get(d)) continue
        changed = true
        this.setDeployment(d, undefined, null)
      }
      for (const d of ids) {
        const r = found.get(d)
        if (r !== undefined && !this.deployments.has(d)) this.setDeployment(d, r.workspace_id, r.release_name)
      }
      if (!changed) return
      this.version++
      this.changed()
    }).catch((e: unknown) => this.deploymentsFailed(e))
  }

  /** A change may be missing from the map: reconnecting reloads the whole table. */
  private deploymentsFailed(e: unknown): void {
    if (this.closed) return
    this.lastError = this.describe(e)
    this.lose(this.now())
  }

  // --- the listener ---------------------------------------------------------------------

  private async checkSchema(): Promise<void> {
    const res = await this.pool.query<{ t: string }>({ text: 'SELECT t FROM unnest($1::text[]) AS t WHERE to_regclass(t) IS NULL', values: [TABLES] })
    if (res.rows.length > 0) {
      throw new PermgateError(
        'PERMGATE_ERR_BINDINGS_DATABASE',
        `the bindings database at ${where(this.url)} has no permgate tables (missing: ${res.rows.map((r) => r.t).join(', ')}): run \`permgate bindings migrate\``,
      )
    }
    for (const [table, column] of REQUIRED_COLUMNS) {
      const col = await this.pool.query({ text: 'SELECT 1 FROM pg_attribute WHERE attrelid = to_regclass($1) AND attname = $2 AND NOT attisdropped', values: [table, column] })
      if (col.rows.length === 0) {
        throw new PermgateError('PERMGATE_ERR_BINDINGS_DATABASE', `the bindings database at ${where(this.url)} lacks ${table}.${column} (a later migration): run \`permgate bindings migrate\` (over views: add the column to the view)`)
      }
    }
  }

  private async connectListener(): Promise<pg.Client> {
    const c = new pg.Client({
      connectionString: this.url,
      connectionTimeoutMillis: this.queryTimeout,
      query_timeout: this.queryTimeout,
      keepAlive: true,
      application_name: 'permgate-listen',
    })
    const down = (e?: unknown): void => {
      this.deadClients.add(c)
      if (this.listener !== c) return
      if (e !== undefined) this.lastError = this.describe(e)
      this.lose(this.now())
    }
    c.on('error', down)
    c.on('end', () => down())
    c.on('notification', (msg) => this.onNotification(msg))
    try {
      await c.connect()
      await c.query(`LISTEN ${NOTIFY_CHANNEL}`)
    } catch (e) {
      void c.end().catch(noop)
      throw e
    }
    return c
  }

  private databaseLost(e: unknown): void {
    if (e !== DATABASE_DOWN) this.lastError = this.describe(e)
    if (this.closed) return
    this.databaseDown = true
    this.lose(this.now())
  }

  /** The listener is gone (or cannot be trusted): entries are unconfirmed from `at`; reconnect. */
  private lose(at: number): void {
    if (this.closed) return
    if (this.lostAt === undefined) this.lostAt = at
    this.connected = false
    const c = this.listener
    if (c !== undefined) {
      this.listener = undefined
      void c.end().catch(noop)
    }
    this.scheduleReconnect()
  }

  private scheduleReconnect(): void {
    if (this.closed || this.reconnecting || this.reconnectTimer !== undefined) return
    this.reconnectTimer = setTimeout(() => {
      this.reconnectTimer = undefined
      void this.reconnect()
    }, this.backoff)
    this.reconnectTimer.unref()
    this.backoff = Math.min(this.backoff * 2, RECONNECT_MAX_MS)
  }

  private async reconnect(): Promise<void> {
    this.reconnecting = true
    try {
      const c = await this.connectListener()
      try {
        await this.reloadDeployments()
        if (this.closed || this.deadClients.has(c)) throw new Error('the listener connection was lost while reconnecting')
      } catch (e) {
        void c.end().catch(noop)
        throw e
      }
      // Notifications were missed while it was down: nothing cached is vouched for past the loss.
      const since = this.lostAt ?? this.now()
      this.subjects.unconfirm(since)
      this.teams.unconfirm(since)
      this.keys.unconfirm(since)
      this.listener = c
      this.connected = true
      this.lostAt = undefined
      this.databaseDown = false
      this.backoff = RECONNECT_MIN_MS
      this.lastContact = this.now()
      this.invalidations++
      this.version++
      this.changed()
    } catch (e) {
      this.lastError = this.describe(e)
      if (isConnectionError(e)) this.databaseDown = true
    } finally {
      this.reconnecting = false
    }
    if (!this.connected) this.scheduleReconnect()
  }

  /** A connection can die without a word (a network partition): ping it, and give up on silence. */
  private heartbeat(): void {
    const c = this.listener
    if (!this.connected || c === undefined || this.pinging) return
    this.pinging = true
    c.query('SELECT 1') // times out after queryTimeoutMs (the client's query_timeout)
      .then(
        () => {
          this.lastContact = this.now()
        },
        (e: unknown) => {
          if (this.listener !== c) return
          this.lastError = this.describe(e)
          this.lose(this.lastContact)
        },
      )
      .finally(() => {
        this.pinging = false
      })
  }

  private describe(e: unknown): string {
    const msg = e instanceof Error ? e.message || String((e as { code?: unknown }).code ?? e.name) : String(e)
    return this.redact(msg)
  }
}

function positive(v: number | undefined, dflt: number, name: string): number {
  if (v === undefined) return dflt
  if (!Number.isFinite(v) || v <= 0) throw new PermgateError('PERMGATE_ERR_CONFIG_INVALID', `${name} must be a positive number (got ${v})`)
  return v
}

function binding(role: string, workspace: string | null, deployment: string | null): Binding {
  if (workspace !== null) return Object.freeze({ role, workspace })
  if (deployment !== null) return Object.freeze({ role, deployment })
  return Object.freeze({ role })
}

function sameBindings(a: readonly Binding[], b: readonly Binding[]): boolean {
  if (a.length !== b.length) return false
  for (let i = 0; i < a.length; i++) {
    const x = a[i] as Binding
    const y = b[i] as Binding
    if (x.role !== y.role || x.workspace !== y.workspace || x.deployment !== y.deployment) return false
  }
  return true
}

function sameEntry(a: SubjectEntry | undefined, b: SubjectEntry | undefined): boolean {
  if (a === undefined || b === undefined) return a === b
  return a.kind === b.kind && sameBindings(a.bindings, b.bindings)
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v)
}

/** host:port/database, never the user's password. */
function where(url: string): string {
  try {
    const u = new URL(url)
    return `${u.hostname}:${u.port || '5432'}${u.pathname}`
  } catch {
    return 'the configured URL'
  }
}

/** Removes the URL's password (as written and decoded) from a message. */
function redactor(url: string): (s: string) => string {
  const secrets: string[] = []
  try {
    const u = new URL(url)
    for (const p of [u.password, u.searchParams.get('password') ?? '']) {
      if (p === '') continue
      secrets.push(p)
      try {
        secrets.push(decodeURIComponent(p))
      } catch {
        // not percent-encoded
      }
    }
  } catch {
    // not a URL: pg will fail to parse it too, and the message will not echo it
  }
  return (s) => secrets.reduce((acc, p) => acc.split(p).join('***'), s)
}
