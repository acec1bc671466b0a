import type { IncomingHttpHeaders } from 'node:http'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { parse } from 'yaml'
import { FileBindingsStore } from '../../../src/bindings/file.js'
import type { Binding, SubjectEntry } from '../../../src/bindings/types.js'
import { readRoutes } from '../../../src/config/routes.js'
import type { ErrorCode } from '../../../src/errors.js'
import { ANONYMOUS, type Principal } from '../../../src/identity/types.js'
import { Authorizer } from '../../../src/policy/authorizer.js'
import { compilePolicy } from '../../../src/policy/compile.js'
import { loadPolicy } from '../../../src/policy/load.js'
import { DEFAULT_MAX_CONDITION_VALUE_LENGTH } from '../../../src/ingress/route-conditions.js'
import { credentialHeaders, decideRoute } from '../../../src/ingress/route-decision.js'
import { routeFacts, type RouteFacts } from '../../../src/ingress/route-request.js'
import { compileRoutes, matchRoute, type CompiledRoute } from '../../../src/ingress/routes.js'
import { thrown } from '../../helpers/errors.js'
import { POLICY_HOUSTON_035 } from '../../helpers/shared.js'
import { tempFiles } from '../../helpers/tmp.js'

const policy = compilePolicy(loadPolicy(POLICY_HOUSTON_035))
const SUBJECTS: Record<string, [SubjectEntry['kind'], Binding[]]> = {
  'u-admin': ['user', [{ role: 'SYSTEM_ADMIN' }]],
  'u-sysview': ['user', [{ role: 'SYSTEM_VIEWER' }]],
  'u-viewer': ['user', [{ role: 'WORKSPACE_VIEWER', workspace: 'w1' }]], // d1, d2 by the cascade
  'u-editor': ['user', [{ role: 'DEPLOYMENT_EDITOR', deployment: 'd1' }]],
  'sa-ci': ['serviceAccount', [{ role: 'DEPLOYMENT_EDITOR', deployment: 'd1' }]],
  'u-none': ['user', []],
}
const store = new FileBindingsStore(
  new Map([['d1', 'w1'], ['d2', 'w1'], ['d3', 'w2']]),
  new Map(Object.entries(SUBJECTS).map(([id, [kind, bindings]]) => [id, { kind, bindings }])),
  new Map(),
  new Map([['d1', 'rel-one'], ['d2', 'rel-two'], ['d3', 'rel-three']]),
)
const authorizer = new Authorizer(policy, store)
const as = (id: string): Principal => ({ kind: SUBJECTS[id]![0], id, groups: [] })

const compile = (yaml: string): CompiledRoute[] => compileRoutes(readRoutes(parse(yaml)), policy)
const facts = (url: string, headers: IncomingHttpHeaders = {}, peer = '10.1.2.3'): RouteFacts => routeFacts(url, headers, peer, undefined)
const pathOf = (url: string): string => url.split('?')[0]!

/** The decision's reason, or the code it throws. */
function outcome(routes: CompiledRoute[], who: Principal, url: string, headers: IncomingHttpHeaders = {}, method = 'GET', peer?: string): string {
  try {
    return decideRoute(routes, authorizer, who, method, pathOf(url), facts(url, headers, peer)).reason
  } catch (e) {
    return (e as { code: ErrorCode }).code
  }
}

const RELEASE = '(?<release>[a-z0-9-]+)'

