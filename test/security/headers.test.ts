// Identity headers a client sends itself: x-permgate-*, configured strip headers (the harness
// strips x-user-id), proxy headers. None of them changes who is decided for, and the upstream
// sees permgate's own values.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { startHarness, type Harness } from '../helpers/proxy.js'
import { openWs } from '../helpers/ws.js'
import { expectForwarded, expectRefused, gql, raw, responsesIn, socket } from './helpers.js'

let h: Harness
let viewerToken: string

beforeAll(async () => {
  h = await startHarness()
  viewerToken = await h.token('u-viewer')
})
afterAll(() => h.close())
beforeEach(() => h.upstream.reset())

const SPOOF: Record<string, string> = {
  'x-permgate-subject': 'u-admin',
  'X-Permgate-Kind': 'serviceAccount',
  'x-permgate-decision-id': 'forged-1',
  'x-permgate-groups': 'admins',
  'x-permgate-anything': 'x',
  'X-User-Id': 'u-admin',
}

describe('spoofed identity headers', () => {
  it('anonymous with x-permgate-subject: u-admin is still anonymous: 401 on an authenticated field', async () => {
    expectRefused(h, await gql(h, { query: '{ self }' }, SPOOF), 401, 'unauthenticated')
    expectRefused(h, await gql(h, { query: '{ deployments }' }, { 'x-user-id': 'u-admin', 'x-forwarded-user': 'u-admin' }), 401, 'unauthenticated')
  })

  it('a viewer claiming u-admin by header is decided as the viewer: 403', async () => {
    expectRefused(h, await gql(h, { query: '{ deployments }' }, { authorization: `Bearer ${viewerToken}`, ...SPOOF }), 403, 'missing_permission')
  })

  it('forwarded requests carry permgate\'s values only; spoofed x-permgate-* and x-user-id are gone', async () => {
    const a = await gql(h, { query: '{ self }' }, { authorization: `Bearer ${viewerToken}`, ...SPOOF })
    const seen = expectForwarded(h, a)
    expect(seen.headers['x-permgate-subject']).toBe('u-viewer')
    expect(seen.headers['x-permgate-kind']).toBe('user')
    expect(seen.headers['x-permgate-decision-id']).not.toBe('forged-1')
    expect(seen.headers['x-permgate-groups']).toBeUndefined()
    expect(seen.headers['x-permgate-anything']).toBeUndefined()
    expect(seen.headers['x-user-id']).toBeUndefined()
    // The demo's `self` answers for x-permgate-subject: the viewer, not the spoofed admin.
    expect(a.body).toContain('u-viewer')
    expect(a.body).not.toContain('u-admin')
  })

  it('anonymous: x-permgate-subject is "anonymous" upstream, whatever the client sent', async () => {
    const seen = expectForwarded(h, await gql(h, { query: '{ authConfig }' }, SPOOF))
    expect(seen.headers['x-permgate-subject']).toBe('anonymous')
    expect(seen.headers['x-permgate-kind']).toBe('anonymous')
  })

  it('repeated x-permgate-subject / x-user-id fields are all removed', async () => {
    const body = '{"query":"{ self }"}'
    const text = await socket(
      h.url,
      `POST /graphql HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nAuthorization: Bearer ${viewerToken}\r\n` +
        `X-Permgate-Subject: u-admin\r\nx-permgate-subject: u-admin\r\nX-User-Id: u-admin\r\nx-user-id: u-admin\r\n` +
        `Content-Length: ${body.length}\r\nConnection: close\r\n\r\n${body}`,
    )
    expect(responsesIn(text)[0]?.status).toBe(200)
    const seen = h.upstream.requests[0]!
    expect(seen.headers['x-permgate-subject']).toBe('u-viewer')
    expect(seen.headers['x-user-id']).toBeUndefined()
  })

  it('Connection: x-permgate-subject cannot remove the header permgate adds', async () => {
    const headers = { 'content-type': 'application/json', authorization: `Bearer ${viewerToken}`, connection: 'keep-alive, x-permgate-subject, x-permgate-kind' }
    const seen = expectForwarded(h, await raw(h.url, 'POST', '/graphql', headers, '{"query":"{ self }"}'))
    expect(seen.headers['x-permgate-subject']).toBe('u-viewer')
    expect(seen.headers['x-permgate-kind']).toBe('user')
  })
})

