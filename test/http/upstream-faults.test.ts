import { afterEach, describe, expect, it } from 'vitest'
import { post, startHarness, type Harness } from '../helpers/proxy.js'

interface ErrorBody {
  errors: { message: string; extensions: Record<string, unknown> }[]
}
const errorsOf = async (r: Response) => ((await r.json()) as ErrorBody).errors

const open: Harness[] = []
async function harness(extraArgs: string[] = []): Promise<Harness> {
  const h = await startHarness(extraArgs)
  open.push(h)
  return h
}
afterEach(async () => {
  await Promise.all(open.splice(0).map((h) => h.close()))
})

const ROUTES = `routes:
  - { method: GET, prefix: /v1/status, access: public }
`

describe('upstream failures are answered by permgate as GraphQL errors', () => {
  it('upstream down: 502 BAD_GATEWAY / PERMGATE_ERR_UPSTREAM_UNAVAILABLE, for POST and GET', async () => {
    const h = await harness()
    const admin = `Bearer ${await h.token('u-admin')}`
    // Reachable first, so a pooled keep-alive connection to it exists when it goes away.
    expect((await post(h.graphql, { query: '{ deployments }' }, { authorization: admin })).status).toBe(200)
    await h.upstream.close()

    const r = await post(h.graphql, { query: '{ deployments }' }, { authorization: admin })
    expect(r.status).toBe(502)
    expect(r.headers.get('content-type')).toMatch(/^application\/json/)
    const [e] = await errorsOf(r)
    expect(e!.extensions).toMatchObject({ code: 'BAD_GATEWAY', reason: 'PERMGATE_ERR_UPSTREAM_UNAVAILABLE', decisionId: expect.any(String) })

    const g = await fetch(`${h.graphql}?query=${encodeURIComponent('{ deployments }')}`, { headers: { authorization: admin } })
    expect(g.status).toBe(502)
    expect((await errorsOf(g))[0]!.extensions.reason).toBe('PERMGATE_ERR_UPSTREAM_UNAVAILABLE')
  })

  it('upstream down on a route rule path: 502 as well', async () => {
    const h = await startHarness([], ROUTES)
    open.push(h)
    await h.upstream.close()
    const r = await fetch(`${h.url}/v1/status`)
    expect(r.status).toBe(502)
    expect((await errorsOf(r))[0]!.extensions).toMatchObject({ code: 'BAD_GATEWAY', reason: 'PERMGATE_ERR_UPSTREAM_UNAVAILABLE' })
  })

  it('a denial is still a denial when the upstream is down (decided before any forwarding)', async () => {
    const h = await harness()
    await h.upstream.close()
    const r = await post(h.graphql, { query: '{ deployments }' }, { authorization: `Bearer ${await h.token('u-viewer')}` })
    expect(r.status).toBe(403)
    expect((await errorsOf(r))[0]!.extensions.code).toBe('FORBIDDEN')
  })

  it('upstream slower than --upstream-timeout-ms: 504 GATEWAY_TIMEOUT / PERMGATE_ERR_UPSTREAM_TIMEOUT', async () => {
    const h = await harness(['--upstream-timeout-ms', '200'])
    h.upstream.setDelay(1500)
    const r = await post(h.graphql, { query: '{ deployments }' }, { authorization: `Bearer ${await h.token('u-admin')}` })
    expect(r.status).toBe(504)
    const [e] = await errorsOf(r)
    expect(e!.extensions).toMatchObject({ code: 'GATEWAY_TIMEOUT', reason: 'PERMGATE_ERR_UPSTREAM_TIMEOUT', decisionId: expect.any(String) })
    // The request was forwarded (the upstream recorded it) and then given up on.
    expect(h.upstream.count()).toBe(1)
  })

  it('the same slow upstream is waited for under the default timeout', async () => {
    const h = await harness()
    h.upstream.setDelay(300)
    const r = await post(h.graphql, { query: '{ deployments }' }, { authorization: `Bearer ${await h.token('u-admin')}` })
    expect(r.status).toBe(200)
    expect(((await r.json()) as { data: { deployments: unknown[] } }).data.deployments.length).toBeGreaterThan(0)
  })
})

