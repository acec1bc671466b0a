import { writeFileSync } from 'node:fs'
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest'
import { MAX_OPERATION_ID_LENGTH } from '../../src/ingress/ws/protocols.js'
import { API_KEY, BINDINGS, post, startHarness, type Harness } from '../helpers/proxy.js'
import { openWs, rawUpgrade, type WsClient, type WsMessage } from '../helpers/ws.js'

// Regressions of issue 12 for GraphQL over WebSocket: revocation reaching open sockets (item 3),
// connection_init's payload as forwarded (item 8), and what one socket, or all of them, may hold
// (item 9). Both protocols, real sockets, the demo upstream recording what reached it.

interface Dialect {
  readonly protocol: 'graphql-transport-ws' | 'graphql-ws'
  readonly subscribe: 'subscribe' | 'start'
  readonly stop: 'complete' | 'stop'
  readonly legacy: boolean
}
const DIALECTS: readonly Dialect[] = [
  { protocol: 'graphql-transport-ws', subscribe: 'subscribe', stop: 'complete', legacy: false },
  { protocol: 'graphql-ws', subscribe: 'start', stop: 'stop', legacy: true },
]

/** A subscription that keeps running (an event every 10 s): revocation must stop it. */
const LONG_D1 = 'subscription { metrics(deploymentUuid: "d1", step: 10000) }'

const errorsOf = (m: WsMessage): { message: string; extensions: Record<string, unknown> }[] =>
  (Array.isArray(m.payload) ? m.payload : [m.payload]) as { message: string; extensions: Record<string, unknown> }[]

async function connected(h: Harness, d: Dialect, payload?: Record<string, unknown>, headers: Record<string, string> = {}): Promise<WsClient> {
  const c = await openWs(h.graphql, d.protocol, headers)
  c.send(payload === undefined ? { type: 'connection_init' } : { type: 'connection_init', payload })
  await c.next((m) => m.type === 'connection_ack')
  return c
}

/** Waits until the upstream has recorded a message of `method` (WS, WS_INIT, WS_STOP). */
async function recorded(h: Harness, method: string, n = 1): Promise<{ body: string; headers: Record<string, unknown> }[]> {
  for (let i = 0; i < 200; i++) {
    const got = h.upstream.requests.filter((r) => r.method === method)
    if (got.length >= n) return got
    await new Promise((r) => setImmediate(r))
    if (i > 100) await new Promise((r) => setTimeout(r, 10))
  }
  throw new Error(`the upstream recorded no ${method}: ${JSON.stringify(h.upstream.requests.map((r) => r.method))}`)
}

describe('revocation reaches open sockets (item 3)', () => {
  let h: Harness
  beforeAll(async () => {
    h = await startHarness()
  })
  afterAll(async () => {
    await h?.close()
  })
  beforeEach(() => {
    writeFileSync(h.bindingsFile, BINDINGS)
    expect(h.reload().ok).toBe(true)
    h.upstream.reset()
  })

  describe.each(DIALECTS)('$protocol', (d) => {
    it('a service account whose API key is deleted: its open socket closes 4403 on the reload, as HTTP answers 401', async () => {
      const c = await connected(h, d, { authorization: API_KEY })
      c.send({ id: 'm', type: d.subscribe, payload: { query: LONG_D1 } })
      await recorded(h, 'WS')
      // the key is removed from the bindings (the subject stays, without it)
      writeFileSync(h.bindingsFile, BINDINGS.replace(/^\s*apiKeySha256: .*$/m, ''))
      expect(h.reload().ok).toBe(true)
      const closed = await c.closed
      expect(closed).toEqual({ code: 4403, reason: 'Credential revoked' })
      if (d.legacy) {
        const e = c.messages.find((m) => m.type === 'connection_error')
        expect((e?.payload as { extensions: Record<string, unknown> }).extensions.reason).toBe('PERMGATE_ERR_AUTH_UNKNOWN_API_KEY')
      }
      const http = await post(h.graphql, { query: 'mutation { updateDeployment(deploymentUuid: "d1", payload: {}) { id } }' }, { authorization: API_KEY })
      expect(http.status).toBe(401)
    })

    it('a binding removed: the running subscription is stopped upstream and the client gets the protocol\'s error; the socket stays open', async () => {
      const c = await connected(h, d, { authorization: await h.token('u-viewer') })
      c.send({ id: 'm', type: d.subscribe, payload: { query: LONG_D1 } })
      await recorded(h, 'WS')
      writeFileSync(h.bindingsFile, BINDINGS.replace('bindings: [ { role: WORKSPACE_VIEWER, workspace: w1 } ]', 'bindings: []'))
      expect(h.reload().ok).toBe(true)
      const m = await c.next((x) => x.id === 'm' && x.type === 'error')
      const [e] = errorsOf(m)
      expect(e!.extensions).toMatchObject({ code: 'FORBIDDEN', field: 'Subscription.metrics' })
      const stops = await recorded(h, 'WS_STOP')
      expect(JSON.parse(stops[0]!.body)).toEqual({ id: 'm', type: d.stop })
      // the credential still resolves: the socket is open, and decides with the new bindings
      c.send({ id: 'again', type: d.subscribe, payload: { query: LONG_D1 } })
      expect((await c.next((x) => x.id === 'again')).type).toBe('error')
      c.send({ id: 'status', type: d.subscribe, payload: { query: 'subscription { deploymentStatus(releaseName: "r1") }' } })
      expect((await c.next((x) => x.id === 'status')).type).not.toBe('error')
      c.close()
    })

    it('an operation still allowed after the change keeps running (the same pass stops another socket\'s)', async () => {
      const kept = await connected(h, d, { authorization: await h.token('u-viewer') })
      kept.send({ id: 'kept', type: d.subscribe, payload: { query: LONG_D1 } })
      const stopped = await connected(h, d, { authorization: await h.token('u-admin') })
      stopped.send({ id: 'stopped', type: d.subscribe, payload: { query: LONG_D1 } })
      await recorded(h, 'WS', 2)
      writeFileSync(h.bindingsFile, BINDINGS.replace('bindings: [ { role: SYSTEM_ADMIN } ]', 'bindings: []'))
      expect(h.reload().ok).toBe(true)
      // one pass re-checks every socket: once the admin's operation is stopped, the viewer's was decided
      await stopped.next((x) => x.id === 'stopped' && x.type === 'error')
      const stops = await recorded(h, 'WS_STOP')
      expect(stops.map((r) => (JSON.parse(r.body) as { id: string }).id)).toEqual(['stopped'])
      expect(kept.messages.filter((x) => x.type === 'error')).toEqual([])
      kept.close()
      stopped.close()
    })
  })
})

