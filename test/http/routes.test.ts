import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { PermgateError } from '../../src/errors.js'
import { raw, type Answer } from '../helpers/http.js'
import { API_KEY, post, startHarness, type Harness } from '../helpers/proxy.js'

interface ErrorBody {
  errors: { message: string; extensions: Record<string, unknown> }[]
}

const errorsIn = (r: Answer): ErrorBody['errors'] => (JSON.parse(r.body) as ErrorBody).errors
const errorsOf = async (r: Response): Promise<ErrorBody['errors']> => ((await r.json()) as ErrorBody).errors

const ROUTES = `routes:
  - { method: GET, prefix: /v1, access: public }
  - { method: GET, prefix: /v1/me, access: authenticated }
  - methods: [GET, HEAD]
    prefix: /v1/deployments
    access: permission
    permissions: [deployment.logs.get]
    scope: { kind: deployment, segment: 2 }
  - { method: GET, prefix: /v1/deployments/d3/badge, access: public }
  - methods: [GET, POST]
    prefix: /v1/workspaces/
    access: permission
    permissions: [workspace.deployments.get, system.deployments.get]
    op: OR
    scope: { kind: workspace, segment: 2 }
`

let h: Harness
let admin: Record<string, string>
let viewer: Record<string, string>
const ci = { authorization: API_KEY }

beforeAll(async () => {
  h = await startHarness([], ROUTES)
  admin = { authorization: `Bearer ${await h.token('u-admin')}` }
  viewer = { authorization: `Bearer ${await h.token('u-viewer')}` }
})
afterAll(() => h.close())
beforeEach(() => h.upstream.reset())

/** A request permgate forwarded: the demo upstream answers 404 for non-GraphQL paths, and recorded it. */
async function expectForwarded(path: string, headers: Record<string, string> = {}, method = 'GET'): Promise<void> {
  const r = await fetch(`${h.url}${path}`, { method, headers })
  expect(r.status, `${method} ${path}`).toBe(404)
  expect(h.upstream.count(), `${method} ${path}`).toBe(1)
  expect(h.upstream.requests[0]!.url).toBe(path)
  h.upstream.reset()
}

async function expectRejected(path: string, headers: Record<string, string>, status: number, reason: string, method = 'GET'): Promise<void> {
  const r = await fetch(`${h.url}${path}`, { method, headers })
  expect(r.status, `${method} ${path}`).toBe(status)
  const [e] = await errorsOf(r)
  expect(e!.extensions.reason, `${method} ${path}`).toBe(reason)
  expect(e!.extensions.decisionId).toEqual(expect.any(String))
  expect(h.upstream.count(), `${method} ${path}`).toBe(0)
}

