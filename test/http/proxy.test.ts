import { connect } from 'node:net'
import { gzipSync, brotliCompressSync } from 'node:zlib'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { API_KEY, post, startHarness, type Harness } from '../helpers/proxy.js'

let h: Harness
let admin: string
let viewer: string

beforeAll(async () => {
  h = await startHarness()
  admin = `Bearer ${await h.token('u-admin')}`
  viewer = `Bearer ${await h.token('u-viewer')}`
})
afterAll(() => h.close())
beforeEach(() => h.upstream.reset())

interface ErrorBody {
  errors: { message: string; extensions: Record<string, unknown> }[]
}
const errorsOf = async (r: Response) => ((await r.json()) as ErrorBody).errors

describe('allowed requests reach the upstream as authorized', () => {
  it('forwards the re-serialized body and permgate headers; strips spoofed ones', async () => {
    const r = await post(h.graphql, { query: '{ workspaceDeployments(workspaceUuid: "w1") }', variables: {}, operationName: null }, {
      authorization: viewer,
      'x-permgate-subject': 'u-admin',
      'x-permgate-kind': 'serviceAccount',
      'x-user-id': 'u-admin',
    })
    expect(r.status).toBe(200)
    const body = (await r.json()) as { data: { workspaceDeployments: { id: string }[] } }
    expect(body.data.workspaceDeployments.map((d) => d.id).sort()).toEqual(['d1', 'd2'])
    expect(h.upstream.count()).toBe(1)
    const seen = h.upstream.requests[0]!
    expect(seen.url).toBe('/graphql')
    expect(JSON.parse(seen.body)).toEqual({ query: '{ workspaceDeployments(workspaceUuid: "w1") }', variables: {} })
    expect(seen.headers['x-permgate-subject']).toBe('u-viewer')
    expect(seen.headers['x-permgate-kind']).toBe('user')
    expect(seen.headers['x-permgate-decision-id']).toMatch(/^[0-9a-z]+-[0-9a-z]+$/)
    expect(seen.headers['x-user-id']).toBeUndefined()
  })

  it('a gzip (and br) body is decompressed, decided and forwarded decoded', async () => {
    for (const [enc, zip] of [['gzip', gzipSync], ['br', brotliCompressSync]] as const) {
      const r = await fetch(h.graphql, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'content-encoding': enc, authorization: admin },
        body: zip(Buffer.from(JSON.stringify({ query: '{ deployments }' }))),
      })
      expect(r.status).toBe(200)
      const seen = h.upstream.requests.at(-1)!
      expect(seen.headers['content-encoding']).toBeUndefined()
      expect(JSON.parse(seen.body)).toEqual({ query: '{ deployments }' })
    }
  })

  it('duplicate JSON keys: the upstream receives exactly what was decided (the last key)', async () => {
    const raw = '{"query":"{ authConfig }","query":"{ deployments }"}'
    const anon = await post(h.graphql, raw)
    expect(anon.status).toBe(401)
    expect(h.upstream.count()).toBe(0)
    const ok = await post(h.graphql, raw, { authorization: admin })
    expect(ok.status).toBe(200)
    expect(h.upstream.requests[0]!.body).toBe('{"query":"{ deployments }"}')
  })

  it('GET queries are forwarded with a re-serialized query string', async () => {
    const q = new URLSearchParams({ query: 'query Q($w: Uuid!) { workspaceDeployments(workspaceUuid: $w) }', variables: '{"w":"w1"}', operationName: 'Q' })
    const r = await fetch(`${h.graphql}?${q}`, { headers: { authorization: viewer } })
    expect(r.status).toBe(200)
    const url = new URL(h.upstream.requests[0]!.url, 'http://x')
    expect(url.searchParams.get('variables')).toBe('{"w":"w1"}')
    expect(url.searchParams.get('operationName')).toBe('Q')
  })

  it('a batch whose every operation is allowed is forwarded whole', async () => {
    const r = await post(h.graphql, [{ query: '{ self }' }, { query: '{ workspaceDeployments(workspaceUuid: "w1") }' }], { authorization: viewer })
    expect(r.status).toBe(200)
    expect((JSON.parse(h.upstream.requests[0]!.body) as unknown[]).length).toBe(2)
  })

  it('service-account API keys and the Houston cookie identify the caller', async () => {
    const upd = { query: 'mutation { updateDeployment(deploymentUuid: "d1", config: {}) }' }
    expect((await post(h.graphql, upd, { authorization: API_KEY })).status).toBe(200)
    expect(h.upstream.requests[0]!.headers['x-permgate-kind']).toBe('serviceAccount')
    expect(h.upstream.requests[0]!.headers['x-permgate-subject']).toBe('sa-ci')
    const cookie = `other=1; astronomer_example_com_auth=${await h.token('u-admin')}`
    expect((await post(h.graphql, { query: '{ deployments }' }, { cookie })).status).toBe(200)
  })
})