describe('a socket lives at most wsMaxLifetimeMs (item 3)', () => {
  let h: Harness
  beforeAll(async () => {
    h = await startHarness(['--ws-max-lifetime-ms', '60000'])
  })
  afterAll(async () => {
    await h?.close()
  })
  afterEach(() => {
    vi.useRealTimers()
  })

  it.each(DIALECTS)('$protocol: an API key socket (no exp) is closed 4403 when its lifetime ends', async (d) => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] })
    const c = await connected(h, d, { authorization: API_KEY })
    await vi.advanceTimersByTimeAsync(59_000)
    expect(c.ws.readyState).toBe(c.ws.OPEN)
    await vi.advanceTimersByTimeAsync(1_001)
    vi.useRealTimers()
    expect(await c.closed).toEqual({ code: 4403, reason: 'Connection lifetime ended' })
  })
})

describe('connection_init as forwarded (item 8)', () => {
  let h: Harness
  beforeAll(async () => {
    h = await startHarness()
  })
  afterAll(async () => {
    await h?.close()
  })
  beforeEach(() => h.upstream.reset())

  describe.each(DIALECTS)('$protocol', (d) => {
    it('x-permgate-* keys (any spelling) and configured identity headers are removed, top level and in headers', async () => {
      const token = await h.token('u-viewer')
      const c = await connected(h, d, {
        authorization: token,
        'x-permgate-subject': 'u-admin',
        X_Permgate_Kind: 'user',
        'x-permgate.decision-id': 'forged',
        client: 'cli',
        headers: { 'X-Permgate-Subject': 'u-admin', x_user_id: 'u-admin', 'X-User-Id': 'u-admin', Authorization: `Bearer ${token}`, 'x-trace': 't1' },
      })
      const [init] = await recorded(h, 'WS_INIT')
      expect(JSON.parse(init!.body)).toEqual({ type: 'connection_init', payload: { authorization: token, client: 'cli', headers: { Authorization: `Bearer ${token}`, 'x-trace': 't1' } } })
      expect(init!.headers['x-permgate-subject']).toBe('u-viewer')
      c.close()
    })

    it('a second credential that differs from the first (headers.Authorization) is refused 4403; nothing opens upstream', async () => {
      const c = await openWs(h.graphql, d.protocol)
      c.send({ type: 'connection_init', payload: { authorization: await h.token('u-viewer'), headers: { Authorization: `Bearer ${await h.token('u-admin')}` } } })
      expect((await c.closed).code).toBe(4403)
      expect(h.upstream.count()).toBe(0)
    })

    it('a credential only in headers.Authorization is the one decided (not the upgrade\'s)', async () => {
      const c = await connected(h, d, { headers: { Authorization: `Bearer ${await h.token('u-admin')}` } }, { authorization: `Bearer ${await h.token('u-viewer')}` })
      const [init] = await recorded(h, 'WS_INIT')
      expect(init!.headers['x-permgate-subject']).toBe('u-admin')
      expect(init!.headers.authorization).toBeUndefined()
      c.close()
    })

    it('credential keys are read in any case: AUTHORIZATION and authToken that differ are refused', async () => {
      const c = await openWs(h.graphql, d.protocol)
      c.send({ type: 'connection_init', payload: { AUTHORIZATION: await h.token('u-viewer'), authToken: await h.token('u-admin') } })
      expect((await c.closed).code).toBe(4403)
      expect(h.upstream.count()).toBe(0)
    })
  })
})

