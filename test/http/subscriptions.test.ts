import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest'
import { createClient } from 'graphql-ws'
import WebSocket from 'ws'
import { DEFAULT_INIT_TIMEOUT_MS, DEFAULT_MAX_SUBSCRIPTIONS_PER_SOCKET } from '../../src/ingress/ws/protocols.js'
import { API_KEY, startHarness, type Harness } from '../helpers/proxy.js'
import { collect, openWs, rawUpgrade, type WsClient, type WsMessage } from '../helpers/ws.js'

// GraphQL over WebSocket through permgate, both protocols, against the demo upstream on real sockets.

const LOG_D1 = 'subscription Logs { log(deploymentUuid: "d1") }'
const LOG_D3 = 'subscription Logs { log(deploymentUuid: "d3") }'

interface Dialect {
  readonly protocol: 'graphql-transport-ws' | 'graphql-ws'
  readonly subscribe: 'subscribe' | 'start'
  readonly data: 'next' | 'data'
  readonly stop: 'complete' | 'stop'
  readonly legacy: boolean
}
const MODERN: Dialect = { protocol: 'graphql-transport-ws', subscribe: 'subscribe', data: 'next', stop: 'complete', legacy: false }
const LEGACY: Dialect = { protocol: 'graphql-ws', subscribe: 'start', data: 'data', stop: 'stop', legacy: true }

let h: Harness
beforeAll(async () => {
  h = await startHarness()
})
afterAll(async () => {
  await h?.close()
})
beforeEach(() => h.upstream.reset())

const wsRecorded = () => h.upstream.requests.filter((r) => r.method === 'WS')
const upgradesRecorded = () => h.upstream.requests.filter((r) => r.method === 'GET' && r.headers.upgrade === 'websocket')

/** A connection acknowledged by permgate (and so by the upstream). */
async function connected(d: Dialect, payload?: Record<string, unknown>, headers: Record<string, string> = {}): Promise<WsClient> {
  const c = await openWs(h.graphql, d.protocol, headers)
  c.send(payload === undefined ? { type: 'connection_init' } : { type: 'connection_init', payload })
  await c.next((m) => m.type === 'connection_ack')
  return c
}


/** The protocol's error payload as a list (legacy sends one error object). */
const errorsOf = (m: WsMessage): { message: string; extensions: Record<string, unknown> }[] =>
  (Array.isArray(m.payload) ? m.payload : [m.payload]) as { message: string; extensions: Record<string, unknown> }[]

