import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest'
import { startHarness, type Harness } from '../helpers/proxy.js'
import { openWs, rawUpgrade, type WsClient, type WsMessage } from '../helpers/ws.js'

// Issue 15, part 2: Houston serves GraphQL on /v1 and subscriptions on /ws; the Astro CLI dials
// /ws with graphql-ws, sends connection_init {authorization} and at once a `start` with no id
// (astro deployment logs --follow), which subscriptions-transport-ws accepts: one id-less
// operation per socket, replaced by the next id-less start, stopped by an id-less stop, its
// frames carrying no id.

const LOG_D1 = 'subscription { log(deploymentUuid: "d1") }'
const LOG_D3 = 'subscription { log(deploymentUuid: "d3") }'

let h: Harness
beforeAll(async () => {
  h = await startHarness(['--graphql-path', '/v1', '--subscriptions-path', '/ws'], undefined, { upstream: { graphqlPath: '/v1', subscriptionsPath: '/ws' } })
})
afterAll(() => h.close())
beforeEach(() => h.upstream.reset())

const ws = (): string => `${h.url}/ws`
const recorded = (method: string): { id?: string; type: string; payload?: unknown }[] =>
  h.upstream.requests.filter((r) => r.method === method).map((r) => JSON.parse(r.body) as { id?: string; type: string })

/** The CLI's sequence: connection_init then, without waiting for the ack, an id-less start. */
async function cli(token: string, query: string): Promise<WsClient> {
  const c = await openWs(ws(), 'graphql-ws')
  c.send({ type: 'connection_init', payload: { authorization: token } })
  c.send({ type: 'start', payload: { query, variables: {} } })
  return c
}

describe('subscriptions on their own path', () => {
  it.each(['graphql-transport-ws', 'graphql-ws'])('%s: an upgrade on subscriptionsPath is accepted and relayed to the same path upstream', async (protocol) => {
    const c = await openWs(ws(), protocol)
    c.send({ type: 'connection_init', payload: { authorization: await h.token('u-viewer') } })
    await c.next((m) => m.type === 'connection_ack')
    expect(new Set(h.upstream.requests.filter((r) => r.headers.upgrade === 'websocket').map((r) => r.url))).toEqual(new Set(['/ws']))
    c.close()
  })

  it('an upgrade on the GraphQL path is refused (404) when subscriptions have their own path', async () => {
    const answer = await rawUpgrade(h.url, '/v1', { 'Sec-WebSocket-Protocol': 'graphql-ws' })
    expect(answer).toMatch(/^HTTP\/1\.1 404/)
    expect(answer).toContain('PERMGATE_ERR_WEBSOCKET_PATH')
    expect(h.upstream.count()).toBe(0)
  })
})

describe('the legacy id-less start (the Astro CLI)', () => {
  it('is decided, forwarded without an id, and its frames come back without one', async () => {
    const c = await cli(await h.token('u-viewer'), LOG_D1)
    const frames: WsMessage[] = []
    for (;;) {
      const m = await c.next((x) => x.type === 'data' || x.type === 'complete' || x.type === 'error')
      frames.push(m)
      if (m.type !== 'data') break
    }
    expect(frames.map((m) => m.type)).toEqual(['data', 'data', 'data', 'complete'])
    expect(frames.every((m) => !('id' in m))).toBe(true)
    expect(recorded('WS')).toEqual([{ type: 'start', payload: { query: LOG_D1, variables: {} } }])
    c.close()
  })

  it('a denied one gets an error without an id, and nothing reaches the upstream', async () => {
    const c = await cli(await h.token('u-viewer'), LOG_D3)
    const m = await c.next((x) => x.type === 'error')
    expect('id' in m).toBe(false)
    expect(m.payload).toMatchObject({ extensions: { code: 'FORBIDDEN', field: 'Subscription.log' } })
    expect(recorded('WS')).toEqual([])
    c.close()
  })

  it('a second id-less start replaces the first (stopped upstream first); an id-less stop stops it', async () => {
    const c = await cli(await h.token('u-admin'), 'subscription { metrics(deploymentUuid: "d3", step: 5000) }')
    await c.next((x) => x.type === 'connection_ack')
    // the first is running upstream once its start is recorded
    await vi.waitFor(() => expect(recorded('WS')).toHaveLength(1))
    c.send({ type: 'start', payload: { query: LOG_D1 } })
    const data = await c.next((x) => x.type === 'data' && (x.payload as { data?: { log?: unknown } }).data?.log !== undefined)
    expect('id' in data).toBe(false)
    expect(recorded('WS').map((m) => m.payload)).toEqual([{ query: 'subscription { metrics(deploymentUuid: "d3", step: 5000) }', variables: {} }, { query: LOG_D1 }])
    expect(recorded('WS_STOP')).toEqual([{ type: 'stop' }])
    // the log stream completes by itself (nothing to stop); a third id-less start runs, and an
    // id-less stop from the client is relayed to stop it
    await c.next((x) => x.type === 'complete')
    c.send({ type: 'start', payload: { query: 'subscription { metrics(deploymentUuid: "d3", step: 5000) }' } })
    await vi.waitFor(() => expect(recorded('WS')).toHaveLength(3))
    c.send({ type: 'stop' })
    await vi.waitFor(() => expect(recorded('WS_STOP')).toEqual([{ type: 'stop' }, { type: 'stop' }]))
    c.close()
  })

  it('graphql-transport-ws still requires an id (4400)', async () => {
    const c = await openWs(ws(), 'graphql-transport-ws')
    c.send({ type: 'connection_init', payload: { authorization: await h.token('u-viewer') } })
    await c.next((m) => m.type === 'connection_ack')
    c.send({ type: 'subscribe', payload: { query: LOG_D1 } })
    expect((await c.closed).code).toBe(4400)
  })
})
