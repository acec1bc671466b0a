import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { DEFAULT_MAX_JSON_DEPTH } from '../../src/ingress/json.js'
import { startHarness, type Harness } from '../helpers/proxy.js'
import { openWs } from '../helpers/ws.js'
import { expectRefused, gql, send } from './helpers.js'

// Regression (issue 12, item 1): one WebSocket frame of ~10,000 nested arrays in connection_init
// overflowed the stack when it was re-serialized for the upstream, in a listener nothing caught:
// the process exited. Over HTTP the same nesting was a 500 with an error-level stack per request.
// Every client JSON document now has its depth bounded before it is parsed.

const nested = (depth: number): string => '['.repeat(depth) + ']'.repeat(depth)
const DEEP = 10_000

let h: Harness
const logs: string[] = []
beforeAll(async () => {
  h = await startHarness(['--log-level', 'warn'], undefined, { logLines: logs })
})
afterAll(async () => {
  await h?.close()
})
beforeEach(() => {
  h.upstream.reset()
  logs.length = 0
})

/** permgate still answers HTTP (it did not exit, and nothing is wedged). */
async function stillServing(): Promise<void> {
  const a = await gql(h, { query: '{ authConfig }' })
  expect(a.status).toBe(200)
  h.upstream.reset()
}

const errorLines = (): string[] => logs.filter((l) => (JSON.parse(l) as { level: number }).level >= 50)

describe('JSON nesting depth is bounded before parsing (PERMGATE_ERR_JSON_TOO_DEEP)', () => {
  it('an HTTP body with variables nested 10,000 deep: 400 coded, nothing forwarded, no error-level log', async () => {
    const body = `{"query":"query Q($x: JSON) { authConfig }","variables":{"x":${nested(DEEP)}}}`
    expectRefused(h, await gql(h, body), 400, 'PERMGATE_ERR_JSON_TOO_DEEP')
    expect(errorLines()).toEqual([])
    await stillServing()
  })

  it('a batch nested 10,000 deep: 400 coded', async () => {
    expectRefused(h, await gql(h, nested(DEEP)), 400, 'PERMGATE_ERR_JSON_TOO_DEEP')
    expect(errorLines()).toEqual([])
  })

  it('GET variables and extensions nested 1,000 deep: 400 coded, nothing forwarded', async () => {
    for (const param of ['variables', 'extensions']) {
      // 1,000 levels: 10,000 would not fit in a request line (431 before permgate reads it)
      const q = new URLSearchParams({ query: '{ authConfig }', [param]: `{"x":${nested(1_000)}}` })
      expectRefused(h, await send(`${h.graphql}?${q}`), 400, 'PERMGATE_ERR_JSON_TOO_DEEP', param)
    }
    expect(errorLines()).toEqual([])
    await stillServing()
  })

  it(`nesting up to ${DEFAULT_MAX_JSON_DEPTH} levels is forwarded; brackets inside strings do not count`, async () => {
    // the body object and `variables` are two levels
    const body = `{"query":"query Q($x: JSON, $s: String) { authConfig }","variables":{"x":${nested(DEFAULT_MAX_JSON_DEPTH - 2)},"s":"${'['.repeat(500)}\\"${'{'.repeat(500)}"}}`
    // forwarded (the upstream answers as it will: the variables are unused)
    await gql(h, body)
    expect(h.upstream.count()).toBe(1)
    expect(JSON.parse(h.upstream.requests[0]!.body).variables.x).toEqual(JSON.parse(nested(DEFAULT_MAX_JSON_DEPTH - 2)))
    h.upstream.reset()
    const over = `{"query":"{ authConfig }","variables":{"x":${nested(DEFAULT_MAX_JSON_DEPTH - 1)}}}`
    expectRefused(h, await gql(h, over), 400, 'PERMGATE_ERR_JSON_TOO_DEEP')
  })

  it.each(['graphql-transport-ws', 'graphql-ws'])('%s: connection_init nested 10,000 deep, no credential: closed 4400, nothing opens upstream, the process keeps serving', async (protocol) => {
    const c = await openWs(h.graphql, protocol)
    c.ws.send(`{"type":"connection_init","payload":{"x":${nested(DEEP)}}}`)
    const closed = await c.closed
    expect(closed.code).toBe(4400)
    expect(h.upstream.count()).toBe(0)
    if (protocol === 'graphql-ws') expect(c.messages.map((m) => m.type)).toEqual(['connection_error'])
    expect(errorLines()).toEqual([])
    await stillServing()
  })

  it.each(['graphql-transport-ws', 'graphql-ws'])('%s: a subscribe nested 10,000 deep after the ack: closed 4400, nothing forwarded', async (protocol) => {
    const c = await openWs(h.graphql, protocol)
    c.send({ type: 'connection_init', payload: { authorization: await h.token('u-viewer') } })
    await c.next((m) => m.type === 'connection_ack')
    h.upstream.reset()
    c.ws.send(`{"id":"1","type":"${protocol === 'graphql-ws' ? 'start' : 'subscribe'}","payload":{"query":"subscription { log(deploymentUuid: \\"d1\\") }","variables":{"x":${nested(DEEP)}}}}`)
    expect((await c.closed).code).toBe(4400)
    expect(h.upstream.requests.filter((r) => r.method === 'WS')).toEqual([])
    await stillServing()
  })
})