describe('when: a header holding a URL', () => {
  const routes = compile(`
- { prefix: /auth, access: permission, permissions: [system.monitoring.get],
    when: [{ header: x-original-url, url: { host: 'grafana\\.example\\.com' } }] }
- { prefix: /auth, access: permission, permissions: [deployment.airflow.get, system.airflow.get], op: OR,
    when: [{ header: x-original-url, url: { host: 'deployments\\.example\\.com', path: '/${RELEASE}/airflow(?:/.*)?' } }],
    scope: { kind: deployment, from: release, lookup: releaseName } }
`)
  const at = (url: string) => ({ 'x-original-url': url })

  it.each([
    ['u-sysview', 'https://grafana.example.com/d/x?from=now', 'permission'],
    ['u-sysview', 'https://GRAFANA.example.com:443/', 'permission'],
    ['u-viewer', 'https://grafana.example.com/', 'PERMGATE_ERR_FORBIDDEN'],
    ['u-viewer', 'https://deployments.example.com/rel-one/airflow/home', 'permission'],
    ['u-viewer', 'https://deployments.example.com/rel-two/airflow', 'permission'],
    ['u-viewer', 'https://deployments.example.com/rel-three/airflow/home', 'PERMGATE_ERR_FORBIDDEN'],
    ['u-sysview', 'https://deployments.example.com/rel-three/airflow/home', 'permission'],
    ['u-admin', 'https://deployments.example.com/no-such-release/airflow', 'PERMGATE_ERR_FORBIDDEN'],
    // no rule's host or path: no rule
    ['u-admin', 'https://kibana.example.com/', 'PERMGATE_ERR_NO_ROUTE'],
    ['u-admin', 'https://deployments.example.com/rel-one/flower', 'PERMGATE_ERR_NO_ROUTE'],
    ['u-admin', 'https://grafana.example.com.evil.test/', 'PERMGATE_ERR_NO_ROUTE'],
  ])('%s, %s: %s', (who, url, expected) => {
    expect(outcome(routes, as(who), '/auth', at(url))).toBe(expected)
  })

  it('an unknown release is denied, named as such, not checked as no deployment', () => {
    const e = thrown(() => decideRoute(routes, authorizer, as('u-admin'), 'GET', '/auth', facts('/auth', at('https://deployments.example.com/nope/airflow'))))
    expect(e.code).toBe('PERMGATE_ERR_FORBIDDEN')
    expect(e.message).toContain('unknown_release')
    expect(e.message).toContain('nope')
  })

  it.each([
    ['a dot segment', 'https://deployments.example.com/rel-three/../rel-one/airflow'],
    ['an encoded slash', 'https://deployments.example.com/rel-one%2Fairflow'],
    ['an encoded dot segment', 'https://deployments.example.com/x/%2e%2e/rel-one/airflow'],
    ['user info', 'https://grafana.example.com@deployments.example.com/rel-one/airflow'],
    ['a backslash', 'https://deployments.example.com\\@grafana.example.com/rel-one/airflow'],
    ['whitespace', 'https://deployments.example.com/rel-one/airflow x'],
    ['a fragment', 'https://deployments.example.com/rel-one/airflow#x'],
    ['another scheme', 'ftp://grafana.example.com/'],
    ['a relative URL', '/rel-one/airflow'],
    ['two URLs (a header sent twice)', 'https://grafana.example.com/, https://deployments.example.com/rel-one/airflow'],
    ['a URL over the length limit', `https://grafana.example.com/${'a'.repeat(DEFAULT_MAX_CONDITION_VALUE_LENGTH)}`],
  ])('in doubt (%s): the rule does not apply', (_name, url) => {
    expect(outcome(routes, as('u-admin'), '/auth', at(url))).toBe('PERMGATE_ERR_NO_ROUTE')
  })

  it('no header, or a value that is not one string: the rule does not apply', () => {
    expect(outcome(routes, as('u-admin'), '/auth')).toBe('PERMGATE_ERR_NO_ROUTE')
    expect(outcome(routes, as('u-admin'), '/auth', { 'x-original-url': ['https://grafana.example.com/', 'https://grafana.example.com/'] })).toBe('PERMGATE_ERR_NO_ROUTE')
  })

  it('without request facts (a caller that passes none), no rule with conditions applies', () => {
    expect(matchRoute(routes, 'GET', '/auth')).toBeUndefined()
    expect(thrown(() => decideRoute(routes, authorizer, as('u-admin'), 'GET', '/auth')).code).toBe('PERMGATE_ERR_NO_ROUTE')
  })
})

