import { createHash } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { parse, stringify } from 'yaml'
import { basic, forwarded, originalUrl, refused, repo, scopes, unrouted, type Headers } from '../helpers/houston-rest.js'
import { API_KEY, startHarness, type Harness } from '../helpers/proxy.js'
import { POLICY_HOUSTON_035, ROOT } from '../helpers/shared.js'
import { tempFiles } from '../helpers/tmp.js'

// Issue 15, part 4: Houston's REST routes under /v1 (test/fixtures/houston-routes.yaml) decided
// from policies/houston-0.35 and the bindings, in front of a stand-in that records what reaches it.
// Each route allowed and denied for the right principals; a denial reaches the stand-in not at all.

const FIXTURES = join(ROOT, 'test', 'fixtures')
const FIXTURE = join(FIXTURES, 'houston-routes.yaml')
const REGISTRY_KEY = readFileSync(join(FIXTURES, 'houston-registry-auth-key'), 'utf8').trim()

const BINDINGS = `deployments:
  d1: { workspace: w1, releaseName: rel-one }
  d2: { workspace: w1, releaseName: rel-two }
  d3: { workspace: w2, releaseName: rel-three }
subjects:
  u-admin: { bindings: [ { role: SYSTEM_ADMIN } ] }
  u-sysview: { bindings: [ { role: SYSTEM_VIEWER } ] }
  u-viewer: { bindings: [ { role: WORKSPACE_VIEWER, workspace: w1 } ] }
  u-editor: { bindings: [ { role: DEPLOYMENT_EDITOR, deployment: d1 } ] }
  u-none: { bindings: [] }
  sa-ci:
    kind: serviceAccount
    apiKeySha256: ${createHash('sha256').update(API_KEY).digest('hex')}
    bindings: [ { role: DEPLOYMENT_EDITOR, deployment: d1 } ]
`

/** permgate as in front of Houston: 0.35 policy, GraphQL on /v1, the loopback peer a trusted proxy (X-Forwarded-For names the client). */
async function houston(config: string[]): Promise<Harness> {
  const dir = tempFiles({ 'bindings.yaml': BINDINGS })
  return startHarness(
    ['--policy', POLICY_HOUSTON_035, '--bindings', join(dir, 'bindings.yaml'), '--graphql-path', '/v1', '--trusted-proxy', '127.0.0.1', ...config],
    undefined,
    { upstream: { graphqlPath: '/v1', houston: '0.3x' } },
  )
}

/** The fixture with CI/CD enforcement on: only service accounts push a deployment's image. */
function cicdVariant(): string {
  const doc = parse(readFileSync(FIXTURE, 'utf8')) as { routes: Record<string, unknown>[] }
  for (const r of doc.routes) {
    const when = r.when as { pattern?: string }[] | undefined
    if (r.prefix === '/v1/registry/authorization' && when?.[0]?.pattern?.includes('(?!base-images/)') && when[0].pattern.includes('push')) r.principals = ['serviceAccount']
    const secret = r.secret as { file: string } | undefined
    if (secret !== undefined) secret.file = join(FIXTURES, secret.file)
  }
  return join(tempFiles({ 'permgate.yaml': stringify(doc) }), 'permgate.yaml')
}

const INSIDE = { 'x-forwarded-for': '10.20.30.40' }
const OUTSIDE = { 'x-forwarded-for': '203.0.113.9' }

let h: Harness
let bearer: (subject: string) => Promise<Headers>
let jwt: (subject: string) => Promise<string>

beforeAll(async () => {
  h = await houston(['--config', FIXTURE])
  jwt = (subject) => h.token(subject)
  bearer = async (subject) => ({ authorization: `Bearer ${await h.token(subject)}` })
})
afterAll(() => h.close())
beforeEach(() => h.upstream.reset())

