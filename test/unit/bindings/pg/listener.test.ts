import { EventEmitter } from 'node:events'
import { describe, expect, it } from 'vitest'
import { Listener, RECONNECT_MAX_MS, RECONNECT_MIN_MS, type ListenClient } from '../../../../src/bindings/pg/listener.js'
import { Health } from '../../../../src/bindings/pg/staleness.js'
import { FakeClock } from '../../../helpers/clock.js'
import { settle } from './fake-database.js'

const CHANNEL = 'permgate_bindings'
const HEARTBEAT_MS = 5_000

/** A connection whose outcome the test decides: connects unless `refuse`, pings unless `silent`. */
class FakeClient extends EventEmitter implements ListenClient {
  ended = false
  readonly queries: string[] = []
  constructor(
    readonly refuse: boolean,
    public silent = false,
  ) {
    super()
  }
  async connect(): Promise<void> {
    if (this.refuse) throw new Error('connect ECONNREFUSED')
  }
  async query(text: string): Promise<void> {
    this.queries.push(text)
    if (this.silent && text === 'SELECT 1') throw new Error('Query read timeout')
  }
  async end(): Promise<void> {
    if (this.ended) return
    this.ended = true
    this.emit('end')
  }
  notify(channel: string, payload: string): void {
    this.emit('notification', { channel, payload })
  }
}

function setup(opts: { readyFails?: () => boolean; duringReady?: (c: FakeClient) => Promise<void> } = {}) {
  const clock = new FakeClock(0)
  const health = new Health(clock.now, 30_000)
  const clients: FakeClient[] = []
  /** Whether the next connection attempts are refused. */
  let refusing = false
  const log: string[] = []
  const listener = new Listener({
    channel: CHANNEL,
    client: () => {
      const c = new FakeClient(refusing)
      clients.push(c)
      return c
    },
    heartbeatMs: HEARTBEAT_MS,
    health,
    clock,
    ready: async () => {
      log.push('ready')
      await opts.duringReady?.(clients.at(-1) as FakeClient)
      if (opts.readyFails?.()) throw new Error('deployments failed')
    },
    reconnected: (since) => log.push(`reconnected since ${since}`),
    notification: (payload) => log.push(`notification ${payload}`),
    error: (e) => log.push(`error ${(e as Error).message}`),
    isConnectionError: () => true,
  })
  return { clock, health, clients, log, listener, refuse: (v: boolean) => (refusing = v), last: () => clients.at(-1) as FakeClient }
}

describe('Listener', () => {
  it('opens: connects, LISTENs, runs ready, and passes on notifications of its channel only', async () => {
    const { health, log, listener, last } = setup()
    await listener.open()
    expect(last().queries).toEqual([`LISTEN ${CHANNEL}`])
    expect(health.connected).toBe(true)
    last().notify(CHANNEL, '{"table":"permgate_subjects"}')
    last().notify('other', 'x')
    expect(log).toEqual(['ready', 'notification {"table":"permgate_subjects"}'])
  })

  it('lost: unconfirmed from the loss; reconnects after a backoff that doubles up to its bound, then resets', async () => {
    const { clock, health, clients, log, listener, refuse, last } = setup()
    await listener.open()
    await clock.advance(1000)
    refuse(true)
    await last().end()
    expect(health).toMatchObject({ connected: false, lostAt: 1000 })
    // refused at 100, 300, 700, 1500, 3100, then every RECONNECT_MAX_MS
    await clock.advance(RECONNECT_MIN_MS - 1)
    expect(clients).toHaveLength(1)
    await clock.advance(1)
    expect(clients).toHaveLength(2)
    await clock.advance(3000)
    expect(clients).toHaveLength(6)
    await clock.advance(RECONNECT_MAX_MS)
    expect(clients).toHaveLength(7)
    expect(health.databaseDown).toBe(true)
    refuse(false)
    await clock.advance(RECONNECT_MAX_MS)
    expect(health).toMatchObject({ connected: true, lostAt: undefined, databaseDown: false })
    expect(log.filter((l) => l.startsWith('reconnected'))).toEqual(['reconnected since 1000'])
    // a second loss starts again from the shortest backoff
    const n = clients.length
    await last().end()
    await clock.advance(RECONNECT_MIN_MS)
    expect(clients).toHaveLength(n + 1)
    expect(health.connected).toBe(true)
  })

  it('a reconnection whose ready step fails is dropped and tried again', async () => {
    let fail = false
    const { clock, health, clients, log, listener, last } = setup({ readyFails: () => fail })
    await listener.open()
    fail = true
    await last().end()
    await clock.advance(RECONNECT_MIN_MS)
    expect(clients).toHaveLength(2)
    expect(clients[1]?.ended).toBe(true)
    expect(health.connected).toBe(false)
    expect(log).toContain('error deployments failed')
    fail = false
    await clock.advance(2 * RECONNECT_MIN_MS)
    expect(health.connected).toBe(true)
  })

  it('the heartbeat pings the connection; a ping that fails loses it as of the last contact', async () => {
    const { clock, health, listener, last } = setup()
    await listener.open()
    await clock.advance(HEARTBEAT_MS)
    expect(last().queries).toEqual([`LISTEN ${CHANNEL}`, 'SELECT 1'])
    last().silent = true
    await clock.advance(HEARTBEAT_MS)
    await settle()
    expect(health).toMatchObject({ connected: false, lostAt: HEARTBEAT_MS })
  })

  it('a loss the store notices (a failed query) ends the connection and reconnects', async () => {
    const { clock, health, clients, listener, last } = setup()
    await listener.open()
    const first = last()
    listener.lose(clock.now())
    expect(first.ended).toBe(true)
    expect(health.connected).toBe(false)
    await clock.advance(RECONNECT_MIN_MS)
    expect(clients).toHaveLength(2)
    expect(health.connected).toBe(true)
  })

  it('close: the connection ends and no timer is left', async () => {
    const { clock, health, listener, last } = setup()
    await listener.open()
    expect(clock.pending).toBe(1)
    await listener.close()
    expect(last().ended).toBe(true)
    expect(health.connected).toBe(false)
    expect(clock.pending).toBe(0)
    listener.lose(0)
    expect(clock.pending).toBe(0)
  })

  it('open fails when connecting fails, or when the connection is lost while starting', async () => {
    const refused = setup()
    refused.refuse(true)
    await expect(refused.listener.open()).rejects.toThrow(/ECONNREFUSED/)
    const dropped = setup({ duringReady: (c) => c.end() })
    await expect(dropped.listener.open()).rejects.toThrow(/lost while starting/)
  })
})