describe('when: header patterns, query parameters, absence; the next rule', () => {
  const routes = compile(`
- { prefix: /r, access: public }
- { prefix: /r/x, access: authenticated, when: [{ header: x-env, pattern: 'prod|staging' }] }
- { prefix: /r/x, access: permission, permissions: [deployment.images.pull],
    when: [{ query: scope, pattern: 'repository:${RELEASE}/airflow:pull' }],
    scope: { kind: deployment, from: release, lookup: releaseName } }
- { prefix: /r/x, access: authenticated, principals: [serviceAccount], when: [{ query: scope, absent: true }] }
`)
  it.each([
    // a header pattern matches the whole value
    ['u-none', '/r/x', { 'x-env': 'prod' }, 'authenticated'],
    ['u-none', '/r/x?scope=repository:rel-one/airflow:pull', { 'x-env': 'preprod' }, 'PERMGATE_ERR_FORBIDDEN'],
    // every value of a repeated parameter must match, and each entity is checked
    ['u-viewer', '/r/x?scope=repository:rel-one/airflow:pull', {}, 'permission'],
    ['u-viewer', '/r/x?scope=repository:rel-one/airflow:pull&scope=repository:rel-two/airflow:pull', {}, 'permission'],
    ['u-viewer', '/r/x?scope=repository:rel-one/airflow:pull&scope=repository:rel-three/airflow:pull', {}, 'PERMGATE_ERR_FORBIDDEN'],
    ['u-viewer', '/r/x?scope=repository%3Arel-one%2Fairflow%3Apull', {}, 'permission'],
    // one value that does not match: the rule does not apply, the next is tried (then the shorter prefix)
    ['u-viewer', '/r/x?scope=repository:rel-one/airflow:pull&scope=repository:rel-one/airflow:push', {}, 'public'],
    // a bracketed spelling qs would merge into `scope`: in doubt, for the pattern and for absence
    ['sa-ci', '/r/x?scope=repository:rel-one/airflow:pull&scope[]=repository:rel-three/airflow:pull', {}, 'public'],
    ['sa-ci', '/r/x?scope%5B0%5D=repository:rel-three/airflow:pull', {}, 'public'],
    // absent: the parameter is not sent; principals composes with when
    ['sa-ci', '/r/x', {}, 'authenticated'],
    ['u-viewer', '/r/x?other=1', {}, 'PERMGATE_ERR_FORBIDDEN'],
    ['sa-ci', '/r/x?scope=', {}, 'public'],
  ] as const)('%s %s %j: %s', (who, url, headers, expected) => {
    expect(outcome(routes, as(who), url, headers)).toBe(expected)
  })

  it('a value over the length limit, or too many values: the rule does not apply', () => {
    const long = `repository:rel-one/airflow:pull${'&scope=repository:rel-one/airflow:pull'.repeat(64)}`
    expect(outcome(routes, as('u-viewer'), `/r/x?scope=${long}`)).toBe('public')
    expect(outcome(routes, as('u-viewer'), `/r/x?scope=repository:${'a'.repeat(DEFAULT_MAX_CONDITION_VALUE_LENGTH)}/airflow:pull`)).toBe('public')
  })

  it('a path that selects another rule once decoded is refused, the conditions holding or not', () => {
    // as sent, /r/%78 is under /r (public); decoded, /r/x, under the rule whose when holds
    expect(outcome(routes, as('u-viewer'), '/r/%78?scope=repository:rel-one/airflow:pull')).toBe('PERMGATE_ERR_REQUEST_SHAPE')
    expect(outcome(routes, as('u-viewer'), '/r/%78?scope=repository:rel-one/airflow:push')).toBe('public')
    expect(outcome(routes, as('u-viewer'), '/r/../x')).toBe('PERMGATE_ERR_REQUEST_SHAPE')
  })
})