describe('public and internal routes', () => {
  it('healthz and OAuth are public', async () => {
    await forwarded(h, 'GET', '/v1/healthz', {})
    await forwarded(h, 'GET', '/v1/oauth/redirect/', {})
    await forwarded(h, 'POST', '/v1/oauth/callback/', { 'content-type': 'application/x-www-form-urlencoded' }, 'id_token=x&state=%7B%7D')
    await forwarded(h, 'GET', '/v1/oauth/start?provider=okta', {})
  })

  it('metrics and alerts: from the cluster only, whoever asks', async () => {
    await forwarded(h, 'GET', '/v1/metrics', INSIDE)
    await refused(h, 'GET', '/v1/metrics', OUTSIDE, 403, 'PERMGATE_ERR_IP_DENIED')
    await refused(h, 'GET', '/v1/metrics', { ...OUTSIDE, ...(await bearer('u-admin')) }, 403, 'PERMGATE_ERR_IP_DENIED')
    await forwarded(h, 'POST', '/v1/alerts', { ...INSIDE, 'content-type': 'application/json' }, '{"alerts":[]}')
    expect(h.upstream.requests[0]!.body).toBe('{"alerts":[]}')
    await refused(h, 'POST', '/v1/alerts', OUTSIDE, 403, 'PERMGATE_ERR_IP_DENIED')
  })

  it("registry events: from the cluster with the registry's token, which reaches Houston too", async () => {
    await forwarded(h, 'POST', '/v1/registry/events', { ...INSIDE, authorization: REGISTRY_KEY, 'content-type': 'application/vnd.docker.distribution.events.v1+json' }, '{"events":[]}')
    expect(h.upstream.requests[0]!.headers.authorization).toBe(REGISTRY_KEY)
    await refused(h, 'POST', '/v1/registry/events', INSIDE, 401, 'PERMGATE_ERR_ROUTE_SECRET')
    await refused(h, 'POST', '/v1/registry/events', { ...INSIDE, authorization: `${REGISTRY_KEY}x` }, 401, 'PERMGATE_ERR_ROUTE_SECRET')
    await refused(h, 'POST', '/v1/registry/events', { ...INSIDE, authorization: `Bearer ${REGISTRY_KEY}` }, 401, 'PERMGATE_ERR_ROUTE_SECRET')
    await refused(h, 'POST', '/v1/registry/events', { ...OUTSIDE, authorization: REGISTRY_KEY }, 403, 'PERMGATE_ERR_IP_DENIED')
  })

  it('a path below /v1 without a rule stays refused', async () => {
    for (const path of ['/v1/elasticsearch', '/v1/scim/v2/okta/Users', '/v1/healthzx']) await unrouted(h, 'GET', path, { ...INSIDE, ...(await bearer('u-admin')) })
    // a method no rule lists
    await unrouted(h, 'DELETE', '/v1/healthz', {})
    await unrouted(h, 'POST', '/v1/registry/authorization', basic('user', API_KEY))
  })
})