describe.each([MODERN, LEGACY])('$protocol', (d) => {
  it('an allowed subscription streams the upstream\'s data, then completes', async () => {
    const c = await connected(d, { authorization: await h.token('u-viewer') })
    c.send({ id: '1', type: d.subscribe, payload: { query: LOG_D1, operationName: 'Logs', unknownKey: 'dropped' } })
    const got = await collect(c, '1')
    expect(got.map((m) => m.type)).toEqual([d.data, d.data, d.data, 'complete'])
    expect((got[0]!.payload as { data: { log: { id: string } } }).data.log.id).toBe('d1-log-1')
    // forwarded re-serialized (known keys only), for the principal permgate decided
    const sent = wsRecorded()
    expect(sent).toHaveLength(1)
    expect(JSON.parse(sent[0]!.body)).toEqual({ id: '1', type: d.subscribe, payload: { query: LOG_D1, operationName: 'Logs' } })
    expect(sent[0]!.headers['x-permgate-subject']).toBe('u-viewer')
    expect(sent[0]!.headers['x-permgate-kind']).toBe('user')
    c.close()
  })

  it('a denied subscription gets the protocol\'s error and never reaches the upstream', async () => {
    const c = await connected(d, { authorization: await h.token('u-viewer') })
    c.send({ id: 'x', type: d.subscribe, payload: { query: LOG_D3 } })
    const m = await c.next((x) => x.id === 'x')
    expect(m.type).toBe('error')
    expect(Array.isArray(m.payload)).toBe(!d.legacy)
    const [e] = errorsOf(m)
    expect(e!.message).toContain('Subscription.log')
    expect(e!.extensions).toMatchObject({ code: 'FORBIDDEN', reason: 'missing_permission', decisionId: expect.any(String) })
    // the socket stays usable: an allowed one still works
    c.send({ id: 'y', type: d.subscribe, payload: { query: LOG_D1 } })
    expect((await collect(c, 'y')).at(-1)!.type).toBe('complete')
    expect(wsRecorded().map((r) => (JSON.parse(r.body) as { id: string }).id)).toEqual(['y'])
    c.close()
  })

  it('an anonymous subscribe to a permission field is UNAUTHENTICATED', async () => {
    const c = await connected(d)
    c.send({ id: 'a', type: d.subscribe, payload: { query: LOG_D1 } })
    const m = await c.next((x) => x.id === 'a')
    expect(m.type).toBe('error')
    expect(errorsOf(m)[0]!.extensions).toMatchObject({ code: 'UNAUTHENTICATED', reason: 'unauthenticated' })
    expect(wsRecorded()).toHaveLength(0)
    c.close()
  })

  it('a bad token in connection_init closes (4403) and opens nothing upstream', async () => {
    const c = await openWs(h.graphql, d.protocol)
    c.send({ type: 'connection_init', payload: { authorization: 'not.a.jwt' } })
    if (d.legacy) {
      const m = await c.next((x) => x.type === 'connection_error')
      expect(m).toMatchObject({ payload: { extensions: { code: 'UNAUTHENTICATED', reason: 'PERMGATE_ERR_AUTH_TOKEN_INVALID' } } })
    }
    expect(await c.closed).toMatchObject({ code: 4403 })
    expect(h.upstream.count()).toBe(0)
  })

  it('takes the token from the upgrade request when connection_init carries none', async () => {
    const c = await connected(d, undefined, { authorization: `Bearer ${await h.token('u-viewer')}` })
    c.send({ id: '1', type: d.subscribe, payload: { query: LOG_D1 } })
    expect((await collect(c, '1')).map((m) => m.type)).toEqual([d.data, d.data, d.data, 'complete'])
    c.close()
  })

  it('takes the token from the cookie when there is no other credential', async () => {
    const c = await connected(d, {}, { cookie: `other=1; astronomer_example_com_auth=${await h.token('u-viewer')}` })
    c.send({ id: '1', type: d.subscribe, payload: { query: LOG_D1 } })
    expect((await collect(c, '1')).at(-1)!.type).toBe('complete')
    expect(wsRecorded()[0]!.headers['x-permgate-subject']).toBe('u-viewer')
    c.close()
  })

  it('with the credential in connection_init, the upgrade\'s credential headers do not reach the upstream', async () => {
    const c = await connected(d, { authorization: await h.token('u-viewer') }, { authorization: `Bearer ${await h.token('u-admin')}`, cookie: `other=1; astronomer_example_com_auth=${await h.token('u-admin')}` })
    const up = upgradesRecorded()[0]!
    expect(up.headers.authorization).toBeUndefined()
    expect(up.headers.cookie).toBe('other=1')
    expect(up.headers['x-permgate-subject']).toBe('u-viewer')
    c.close()
  })

  it('a client cannot name the subject: its x-permgate-* headers are replaced', async () => {
    const c = await connected(d, { authorization: await h.token('u-viewer') }, { 'x-permgate-subject': 'u-admin' })
    expect(upgradesRecorded()[0]!.headers['x-permgate-subject']).toBe('u-viewer')
    c.close()
  })

  it(`${d.subscribe} before connection_init is refused (4401) and nothing is opened upstream`, async () => {
    const c = await openWs(h.graphql, d.protocol)
    c.send({ id: '1', type: d.subscribe, payload: { query: LOG_D1 } })
    if (d.legacy) await c.next((m) => m.type === 'connection_error')
    expect(await c.closed).toMatchObject({ code: 4401 })
    expect(h.upstream.count()).toBe(0)
  })

  it('a malformed message closes the socket (4400)', async () => {
    const c = await connected(d, { authorization: await h.token('u-viewer') })
    c.send('{ not json')
    if (d.legacy) expect(await c.next((m) => m.type === 'connection_error')).toMatchObject({ payload: { extensions: { reason: 'PERMGATE_ERR_WEBSOCKET_MESSAGE' } } })
    expect(await c.closed).toMatchObject({ code: 4400 })
  })

  it('an unknown message type closes the socket (4400)', async () => {
    const c = await connected(d, { authorization: await h.token('u-viewer') })
    c.send({ type: 'next', id: '1', payload: {} })
    expect(await c.closed).toMatchObject({ code: 4400 })
  })

  it('a duplicate running id closes the socket (4409); the second is never forwarded', async () => {
    const c = await connected(d, { authorization: await h.token('u-admin') })
    c.send({ id: 'd', type: d.subscribe, payload: { query: LOG_D1 } })
    c.send({ id: 'd', type: d.subscribe, payload: { query: LOG_D3 } })
    expect(await c.closed).toMatchObject({ code: 4409 })
    expect(wsRecorded()).toHaveLength(1)
  })

  it('a second connection_init closes the socket (4429)', async () => {
    const c = await connected(d)
    c.send({ type: 'connection_init' })
    expect(await c.closed).toMatchObject({ code: 4429 })
  })

  it('mutations and queries over the socket are decided too', async () => {
    const viewer = await connected(d, { authorization: await h.token('u-viewer') })
    viewer.send({ id: 'm', type: d.subscribe, payload: { query: 'mutation { deleteDeployment(deploymentUuid: "d1") }' } })
    const denied = await viewer.next((x) => x.id === 'm')
    expect(denied.type).toBe('error')
    expect(errorsOf(denied)[0]!.extensions).toMatchObject({ code: 'FORBIDDEN', field: 'Mutation.deleteDeployment' })
    expect(wsRecorded()).toHaveLength(0)
    viewer.send({ id: 'q', type: d.subscribe, payload: { query: '{ self }' } })
    const q = await collect(viewer, 'q')
    expect(q.map((m) => m.type)).toEqual([d.data, 'complete'])
    expect((q[0]!.payload as { data: { self: { id: string } } }).data.self.id).toBe('u-viewer')
    viewer.close()

    const admin = await connected(d, { authorization: await h.token('u-admin') })
    admin.send({ id: 'w', type: d.subscribe, payload: { query: `mutation { createWorkspace(label: "over-${d.protocol}") }` } })
    const w = await collect(admin, 'w')
    expect(w[0]!.type).toBe(d.data)
    expect(JSON.stringify(w[0]!.payload)).toContain(`over-${d.protocol}`)
    admin.close()
    h.upstream.resetData()
  })

  it('a document that does not parse is a BAD_REQUEST for its id, never forwarded', async () => {
    const c = await connected(d, { authorization: await h.token('u-admin') })
    c.send({ id: 'b', type: d.subscribe, payload: { query: 'subscription {' } })
    const m = await c.next((x) => x.id === 'b')
    expect(m.type).toBe('error')
    expect(errorsOf(m)[0]!.extensions).toMatchObject({ code: 'BAD_REQUEST', reason: 'PERMGATE_ERR_GRAPHQL_SYNTAX' })
    expect(wsRecorded()).toHaveLength(0)
    c.close()
  })

  it(`${d.stop} from the client is relayed: the upstream stops the stream`, async () => {
    const c = await connected(d, { authorization: await h.token('u-admin') })
    // the demo reads step as the milliseconds between events
    c.send({ id: 's', type: d.subscribe, payload: { query: 'subscription { metrics(deploymentUuid: "d3", step: 300) }' } })
    await c.next((x) => x.id === 's' && x.type === d.data)
    c.send({ id: 's', type: d.stop })
    // the upstream received the stop for that id, and so ended its stream (nothing waits on a timer)
    await vi.waitFor(() => expect(h.upstream.requests.filter((r) => r.method === 'WS_STOP').map((r) => (JSON.parse(r.body) as { id: string }).id)).toEqual(['s']))
    // permgate made nothing up for the stopped id: no error, no complete of its own
    expect(c.messages.filter((m) => m.id === 's').every((m) => m.type === d.data)).toBe(true)
    c.close()
  })

  it('closes the socket when the token expires', async () => {
    // the relay's expiry timer on a fake clock: open a second before exp, closed 4403 after it
    const exp = Math.floor(Date.now() / 1000) + 60
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] })
    try {
      const c = await connected(d, { authorization: await h.signRaw({ uuid: 'u-viewer', exp }) })
      await vi.advanceTimersByTimeAsync(exp * 1000 - Date.now() - 1_000)
      expect(c.ws.readyState).toBe(c.ws.OPEN)
      await vi.advanceTimersByTimeAsync(2_000)
      vi.useRealTimers()
      if (d.legacy) expect(await c.next((m) => m.type === 'connection_error')).toMatchObject({ payload: { extensions: { reason: 'PERMGATE_ERR_AUTH_TOKEN_EXPIRED' } } })
      expect(await c.closed).toEqual({ code: 4403, reason: 'Token expired' })
    } finally {
      vi.useRealTimers()
    }
  })
})