describe('proxy headers do not change the decision or the destination', () => {
  const PROXY: Record<string, string> = {
    'x-forwarded-for': '127.0.0.1',
    'x-real-ip': '10.0.0.1',
    forwarded: 'for=127.0.0.1;host=admin.internal;proto=https',
    'x-forwarded-host': 'admin.internal',
    'x-forwarded-proto': 'https',
    'x-original-url': '/admin',
    'x-rewrite-url': '/admin',
    'x-http-method-override': 'POST',
  }

  it('anonymous with loopback X-Forwarded-For and friends: still 401 on an authenticated field, 403 on a denied one', async () => {
    expectRefused(h, await gql(h, { query: '{ self }' }, PROXY), 401, 'unauthenticated')
    expectRefused(h, await gql(h, { query: '{ deployments }' }, { authorization: `Bearer ${viewerToken}`, ...PROXY }), 403, 'missing_permission')
  })

  it('X-HTTP-Method-Override does not make a GET mutation acceptable', async () => {
    const url = `${h.graphql}?${new URLSearchParams({ query: 'mutation { deleteDeployment(deploymentUuid: "d1") }' })}`
    const a = await fetch(url, { headers: { authorization: `Bearer ${viewerToken}`, 'x-http-method-override': 'POST' } })
    expect(a.status).toBe(405)
    expect(h.upstream.count()).toBe(0)
  })

  it('a forged Host or X-Forwarded-Host does not move the request: it goes to the configured upstream under its own host', async () => {
    const seen = expectForwarded(h, await raw(h.url, 'POST', '/graphql', { 'content-type': 'application/json', ...PROXY, host: 'admin.internal' }, '{"query":"{ authConfig }"}'))
    expect(seen.headers.host).toBe(new URL(h.upstream.origin).host)
    expect(seen.url).toBe('/graphql')
  })

  it('forwarding headers from an untrusted client are not passed on: X-Forwarded-For is the peer, the others are dropped', async () => {
    const seen = expectForwarded(h, await gql(h, { query: '{ authConfig }' }, { ...PROXY, 'x-forwarded-for': '203.0.113.9, 10.0.0.1' }))
    expect(seen.headers['x-forwarded-for']).toBe('127.0.0.1')
    for (const name of ['x-real-ip', 'forwarded', 'x-forwarded-host', 'x-forwarded-proto']) expect(seen.headers[name], name).toBeUndefined()
  })
})

// CGI, WSGI and Rack servers read `x_user_id` and `x.user.id` as X-User-Id (HTTP_X_USER_ID).
describe('identity-header look-alikes with `_` or `.` (issue 12)', () => {
  const LOOKALIKES: Record<string, string> = {
    'x-permgate_subject': 'u-admin',
    'x-permgate.subject': 'u-admin',
    X_Permgate_Kind: 'serviceAccount',
    'x.permgate.decision_id': 'forged-1',
    x_user_id: 'u-admin',
    'x-user.id': 'u-admin',
  }
  const expectNone = (headers: Record<string, unknown>): void => {
    for (const name of Object.keys(LOOKALIKES)) expect(headers[name.toLowerCase()], name).toBeUndefined()
  }

  it('HTTP: none reaches the upstream; it sees permgate\'s values only', async () => {
    const seen = expectForwarded(h, await gql(h, { query: '{ self }' }, { authorization: `Bearer ${viewerToken}`, ...LOOKALIKES }))
    expectNone(seen.headers)
    expect(seen.headers['x-permgate-subject']).toBe('u-viewer')
    expect(seen.headers['x-permgate-kind']).toBe('user')
  })

  it('WebSocket: none reaches the upstream in the handshake', async () => {
    const c = await openWs(h.graphql, 'graphql-transport-ws', LOOKALIKES)
    c.send({ type: 'connection_init', payload: { authorization: viewerToken } })
    await c.next((m) => m.type === 'connection_ack')
    c.close()
    const up = h.upstream.requests.find((r) => r.headers.upgrade === 'websocket')!
    expectNone(up.headers)
    expect(up.headers['x-permgate-subject']).toBe('u-viewer')
  })
})