describe('/v1/authorization (nginx auth_request)', () => {
  const grafana = originalUrl('https://grafana.example.com/d/abc?orgId=1')
  const airflow = (release: string, rest = '/airflow/home') => originalUrl(`https://deployments.example.com/${release}${rest}`)

  it('Grafana, Kibana, Prometheus, Alertmanager: system.monitoring.get', async () => {
    await forwarded(h, 'GET', '/v1/authorization', { ...grafana, ...(await bearer('u-sysview')) })
    expect(h.upstream.requests[0]!.headers['x-original-url']).toBe('https://grafana.example.com/d/abc?orgId=1')
    await forwarded(h, 'GET', '/v1/authorization', { ...originalUrl('https://kibana.example.com/app'), cookie: `astronomer_example_com_auth=${await jwt('u-admin')}` })
    await forwarded(h, 'GET', '/v1/authorization', { ...originalUrl('https://prometheus.example.com/graph'), ...(await bearer('u-admin')) })
    await refused(h, 'GET', '/v1/authorization', { ...originalUrl('https://alertmanager.example.com/'), ...(await bearer('u-viewer')) }, 403, 'PERMGATE_ERR_FORBIDDEN')
    await refused(h, 'GET', '/v1/authorization', grafana, 401, 'unauthenticated')
  })

  it("a deployment's Airflow and Flower: an Airflow permission on the release's deployment, or the system one", async () => {
    await forwarded(h, 'GET', '/v1/authorization', { ...airflow('rel-one'), ...(await bearer('u-viewer')) }) // deployment.airflow.get via w1
    await forwarded(h, 'GET', '/v1/authorization', { ...airflow('rel-two', '/flower/'), ...(await bearer('u-viewer')) })
    // the Airflow REST API through the same check, with a service account's API key
    await forwarded(h, 'GET', '/v1/authorization', { ...airflow('rel-one', '/airflow/api/v1/dags'), authorization: API_KEY })
    await forwarded(h, 'GET', '/v1/authorization', { ...airflow('rel-three'), ...(await bearer('u-sysview')) }) // system.airflow.get
    await refused(h, 'GET', '/v1/authorization', { ...airflow('rel-three'), ...(await bearer('u-viewer')) }, 403, 'PERMGATE_ERR_FORBIDDEN')
    await refused(h, 'GET', '/v1/authorization', { ...airflow('rel-three'), authorization: API_KEY }, 403, 'PERMGATE_ERR_FORBIDDEN')
    await refused(h, 'GET', '/v1/authorization', { ...airflow('rel-one'), ...(await bearer('u-none')) }, 403, 'PERMGATE_ERR_FORBIDDEN')
    await refused(h, 'GET', '/v1/authorization', airflow('rel-one'), 401, 'unauthenticated')
  })

  it('an unknown release, a URL read two ways, or no X-Original-Url: refused', async () => {
    const admin = await bearer('u-admin')
    await refused(h, 'GET', '/v1/authorization', { ...airflow('no-such-release'), ...admin }, 403, 'PERMGATE_ERR_FORBIDDEN')
    await unrouted(h, 'GET', '/v1/authorization', { ...airflow('rel-three', '/../rel-one/airflow'), ...(await bearer('u-viewer')) })
    await unrouted(h, 'GET', '/v1/authorization', { ...originalUrl('https://grafana.example.com@deployments.example.com/rel-one/airflow'), ...admin })
    await unrouted(h, 'GET', '/v1/authorization', admin)
  })
})

