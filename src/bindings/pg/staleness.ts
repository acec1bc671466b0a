// Whether what the store holds may still answer: the listener's state (up, or lost since when),
// the database known down, and the verdict on a cached entry once a refetch failed. A gateway
// denies on doubt: past the allowed staleness, or after a notification said an entry changed,
// a failed refetch is a 503, never the old answer.
import { PermgateError } from '../../errors.js'
import type { Cached } from './cache.js'

/** Rejected at once while the database is known to be down (until the listener reconnects). */
export const DATABASE_DOWN = new Error('the database is down (waiting for the listener to reconnect)')

export class Health {
  /** The LISTEN connection is up: cached entries are kept current by notifications. */
  connected = false
  /** Since when the listener is lost (defined exactly when !connected, once open). */
  lostAt: number | undefined
  /** A connection-level failure was seen: queries fail fast until the listener reconnects. */
  databaseDown = false

  constructor(
    private readonly now: () => number,
    /** How long after the loss cached entries keep answering, ms. */
    readonly maxStalenessMs: number,
  ) {}

  /** The listener is gone (or cannot be trusted): entries are unconfirmed from `at` (the first loss counts). */
  lose(at: number): void {
    if (this.lostAt === undefined) this.lostAt = at
    this.connected = false
  }

  /** The listener is back and the store has taken in what it may have missed. */
  restore(): void {
    this.connected = true
    this.lostAt = undefined
    this.databaseDown = false
  }

  /** How long (ms) the cache has gone unconfirmed; undefined while connected. */
  staleSinceMs(): number | undefined {
    return this.lostAt === undefined ? undefined : this.now() - this.lostAt
  }

  /**
   * A fetch failed: returns when the cached entry may answer (the listener was lost less than
   * maxStalenessMs before, and no notification said it changed); otherwise throws a 503.
   * @throws PermgateError PERMGATE_ERR_BINDINGS_UNAVAILABLE
   */
  answerAfterFailure(cached: Cached | undefined): void {
    const lostAt = this.lostAt
    if (lostAt === undefined) {
      throw new PermgateError('PERMGATE_ERR_BINDINGS_UNAVAILABLE', 'the bindings database failed to answer; denying rather than deciding without bindings')
    }
    if (cached === undefined) {
      throw new PermgateError('PERMGATE_ERR_BINDINGS_UNAVAILABLE', 'the bindings database is unreachable and no bindings are cached for this caller')
    }
    const since = Math.min(cached.trustedUntil, lostAt)
    if (this.now() - since < this.maxStalenessMs) return
    throw new PermgateError(
      'PERMGATE_ERR_BINDINGS_UNAVAILABLE',
      since === -Infinity
        ? 'the bindings database is unreachable and the cached bindings of this caller have changed since they were fetched'
        : `the bindings database is unreachable and the cached bindings are older than ${this.maxStalenessMs} ms`,
    )
  }
}
