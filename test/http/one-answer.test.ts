import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { errorEntryOf, GRAPHQL_CODES } from '../../src/egress/graphql-errors.js'
import { ERRORS, PermgateError, type ErrorCode } from '../../src/errors.js'
import { errorEntry } from '../../src/ingress/ws/protocols.js'
import { post, startHarness, type Harness } from '../helpers/proxy.js'
import { eventually } from '../helpers/eventually.js'
import { tempFiles } from '../helpers/tmp.js'
import { openWs } from '../helpers/ws.js'

// Issue 14, the drift between transports: a coded error and a denial are answered alike over
// HTTP and over WebSocket (HTTP is the reference), every denial is counted as what it is, and
// every denial reaches the decision log.

describe('one map from a coded error to its GraphQL code, for both transports', () => {
  const coded = (Object.keys(ERRORS) as ErrorCode[]).filter((c) => ERRORS[c].status !== undefined)

  it.each(coded)('%s: the WebSocket error entry carries the code an HTTP answer carries', (code) => {
    const e = new PermgateError(code, 'x')
    const http = errorEntryOf(e, 'd', 'internal')
    expect(errorEntry(e, 'd')).toEqual(http)
    expect(http.extensions.code).toBe(GRAPHQL_CODES[ERRORS[code].status as number])
  })

  it('the codes that differed before: timeouts, unavailable bindings, sizes, conflicts, throttling', () => {
    const codeOf = (c: ErrorCode): unknown => errorEntry(new PermgateError(c, 'x'), undefined).extensions.code
    expect(codeOf('PERMGATE_ERR_UPSTREAM_TIMEOUT')).toBe('GATEWAY_TIMEOUT')
    expect(codeOf('PERMGATE_ERR_BINDINGS_UNAVAILABLE')).toBe('SERVICE_UNAVAILABLE')
    expect(codeOf('PERMGATE_ERR_BODY_TOO_LARGE')).toBe('PAYLOAD_TOO_LARGE')
    expect(codeOf('PERMGATE_ERR_UNSUPPORTED_MEDIA_TYPE')).toBe('UNSUPPORTED_MEDIA_TYPE')
    expect(codeOf('PERMGATE_ERR_METHOD_NOT_ALLOWED')).toBe('METHOD_NOT_ALLOWED')
    expect(codeOf('PERMGATE_ERR_WEBSOCKET_DUPLICATE_ID')).toBe('CONFLICT')
    expect(codeOf('PERMGATE_ERR_WEBSOCKET_TOO_MANY_SUBSCRIPTIONS')).toBe('TOO_MANY_REQUESTS')
    expect(codeOf('PERMGATE_ERR_WEBSOCKET_INIT_TIMEOUT')).toBe('REQUEST_TIMEOUT')
  })
})

describe('a denial, an uncounted and an unlogged refusal', () => {
  const dir = tempFiles({})
  const log = join(dir, 'decisions.log')
  let h: Harness
  beforeAll(async () => {
    h = await startHarness(['--decision-log', log, '--decision-log-sample-rate', '0'], 'routes:\n  - { method: GET, prefix: /v1/me, access: authenticated }\n')
  })
  afterAll(async () => {
    await h?.close()
  })

  it.each(['graphql-transport-ws', 'graphql-ws'])('%s: a denied subscription carries what the HTTP denial carries (op included)', async (protocol) => {
    const token = await h.token('u-viewer')
    const query = 'subscription { log(deploymentUuid: "d3") }'
    const http = (await (await post(h.graphql, { query }, { authorization: `Bearer ${token}` })).json()) as { errors: { message: string; extensions: Record<string, unknown> }[] }
    const c = await openWs(h.graphql, protocol)
    c.send({ type: 'connection_init', payload: { authorization: token } })
    await c.next((m) => m.type === 'connection_ack')
    c.send({ id: 's', type: protocol === 'graphql-ws' ? 'start' : 'subscribe', payload: { query } })
    const m = await c.next((x) => x.id === 's')
    const ws = (Array.isArray(m.payload) ? m.payload : [m.payload]) as { message: string; extensions: Record<string, unknown> }[]
    const strip = (e: { message: string; extensions: Record<string, unknown> }) => ({ message: e.message, extensions: { ...e.extensions, decisionId: undefined } })
    expect(ws.map(strip)).toEqual(http.errors.map(strip))
    expect(ws[0]!.extensions.op).toBe('OR')
    c.close()
  })

  it('a bad token on the GraphQL path is counted as a GraphQL refusal (operation_type none), not a route', async () => {
    await post(h.graphql, { query: '{ self }' }, { authorization: 'Bearer not.a.jwt' })
    const text = await h.metrics()
    expect(text).toMatch(/permgate_decisions_total\{decision="deny",reason="PERMGATE_ERR_AUTH_TOKEN_INVALID",operation_type="none"\} [1-9]/)
    expect(text).not.toMatch(/reason="PERMGATE_ERR_AUTH_TOKEN_INVALID",operation_type="route"/)
  })

  it('a 405 on the GraphQL path and a 401 on a route reach the decision log, as every denial does', async () => {
    const put = await fetch(h.graphql, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: '{}' })
    expect(put.status).toBe(405)
    const route = await fetch(`${h.url}/v1/me`)
    expect(route.status).toBe(401)
    const [putId, routeId] = await Promise.all([put, route].map(async (r) => ((await r.json()) as { errors: { extensions: { decisionId: string } }[] }).errors[0]!.extensions.decisionId))
    let lines: { decisionId: string; reason: string; allowed: boolean }[] = []
    // the log is written to its file after the answer (real I/O, no timer)
    await eventually('both denials in the decision log', () => {
      try {
        lines = readFileSync(log, 'utf8').trim().split('\n').filter(Boolean).map((l) => JSON.parse(l) as never)
      } catch {
        lines = []
      }
      return lines.some((l) => l.decisionId === putId) && lines.some((l) => l.decisionId === routeId)
    })
    expect(lines.find((l) => l.decisionId === putId)).toMatchObject({ allowed: false, reason: 'PERMGATE_ERR_METHOD_NOT_ALLOWED' })
    expect(lines.find((l) => l.decisionId === routeId)).toMatchObject({ allowed: false, reason: 'unauthenticated' })
  })
})
