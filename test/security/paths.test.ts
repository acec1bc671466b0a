// Path tricks against the route rules and the GraphQL endpoint: encodings, dot segments, path
// parameters, case, sub-paths, NUL, backslashes, overlong and compatibility characters. A path
// that an upstream could read as another rule's path, or as the GraphQL endpoint, is refused.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { API_KEY, startHarness, type Harness } from '../helpers/proxy.js'
import { errorsIn, expectForwarded, expectRefused, raw } from './helpers.js'

// /v1 is public, /v1/deployments needs a deployment permission on segment 2, and one badge is
// public again: each trick below tries to reach a permission path through a public rule.
const ROUTES = `routes:
  - { method: GET, prefix: /v1, access: public }
  - methods: [GET]
    prefix: /v1/deployments
    access: permission
    permissions: [deployment.logs.get]
    scope: { kind: deployment, segment: 2 }
  - { method: GET, prefix: /v1/deployments/d3/badge, access: public }
`

describe('route rules', () => {
  let h: Harness
  let viewer: Record<string, string>
  beforeAll(async () => {
    h = await startHarness([], ROUTES)
    viewer = { authorization: `Bearer ${await h.token('u-viewer')}` } // d1, d2 through w1; not d3
  })
  afterAll(() => h.close())
  beforeEach(() => h.upstream.reset())

  const SHAPE = 'PERMGATE_ERR_REQUEST_SHAPE'
  // [path, what a lenient upstream could serve it as]
  const tricks: [string, string][] = [
    ['/v1/%64eployments/d3/logs', 'percent-decoding: /v1/deployments/d3/logs'],
    ['/v1/deployment%73/d3/logs', 'percent-decoding: /v1/deployments/d3/logs'],
    ['/v1/Deployments/d3/logs', 'a case-insensitive router: /v1/deployments/d3/logs'],
    ['/V1/DEPLOYMENTS/d3/logs', 'a case-insensitive router: /v1/deployments/d3/logs'],
    ['/v1/deployments/d3/BADGE', 'the reverse: a permission path read as the public badge'],
    ['/v1/deployments;x=1/d3/logs', 'path parameters (Spring, Tomcat): /v1/deployments/d3/logs'],
    ['/v1/deployments/d3/badge/..;/logs', 'Tomcat\'s /..;/: /v1/deployments/d3/logs'],
    ['/v1/deployments/d3/badge;/../logs', 'a parameter before a dot segment'],
    ['/v1/deployments/d3/badge%3b/logs', 'an encoded semicolon'],
    ['/v1/deployments/d3/badge/../logs', 'a dot segment'],
    ['/v1/deployments/d3/badge/./../logs', 'dot segments'],
    ['/v1/deployments/d3/badge/%2e%2e/logs', 'an encoded dot segment'],
    ['/v1/deployments/d3/badge/%2E./logs', 'a half-encoded dot segment'],
    ['/v1/deployments/d3/badge%2f..%2flogs', 'encoded slashes'],
    ['/v1/deployments/d3/badge%2F..%2Flogs', 'encoded slashes (upper case)'],
    ['/v1/deployments/d3/badge%5c..%5clogs', 'encoded backslashes'],
    ['/v1/deployments/d3/badge\\..\\logs', 'backslashes'],
    ['/v1/deployments/d3/badge/%ef%bc%8e%ef%bc%8e/logs', 'fullwidth dots (NFKC: ..)'],
    ['/v1/deployments/d3/badge%ef%bc%8f..%ef%bc%8flogs', 'fullwidth solidus (NFKC: /)'],
    ['/v1//deployments/d3/logs', 'an empty segment'],
    ['//v1/deployments/d3/logs', 'a leading double slash'],
    ['/v1/deployments/d3/badge%00/../logs', 'NUL (C string end)'],
    ['/v1/deployments/d3/badge/%00', 'an encoded NUL'],
    ['/v1/deployments/d3/badge%0a', 'an encoded line feed'],
    ['/v1/deployments/d3/badge/..%00/logs', 'NUL after a dot segment'],
    ['/v1/..x', 'a segment starting with .. (the forwarder refuses it)'],
    ['/v1/x../../v1/deployments/d3/logs', 'a segment ending with ..'],
    ['/v1/deployments/d3/badge#/../../logs', 'a fragment'],
  ]

  it.each(tricks)('%s (%s): 400, nothing forwarded, whoever asks', async (path) => {
    for (const headers of [{}, viewer, { authorization: API_KEY }]) {
      expectRefused(h, await raw(h.url, 'GET', path, headers), 400, SHAPE, path)
    }
  })

  it.each([
    ['/v1/deployments/d3%c0%af..%c0%aflogs', 'an overlong slash'],
    ['/v1/deployments/d3/badge/%c0%ae%c0%ae/logs', 'overlong dots'],
    ['/v1/deployments/d3/%e0%80%afbadge', 'a three-byte overlong slash'],
    ['/v1/deployments/d3/badge/%zz', 'a malformed escape'],
  ])('%s (%s): 400 from the router, coded, nothing forwarded', async (path) => {
    // fastify refuses a path that is not valid percent-encoded UTF-8 itself, before the gate
    // (FST_ERR_BAD_URL); permgate answers it with its own coded error body
    expectRefused(h, await raw(h.url, 'GET', path, viewer), 400, SHAPE, path)
  })

  it('controls: the same routes still work, decided on the decoded id', async () => {
    for (const [path, headers] of [
      ['/v1/status', {}],
      ['/v1/deployments/d1/logs', viewer],
      ['/v1/deployments/%64%31/logs', viewer],
      ['/v1/deployments/d3/badge', {}],
      ['/v1/deploymentsx/d3', {}],
      ['/v1/status?next=../admin', {}],
      ['/v1/files/a..b', {}],
    ] as const) {
      h.upstream.reset()
      const seen = expectForwarded(h, await raw(h.url, 'GET', path, headers), 404, path)
      expect(seen.url).toBe(path)
    }
    h.upstream.reset()
    expectRefused(h, await raw(h.url, 'GET', '/v1/deployments/d3/logs', viewer), 403, 'PERMGATE_ERR_FORBIDDEN')
    expectRefused(h, await raw(h.url, 'GET', '/v1/deployments/%64%33/logs', viewer), 403, 'PERMGATE_ERR_FORBIDDEN')
  })
})

