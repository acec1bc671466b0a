import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { raw } from '../helpers/http.js'
import { post, startHarness, type Harness } from '../helpers/proxy.js'

// Issue 15, part 1: Houston mounts its REST routes under its GraphQL path (/v1/healthz,
// /v1/authorization, /v1/registry/...). A route rule written below the GraphQL path is honoured;
// any other path below or beside the endpoint stays refused as another spelling of it, even under
// a catch-all rule, and the path checks apply as before.

const ROUTES = `routes:
  - { method: GET, prefix: /, access: public }
  - { method: GET, prefix: /v1/healthz, access: public }
  - { methods: [GET, POST], prefix: /v1/authorization, access: authenticated }
`

let h: Harness
beforeAll(async () => {
  h = await startHarness(['--graphql-path', '/v1'], ROUTES)
})
afterAll(() => h.close())
beforeEach(() => h.upstream.reset())

const reasonOf = (body: string): unknown => (JSON.parse(body) as { errors: { extensions: { reason: string } }[] }).errors[0]!.extensions.reason

describe('REST routes below the GraphQL path', () => {
  it.each(['/v1/healthz', '/v1/healthz/', '/v1/healthz?probe=1'])('%s: an explicit rule below the endpoint is honoured and forwarded', async (path) => {
    const r = await raw(h.url, 'GET', path)
    expect(r.status).not.toBe(400)
    expect(r.status).not.toBe(403)
    expect(h.upstream.requests.map((q) => q.url)).toEqual([path])
  })

  it('a route rule\'s own access still decides: /v1/authorization needs a caller', async () => {
    const anonymous = await raw(h.url, 'GET', '/v1/authorization')
    expect(anonymous.status).toBe(401)
    const token = await h.token('u-viewer')
    const signed = await raw(h.url, 'GET', '/v1/authorization', { authorization: `Bearer ${token}` })
    expect(signed.status).not.toBe(401)
    expect(h.upstream.requests.map((q) => q.url)).toEqual(['/v1/authorization'])
  })

  it.each([
    '/v1/other', // below the endpoint with no rule of its own: the catch-all / rule does not count
    '/v1/healthzx', // not below the rule (segment-wise)
    '/V1/healthz', // another letter case
    '/v1/HEALTHZ',
    '/v1%2fhealthz', // an encoded slash
    '/v1/healthz;x', // a path parameter
    '/v1/./healthz',
    '/v1//healthz',
    '/v1.json',
    '/v1;jsessionid=1',
  ])('%s: refused 400 and never forwarded', async (path) => {
    const r = await raw(h.url, 'GET', path)
    expect(r.status).toBe(400)
    expect(reasonOf(r.body)).toBe('PERMGATE_ERR_REQUEST_SHAPE')
    expect(h.upstream.requests).toHaveLength(0)
  })

  it('the endpoint itself is still GraphQL, decided as such', async () => {
    const r = await post(`${h.url}/v1`, { query: '{ users { id } }' })
    expect(r.status).toBe(401)
    expect(h.upstream.requests).toHaveLength(0)
  })
})