describe('ipAllow and secret', () => {
  const dir = tempFiles({ 'hook.key': 'hook-secret-value\n' })
  const routes = compile(`
- { prefix: /hook, method: POST, access: public, ipAllow: [10.0.0.0/8], secret: { header: x-hook-token, file: ${join(dir, 'hook.key')} } }
- { prefix: /open, access: authenticated, ipAllow: ["2001:db8::/32", 192.0.2.0/24] }
`)
  const hook = (headers: IncomingHttpHeaders, peer: string) => outcome(routes, ANONYMOUS, '/hook', headers, 'POST', peer)

  it.each([
    [{ 'x-hook-token': 'hook-secret-value' }, '10.9.8.7', 'public'],
    [{ 'x-hook-token': 'hook-secret-value' }, '::ffff:10.9.8.7', 'public'],
    [{ 'x-hook-token': 'hook-secret-value' }, '203.0.113.5', 'PERMGATE_ERR_IP_DENIED'],
    [{}, '203.0.113.5', 'PERMGATE_ERR_IP_DENIED'],
    [{}, '10.9.8.7', 'PERMGATE_ERR_ROUTE_SECRET'],
    [{ 'x-hook-token': 'hook-secret-valu' }, '10.9.8.7', 'PERMGATE_ERR_ROUTE_SECRET'],
    [{ 'x-hook-token': 'hook-secret-value ' }, '10.9.8.7', 'PERMGATE_ERR_ROUTE_SECRET'],
    [{ 'x-hook-token': 'HOOK-SECRET-VALUE' }, '10.9.8.7', 'PERMGATE_ERR_ROUTE_SECRET'],
    [{ 'x-hook-token': ['hook-secret-value', 'hook-secret-value'] }, '10.9.8.7', 'PERMGATE_ERR_ROUTE_SECRET'],
  ])('%j from %s: %s', (headers, peer, expected) => {
    expect(hook(headers, peer)).toBe(expected)
  })

  it('the secret is in no message', () => {
    const e = thrown(() => decideRoute(routes, authorizer, ANONYMOUS, 'POST', '/hook', facts('/hook', { 'x-hook-token': 'wrong' })))
    expect(e.message).not.toContain('hook-secret-value')
    expect(e.message).not.toContain('wrong')
  })

  it('ipAllow is checked before the caller: 403 whoever asks from outside', () => {
    expect(outcome(routes, as('u-admin'), '/open', {}, 'GET', '2001:db8::5')).toBe('authenticated')
    expect(outcome(routes, ANONYMOUS, '/open', {}, 'GET', '192.0.2.7')).toBe('unauthenticated')
    expect(outcome(routes, as('u-admin'), '/open', {}, 'GET', '198.51.100.1')).toBe('PERMGATE_ERR_IP_DENIED')
    // an unknown client address is in no range
    expect(thrown(() => decideRoute(routes, authorizer, as('u-admin'), 'GET', '/open', routeFacts('/open', {}, undefined, undefined))).code).toBe('PERMGATE_ERR_IP_DENIED')
  })

  it("the secret's header is not what identity reads", () => {
    const headers = { 'x-hook-token': 'hook-secret-value', cookie: 'a=b' }
    expect(credentialHeaders(routes, store, 'POST', '/hook', facts('/hook', headers))).toEqual({ cookie: 'a=b' })
  })
})