describe('route rules from the config file', () => {
  it('a public route is forwarded for anonymous callers, path and query string unchanged', async () => {
    await expectForwarded('/v1/status')
    await expectForwarded('/v1/status?verbose=1&x=%20y')
    await expectForwarded('/v1')
  })

  it('a forwarded route request carries who permgate decided for, and no spoofed identity', async () => {
    const r = await fetch(`${h.url}/v1/me`, { headers: { ...viewer, 'x-permgate-subject': 'u-admin', 'x-user-id': 'u-admin' } })
    expect(r.status).toBe(404)
    const seen = h.upstream.requests[0]!
    expect(seen.headers['x-permgate-subject']).toBe('u-viewer')
    expect(seen.headers['x-permgate-kind']).toBe('user')
    expect(seen.headers['x-user-id']).toBeUndefined()
  })

  it('an authenticated route: 401 for anonymous callers, forwarded for a token or an API key', async () => {
    const r = await fetch(`${h.url}/v1/me`)
    expect(r.status).toBe(401)
    expect(r.headers.get('www-authenticate')).toBe('Bearer')
    expect((await errorsOf(r))[0]!.extensions).toMatchObject({ code: 'UNAUTHENTICATED', reason: 'unauthenticated' })
    expect(h.upstream.count()).toBe(0)
    await expectForwarded('/v1/me', viewer)
    await expectForwarded('/v1/me/settings', ci)
  })

  it('an invalid credential is 401 even on a public route', async () => {
    await expectRejected('/v1/status', { authorization: 'Bearer not.a.jwt' }, 401, 'PERMGATE_ERR_AUTH_TOKEN_INVALID')
  })

  it('a deployment-scoped permission is checked on the path segment: direct binding', async () => {
    // sa-ci holds DEPLOYMENT_EDITOR on d1 only.
    await expectForwarded('/v1/deployments/d1/logs', ci)
    await expectRejected('/v1/deployments/d2/logs', ci, 403, 'PERMGATE_ERR_FORBIDDEN')
    await expectRejected('/v1/deployments/d3/logs', ci, 403, 'PERMGATE_ERR_FORBIDDEN')
  })

  it('a deployment-scoped permission via the workspace cascade (WORKSPACE_VIEWER on w1 covers d1, d2)', async () => {
    await expectForwarded('/v1/deployments/d1/logs', viewer)
    await expectForwarded('/v1/deployments/d2/logs?since=1h', viewer)
    const r = await fetch(`${h.url}/v1/deployments/d3/logs`, { headers: viewer })
    expect(r.status).toBe(403)
    const [e] = await errorsOf(r)
    expect(e!.extensions).toMatchObject({ code: 'FORBIDDEN', reason: 'PERMGATE_ERR_FORBIDDEN' })
    expect(e!.message).toContain('d3')
    expect(h.upstream.count()).toBe(0)
  })

  it('a percent-encoded id is decided on its decoded value', async () => {
    await expectForwarded('/v1/deployments/%64%31/logs', viewer) // d1
    await expectRejected('/v1/deployments/%64%33/logs', viewer, 403, 'PERMGATE_ERR_FORBIDDEN') // d3
  })

  it('a scoped route without the id segment is decided without a scope: denied to a scoped binding', async () => {
    await expectRejected('/v1/deployments', viewer, 403, 'PERMGATE_ERR_FORBIDDEN')
    await expectRejected('/v1/deployments/', viewer, 403, 'PERMGATE_ERR_FORBIDDEN')
  })

  it('anonymous callers get 401 on a permission route', async () => {
    await expectRejected('/v1/deployments/d1/logs', {}, 401, 'unauthenticated')
  })

  it('a workspace-scoped OR rule: the workspace binding or the system permission', async () => {
    await expectForwarded('/v1/workspaces/w1/deployments', viewer)
    await expectRejected('/v1/workspaces/w2/deployments', viewer, 403, 'PERMGATE_ERR_FORBIDDEN')
    await expectForwarded('/v1/workspaces/w2/deployments', admin) // system.deployments.get
    await expectForwarded('/v1/workspaces/w1', viewer, 'POST')
  })

  it('the longest matching prefix wins, in both directions, and prefixes match whole segments', async () => {
    // /v1 is public, but /v1/deployments is not.
    await expectRejected('/v1/deployments/d1/logs', {}, 401, 'unauthenticated')
    // /v1/deployments needs a permission, but /v1/deployments/d3/badge is public.
    await expectForwarded('/v1/deployments/d3/badge')
    await expectForwarded('/v1/deployments/d3/badge/large.svg')
    // /v1/deploymentsx is not under /v1/deployments: the public /v1 rule applies.
    await expectForwarded('/v1/deploymentsx/d3')
    // /v1/deployments/d3/badges is not under /v1/deployments/d3/badge.
    await expectRejected('/v1/deployments/d3/badges', viewer, 403, 'PERMGATE_ERR_FORBIDDEN')
  })

  it('a method the matching rules do not list: 403', async () => {
    await expectRejected('/v1/deployments/d1/logs', admin, 403, 'PERMGATE_ERR_NO_ROUTE', 'POST')
    await expectRejected('/v1/deployments/d1/logs', ci, 403, 'PERMGATE_ERR_NO_ROUTE', 'DELETE')
    await expectRejected('/v1/status', {}, 403, 'PERMGATE_ERR_NO_ROUTE', 'PUT')
    await expectRejected('/v1/workspaces/w1', viewer, 403, 'PERMGATE_ERR_NO_ROUTE', 'PATCH')
  })

  it('a path no rule covers: 403 PERMGATE_ERR_NO_ROUTE, for every caller', async () => {
    for (const headers of [{}, viewer, admin, ci]) {
      await expectRejected('/admin/users', headers, 403, 'PERMGATE_ERR_NO_ROUTE')
      await expectRejected('/v2/status', headers, 403, 'PERMGATE_ERR_NO_ROUTE')
    }
  })

  it('the GraphQL endpoint is still decided by the policy, not by the route rules', async () => {
    const denied = await post(h.graphql, { query: '{ deployments }' }, viewer)
    expect(denied.status).toBe(403)
    expect((await errorsOf(denied))[0]!.extensions.reason).toBe('missing_permission')
    expect(h.upstream.count()).toBe(0)
  })
})

