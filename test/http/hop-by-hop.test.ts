import { request as httpRequest, type IncomingHttpHeaders } from 'node:http'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { startHarness, type Harness } from '../helpers/proxy.js'

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