describe('protocol details', () => {
  it('legacy: a start sent right after connection_init (before the ack) is held, then decided', async () => {
    const c = await openWs(h.graphql, 'graphql-ws')
    c.send({ type: 'connection_init', payload: { authorization: await h.token('u-viewer') } })
    c.send({ id: '1', type: 'start', payload: { query: LOG_D1 } })
    c.send({ id: '2', type: 'start', payload: { query: LOG_D3 } })
    await c.next((m) => m.type === 'connection_ack')
    expect((await collect(c, '1')).map((m) => m.type)).toEqual(['data', 'data', 'data', 'complete'])
    expect((await c.next((m) => m.id === '2')).type).toBe('error')
    expect(wsRecorded()).toHaveLength(1)
    c.close()
  })

  it('graphql-ws: a subscribe after connection_init but before the ack is refused (4401)', async () => {
    const c = await openWs(h.graphql, 'graphql-transport-ws')
    c.send({ type: 'connection_init' })
    c.send({ id: '1', type: 'subscribe', payload: { query: LOG_D1 } })
    expect(await c.closed).toMatchObject({ code: 4401 })
    expect(wsRecorded()).toHaveLength(0)
  })

  it('graphql-ws: ping is answered, before and after the ack', async () => {
    const c = await openWs(h.graphql, 'graphql-transport-ws')
    c.send({ type: 'ping' })
    await c.next((m) => m.type === 'pong')
    c.send({ type: 'connection_init' })
    await c.next((m) => m.type === 'connection_ack')
    c.send({ type: 'ping', payload: { n: 1 } })
    await c.next((m) => m.type === 'pong')
    c.close()
  })

  it('an API key in connection_init (as token) authenticates a service account', async () => {
    const c = await connected(LEGACY, { token: API_KEY })
    c.send({ id: '1', type: 'start', payload: { query: LOG_D1 } })
    expect((await collect(c, '1')).at(-1)!.type).toBe('complete')
    expect(wsRecorded()[0]!.headers['x-permgate-kind']).toBe('serviceAccount')
    c.close()
  })

  it('two different credentials in connection_init are refused (4403)', async () => {
    const c = await openWs(h.graphql, 'graphql-transport-ws')
    c.send({ type: 'connection_init', payload: { authorization: await h.token('u-viewer'), authToken: await h.token('u-admin') } })
    expect(await c.closed).toMatchObject({ code: 4403 })
    expect(h.upstream.count()).toBe(0)
  })

  it(`at most ${DEFAULT_MAX_SUBSCRIPTIONS_PER_SOCKET} operations run at once on a socket; one more is an error, not forwarded`, async () => {
    const c = await connected(MODERN, { authorization: await h.token('u-admin') })
    const slow = { query: 'subscription { metrics(deploymentUuid: "d1", step: 5000) }' }
    for (let i = 0; i <= DEFAULT_MAX_SUBSCRIPTIONS_PER_SOCKET; i++) c.send({ id: `s${i}`, type: 'subscribe', payload: slow })
    const extra = await c.next((m) => m.id === `s${DEFAULT_MAX_SUBSCRIPTIONS_PER_SOCKET}`)
    expect(extra.type).toBe('error')
    expect(errorsOf(extra)[0]!.extensions).toMatchObject({ reason: 'PERMGATE_ERR_WEBSOCKET_TOO_MANY_SUBSCRIPTIONS' })
    // a completed one frees its slot
    c.send({ id: 's0', type: 'complete' })
    c.send({ id: 'again', type: 'subscribe', payload: slow })
    expect((await c.next((m) => m.id === 'again')).type).toBe('next')
    expect(wsRecorded()).toHaveLength(DEFAULT_MAX_SUBSCRIPTIONS_PER_SOCKET + 1)
    c.close()
  })

  it('graphql-ws: a subscribe whose payload has no query closes the socket (4400)', async () => {
    const c = await connected(MODERN)
    c.send({ id: '1', type: 'subscribe', payload: { variables: {} } })
    expect(await c.closed).toMatchObject({ code: 4400 })
  })
})

