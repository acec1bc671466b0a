import { request as httpRequest, type IncomingHttpHeaders } from 'node:http'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { startHarness, type Harness } from '../helpers/proxy.js'
import { responsesIn, socket } from '../security/helpers.js'

let h: Harness
let admin: string

beforeAll(async () => {
  h = await startHarness([], 'routes:\n  - { method: GET, prefix: /v1/status, access: public }\n')
  admin = `Bearer ${await h.token('u-admin')}`
})
afterAll(() => h.close())
beforeEach(() => h.upstream.reset())

/** One request on its own connection. */
function once(method: string, path: string, headers: Record<string, string>, body?: string): Promise<{ status: number; headers: IncomingHttpHeaders }> {
  const u = new URL(h.url)
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: u.hostname, port: u.port, method, path, headers, agent: false }, (res) => {
      res.resume()
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers }))
      res.on('error', reject)
    })
    req.on('error', reject)
    req.end(body)
  })
}

describe('hop-by-hop headers of forwarded responses', () => {
  it("a client's Connection: close is honoured on a forwarded GraphQL response", async () => {
    const r = await once('POST', '/graphql', { authorization: admin, 'content-type': 'application/json', connection: 'close' }, JSON.stringify({ query: '{ deployments }' }))
    expect(r.status).toBe(200)
    expect(h.upstream.count()).toBe(1)
    // The upstream's own `Connection: keep-alive` / `Keep-Alive` describe permgate's pooled connection to it.
    expect(r.headers.connection).toBe('close')
    expect(r.headers['keep-alive']).toBeUndefined()
  })

  it("a client's Connection: close is honoured on a forwarded route response", async () => {
    const r = await once('GET', '/v1/status', { connection: 'close' })
    expect(r.status).toBe(404)
    expect(h.upstream.count()).toBe(1)
    expect(r.headers.connection).toBe('close')
    expect(r.headers['keep-alive']).toBeUndefined()
  })

  it('end-to-end response headers are still relayed', async () => {
    const r = await once('POST', '/graphql', { authorization: admin, 'content-type': 'application/json', connection: 'close' }, JSON.stringify({ query: '{ deployments }' }))
    expect(r.headers['content-type']).toMatch(/^application\/json/)
    expect(Number(r.headers['content-length'])).toBeGreaterThan(0)
  })
})

describe('hop-by-hop headers of forwarded requests (issue 12)', () => {
  const QUERY = JSON.stringify({ query: '{ deployments }' })
  const graphql = (extra: Record<string, string>) => once('POST', '/graphql', { authorization: admin, 'content-type': 'application/json', ...extra }, QUERY)

  // undici refuses expect, keep-alive and upgrade outright: these were answered 502 "the upstream could not be reached".
  it.each([
    ['Expect: 100-continue', { expect: '100-continue' }],
    ['Keep-Alive: timeout=5', { 'keep-alive': 'timeout=5' }],
    ['Upgrade: h2c without Connection: upgrade', { upgrade: 'h2c' }],
    ['TE: trailers', { te: 'trailers' }],
    ['Trailer: x-checksum', { trailer: 'x-checksum' }],
    ['Proxy-Connection: keep-alive', { 'proxy-connection': 'keep-alive' }],
  ])('%s on an allowed GraphQL request: answered by the upstream, and not forwarded', async (_name, extra) => {
    const r = await graphql(extra)
    expect(r.status).toBe(200)
    expect(h.upstream.count()).toBe(1)
    for (const name of Object.keys(extra)) expect(h.upstream.requests[0]!.headers[name], name).toBeUndefined()
  })

  it('the same headers on an allowed route request: answered by the upstream, none forwarded', async () => {
    const extra = ['Expect: 100-continue', 'Keep-Alive: timeout=5', 'Upgrade: h2c', 'TE: trailers', 'Trailer: x-checksum', 'Proxy-Connection: keep-alive']
    const text = await socket(h.url, `GET /v1/status HTTP/1.1\r\nHost: x\r\n${extra.join('\r\n')}\r\nConnection: close\r\n\r\n`)
    expect(responsesIn(text).at(-1)?.status).toBe(404)
    expect(h.upstream.count()).toBe(1)
    for (const line of extra) expect(h.upstream.requests[0]!.headers[line.split(':')[0]!.toLowerCase()], line).toBeUndefined()
  })

  // What `curl --http2` sends on http://: Node hands it to the server's upgrade listeners, which
  // refused it as a WebSocket upgrade (400 on /graphql, 404 elsewhere).
  const H2C = 'Connection: Upgrade, HTTP2-Settings\r\nUpgrade: h2c\r\nHTTP2-Settings: AAMAAABkAAQCAAAAAAIAAAAA\r\n'

  it('Upgrade: h2c with Connection: Upgrade on a GraphQL POST is served over HTTP/1.1, its body forwarded', async () => {
    const close = 'GET /v1/status HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n'
    const text = await socket(h.url, `POST /graphql HTTP/1.1\r\nHost: x\r\n${H2C}Authorization: ${admin}\r\nContent-Type: application/json\r\nContent-Length: ${QUERY.length}\r\n\r\n${QUERY}${close}`)
    expect(responsesIn(text).map((r) => r.status)).toEqual([200, 404])
    const seen = h.upstream.requests.find((r) => r.method === 'POST')!
    expect(JSON.parse(seen.body)).toEqual({ query: '{ deployments }' })
    for (const name of ['upgrade', 'http2-settings']) expect(seen.headers[name], name).toBeUndefined()
  })

  it('Upgrade: h2c with Connection: Upgrade on a route GET is served over HTTP/1.1, and so is the next request on the connection', async () => {
    const text = await socket(h.url, `GET /v1/status HTTP/1.1\r\nHost: x\r\n${H2C}\r\nGET /v1/status HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`)
    expect(responsesIn(text).map((r) => r.status)).toEqual([404, 404])
    expect(text).not.toContain('101 Switching Protocols')
    expect(h.upstream.count()).toBe(2)
    for (const r of h.upstream.requests) expect(r.headers.upgrade).toBeUndefined()
  })

  it('an h2c upgrade pipelined behind another request is served after it, in order', async () => {
    const get = (extra: string): string => `GET /v1/status HTTP/1.1\r\nHost: x\r\n${extra}\r\n`
    const text = await socket(h.url, get('') + get(H2C) + get('Connection: close\r\n'))
    expect(responsesIn(text).map((r) => r.status)).toEqual([404, 404, 404])
    expect(h.upstream.count()).toBe(3)
  })

  it('many h2c upgrades pipelined on one connection: the first is served, and the connection ends', async () => {
    const text = await socket(h.url, `GET /v1/status HTTP/1.1\r\nHost: x\r\n${H2C}\r\n`.repeat(50))
    expect(responsesIn(text)[0]?.status).toBe(404)
    expect(h.upstream.count()).toBeGreaterThan(0)
    expect(h.upstream.count()).toBeLessThan(50)
  })

  it('a WebSocket upgrade on another path is still refused by the relay (404), not served as HTTP', async () => {
    const text = await socket(h.url, 'GET /v1/status HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n')
    expect(responsesIn(text)[0]?.status).toBe(404)
    expect(h.upstream.count()).toBe(0)
  })
})
