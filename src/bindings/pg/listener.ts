// The LISTEN connection: opened once, pinged so that a silently dead connection is noticed,
// and reconnected with a growing backoff when it is lost. Its clock and timers are injected.
import type { Clock, TimerHandle } from '../../clock.js'
import type { Health } from './staleness.js'

export const RECONNECT_MIN_MS = 100
export const RECONNECT_MAX_MS = 5_000

/** The part of a pg.Client the listener uses. */
export interface ListenClient {
  connect(): Promise<unknown>
  query(text: string): Promise<unknown>
  end(): Promise<unknown>
  on(event: 'error', fn: (e: Error) => void): unknown
  on(event: 'end', fn: () => void): unknown
  on(event: 'notification', fn: (msg: { channel: string; payload?: string | undefined }) => void): unknown
}

export interface ListenerOptions {
  readonly channel: string
  /** A new, unconnected client. */
  readonly client: () => ListenClient
  /** The connection is pinged this often, ms. */
  readonly heartbeatMs: number
  readonly health: Health
  readonly clock: Clock
  /** Runs on each new connection before it is trusted (the store reloads its deployments); a rejection drops it. */
  ready(): Promise<void>
  /** A reconnection was accepted: notifications since `since` may have been missed. */
  reconnected(since: number): void
  notification(payload: string | undefined): void
  /** A failure worth reporting (the store keeps the last one, redacted). */
  error(e: unknown): void
  /** Whether a connection-level failure made the database unusable (then queries fail fast). */
  isConnectionError(e: unknown): boolean
}

const noop = (): void => {}

export class Listener {
  private client: ListenClient | undefined
  private readonly dead = new WeakSet<ListenClient>()
  private lastContact = 0
  private backoff = RECONNECT_MIN_MS
  private reconnectTimer: TimerHandle | undefined
  private reconnecting = false
  private heartbeatTimer: TimerHandle | undefined
  private pinging = false
  private closed = false

  constructor(private readonly o: ListenerOptions) {}

  /**
   * Connects, LISTENs, runs `ready` and starts the heartbeat.
   * @throws whatever connecting or `ready` threw
   */
  async open(): Promise<void> {
    const c = await this.connect()
    try {
      await this.o.ready()
    } catch (e) {
      void c.end().catch(noop)
      throw e
    }
    if (this.dead.has(c)) throw new Error('the listener connection was lost while starting')
    this.accept(c)
    this.armHeartbeat()
  }

  /** The connection is gone or cannot be trusted: entries are unconfirmed from `at`; reconnect. */
  lose(at: number): void {
    if (this.closed) return
    this.o.health.lose(at)
    const c = this.client
    if (c !== undefined) {
      this.client = undefined
      void c.end().catch(noop)
    }
    this.scheduleReconnect()
  }

  close(): Promise<void> {
    this.closed = true
    this.o.health.connected = false
    if (this.reconnectTimer !== undefined) this.o.clock.clearTimeout(this.reconnectTimer)
    if (this.heartbeatTimer !== undefined) this.o.clock.clearTimeout(this.heartbeatTimer)
    const c = this.client
    this.client = undefined
    return c === undefined ? Promise.resolve() : c.end().then(noop, noop)
  }

  private async connect(): Promise<ListenClient> {
    const c = this.o.client()
    const down = (e?: unknown): void => {
      this.dead.add(c)
      if (this.client !== c) return
      if (e !== undefined) this.o.error(e)
      this.lose(this.o.clock.now())
    }
    c.on('error', down)
    c.on('end', () => down())
    c.on('notification', (msg) => {
      if (msg.channel !== this.o.channel || this.closed) return
      this.lastContact = this.o.clock.now()
      this.o.notification(msg.payload)
    })
    try {
      await c.connect()
      await c.query(`LISTEN ${this.o.channel}`)
    } catch (e) {
      void c.end().catch(noop)
      throw e
    }
    return c
  }

  private accept(c: ListenClient): void {
    this.client = c
    this.o.health.restore()
    this.backoff = RECONNECT_MIN_MS
    this.lastContact = this.o.clock.now()
  }

  private scheduleReconnect(): void {
    if (this.closed || this.reconnecting || this.reconnectTimer !== undefined) return
    // the attempt is returned, so that a test's clock can wait for it
    this.reconnectTimer = this.o.clock.setTimeout(() => {
      this.reconnectTimer = undefined
      return this.reconnect()
    }, this.backoff)
    this.backoff = Math.min(this.backoff * 2, RECONNECT_MAX_MS)
  }

  private async reconnect(): Promise<void> {
    this.reconnecting = true
    try {
      const c = await this.connect()
      try {
        await this.o.ready()
        if (this.closed || this.dead.has(c)) throw new Error('the listener connection was lost while reconnecting')
      } catch (e) {
        void c.end().catch(noop)
        throw e
      }
      const since = this.o.health.lostAt ?? this.o.clock.now()
      this.accept(c)
      this.o.reconnected(since)
    } catch (e) {
      this.o.error(e)
      if (this.o.isConnectionError(e)) this.o.health.databaseDown = true
    } finally {
      this.reconnecting = false
    }
    if (!this.o.health.connected) this.scheduleReconnect()
  }

  /** Every heartbeatMs while open, as an interval would: the next ping is armed before this one runs. */
  private armHeartbeat(): void {
    this.heartbeatTimer = this.o.clock.setTimeout(() => {
      if (this.closed) return undefined
      this.armHeartbeat()
      return this.heartbeat()
    }, this.o.heartbeatMs)
  }

  /** A connection can die without a word (a network partition): ping it, and give up on silence. */
  private heartbeat(): Promise<void> | undefined {
    const c = this.client
    if (!this.o.health.connected || c === undefined || this.pinging) return undefined
    this.pinging = true
    return c
      .query('SELECT 1') // times out after the client's query_timeout
      .then(
        () => {
          this.lastContact = this.o.clock.now()
        },
        (e: unknown) => {
          if (this.client !== c) return
          this.o.error(e)
          this.lose(this.lastContact)
        },
      )
      .finally(() => {
        this.pinging = false
      })
  }
}