describe('what sockets may hold (item 9)', () => {
  let h: Harness
  beforeAll(async () => {
    h = await startHarness(['--ws-max-socket-bytes', String(64 * 1024), '--ws-max-connections', '3'])
  })
  afterAll(async () => {
    await h?.close()
  })
  beforeEach(() => h.upstream.reset())

  describe.each(DIALECTS)('$protocol', (d) => {
    it(`an operation id over ${MAX_OPERATION_ID_LENGTH} characters closes the socket 4400; ${MAX_OPERATION_ID_LENGTH} is accepted`, async () => {
      const c = await connected(h, d, { authorization: await h.token('u-viewer') })
      const ok = 'i'.repeat(MAX_OPERATION_ID_LENGTH)
      c.send({ id: ok, type: d.subscribe, payload: { query: 'subscription { log(deploymentUuid: "d1") }' } })
      expect((await c.next((m) => m.id === ok)).type).not.toBe('error')
      c.send({ id: 'i'.repeat(MAX_OPERATION_ID_LENGTH + 1), type: d.subscribe, payload: { query: 'subscription { log(deploymentUuid: "d1") }' } })
      expect((await c.closed).code).toBe(4400)
      expect(h.upstream.requests.filter((r) => r.method === 'WS')).toHaveLength(1)
    })

    it('operations holding more than wsMaxSocketBytes: the one over is refused for its id; freed when one stops', async () => {
      const c = await connected(h, d, { authorization: await h.token('u-viewer') })
      const big = (id: string) => ({ id, type: d.subscribe, payload: { query: 'subscription S($d: Uuid!) { metrics(deploymentUuid: $d, step: 10000) }', variables: { d: 'd1', pad: 'x'.repeat(40 * 1024) } } })
      c.send(big('a'))
      await recorded(h, 'WS')
      c.send(big('b'))
      const refused = await c.next((m) => m.id === 'b')
      expect(refused.type).toBe('error')
      expect(errorsOf(refused)[0]!.extensions.reason).toBe('PERMGATE_ERR_WEBSOCKET_TOO_MUCH_HELD')
      expect(h.upstream.requests.filter((r) => r.method === 'WS')).toHaveLength(1)
      c.send({ id: 'a', type: d.stop })
      await recorded(h, 'WS_STOP')
      c.send(big('c'))
      await recorded(h, 'WS', 2)
      c.close()
    })
  })

  it('graphql-ws: messages held before the ack over wsMaxSocketBytes close the socket 4400', async () => {
    const c = await openWs(h.graphql, 'graphql-ws')
    c.send({ type: 'connection_init', payload: { authorization: await h.token('u-viewer') } })
    for (const id of ['1', '2']) c.send({ id, type: 'start', payload: { query: 'subscription { log(deploymentUuid: "d1") }', variables: { pad: 'x'.repeat(40 * 1024) } } })
    expect((await c.closed).code).toBe(4400)
    expect(h.upstream.requests.filter((r) => r.method === 'WS')).toEqual([])
  })

  it('wsMaxConnections open: one more upgrade is refused 503 (coded, counted); a freed slot is used again', async () => {
    const open = [await openWs(h.graphql, 'graphql-transport-ws'), await openWs(h.graphql, 'graphql-ws'), await openWs(h.graphql, 'graphql-transport-ws')]
    const answer = await rawUpgrade(h.url, '/graphql', { 'Sec-WebSocket-Protocol': 'graphql-transport-ws' })
    expect(answer).toMatch(/^HTTP\/1\.1 503 /)
    expect(answer).toContain('"reason":"PERMGATE_ERR_WEBSOCKET_TOO_MANY_CONNECTIONS"')
    expect(await h.metrics()).toMatch(/permgate_decisions_total\{decision="deny",reason="PERMGATE_ERR_WEBSOCKET_TOO_MANY_CONNECTIONS",operation_type="none"\} 1/)
    expect(await h.metrics()).toMatch(/permgate_websocket_connections 3/)
    open[0]!.close()
    await open[0]!.closed
    while (!/permgate_websocket_connections 2/.test(await h.metrics())) await new Promise((r) => setImmediate(r))
    const again = await openWs(h.graphql, 'graphql-transport-ws')
    again.close()
    for (const c of open.slice(1)) c.close()
  })
})