describe('rejected requests never reach the upstream', () => {
  const cases: [string, () => Promise<Response>, number, string, string | undefined][] = [
    ['denied field: 403 FORBIDDEN', () => post(h.graphql, { query: '{ deployments }' }, { authorization: viewer }), 403, 'FORBIDDEN', 'missing_permission'],
    ['anonymous on an authenticated field: 401', () => post(h.graphql, { query: '{ self }' }), 401, 'UNAUTHENTICATED', 'unauthenticated'],
    ['invalid token, even for a public field: 401', () => post(h.graphql, { query: '{ authConfig }' }, { authorization: 'Bearer not.a.jwt' }), 401, 'UNAUTHENTICATED', 'PERMGATE_ERR_AUTH_TOKEN_INVALID'],
    ['unknown API key: 401', () => post(h.graphql, { query: '{ authConfig }' }, { authorization: 'x'.repeat(32) }), 401, 'UNAUTHENTICATED', 'PERMGATE_ERR_AUTH_UNKNOWN_API_KEY'],
    ['malformed JSON: 400', () => post(h.graphql, '{"query": '), 400, 'BAD_REQUEST', 'PERMGATE_ERR_REQUEST_SHAPE'],
    ['GraphQL syntax error: 400', () => post(h.graphql, { query: '{ self { ' }), 400, 'BAD_REQUEST', 'PERMGATE_ERR_GRAPHQL_SYNTAX'],
    ['several operations, no operationName: 400', () => post(h.graphql, { query: 'query A { self } query B { self }' }, { authorization: admin }), 400, 'BAD_REQUEST', 'PERMGATE_ERR_GRAPHQL_OPERATION_NAME_REQUIRED'],
    ['unknown key in the request: 400', () => post(h.graphql, { query: '{ self }', queryId: 'x' }, { authorization: admin }), 400, 'BAD_REQUEST', 'PERMGATE_ERR_REQUEST_SHAPE'],
    ['oversized body: 413', () => post(h.graphql, { query: `{ self } # ${'x'.repeat(1024 * 1024)}` }), 413, 'PAYLOAD_TOO_LARGE', 'PERMGATE_ERR_BODY_TOO_LARGE'],
    ['gzip bomb: 413', () => fetch(h.graphql, { method: 'POST', headers: { 'content-type': 'application/json', 'content-encoding': 'gzip' }, body: gzipSync(Buffer.alloc(8 * 1024 * 1024, 32)) }), 413, 'PAYLOAD_TOO_LARGE', 'PERMGATE_ERR_BODY_TOO_LARGE'],
    ['a body that is not the gzip it claims: 400', () => fetch(h.graphql, { method: 'POST', headers: { 'content-type': 'application/json', 'content-encoding': 'gzip' }, body: '{"query":"{ authConfig }"}' }), 400, 'BAD_REQUEST', 'PERMGATE_ERR_BAD_ENCODING'],
    ['unknown content encoding: 415', () => fetch(h.graphql, { method: 'POST', headers: { 'content-type': 'application/json', 'content-encoding': 'zstd' }, body: 'x' }), 415, 'UNSUPPORTED_MEDIA_TYPE', 'PERMGATE_ERR_UNSUPPORTED_ENCODING'],
    ['text/plain body: 415', () => fetch(h.graphql, { method: 'POST', headers: { 'content-type': 'text/plain' }, body: '{"query":"{ authConfig }"}' }), 415, 'UNSUPPORTED_MEDIA_TYPE', 'PERMGATE_ERR_UNSUPPORTED_MEDIA_TYPE'],
    ['application/graphql body: 415', () => fetch(h.graphql, { method: 'POST', headers: { 'content-type': 'application/graphql' }, body: '{ authConfig }' }), 415, 'UNSUPPORTED_MEDIA_TYPE', 'PERMGATE_ERR_UNSUPPORTED_MEDIA_TYPE'],
    ['a charset other than UTF-8: 415', () => fetch(h.graphql, { method: 'POST', headers: { 'content-type': 'application/json; charset=iso-8859-1' }, body: '{"query":"{ authConfig }"}' }), 415, 'UNSUPPORTED_MEDIA_TYPE', 'PERMGATE_ERR_UNSUPPORTED_MEDIA_TYPE'],
    ['mutation over GET: 405', () => fetch(`${h.graphql}?query=${encodeURIComponent('mutation { createWorkspace(label: "x") }')}`, { headers: { authorization: admin } }), 405, 'METHOD_NOT_ALLOWED', 'PERMGATE_ERR_METHOD_NOT_ALLOWED'],
    ['a batch with one denied operation: 403 for the whole batch', () => post(h.graphql, [{ query: '{ self }' }, { query: '{ deployments }' }], { authorization: viewer }), 403, 'FORBIDDEN', 'missing_permission'],
    ['a batch over the limit: 413', () => post(h.graphql, Array.from({ length: 11 }, () => ({ query: '{ authConfig }' }))), 413, 'PAYLOAD_TOO_LARGE', 'PERMGATE_ERR_BATCH_TOO_LARGE'],
    ['a query in both the URL and the body: 400', () => post(`${h.graphql}?query=${encodeURIComponent('{ deployments }')}`, { query: '{ authConfig }' }), 400, 'BAD_REQUEST', 'PERMGATE_ERR_REQUEST_SHAPE'],
    ['a path with no route rule: 403', () => fetch(`${h.url}/admin/users`, { headers: { authorization: admin } }), 403, 'FORBIDDEN', 'PERMGATE_ERR_NO_ROUTE'],
    ['an unknown root field: 403', () => post(h.graphql, { query: '{ dropEverything }' }, { authorization: admin }), 403, 'FORBIDDEN', 'no_rule'],
  ]
  it.each(cases)('%s', async (_name, send, status, code, reason) => {
    const r = await send()
    expect(r.status).toBe(status)
    expect(r.headers.get('content-type')).toMatch(/^application\/json/)
    const errors = await errorsOf(r)
    expect(errors.length).toBeGreaterThan(0)
    expect(errors[0]!.extensions.code).toBe(code)
    if (reason !== undefined) expect(errors[0]!.extensions.reason).toBe(reason)
    expect(errors[0]!.extensions.decisionId).toEqual(expect.any(String))
    expect(h.upstream.count()).toBe(0)
  })

  it('a denial names the field, what it requires and where', async () => {
    const r = await post(h.graphql, { query: 'mutation { d: deleteDeployment(deploymentUuid: "d1") }' }, { authorization: viewer })
    expect(r.status).toBe(403)
    expect((await errorsOf(r))[0]!.extensions).toMatchObject({
      code: 'FORBIDDEN',
      field: 'Mutation.deleteDeployment',
      alias: 'd',
      required: ['deployment.config.delete', 'system.deployments.delete'],
      op: 'OR',
      scope: { kind: 'deployment', id: 'd1' },
    })
  })

  it('401 carries WWW-Authenticate; mutation over GET carries Allow: POST', async () => {
    expect((await post(h.graphql, { query: '{ self }' })).headers.get('www-authenticate')).toBe('Bearer')
    const g = await fetch(`${h.graphql}?query=${encodeURIComponent('mutation { createWorkspace(label: "x") }')}`)
    expect(g.headers.get('allow')).toBe('POST')
  })

  it('answers application/graphql-response+json when the client accepts it', async () => {
    const r = await post(h.graphql, { query: '{ self }' }, { accept: 'application/graphql-response+json, application/json' })
    expect(r.headers.get('content-type')).toMatch(/^application\/graphql-response\+json/)
  })

  it('accepts a GraphQL WebSocket upgrade but opens nothing upstream before connection_init (see subscriptions.test.ts)', async () => {
    const port = new URL(h.url).port
    const answer = await new Promise<string>((resolve, reject) => {
      const s = connect(Number(port), '127.0.0.1', () => {
        s.write('GET /graphql HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Protocol: graphql-transport-ws\r\n\r\n')
      })
      let data = ''
      s.on('data', (d) => {
        data += d.toString()
        if (data.includes('\r\n\r\n')) {
          s.destroy()
          resolve(data)
        }
      })
      s.on('end', () => resolve(data))
      s.on('error', reject)
    })
    expect(answer).toMatch(/^HTTP\/1\.1 101 /)
    expect(answer).toMatch(/sec-websocket-protocol: graphql-transport-ws/i)
    expect(h.upstream.count()).toBe(0)
  })

  it('/healthz answers from permgate itself', async () => {
    const r = await fetch(`${h.url}/healthz`)
    expect(r.status).toBe(200)
    expect(await r.json()).toMatchObject({ status: 'ok', policy: 'houston' })
    expect(h.upstream.count()).toBe(0)
  })
})
