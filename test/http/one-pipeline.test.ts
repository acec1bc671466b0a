import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import { post, startHarness, type Harness } from '../helpers/proxy.js'
import { tempFiles } from '../helpers/tmp.js'
import { openWs } from '../helpers/ws.js'

// Issue 14: one pipeline for HTTP, WebSocket and routes. What HTTP records for a refusal (the
// metric and the decision-log event), the WebSocket records too: before, a credential refused at
// connection_init and a refused subscription were counted but never logged, and an allowed route
// decision never reached the decision log.

interface Event {
  decisionId: string
  subject: string | null
  kind: string
  operationType: string
  allowed: boolean
  reason: string
  rootFields: string[]
}

describe('every decision recorded once, whatever the transport', () => {
  const dir = tempFiles({})
  const log = join(dir, 'decisions.log')
  let h: Harness
  beforeAll(async () => {
    h = await startHarness(['--decision-log', log, '--decision-log-sample-rate', '1', '--ws-max-socket-bytes', String(64 * 1024)], 'routes:\n  - { method: GET, prefix: /v1/me, access: authenticated }\n')
  })
  afterAll(async () => {
    await h?.close()
  })
  const events = (): Event[] => {
    try {
      return readFileSync(log, 'utf8').trim().split('\n').filter(Boolean).map((l) => JSON.parse(l) as Event)
    } catch {
      return []
    }
  }
  const eventFor = async (pred: (e: Event, index: number) => boolean): Promise<Event> => {
    let found: Event | undefined
    await vi.waitFor(() => {
      found = events().find(pred)
      expect(found).toBeDefined()
    })
    return found!
  }
  const strip = ({ decisionId: _d, ...e }: Event & Record<string, unknown>) => ({ ...e, time: undefined, latencyUs: undefined })

  it.each(['graphql-transport-ws', 'graphql-ws'])('%s: a bad credential at connection_init is counted and logged as the same bad token over HTTP is', async (protocol) => {
    const before = events().length
    const http = await post(h.graphql, { query: '{ self }' }, { authorization: 'Bearer not.a.jwt' })
    expect(http.status).toBe(401)
    const httpId = ((await http.json()) as { errors: { extensions: { decisionId: string } }[] }).errors[0]!.extensions.decisionId
    const c = await openWs(h.graphql, protocol)
    c.send({ type: 'connection_init', payload: { authorization: 'Bearer not.a.jwt' } })
    expect((await c.closed).code).toBe(4403)
    const viaHttp = await eventFor((e) => e.decisionId === httpId)
    const viaWs = await eventFor((e, i) => i >= before && e.decisionId !== httpId && e.reason === 'PERMGATE_ERR_AUTH_TOKEN_INVALID')
    expect(strip(viaWs as never)).toEqual(strip(viaHttp as never))
    expect(viaWs).toMatchObject({ allowed: false, operationType: 'none', subject: null, kind: 'anonymous' })
    const metrics = await h.metrics()
    expect(metrics).toMatch(/permgate_decisions_total\{decision="deny",reason="PERMGATE_ERR_AUTH_TOKEN_INVALID",operation_type="none"\} [2-9]/)
  })

  it.each(['graphql-transport-ws', 'graphql-ws'])('%s: a subscription refused by a limit (the socket would hold too much) is logged, as a body over the limit is over HTTP', async (protocol) => {
    const token = await h.token('u-viewer')
    const c = await openWs(h.graphql, protocol)
    c.send({ type: 'connection_init', payload: { authorization: token } })
    await c.next((m) => m.type === 'connection_ack')
    c.send({ id: 'x', type: protocol === 'graphql-ws' ? 'start' : 'subscribe', payload: { query: 'subscription { log(deploymentUuid: "d1") }', extensions: { pad: 'x'.repeat(70 * 1024) } } })
    const m = await c.next((x) => x.id === 'x')
    const entry = (Array.isArray(m.payload) ? m.payload[0] : m.payload) as { extensions: { decisionId: string; reason: string } }
    expect(entry.extensions.reason).toBe('PERMGATE_ERR_WEBSOCKET_TOO_MUCH_HELD')
    expect(await eventFor((e) => e.decisionId === entry.extensions.decisionId)).toMatchObject({ allowed: false, reason: 'PERMGATE_ERR_WEBSOCKET_TOO_MUCH_HELD', subject: 'u-viewer', operationType: 'none' })
    c.close()
  })

  it('an allowed route decision reaches the decision log (sampled like every allowed decision)', async () => {
    const token = await h.token('u-viewer')
    const before = events().length
    const r = await fetch(`${h.url}/v1/me`, { headers: { authorization: `Bearer ${token}` } })
    expect(r.status).not.toBe(401)
    expect(r.status).not.toBe(403)
    expect(await eventFor((e, i) => i >= before && e.reason === 'authenticated')).toMatchObject({ allowed: true, subject: 'u-viewer', operationType: 'none', rootFields: [] })
  })
})