describe('credentials: basic and deploymentCredentials', () => {
  const routes = compile(`
- { prefix: /reg, method: GET, access: permission, permissions: [deployment.images.push, deployment.images.pull], credentials: basic,
    principals: [serviceAccount],
    when: [{ query: scope, pattern: 'repository:${RELEASE}/airflow:pull,push' }],
    scope: { kind: deployment, from: release, lookup: releaseName } }
- { prefix: /reg, method: GET, access: permission, permissions: [deployment.images.pull], credentials: basic, deploymentCredentials: pull,
    when: [{ query: scope, pattern: 'repository:${RELEASE}/airflow:pull' }],
    scope: { kind: deployment, from: release, lookup: releaseName } }
- { prefix: /reg, method: GET, access: authenticated, credentials: basic, when: [{ query: scope, absent: true }] }
- { prefix: /plain, access: authenticated }
`)
  const basic = (user: string, password: string) => ({ authorization: `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}` })
  const identityHeaders = (url: string, headers: IncomingHttpHeaders) => credentialHeaders(routes, store, 'GET', pathOf(url), facts(url, headers))

  it('identity reads the Basic password as a bearer token (the user name ignored), never the cookie', () => {
    const pull = '/reg?scope=repository:rel-one/airflow:pull'
    expect(identityHeaders(pull, { ...basic('user', 'the.jwt.token'), cookie: 'astro=other', 'x-original-uri': '/v2/' })).toEqual({ authorization: 'Bearer the.jwt.token', 'x-original-uri': '/v2/' })
    expect(identityHeaders('/reg', basic('anything', 'pass:with:colons'))).toEqual({ authorization: 'Bearer pass:with:colons' })
    // no Authorization: no credential at all
    expect(identityHeaders('/reg', { cookie: 'astro=token' })).toEqual({})
  })

  it.each([
    ['a bearer token', 'Bearer abc.def.ghi'],
    ['no user:password', `Basic ${Buffer.from('justone').toString('base64')}`],
    ['an empty password', `Basic ${Buffer.from('user:').toString('base64')}`],
    ['base64 that is not canonical', 'Basic dXNlcjpwYXNz='],
    ['not base64', 'Basic ???'],
    ['bytes that are not UTF-8', `Basic ${Buffer.from([0x75, 0x3a, 0xff, 0xfe]).toString('base64')}`],
  ])('malformed Basic (%s): 401 PERMGATE_ERR_AUTH_TOKEN_INVALID', (_name, authorization) => {
    expect(thrown(() => identityHeaders('/reg', { authorization })).code).toBe('PERMGATE_ERR_AUTH_TOKEN_INVALID')
  })

  it('no rule selected (another scope, another method): the credential is read as the rules of the path say', () => {
    expect(identityHeaders('/reg?scope=repository:rel-one/airflow:*', basic('user', 'the.jwt.token'))).toEqual({ authorization: 'Bearer the.jwt.token' })
    expect(credentialHeaders(routes, store, 'POST', '/reg', facts('/reg', basic('user', 'the.jwt.token')))).toEqual({ authorization: 'Bearer the.jwt.token' })
    expect(outcome(routes, as('u-admin'), '/reg?scope=repository:rel-one/airflow:*')).toBe('PERMGATE_ERR_NO_ROUTE')
  })

  it('a route without credentials basic: the headers unchanged, the same object', () => {
    const headers = { authorization: 'Bearer x.y.z', cookie: 'a=b' }
    expect(identityHeaders('/plain', headers)).toBe(headers)
    expect(identityHeaders('/nowhere', headers)).toBe(headers)
  })

  it('push: only a service account (CI/CD enforcement composes with when), with the permission on the release', () => {
    const push = (release: string) => `/reg?scope=repository:${release}/airflow:pull,push`
    expect(outcome(routes, as('sa-ci'), push('rel-one'))).toBe('permission')
    expect(outcome(routes, as('sa-ci'), push('rel-two'))).toBe('PERMGATE_ERR_FORBIDDEN')
    expect(outcome(routes, as('u-editor'), push('rel-one'))).toBe('PERMGATE_ERR_FORBIDDEN')
    expect(outcome(routes, as('u-admin'), push('rel-one'))).toBe('PERMGATE_ERR_FORBIDDEN')
  })

  it('deployment credentials: no principal; allowed to pull their own repository only', () => {
    const own = '/reg?scope=repository:rel-one/airflow:pull'
    const creds = basic('rel-one', 'image-pull-secret')
    expect(identityHeaders(own, creds)).toEqual({})
    expect(outcome(routes, ANONYMOUS, own, creds)).toBe('deployment_credentials')
    expect(outcome(routes, ANONYMOUS, '/reg?scope=repository:rel-two/airflow:pull', creds)).toBe('PERMGATE_ERR_FORBIDDEN')
    expect(outcome(routes, ANONYMOUS, `${own}&scope=repository:rel-two/airflow:pull`, creds)).toBe('PERMGATE_ERR_FORBIDDEN')
    // a push is another rule, which takes no deployment credentials: the password is read as a token
    expect(identityHeaders('/reg?scope=repository:rel-one/airflow:pull,push', creds)).toEqual({ authorization: 'Bearer image-pull-secret' })
    // a user name that is no known release: a principal's credential, decided as one
    expect(identityHeaders(own, basic('user', 'the.jwt.token'))).toEqual({ authorization: 'Bearer the.jwt.token' })
    expect(outcome(routes, ANONYMOUS, own, basic('no-release', 'x'))).toBe('unauthenticated')
    expect(outcome(routes, as('u-viewer'), own, basic('user', 'the.jwt.token'))).toBe('permission')
    expect(outcome(routes, as('u-none'), own, basic('user', 'the.jwt.token'))).toBe('PERMGATE_ERR_FORBIDDEN')
  })
})
