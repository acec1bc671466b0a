import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { raw, type Answer } from '../helpers/http.js'
import { startHarness, type Harness } from '../helpers/proxy.js'
import { responsesIn, socket } from '../security/helpers.js'

// Issue 15, CORS: the Astronomer UI at https://app.<baseDomain> calls permgate on another origin
// with credentials. Preflights are answered by permgate and never forwarded; every answer carries
// permgate's Access-Control-* headers, denials included, and the upstream's own are replaced.

const APP = 'https://app.example.com'
const CORS = `cors:
  origins: ["http://app.local.astronomer.io:5000"]
  originPatterns: ['https://[a-z0-9-]+\\.example\\.com', 'http://localhost(:[0-9]+)?']
  credentials: true
  exposeHeaders: [X-Request-Id]
`
const ROUTES = `routes:
  - { method: GET, prefix: /v1/status, access: public }
  - { method: GET, prefix: /v1/me, access: authenticated }
`
const JSON_POST = { 'content-type': 'application/json' }
const preflightHeaders = (origin: string) => ({ origin, 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type, authorization' })

/** The Access-Control-* headers of an answer. */
function accessControl(a: Answer): Record<string, unknown> {
  return Object.fromEntries(Object.entries(a.headers).filter(([k]) => k.startsWith('access-control-')))
}

/** A credentialed answer readable by `origin`. */
function expectReadableBy(a: Answer, origin: string): void {
  expect(a.headers['access-control-allow-origin']).toBe(origin)
  expect(a.headers['access-control-allow-credentials']).toBe('true')
  expect(a.headers.vary).toMatch(/\bOrigin\b/)
}

describe('CORS on: preflights answered by permgate', () => {
  let h: Harness
  beforeAll(async () => {
    h = await startHarness([], ROUTES + CORS)
  })
  afterAll(() => h.close())
  beforeEach(() => h.upstream.reset())

  it.each([
    ['the GraphQL path', '/graphql', APP],
    ['a route path', '/v1/status', 'http://localhost:3000'],
    ['a route path that needs a credential', '/v1/me', 'http://app.local.astronomer.io:5000'],
    ['a path with no route rule', '/v1/unknown', APP],
  ])('on %s, from an allowed origin: 204 with the Access-Control-* headers, nothing forwarded', async (_what, path, origin) => {
    const a = await raw(h.url, 'OPTIONS', path, preflightHeaders(origin))
    expect(a.status).toBe(204)
    expectReadableBy(a, origin)
    expect(accessControl(a)).toEqual({
      'access-control-allow-origin': origin,
      'access-control-allow-credentials': 'true',
      'access-control-allow-methods': 'GET, POST, OPTIONS',
      'access-control-allow-headers': 'Content-Type, Authorization, Content-Length, X-Requested-With, X-Apollo-Tracing',
      'access-control-max-age': '600',
    })
    expect(a.body).toBe('')
    expect(h.upstream.count()).toBe(0)
  })

  it.each([
    ['a look-alike of the base domain (Houston allows it)', 'https://evil-example.com'],
    ['a host that begins with localhost (Houston allows it)', 'http://localhost.attacker.net'],
    ['the base domain under another', 'https://app.example.com.attacker.net'],
    ['the opaque origin', 'null'],
    ['an origin over the length bound', `https://${'a'.repeat(2048)}.example.com`],
  ])('from %s: 204 without any Access-Control-* header, nothing forwarded', async (_what, origin) => {
    const a = await raw(h.url, 'OPTIONS', '/graphql', preflightHeaders(origin))
    expect(a.status).toBe(204)
    expect(accessControl(a)).toEqual({})
    expect(a.headers.vary).toBe('Origin')
    expect(h.upstream.count()).toBe(0)
  })

  it('an Origin with a control character in it: no Access-Control-* header, nothing forwarded', async () => {
    const text = await socket(h.url, `OPTIONS /graphql HTTP/1.1\r\nHost: x\r\nOrigin: https://app\t.example.com\r\nAccess-Control-Request-Method: POST\r\nConnection: close\r\n\r\n`)
    expect(responsesIn(text).map((r) => r.status)).toEqual([204])
    expect(text.toLowerCase()).not.toContain('access-control-')
    expect(h.upstream.count()).toBe(0)
  })

  it('an OPTIONS that is no preflight (no Access-Control-Request-Method) is decided as before: 405, readable', async () => {
    const a = await raw(h.url, 'OPTIONS', '/graphql', { origin: APP })
    expect(a.status).toBe(405)
    expectReadableBy(a, APP)
    expect(h.upstream.count()).toBe(0)
  })
})

describe('CORS on: every answer of permgate\'s carries the headers', () => {
  let h: Harness
  let viewer: string
  beforeAll(async () => {
    h = await startHarness(['--max-body-bytes', '4096'], ROUTES + CORS)
    viewer = `Bearer ${await h.token('u-viewer')}`
  })
  afterAll(() => h.close())
  beforeEach(() => h.upstream.reset())

  const graphql = (query: string, headers: Record<string, string>) => raw(h.url, 'POST', '/graphql', { ...JSON_POST, ...headers }, JSON.stringify({ query }))

  it('a 403 denial is readable by an allowed origin, with its body and the exposed headers', async () => {
    const a = await graphql('{ deployments }', { origin: APP, authorization: viewer })
    expect(a.status).toBe(403)
    expectReadableBy(a, APP)
    expect(a.headers['access-control-expose-headers']).toBe('X-Request-Id')
    // preflight-only headers stay on preflights
    expect(a.headers['access-control-allow-methods']).toBeUndefined()
    expect(JSON.parse(a.body).errors[0].extensions.reason).toBe('missing_permission')
    expect(h.upstream.count()).toBe(0)
  })

  it.each([
    ['anonymous, on an authenticated field', '{ self }', {}],
    ['a token that does not verify', '{ self }', { authorization: 'Bearer a.b.c' }],
  ])('a 401 (%s) is readable too', async (_what, query, headers) => {
    const a = await graphql(query, { origin: APP, ...headers })
    expect(a.status).toBe(401)
    expect(a.headers['www-authenticate']).toBe('Bearer')
    expectReadableBy(a, APP)
    expect(h.upstream.count()).toBe(0)
  })

  it.each([
    ['a route that needs a credential: 401', 'GET', '/v1/me', 401],
    ['no route rule: 403', 'GET', '/v1/unknown', 403],
    ['another method on the GraphQL path: 405', 'PUT', '/graphql', 405],
    ['another spelling of the GraphQL path: 400', 'GET', '/GraphQL', 400],
    // fastify answers these outside every route and its hooks (frameworkErrors)
    ['a malformed percent-encoding: 400', 'GET', '/v1/%zz', 400],
  ])('%s, readable', async (_what, method, path, status) => {
    const a = await raw(h.url, method, path, { origin: APP })
    expect(a.status).toBe(status)
    expectReadableBy(a, APP)
    expect(h.upstream.count()).toBe(0)
  })

  it.each([
    ['a body that is not JSON: 400', 'application/json', '{"query": ', 400],
    ['a body over the limit, refused while it is read: 413', 'application/json', JSON.stringify({ query: `{ self }${' '.repeat(8192)}` }), 413],
    ['another content type: 415', 'text/plain', '{ self }', 415],
  ])('%s, readable', async (_what, type, body, status) => {
    const a = await raw(h.url, 'POST', '/graphql', { 'content-type': type, origin: APP }, body)
    expect(a.status).toBe(status)
    expectReadableBy(a, APP)
    expect(h.upstream.count()).toBe(0)
  })

  it('an allowed query is forwarded and its answer readable; a disallowed origin gets the answer without the headers', async () => {
    const a = await graphql('{ self }', { origin: APP, authorization: viewer })
    expect(a.status).toBe(200)
    expectReadableBy(a, APP)
    // not a preflight: the Origin reached the upstream with the request, and nothing of CORS came back from it
    expect(h.upstream.count()).toBe(1)
    const b = await graphql('{ self }', { origin: 'https://evil-example.com', authorization: viewer })
    expect(b.status).toBe(200)
    expect(accessControl(b)).toEqual({})
    expect(b.headers.vary).toMatch(/\bOrigin\b/)
  })

  it('a request without Origin: no Access-Control-* header, Vary: Origin all the same (caches)', async () => {
    const a = await graphql('{ deployments }', { authorization: viewer })
    expect(a.status).toBe(403)
    expect(accessControl(a)).toEqual({})
    expect(a.headers.vary).toBe('Origin')
  })

  it('permgate\'s own /healthz on the proxied port, readable', async () => {
    const a = await raw(h.url, 'GET', '/healthz', { origin: APP })
    expect(a.status).toBe(200)
    expectReadableBy(a, APP)
  })
})

describe('CORS on: the upstream\'s Access-Control-* headers are replaced by permgate\'s', () => {
  let upstream: Server
  let h: Harness
  beforeAll(async () => {
    // an upstream that answers every request with its own, too lax, CORS headers (as Houston's unanchored patterns would)
    upstream = createServer((req, res) => {
      req.resume()
      req.on('end', () => {
        res.writeHead(200, {
          'content-type': 'application/json',
          'access-control-allow-origin': 'https://evil-example.com',
          'access-control-allow-credentials': 'true',
          'access-control-expose-headers': 'X-Secret',
          'access-control-allow-methods': 'DELETE',
          vary: 'Accept-Encoding',
        }).end('{"data":{"authConfig":{}}}')
      })
    })
    await new Promise<void>((r) => upstream.listen(0, '127.0.0.1', r))
    const port = (upstream.address() as AddressInfo).port
    // flags win over the harness's own: permgate forwards to this upstream
    h = await startHarness(['--upstream', `http://127.0.0.1:${port}/graphql`], ROUTES + CORS)
  })
  afterAll(async () => {
    await h.close()
    upstream.closeAllConnections()
    await new Promise((r) => upstream.close(r))
  })

  const query = (headers: Record<string, string>) => raw(h.url, 'POST', '/graphql', { ...JSON_POST, ...headers }, JSON.stringify({ query: '{ authConfig }' }))

  it('an allowed origin: permgate\'s headers only, the upstream\'s Vary kept with Origin added', async () => {
    const a = await query({ origin: APP })
    expect(a.status).toBe(200)
    expect(accessControl(a)).toEqual({
      'access-control-allow-origin': APP,
      'access-control-allow-credentials': 'true',
      'access-control-expose-headers': 'X-Request-Id',
    })
    expect(a.headers.vary).toBe('Accept-Encoding, Origin')
  })

  it('the origin the upstream names, which permgate does not allow: no Access-Control-* header at all', async () => {
    const a = await query({ origin: 'https://evil-example.com' })
    expect(a.status).toBe(200)
    expect(accessControl(a)).toEqual({})
  })

  it('on a route, and without an Origin header, too', async () => {
    const route = await raw(h.url, 'GET', '/v1/status', { origin: 'http://localhost:8080' })
    expect(route.status).toBe(200)
    expect(route.headers['access-control-allow-origin']).toBe('http://localhost:8080')
    expect(route.headers['access-control-allow-methods']).toBeUndefined()
    expect(accessControl(await query({}))).toEqual({})
  })
})

describe('CORS on: a failing upstream\'s 502 is readable', () => {
  let h: Harness
  beforeAll(async () => {
    // nothing listens on the discard port
    h = await startHarness(['--upstream', 'http://127.0.0.1:9/graphql'], CORS)
  })
  afterAll(() => h.close())

  it('502 PERMGATE_ERR_UPSTREAM_UNAVAILABLE, with the headers', async () => {
    const a = await raw(h.url, 'POST', '/graphql', { ...JSON_POST, origin: APP }, JSON.stringify({ query: '{ authConfig }' }))
    expect(a.status).toBe(502)
    expectReadableBy(a, APP)
  })
})

describe('CORS off (no cors section): as before', () => {
  let h: Harness
  beforeAll(async () => {
    h = await startHarness([], ROUTES)
  })
  afterAll(() => h.close())
  beforeEach(() => h.upstream.reset())

  it('a preflight on the GraphQL path is 405, without CORS headers, and not forwarded', async () => {
    const a = await raw(h.url, 'OPTIONS', '/graphql', preflightHeaders(APP))
    expect(a.status).toBe(405)
    expect(accessControl(a)).toEqual({})
    expect(a.headers.vary).toBeUndefined()
    expect(h.upstream.count()).toBe(0)
  })

  it('denials and forwarded answers carry no CORS header', async () => {
    const denied = await raw(h.url, 'POST', '/graphql', { ...JSON_POST, origin: APP }, JSON.stringify({ query: '{ self }' }))
    expect(denied.status).toBe(401)
    const allowed = await raw(h.url, 'POST', '/graphql', { ...JSON_POST, origin: APP }, JSON.stringify({ query: '{ authConfig }' }))
    expect(allowed.status).toBe(200)
    for (const a of [denied, allowed]) {
      expect(accessControl(a)).toEqual({})
      expect(a.headers.vary).toBeUndefined()
    }
  })
})