describe('/v1/registry/authorization (Docker token auth, HTTP Basic)', () => {
  const KEEP = { 'x-original-uri': '/v2/rel-one/airflow/blobs/uploads/' }

  it('push: deployment.images.push on the release, by a service account (API key) or a user (JWT); the request kept whole', async () => {
    const push = scopes(repo('rel-one', 'pull,push'))
    const sa: Headers = { ...basic('user', API_KEY), ...KEEP }
    await forwarded(h, 'GET', push, sa)
    const seen = h.upstream.requests[0]!.headers
    expect(seen.authorization).toBe(sa.authorization) // Houston checks the Basic credentials again
    expect(seen['x-original-uri']).toBe(KEEP['x-original-uri'])
    expect(seen['x-permgate-subject']).toBe('sa-ci')
    await forwarded(h, 'GET', push, basic('user', await jwt('u-editor')))
    await refused(h, 'GET', push, basic('user', await jwt('u-viewer')), 403, 'PERMGATE_ERR_FORBIDDEN')
    await refused(h, 'GET', scopes(repo('rel-two', 'pull,push')), basic('user', API_KEY), 403, 'PERMGATE_ERR_FORBIDDEN')
    await refused(h, 'GET', scopes(repo('rel-none', 'push')), basic('user', API_KEY), 403, 'PERMGATE_ERR_FORBIDDEN')
  })

  it('pull: deployment.images.pull on the release; each scope checked', async () => {
    await forwarded(h, 'GET', scopes(repo('rel-one', 'pull')), basic('user', await jwt('u-viewer')))
    await forwarded(h, 'GET', scopes(repo('rel-one', 'pull'), repo('rel-two', 'pull')), basic('user', await jwt('u-viewer')))
    await refused(h, 'GET', scopes(repo('rel-one', 'pull'), repo('rel-three', 'pull')), basic('user', await jwt('u-viewer')), 403, 'PERMGATE_ERR_FORBIDDEN')
    await refused(h, 'GET', scopes(repo('rel-one', 'pull')), basic('user', await jwt('u-none')), 403, 'PERMGATE_ERR_FORBIDDEN')
  })

  it('base images: pull for any authenticated caller, push with system.registryBaseImages.push', async () => {
    await forwarded(h, 'GET', scopes(repo('base-images', 'pull')), basic('user', await jwt('u-none')))
    await forwarded(h, 'GET', scopes(repo('base-images', 'pull,push')), basic('user', await jwt('u-admin')))
    await refused(h, 'GET', scopes(repo('base-images', 'pull,push')), basic('user', await jwt('u-editor')), 403, 'PERMGATE_ERR_FORBIDDEN')
    await refused(h, 'GET', scopes(repo('base-images', 'pull')), {}, 401, 'unauthenticated')
  })

  it('docker login (no scope): any authenticated caller; no credentials, bad ones, other scopes: refused', async () => {
    await forwarded(h, 'GET', '/v1/registry/authorization?account=user&service=docker-registry', basic('user', await jwt('u-none')))
    await refused(h, 'GET', '/v1/registry/authorization?service=docker-registry', {}, 401, 'unauthenticated')
    // the browser's session cookie is no credential here
    await refused(h, 'GET', '/v1/registry/authorization?service=docker-registry', { cookie: `astronomer_example_com_auth=${await jwt('u-admin')}` }, 401, 'unauthenticated')
    await refused(h, 'GET', '/v1/registry/authorization', { authorization: `Bearer ${await jwt('u-admin')}` }, 401, 'PERMGATE_ERR_AUTH_TOKEN_INVALID')
    await refused(h, 'GET', '/v1/registry/authorization', { authorization: 'Basic not-base64!' }, 401, 'PERMGATE_ERR_AUTH_TOKEN_INVALID')
    await refused(h, 'GET', '/v1/registry/authorization', basic('user', 'not-a-token'), 401, 'PERMGATE_ERR_AUTH_TOKEN_INVALID')
    // a scope of two kinds at once, another action, a bracketed spelling: no rule
    await unrouted(h, 'GET', scopes(repo('rel-one', 'pull'), repo('base-images', 'pull')), basic('user', await jwt('u-admin')))
    await unrouted(h, 'GET', scopes(repo('rel-one', '*')), basic('user', await jwt('u-admin')))
    await unrouted(h, 'GET', `${scopes(repo('rel-one', 'pull'))}&scope[]=${repo('rel-three', 'push')}`, basic('user', await jwt('u-viewer')))
  })

  it("deployment credentials (release name and its pull secret): their own repository's pull only, forwarded for Houston's check", async () => {
    const creds = basic('rel-one', 'the-image-pull-secret')
    await forwarded(h, 'GET', scopes(repo('rel-one', 'pull')), creds)
    expect(h.upstream.requests[0]!.headers.authorization).toBe(creds.authorization)
    expect(h.upstream.requests[0]!.headers['x-permgate-kind']).toBe('anonymous')
    await refused(h, 'GET', scopes(repo('rel-two', 'pull')), creds, 403, 'PERMGATE_ERR_FORBIDDEN')
    await refused(h, 'GET', scopes(repo('rel-one', 'pull'), repo('rel-two', 'pull')), creds, 403, 'PERMGATE_ERR_FORBIDDEN')
    // a push is another rule: the pull secret is read as a Houston token there, and is none
    await refused(h, 'GET', scopes(repo('rel-one', 'pull,push')), creds, 401, 'PERMGATE_ERR_AUTH_TOKEN_INVALID')
  })
})

describe('CI/CD enforcement: only service accounts push', () => {
  let c: Harness
  beforeAll(async () => {
    c = await houston(['--config', cicdVariant()])
  })
  afterAll(() => c.close())

  it("a service account pushes; a user, even one holding deployment.images.push, is refused; pulls are unchanged", async () => {
    const push = scopes(repo('rel-one', 'pull,push'))
    await forwarded(c, 'GET', push, basic('user', API_KEY))
    await refused(c, 'GET', push, basic('user', await c.token('u-editor')), 403, 'PERMGATE_ERR_FORBIDDEN')
    await refused(c, 'GET', push, basic('user', await c.token('u-admin')), 403, 'PERMGATE_ERR_FORBIDDEN')
    await forwarded(c, 'GET', scopes(repo('rel-one', 'pull')), basic('user', await c.token('u-editor')))
    await forwarded(c, 'GET', scopes(repo('base-images', 'pull,push')), basic('user', await c.token('u-admin')))
  })
})
