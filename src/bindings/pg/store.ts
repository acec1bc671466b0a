// The PostgreSQL bindings store: the BindingsStore the policy reads, put together from the pool
// (./pool.ts), the queries (./queries.ts), the cache and its loading (./cache.ts, ./loader.ts),
// the deployments map (./deployments.ts), the listener (./listener.ts) and the staleness rule
// (./staleness.ts); here, its options, what a notification changes, and its counters.
import { DEFAULT_BINDINGS_CACHE_TTL_MS, DEFAULT_BINDINGS_MAX_STALENESS_MS } from '../../config/keys.js'
import type pg from 'pg'
import { SYSTEM_CLOCK, type Clock } from '../../clock.js'
import { PermgateError } from '../../errors.js'
import type { Binding, BindingsChange, BindingsStore, Subject, SubjectEntry } from '../types.js'
import { DeploymentMap } from './deployments.js'
import { Listener } from './listener.js'
import { BindingsLoader } from './loader.js'
import { NOTIFY_CHANNEL } from './migrations.js'
import { readNotification } from './notification.js'
import { createListenClient, createPool, describer, isConnectionError, where, type ConnectionSettings } from './pool.js'
import { checkSchema, type Query } from './queries.js'
import { DATABASE_DOWN, Health } from './staleness.js'

/** Subjects (and, separately, teams and API keys) held in memory, least recently used evicted. */
export const DEFAULT_PG_MAX_SUBJECTS = 100_000
/** pg.Pool `max`. */
export const DEFAULT_PG_POOL_SIZE = 4
/** Connecting and each query give up after this (a request never waits on the database longer). */
export const DEFAULT_PG_QUERY_TIMEOUT_MS = 5_000
/** The listener connection is pinged this often, so a silently dead connection is noticed. */
export const DEFAULT_PG_HEARTBEAT_MS = 5_000

export interface PgStoreOptions {
  /** postgres://user:password@host:port/database (the password never appears in an error). */
  readonly url: string
  /** An entry older than this is refetched on the next prepare. @default DEFAULT_BINDINGS_CACHE_TTL_MS (the config key's) */
  readonly cacheTtlMs?: number
  /** With the database lost, cached entries keep answering this long; then prepare rejects 503. @default DEFAULT_BINDINGS_MAX_STALENESS_MS (the config key's) */
  readonly maxStalenessMs?: number
  /** @default DEFAULT_PG_MAX_SUBJECTS */
  readonly maxSubjects?: number
  /** @default DEFAULT_PG_POOL_SIZE */
  readonly poolSize?: number
  /** @default DEFAULT_PG_QUERY_TIMEOUT_MS */
  readonly queryTimeoutMs?: number
  /** @default DEFAULT_PG_HEARTBEAT_MS */
  readonly heartbeatMs?: number
  /**
   * What the store measures time and runs its timers (heartbeat, reconnection) on; only its
   * differences are read. On the process's clock the store reads the monotonic time, so that a
   * step of the wall clock neither stretches nor cuts the staleness window.
   * @default SYSTEM_CLOCK
   */
  readonly clock?: Clock
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

const noop = (): void => {}
const MONOTONIC: Clock = Object.freeze({ ...SYSTEM_CLOCK, now: () => performance.now() })
const EVERYTHING: BindingsChange = Object.freeze({ all: true })

/**
 * Role bindings in PostgreSQL (schema: ./migrations.ts), loaded per subject on demand and cached.
 * Every change is notified on `permgate_bindings`; a notification marks the affected entries stale
 * (they keep answering until the next prepare refetches them) and tells `onChange` listeners what
 * it names. With the LISTEN connection lost, cached entries answer for at most `maxStalenessMs`
 * from the loss, then prepare rejects 503: a security gateway denies on doubt and never loses a
 * revocation.
 */
export class PgBindingsStore implements BindingsStore {
  /** Bumped on every change taken in (shown by the readiness endpoint). */
  version = 1
  readonly deployments: ReadonlyMap<string, string>
  /** The last database error, password redacted (for logs and health endpoints). */
  lastError: string | undefined

  readonly #listeners = new Set<(change: BindingsChange) => void>()
  private readonly now: () => number
  private readonly describe: (e: unknown) => string
  private readonly pool: pg.Pool
  /** Queries on the pool as they are (the deployments map and the schema check read through it). */
  private readonly raw: Query
  private readonly health: Health
  private readonly loader: BindingsLoader
  private readonly map: DeploymentMap
  private readonly listener: Listener
  private closed = false
  private closing: Promise<void> | undefined
  private fetches = 0
  private invalidations = 0