describe('path tricks never reach the upstream', () => {
  // Each would be allowed (or land on an allowed id) if the path were read loosely.
  const tricks = [
    '/v1/deployments/d1%2Flogs',
    '/v1/deployments/d3%2f..%2fd1/logs',
    '/v1/deployments/d1%5c..%5cd3/logs',
    '/v1/deployments/../admin',
    '/v1/deployments/d1/../../admin',
    '/v1/deployments/d1/../d3/logs',
    '/v1/deployments/d1/./logs',
    '/v1/deployments/d1/.',
    '//v1/deployments/d1',
    '/v1//deployments/d1/logs',
    '/v1/deployments/d1/%2e%2e/x',
    '/v1/deployments/d1/%2e%2e/d3/logs',
    '/v1/deployments/d1/.%2E/d3/logs',
    '/v1/deployments/d1/%2E./d3/logs',
    '/v1/deployments/d1/%2e/logs',
    '/v1/deployments/d1\\..\\d3/logs',
    '/v1/deployments/d1/logs#/../../d3',
    '/v1/deployments#/d1/logs',
    'http://upstream.invalid/v1/deployments/d3/logs',
  ]

  it.each(tricks)('%s: 400 or 403, answered by permgate, not forwarded', async (path) => {
    for (const headers of [{}, viewer, ci]) {
      const r = await raw(h.url, 'GET', path, headers)
      expect([400, 403]).toContain(r.status)
      const [e] = errorsIn(r)
      expect(['BAD_REQUEST', 'FORBIDDEN']).toContain(e!.extensions.code)
      expect(e!.extensions.decisionId).toEqual(expect.any(String))
      expect(h.upstream.count()).toBe(0)
    }
  })

  it('an encoded slash or dot segment is a request-shape error, whoever asks', async () => {
    for (const path of ['/v1/deployments/d1%2Flogs', '/v1/deployments/../admin', '//v1/deployments/d1', '/v1/deployments/d1/%2e%2e/x']) {
      const r = await raw(h.url, 'GET', path, viewer)
      expect(r.status, path).toBe(400)
      expect(errorsIn(r)[0]!.extensions.reason, path).toBe('PERMGATE_ERR_REQUEST_SHAPE')
    }
    expect(h.upstream.count()).toBe(0)
  })
})