describe('method overrides are not forwarded (issue 12)', () => {
  const OVERRIDES = { 'x-http-method-override': 'DELETE', 'x-http-method': 'DELETE', 'x-method-override': 'DELETE', x_http_method_override: 'DELETE' }
  let r: Harness
  beforeAll(async () => {
    r = await startHarness([], 'routes:\n  - { method: GET, prefix: /v1/status, access: public }\n')
  })
  afterAll(() => r.close())
  beforeEach(() => r.upstream.reset())

  it('a GET route request with X-HTTP-Method-Override: DELETE and friends reaches the upstream as a GET without them', async () => {
    const seen = expectForwarded(r, await raw(r.url, 'GET', '/v1/status', OVERRIDES), 404)
    expect(seen.method).toBe('GET')
    for (const name of Object.keys(OVERRIDES)) expect(seen.headers[name], name).toBeUndefined()
  })

  it('nor on a GraphQL request', async () => {
    const seen = expectForwarded(r, await gql(r, { query: '{ authConfig }' }, OVERRIDES))
    for (const name of Object.keys(OVERRIDES)) expect(seen.headers[name], name).toBeUndefined()
  })
})

describe('the credential cookie when the Authorization header decided (issue 12)', () => {
  const COOKIE = 'astronomer_example_com_auth'
  let adminToken: string
  beforeAll(async () => {
    adminToken = await h.token('u-admin')
  })

  it('HTTP: another principal\'s token in the cookie does not reach the upstream; other cookies do', async () => {
    const seen = expectForwarded(h, await gql(h, { query: '{ self }' }, { authorization: `Bearer ${viewerToken}`, cookie: `theme=dark; ${COOKIE}=${adminToken}; lang=en` }))
    expect(seen.headers.cookie).toBe('theme=dark; lang=en')
    expect(seen.headers['x-permgate-subject']).toBe('u-viewer')
  })

  it('HTTP: a Cookie header holding only the credential cookie is dropped', async () => {
    const seen = expectForwarded(h, await gql(h, { query: '{ self }' }, { authorization: `Bearer ${viewerToken}`, cookie: `${COOKIE}=${adminToken}` }))
    expect(seen.headers.cookie).toBeUndefined()
  })

  it('HTTP: without an Authorization header the cookie decided and is forwarded (Houston\'s UI relies on it)', async () => {
    const cookie = `theme=dark; ${COOKIE}=${viewerToken}`
    const seen = expectForwarded(h, await gql(h, { query: '{ self }' }, { cookie }))
    expect(seen.headers.cookie).toBe(cookie)
    expect(seen.headers['x-permgate-subject']).toBe('u-viewer')
  })

  it('WebSocket: the upgrade\'s Authorization header decided: its credential cookie is not in the upstream handshake', async () => {
    const c = await openWs(h.graphql, 'graphql-transport-ws', { authorization: `Bearer ${viewerToken}`, cookie: `theme=dark; ${COOKIE}=${adminToken}` })
    c.send({ type: 'connection_init' })
    await c.next((m) => m.type === 'connection_ack')
    c.close()
    const up = h.upstream.requests.find((x) => x.headers.upgrade === 'websocket')!
    expect(up.headers.cookie).toBe('theme=dark')
    expect(up.headers['x-permgate-subject']).toBe('u-viewer')
  })
})