describe('upstream and shutdown', () => {
  it('an upstream that cannot be reached closes the client (1011; legacy: connection_error first)', async () => {
    const h2 = await startHarness()
    try {
      await h2.upstream.close()
      const modern = await openWs(h2.graphql, 'graphql-transport-ws')
      modern.send({ type: 'connection_init' })
      expect(await modern.closed).toMatchObject({ code: 1011 })
      const legacy = await openWs(h2.graphql, 'graphql-ws')
      legacy.send({ type: 'connection_init' })
      expect(await legacy.next((m) => m.type === 'connection_error')).toMatchObject({ payload: { extensions: { reason: 'PERMGATE_ERR_UPSTREAM_UNAVAILABLE' } } })
      expect(await legacy.closed).toMatchObject({ code: 1011 })
    } finally {
      await h2.close()
    }
  })

  it('closing permgate closes open sockets (1001) and their upstream connections', async () => {
    const h2 = await startHarness()
    const c = await openWs(h2.graphql, 'graphql-transport-ws')
    c.send({ type: 'connection_init' })
    await c.next((m) => m.type === 'connection_ack')
    const idle = await openWs(h2.graphql, 'graphql-ws')
    await h2.close()
    expect(await c.closed).toMatchObject({ code: 1001 })
    expect(await idle.closed).toMatchObject({ code: 1001 })
  })
})