  private constructor(opts: PgStoreOptions) {
    const conn: ConnectionSettings = { url: opts.url, timeoutMs: positive(opts.queryTimeoutMs, DEFAULT_PG_QUERY_TIMEOUT_MS, 'queryTimeoutMs') }
    const ttlMs = positive(opts.cacheTtlMs, DEFAULT_BINDINGS_CACHE_TTL_MS, 'cacheTtlMs')
    const maxStaleness = positive(opts.maxStalenessMs, DEFAULT_BINDINGS_MAX_STALENESS_MS, 'maxStalenessMs')
    const maxEntries = positive(opts.maxSubjects, DEFAULT_PG_MAX_SUBJECTS, 'maxSubjects')
    const poolSize = positive(opts.poolSize, DEFAULT_PG_POOL_SIZE, 'poolSize')
    const heartbeatMs = positive(opts.heartbeatMs, DEFAULT_PG_HEARTBEAT_MS, 'heartbeatMs')
    const clock = opts.clock === undefined || opts.clock === SYSTEM_CLOCK ? MONOTONIC : opts.clock
    const now = (this.now = () => clock.now())
    this.describe = describer(opts.url)
    this.pool = createPool(conn, poolSize, (e) => {
      this.lastError = this.describe(e)
    })
    this.health = new Health(now, maxStaleness)
    this.raw = async (name, text, values) => (await this.pool.query(name === undefined ? { text, values: values as unknown[] } : { name, text, values: values as unknown[] })).rows
    this.loader = new BindingsLoader({
      query: (name, text, values) => this.guarded(name, text, values),
      health: this.health,
      now,
      ttlMs,
      maxEntries,
      failed: (e) => this.fetchFailed(e),
      changed: (change) => this.changed(change),
    })
    this.map = new DeploymentMap(this.raw, () => this.changed(EVERYTHING))
    this.deployments = this.map.workspaceOf
    this.listener = new Listener({
      channel: NOTIFY_CHANNEL,
      client: () => createListenClient(conn),
      heartbeatMs,
      health: this.health,
      clock,
      ready: () => this.map.reload(),
      reconnected: (since) => {
        this.loader.unconfirm(since)
        this.invalidations++
        this.changed(EVERYTHING)
      },
      notification: (payload) => this.onNotification(payload),
      error: (e) => {
        this.lastError = this.describe(e)
      },
      isConnectionError,
    })
  }

  /**
   * Connects, checks the schema, starts listening and loads the deployments.
   * @throws PermgateError PERMGATE_ERR_BINDINGS_DATABASE when the database is unreachable or has no permgate tables
   */
  static async open(opts: PgStoreOptions): Promise<PgBindingsStore> {
    const store = new PgBindingsStore(opts)
    try {
      await checkSchema(store.raw, where(opts.url))
      await store.listener.open()
    } catch (e) {
      await store.close().catch(noop)
      if (e instanceof PermgateError) throw e
      throw new PermgateError('PERMGATE_ERR_BINDINGS_DATABASE', `cannot use the bindings database at ${where(opts.url)}: ${store.describe(e)}`)
    }
    return store
  }

  subject(id: string): SubjectEntry | undefined {
    return this.loader.subject(id)
  }

  group(name: string): readonly Binding[] | undefined {
    return this.loader.group(name)
  }

  subjectByApiKeySha256(hex: string): string | undefined {
    return this.loader.keyOwner(hex)
  }

  deploymentByReleaseName(name: string): string | undefined {
    return this.map.deploymentByReleaseName(name)
  }

  prepare(principal: Subject): Promise<void> | undefined {
    return this.loader.prepare(principal)
  }

  prepareApiKey(hex: string): Promise<void> | undefined {
    return this.loader.prepareApiKey(hex)
  }

  /**
   * Calls `listener` after each change is taken in, with what it names: a notification naming a
   * subject, an API key (its subject) or a team (the team, and its cached members) at once; a
   * deployment once its row is read again and differs; a refetch that finds an entry changed;
   * everything on a truncate, a bulk import, an unreadable notification or a reconnection.
   */
  onChange(listener: (change: BindingsChange) => void): () => void {
    this.#listeners.add(listener)
    return () => this.#listeners.delete(listener)
  }

  stats(): PgStoreStats {
    return {
      subjects: this.loader.size,
      hits: this.loader.hits,
      misses: this.loader.misses,
      fetches: this.fetches,
      invalidations: this.invalidations,
      connected: this.health.connected,
      staleSinceMs: this.health.staleSinceMs(),
    }
  }

  close(): Promise<void> {
    if (this.closing) return this.closing
    this.closed = true
    this.closing = Promise.all([this.listener.close(), this.pool.end().catch(noop)]).then(noop)
    return this.closing
  }

  /** A query for a request's subject, team or key: refused while closed, failing fast while the database is down. */
  private guarded<R extends object>(name: string | undefined, text: string, values: readonly unknown[] | undefined): Promise<readonly R[]> {
    if (this.closed) return Promise.reject(new Error('the bindings store is closed'))
    if (this.health.databaseDown) return Promise.reject(DATABASE_DOWN)
    this.fetches++
    return this.raw<R>(name, text, values)
  }

  /** Listeners (Authorizers, open WebSockets) drop or re-check what the change names. */
  private changed(change: BindingsChange): void {
    this.version++
    for (const l of this.#listeners) l(change)
  }

  private onNotification(payload: string | undefined): void {
    this.invalidations++
    const notice = readNotification(payload)
    if (notice.kind === 'deployment') {
      this.map.rowChanged(notice.id, (e) => this.deploymentsFailed(e))
      return
    }
    const change = this.loader.invalidate(notice)
    if (change.all) this.map.reload().catch((e: unknown) => this.deploymentsFailed(e))
    this.changed(change)
  }

  /** A fetch failed; a connection-level failure means the database is lost until the listener reconnects. */
  private fetchFailed(e: unknown): void {
    if (e !== DATABASE_DOWN) this.lastError = this.describe(e)
    if (!isConnectionError(e) || this.closed) return
    this.health.databaseDown = true
    this.listener.lose(this.now())
  }

  /** A change may be missing from the deployments map: reconnecting reloads the whole table. */
  private deploymentsFailed(e: unknown): void {
    if (this.closed) return
    this.lastError = this.describe(e)
    this.listener.lose(this.now())
  }
}

function positive(v: number | undefined, dflt: number, name: string): number {
  if (v === undefined) return dflt
  if (!Number.isFinite(v) || v <= 0) throw new PermgateError('PERMGATE_ERR_CONFIG_INVALID', `${name} must be a positive number (got ${v})`)
  return v
}