describe('--errors-as-200 (legacy clients)', () => {
  const denied = { query: '{ deployments }' }

  it('answers a denial with status 200 and the same error body', async () => {
    const plain = await harness()
    const legacy = await harness(['--errors-as-200'])
    const r403 = await post(plain.graphql, denied, { authorization: `Bearer ${await plain.token('u-viewer')}` })
    const r200 = await post(legacy.graphql, denied, { authorization: `Bearer ${await legacy.token('u-viewer')}` })
    expect(r403.status).toBe(403)
    expect(r200.status).toBe(200)
    expect(r200.headers.get('content-type')).toMatch(/^application\/json/)
    const strip = (errors: ErrorBody['errors']) => errors.map((e) => ({ ...e, extensions: { ...e.extensions, decisionId: undefined } }))
    const legacyErrors = await errorsOf(r200)
    expect(legacyErrors[0]!.extensions).toMatchObject({ code: 'FORBIDDEN', reason: 'missing_permission', field: 'Query.deployments', decisionId: expect.any(String) })
    expect(strip(legacyErrors)).toEqual(strip(await errorsOf(r403)))
    expect(legacy.upstream.count()).toBe(0)
  })

  it('also answers 401 and coded errors with 200, keeping the body and WWW-Authenticate', async () => {
    const legacy = await harness(['--errors-as-200'])
    const anon = await post(legacy.graphql, { query: '{ self }' })
    expect(anon.status).toBe(200)
    expect(anon.headers.get('www-authenticate')).toBe('Bearer')
    expect((await errorsOf(anon))[0]!.extensions).toMatchObject({ code: 'UNAUTHENTICATED', reason: 'unauthenticated' })
    const bad = await post(legacy.graphql, '{"query": ')
    expect(bad.status).toBe(200)
    expect((await errorsOf(bad))[0]!.extensions).toMatchObject({ code: 'BAD_REQUEST', reason: 'PERMGATE_ERR_REQUEST_SHAPE' })
    expect(legacy.upstream.count()).toBe(0)
  })

  it('does not change what an allowed request gets', async () => {
    const legacy = await harness(['--errors-as-200'])
    const r = await post(legacy.graphql, { query: '{ self }' }, { authorization: `Bearer ${await legacy.token('u-viewer')}` })
    expect(r.status).toBe(200)
    expect(((await r.json()) as { data: unknown }).data).toBeDefined()
    expect(legacy.upstream.count()).toBe(1)
  })
})

describe('a request is forwarded once', () => {
  it('a GET the upstream answers 503 is not retried', async () => {
    const { createServer } = await import('node:http')
    const { join } = await import('node:path')
    const { buildApp } = await import('../../src/app.js')
    const { loadServeConfig } = await import('../../src/config/load.js')
    const { prepare } = await import('../../src/serve.js')
    const { POLICY_HOUSTON } = await import('../helpers/shared.js')
    let hits = 0
    const upstream = createServer((_req, res) => {
      hits++
      res.writeHead(503, { 'content-type': 'application/json' }).end('{"errors":[{"message":"busy"}]}')
    })
    await new Promise<void>((r) => upstream.listen(0, '127.0.0.1', r))
    const port = (upstream.address() as { port: number }).port
    const config = loadServeConfig([
      '--policy', POLICY_HOUSTON,
      '--bindings', join(POLICY_HOUSTON, 'bindings.example.yaml'),
      '--upstream', `http://127.0.0.1:${port}/graphql`,
      '--log-level', 'silent',
      '--decision-log', 'off',
    ])
    const app = buildApp(config, await prepare(config))
    const url = await app.listen({ host: '127.0.0.1', port: 0 })
    try {
      const r = await fetch(`${url}/graphql?query=${encodeURIComponent('{ authConfig }')}`)
      expect(r.status).toBe(503)
      expect(hits).toBe(1)
    } finally {
      await app.close()
      upstream.closeAllConnections()
      await new Promise((r) => upstream.close(r))
    }
  })
})