describe('upgrades', () => {
  it('a socket that never sends connection_init is closed at the init timeout (4408), and nothing opens upstream', async () => {
    h.upstream.reset()
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] })
    try {
      const [modern, legacy] = await Promise.all([openWs(h.graphql, 'graphql-transport-ws'), openWs(h.graphql, 'graphql-ws')])
      await vi.advanceTimersByTimeAsync(DEFAULT_INIT_TIMEOUT_MS - 1)
      expect([modern.ws.readyState, legacy.ws.readyState]).toEqual([WebSocket.OPEN, WebSocket.OPEN])
      await vi.advanceTimersByTimeAsync(1)
      vi.useRealTimers()
      const [m, l] = await Promise.all([modern.closed, legacy.closed])
      expect(m).toMatchObject({ code: 4408 })
      expect(l).toMatchObject({ code: 4408 })
      expect(h.upstream.count()).toBe(0)
    } finally {
      vi.useRealTimers()
    }
  })

  it('refuses an unknown or missing subprotocol with a coded 400', async () => {
    for (const headers of [{ 'Sec-WebSocket-Protocol': 'graphql-sse' }, {}]) {
      const answer = await rawUpgrade(h.url, '/graphql', headers)
      expect(answer).toMatch(/^HTTP\/1\.1 400 /)
      expect(answer).toContain('PERMGATE_ERR_WEBSOCKET_PROTOCOL')
    }
    expect(h.upstream.count()).toBe(0)
  })

  it('refuses an upgrade on another path with a coded 404', async () => {
    for (const path of ['/graphql/', '/v1/deployments', '/GRAPHQL', '/graphql/../graphql']) {
      const answer = await rawUpgrade(h.url, path, { 'Sec-WebSocket-Protocol': 'graphql-transport-ws' })
      expect(answer).toMatch(/^HTTP\/1\.1 404 /)
      expect(answer).toContain('PERMGATE_ERR_WEBSOCKET_PATH')
    }
    expect(h.upstream.count()).toBe(0)
  })

  it('accepts the GraphQL path with a query string, which is not forwarded', async () => {
    const c = await openWs(`${h.graphql}?x=1`, 'graphql-transport-ws')
    c.send({ type: 'connection_init' })
    await c.next((m) => m.type === 'connection_ack')
    expect(upgradesRecorded()[0]!.url).toBe('/graphql')
    c.close()
  })

  it('prefers graphql-transport-ws when both subprotocols are offered', async () => {
    const c = await openWs(h.graphql, ['graphql-ws', 'graphql-transport-ws'])
    expect(c.protocol).toBe('graphql-transport-ws')
    c.close()
  })

  it('works with the graphql-ws client library', async () => {
    const token = await h.token('u-viewer')
    const client = createClient({ url: h.graphql.replace(/^http/, 'ws'), webSocketImpl: WebSocket, connectionParams: { authorization: token }, retryAttempts: 0 })
    try {
      const values: unknown[] = []
      await new Promise<void>((resolve, reject) => {
        client.subscribe({ query: 'subscription { deploymentStatus(releaseName: "stellar-galaxy-1234") }' }, { next: (v) => values.push(v), error: reject, complete: resolve })
      })
      expect(values).toHaveLength(3)
      expect(values[2]).toMatchObject({ data: { deploymentStatus: { status: 'HEALTHY' } } })
      const denied = await new Promise<unknown>((resolve, reject) => {
        client.subscribe({ query: LOG_D3 }, { next: () => reject(new Error('data for a denied subscription')), error: resolve, complete: () => reject(new Error('completed')) })
      })
      expect(denied).toMatchObject([{ extensions: { code: 'FORBIDDEN' } }])
    } finally {
      await client.dispose()
    }
  })
})