describe('the GraphQL endpoint under a catch-all public route', () => {
  // The worst case: every other path is forwarded to anyone. A denied operation must not reach
  // the upstream's GraphQL handler under another spelling of its path.
  let h: Harness
  let viewer: Record<string, string>
  const BODY = JSON.stringify({ query: '{ deployments }' })
  beforeAll(async () => {
    h = await startHarness([], 'routes:\n  - { prefix: /, access: public }\n')
    viewer = { authorization: `Bearer ${await h.token('u-viewer')}`, 'content-type': 'application/json' }
  })
  afterAll(() => h.close())
  beforeEach(() => h.upstream.reset())

  const spellings: [string, string][] = [
    ['/GraphQL', 'case'],
    ['/GRAPHQL', 'case'],
    ['/graphql/', 'a trailing slash'],
    ['/graphql//', 'trailing slashes'],
    ['/graphql/x', 'a sub-path (Express app.use mounts a prefix)'],
    ['/graphql/graphql', 'a sub-path'],
    ['/graphql.json', 'a suffix (suffix pattern matching)'],
    ['/graphql.', 'a trailing dot'],
    ['/graphql%2e', 'an encoded trailing dot'],
    ['/graphql;jsessionid=ABC', 'a path parameter (Java)'],
    ['/graphql;', 'an empty path parameter'],
    ['/graphql%3bjsessionid=ABC', 'an encoded semicolon'],
    ['/graphql%00', 'an encoded NUL'],
    ['/graphql%00.json', 'NUL then a suffix'],
    ['/graphql%20', 'trailing whitespace'],
    ['/graphql%09', 'a trailing tab'],
    ['/graphql%2F', 'an encoded slash'],
    ['/graphql%2f', 'an encoded slash (lower case)'],
    ['/graphql\\', 'a backslash'],
    ['/graphql%5c', 'an encoded backslash'],
    ['//graphql', 'a double slash'],
    ['/./graphql', 'a dot segment'],
    ['/x/../graphql', 'a dot segment'],
    ['/%2e%2e/graphql', 'an encoded dot segment'],
    ['/..;/graphql', 'Tomcat\'s /..;/'],
    ['/x/..;/graphql', 'Tomcat\'s /..;/'],
    ['/%67raphql', 'an encoded letter'],
    ['/graphq%6C', 'an encoded letter'],
    ['/%47raph%51L', 'encoded letters in upper case'],
    ['/%ef%bd%87raphql', 'a fullwidth g (NFKC: g)'],
    ['/%ef%bc%8fgraphql', 'a fullwidth solidus (NFKC: /)'],
    ['/graphql#x', 'a fragment'],
  ]

  it.each(spellings)('POST %s (%s): 400, nothing forwarded', async (path) => {
    for (const headers of [viewer, { 'content-type': 'application/json' }]) {
      const a = await raw(h.url, 'POST', path, headers, BODY)
      expectRefused(h, a, 400, 'PERMGATE_ERR_REQUEST_SHAPE', path)
    }
    const get = await raw(h.url, 'GET', `${path}${path.includes('#') ? '' : `?${new URLSearchParams({ query: '{ deployments }' })}`}`, viewer)
    expectRefused(h, get, 400, 'PERMGATE_ERR_REQUEST_SHAPE', `GET ${path}`)
  })

  it('POST /graphql%c0%af (an overlong slash): 400 from the router, nothing forwarded', async () => {
    expect((await raw(h.url, 'POST', '/graphql%c0%af', viewer, BODY)).status).toBe(400)
    expect(h.upstream.count()).toBe(0)
  })

  it('the endpoint itself is decided: denied', async () => {
    const a = await raw(h.url, 'POST', '/graphql', viewer, BODY)
    expectRefused(h, a, 403, 'missing_permission')
    expect(errorsIn(a)[0]!.extensions.field).toBe('Query.deployments')
  })

  it('other names that merely start with it are other paths: routed, not refused', async () => {
    for (const path of ['/graphqlx', '/graphql-ws', '/graphql_v2', '/graph', '/api/graphql']) {
      h.upstream.reset()
      expectForwarded(h, await raw(h.url, 'POST', path, viewer, BODY), 404, path)
    }
  })
})