describe('the GraphQL endpoint under a catch-all route rule', () => {
  let g: Harness
  let viewerG: Record<string, string>
  beforeAll(async () => {
    g = await startHarness([], 'routes:\n  - { prefix: /, access: authenticated }\n')
    viewerG = { authorization: `Bearer ${await g.token('u-viewer')}`, 'content-type': 'application/json' }
  })
  afterAll(() => g.close())
  beforeEach(() => g.upstream.reset())

  it('the catch-all rule forwards other paths', async () => {
    const r = await fetch(`${g.url}/anything/else`, { headers: viewerG })
    expect(r.status).toBe(404)
    expect(g.upstream.count()).toBe(1)
  })

  it('other spellings of /graphql are refused, so a denied operation cannot ride the route rule', async () => {
    const body = JSON.stringify({ query: '{ deployments }' })
    for (const path of ['/graphql#x', '/graphql/', '/GRAPHQL', '/GraphQL/', '/%67raphql', '/graphq%6C', '/graphql%2F']) {
      const r = await raw(g.url, 'POST', path, viewerG, body)
      expect(r.status, path).toBe(400)
      expect(errorsIn(r)[0]!.extensions.reason, path).toBe('PERMGATE_ERR_REQUEST_SHAPE')
    }
    expect(g.upstream.count()).toBe(0)
    // The same operation at the endpoint itself is decided: denied.
    const r = await raw(g.url, 'POST', '/graphql', viewerG, body)
    expect(r.status).toBe(403)
    expect(g.upstream.count()).toBe(0)
  })
})

describe('the upstream GraphQL path differs from --graphql-path', () => {
  it('its own path is never routed; the GraphQL path is forwarded to it', async () => {
    const g = await startHarness(['--graphql-path', '/api/graphql'], 'routes:\n  - { prefix: /, access: public }\n')
    try {
      const viewerG = { authorization: `Bearer ${await g.token('u-viewer')}`, 'content-type': 'application/json' }
      const body = JSON.stringify({ query: '{ deployments }' })
      for (const path of ['/graphql', '/graphql/', '/GRAPHQL']) {
        const r = await raw(g.url, 'POST', path, viewerG, body)
        expect(r.status, path).toBe(400)
        expect(errorsIn(r)[0]!.extensions.reason, path).toBe('PERMGATE_ERR_REQUEST_SHAPE')
      }
      expect(g.upstream.count()).toBe(0)
      const denied = await raw(g.url, 'POST', '/api/graphql', viewerG, body)
      expect(denied.status).toBe(403)
      expect(g.upstream.count()).toBe(0)
      const ok = await raw(g.url, 'POST', '/api/graphql', viewerG, JSON.stringify({ query: '{ self }' }))
      expect(ok.status).toBe(200)
      expect(g.upstream.requests[0]!.url).toBe('/graphql')
    } finally {
      await g.close()
    }
  })
})

describe('route rules are checked against the policy at start', () => {
  it('a permission the policy does not know: the start fails with PERMGATE_ERR_CONFIG_INVALID', async () => {
    const yaml = 'routes:\n  - { prefix: /v1/x, access: permission, permissions: [deployment.logs.read] }\n'
    const e = await startHarness([], yaml).then(
      () => expect.unreachable('the start should fail'),
      (err: unknown) => err,
    )
    expect(e).toBeInstanceOf(PermgateError)
    expect((e as PermgateError).code).toBe('PERMGATE_ERR_CONFIG_INVALID')
    expect((e as PermgateError).place?.path).toBe('routes[0]')
  })

  it('a malformed rule fails the start too', async () => {
    for (const [yaml, code] of [
      ['routes:\n  - { prefix: /v1/x, access: permission }\n', 'PERMGATE_ERR_CONFIG_INVALID'],
      ['routes:\n  - { prefix: /v1/../x, access: public }\n', 'PERMGATE_ERR_CONFIG_INVALID'],
      ['routes:\n  - { prefix: /v1/x, access: public, method: FETCH }\n', 'PERMGATE_ERR_CONFIG_INVALID'],
      ['routes:\n  - { prefix: /v1/x, access: public, role: SYSTEM_ADMIN }\n', 'PERMGATE_ERR_CONFIG_UNKNOWN_KEY'],
    ] as const) {
      const e = await startHarness([], yaml).then(
        () => expect.unreachable(yaml),
        (err: unknown) => err,
      )
      expect((e as PermgateError).code, yaml).toBe(code)
    }
  })
})
