import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { raw, type Answer } from '../helpers/http.js'
import { API_KEY, copyProfile, HOUSTON_COOKIE, pushRule, REGISTRY_AUTH_KEY, RELEASE, startProfile, type StartedProfile } from '../helpers/houston-profile.js'
import { basic, forwarded, originalUrl, reasonOf, refused, repo, scopes, unrouted, type Headers } from '../helpers/houston-rest.js'
import { openWs, rawUpgrade, type WsClient, type WsMessage } from '../helpers/ws.js'
import { SUBSCRIPTIONS } from '../unit/demo/houston-0.3x-cases.js'

// Issue 15, done when: the Houston profile (deploy/houston/permgate.yaml) as an operator runs it,
// copied with its registry-auth-key beside it and given only the installation's flags, in front
// of a stand-in laid out like Houston 0.3x (GraphQL on /v1, REST routes below it, subscriptions
// on /ws) that records what reaches it: a denial reaches it not at all. The demo's principals
// (policies/houston/bindings.example.yaml, with release names):
//   u-admin SYSTEM_ADMIN; u-1 WORKSPACE_ADMIN w1 + DEPLOYMENT_EDITOR d3 + SYSTEM_VIEWER;
//   u-viewer WORKSPACE_VIEWER w1 (DEPLOYMENT_VIEWER on d1, d2); sa-ci DEPLOYMENT_EDITOR d1 (API key);
// and u-syseditor SYSTEM_EDITOR, the third role holding system.monitoring.get; u-nobody has no binding.
//
// The webhooks' "inside the cluster": the client here is always 127.0.0.1, in no range the profile
// allows. The profile believes X-Forwarded-For from 10.0.0.0/8 (the ingress controller's pods);
// here the proxy is this test on loopback, so `--trusted-proxy 127.0.0.1/32` takes that key's
// place, and a request names its client in X-Forwarded-For: 10.1.2.3 inside 10.0.0.0/8,
// 203.0.113.9 outside; a request without it is the loopback client itself, outside too.

const [D1, D2, D3] = [RELEASE.d1!, RELEASE.d2!, RELEASE.d3!]
const SUBJECTS = { 'u-syseditor': { bindings: [{ role: 'SYSTEM_EDITOR' }] } }
const TRUST_LOOPBACK = ['--trusted-proxy', '127.0.0.1/32']
const INSIDE: Headers = { 'x-forwarded-for': '10.1.2.3' }
const OUTSIDE: Headers = { 'x-forwarded-for': '203.0.113.9' }
const APP = 'https://app.example.com'
const JSON_POST: Headers = { 'content-type': 'application/json' }

let p: StartedProfile
let bearer: (subject: string) => Promise<Headers>
let cookie: (subject: string) => Promise<Headers>
let password: (subject: string) => Promise<Headers>

beforeAll(async () => {
  p = await startProfile(copyProfile(), { subjects: SUBJECTS, extraArgs: TRUST_LOOPBACK })
  bearer = async (s) => ({ authorization: `Bearer ${await p.token(s)}` })
  cookie = async (s) => ({ cookie: `${HOUSTON_COOKIE}=${await p.token(s)}` })
  password = async (s) => basic('user', await p.token(s))
})
afterAll(() => p?.close())
beforeEach(() => p.upstream.reset())

const graphql = (query: string, headers: Headers): Promise<Answer> => raw(p.url, 'POST', '/v1', { ...JSON_POST, ...headers }, JSON.stringify({ query }))
const W1_DEPLOYMENTS = '{ workspaceDeployments(workspaceUuid: "w1") { id releaseName } }'
const W2_DEPLOYMENTS = '{ workspaceDeployments(workspaceUuid: "w2") { id releaseName } }'

describe('GraphQL on /v1', () => {
  it.each([
    ['a Bearer token', (s: string) => bearer(s)],
    ["Houston's cookie", (s: string) => cookie(s)],
    ['a bare token, as the CLI sends it', async (s: string) => ({ authorization: await p.token(s) })],
  ])('allowed with %s: forwarded to /v1 once, as the caller', async (_what, as) => {
    const a = await graphql(W1_DEPLOYMENTS, await as('u-viewer'))
    expect(a.status, a.body).toBe(200)
    expect((JSON.parse(a.body) as { data: { workspaceDeployments: { releaseName: string }[] } }).data.workspaceDeployments.map((d) => d.releaseName).sort()).toEqual([D1, D2].sort())
    expect(p.upstream.requests.map((r) => `${r.method} ${r.url} ${String(r.headers['x-permgate-subject'])}`)).toEqual(['POST /v1 u-viewer'])
  })

  it('denied: another workspace (403), anonymous on an authenticated field (401); nothing forwarded', async () => {
    const denied = await graphql(W2_DEPLOYMENTS, await cookie('u-viewer'))
    expect(denied.status).toBe(403)
    expect(reasonOf(denied.body)).toBe('missing_permission')
    const anonymous = await graphql('{ self { user { id } } }', {})
    expect(anonymous.status).toBe(401)
    expect(p.upstream.count()).toBe(0)
  })

  it('a path below /v1 that is no REST route stays refused', async () => {
    for (const path of ['/v1/scim/v2/okta/Users', '/v1/graphql', '/v1/healthzx']) await unrouted(p, 'GET', path, { ...INSIDE, ...(await bearer('u-admin')) })
  })
})

describe('public routes', () => {
  it("permgate's own probes on the admin port", async () => {
    expect((await raw(p.adminUrl, 'GET', '/healthz')).status).toBe(200)
    expect((await raw(p.adminUrl, 'GET', '/readyz')).status).toBe(200)
  })

  it('healthz and OAuth, for anyone', async () => {
    await forwarded(p, 'GET', '/v1/healthz', {})
    await forwarded(p, 'GET', '/v1/oauth/redirect/', {})
    await forwarded(p, 'POST', '/v1/oauth/callback/', { 'content-type': 'application/x-www-form-urlencoded' }, 'id_token=x&state=%7B%7D')
  })

  it('credentials none: a stale cookie (another signing key) at the OAuth callback, and a bad token on healthz, are forwarded for Houston, not refused 401', async () => {
    const stale = `${HOUSTON_COOKIE}=eyJhbGciOiJSUzI1NiJ9.eyJ1dWlkIjoidS1hZG1pbiJ9.c2lnbmF0dXJl`
    await forwarded(p, 'POST', '/v1/oauth/callback/', { 'content-type': 'application/x-www-form-urlencoded', cookie: stale }, 'id_token=x&state=%7B%7D')
    await forwarded(p, 'GET', '/v1/healthz', { authorization: 'Bearer not.a.jwt' })
  })
})

describe('/v1/authorization: a deployment\'s Airflow UI, by the release in X-Original-Url', () => {
  const airflow = (release: string, rest = '/airflow/home'): Headers => originalUrl(`https://deployments.example.com/${release}${rest}`)

  it("allowed: forwarded whole, and Houston's Airflow token comes back to nginx", async () => {
    const a = await raw(p.url, 'GET', '/v1/authorization', { ...airflow(D1), ...(await cookie('u-viewer')) })
    expect(a.status).toBe(200)
    expect(a.headers.authorization).toBe('Bearer demo-airflow-token')
    expect(p.upstream.requests).toHaveLength(1)
    expect(p.upstream.requests[0]!.headers['x-original-url']).toBe(`https://deployments.example.com/${D1}/airflow/home`)
  })

  it.each([
    ['u-viewer, a viewer of its workspace', D1, 'u-viewer', '/airflow/home'],
    ['u-viewer, Flower', D2, 'u-viewer', '/flower/'],
    ['u-1, the deployment\'s editor', D3, 'u-1', '/airflow/home'],
    ['u-1, system.airflow.get (SYSTEM_VIEWER)', D1, 'u-1', '/airflow/dags/x/grid'],
    ['u-admin', D3, 'u-admin', '/airflow/home'],
  ])('%s on %s: forwarded', async (_who, release, subject, rest) => {
    await forwarded(p, 'GET', '/v1/authorization', { ...airflow(release, rest), ...(await bearer(subject)) })
  })

  it('sa-ci with its API key: the Airflow REST API of its own deployment only', async () => {
    await forwarded(p, 'GET', '/v1/authorization', { ...airflow(D1, '/airflow/api/v1/dags'), authorization: API_KEY })
    await refused(p, 'GET', '/v1/authorization', { ...airflow(D2, '/airflow/api/v1/dags'), authorization: API_KEY }, 403, 'PERMGATE_ERR_FORBIDDEN')
  })

  it('denied: another workspace\'s deployment, no binding, an unknown release (403); no credential (401)', async () => {
    await refused(p, 'GET', '/v1/authorization', { ...airflow(D3), ...(await bearer('u-viewer')) }, 403, 'PERMGATE_ERR_FORBIDDEN')
    await refused(p, 'GET', '/v1/authorization', { ...airflow(D1), ...(await cookie('u-nobody')) }, 403, 'PERMGATE_ERR_FORBIDDEN')
    await refused(p, 'GET', '/v1/authorization', { ...airflow('no-such-release'), ...(await bearer('u-admin')) }, 403, 'PERMGATE_ERR_FORBIDDEN')
    await refused(p, 'GET', '/v1/authorization', airflow(D1), 401, 'unauthenticated')
  })
})

describe('/v1/authorization: Grafana (system.monitoring.get)', () => {
  const grafana = originalUrl('https://grafana.example.com/d/houston?orgId=1')

  it.each([['u-1 (SYSTEM_VIEWER)', 'u-1'], ['u-syseditor (SYSTEM_EDITOR)', 'u-syseditor'], ['u-admin (SYSTEM_ADMIN)', 'u-admin']])('%s: forwarded', async (_who, subject) => {
    await forwarded(p, 'GET', '/v1/authorization', { ...grafana, ...(await cookie(subject)) })
  })

  it('a workspace viewer, sa-ci (403); no credential (401)', async () => {
    await refused(p, 'GET', '/v1/authorization', { ...grafana, ...(await cookie('u-viewer')) }, 403, 'PERMGATE_ERR_FORBIDDEN')
    await refused(p, 'GET', '/v1/authorization', { ...grafana, authorization: API_KEY }, 403, 'PERMGATE_ERR_FORBIDDEN')
    await refused(p, 'GET', '/v1/authorization', grafana, 401, 'unauthenticated')
  })
})

describe('/v1/registry/authorization (Docker token auth)', () => {
  const KEEP = { 'x-original-uri': `/v2/${D1}/airflow/blobs/uploads/` }

  it('push by a service account (API key as the Basic password): forwarded with its credentials and X-Original-Uri', async () => {
    const sa: Headers = { ...basic('user', API_KEY), ...KEEP }
    await forwarded(p, 'GET', scopes(repo(D1, 'pull,push')), sa)
    const seen = p.upstream.requests[0]!.headers
    expect(seen.authorization).toBe(sa.authorization)
    expect(seen['x-original-uri']).toBe(KEEP['x-original-uri'])
    expect(seen['x-permgate-subject']).toBe('sa-ci')
    await refused(p, 'GET', scopes(repo(D2, 'pull,push')), sa, 403, 'PERMGATE_ERR_FORBIDDEN')
  })

  it('push by a user: with deployment.images.push on the release (CI/CD enforcement off in the profile)', async () => {
    await forwarded(p, 'GET', scopes(repo(D3, 'pull,push')), await password('u-1'))
    await refused(p, 'GET', scopes(repo(D1, 'pull,push')), await password('u-viewer'), 403, 'PERMGATE_ERR_FORBIDDEN')
    await refused(p, 'GET', scopes(repo(D3, 'pull,push')), {}, 401, 'unauthenticated')
  })

  it('pull: deployment.images.pull on the release', async () => {
    await forwarded(p, 'GET', scopes(repo(D1, 'pull')), await password('u-viewer'))
    await forwarded(p, 'GET', scopes(repo(D1, 'pull')), basic('user', API_KEY))
    await refused(p, 'GET', scopes(repo(D3, 'pull')), await password('u-viewer'), 403, 'PERMGATE_ERR_FORBIDDEN')
    await refused(p, 'GET', scopes(repo(D1, 'pull')), await password('u-nobody'), 403, 'PERMGATE_ERR_FORBIDDEN')
  })

  it("deployment credentials (release name, its pull secret): pull of its own repository only, forwarded for Houston's check", async () => {
    const creds = basic(D1, 'the-image-pull-secret')
    await forwarded(p, 'GET', scopes(repo(D1, 'pull')), creds)
    expect(p.upstream.requests[0]!.headers.authorization).toBe(creds.authorization)
    await refused(p, 'GET', scopes(repo(D2, 'pull')), creds, 403, 'PERMGATE_ERR_FORBIDDEN')
    // a push is the push rule's: the pull secret is read as a Houston token there, and is none
    await refused(p, 'GET', scopes(repo(D1, 'pull,push')), creds, 401, 'PERMGATE_ERR_AUTH_TOKEN_INVALID')
  })
})

describe('CI/CD enforcement on (a variant: principals [serviceAccount] on the push rule)', () => {
  let c: StartedProfile
  beforeAll(async () => {
    c = await startProfile(copyProfile((doc) => void (pushRule(doc).principals = ['serviceAccount'])), { extraArgs: TRUST_LOOPBACK })
  })
  afterAll(() => c?.close())

  it('the service account pushes; a user holding deployment.images.push is refused; pulls unchanged', async () => {
    await forwarded(c, 'GET', scopes(repo(D1, 'pull,push')), basic('user', API_KEY))
    await refused(c, 'GET', scopes(repo(D3, 'pull,push')), basic('user', await c.token('u-1')), 403, 'PERMGATE_ERR_FORBIDDEN')
    await refused(c, 'GET', scopes(repo(D1, 'pull,push')), basic('user', await c.token('u-admin')), 403, 'PERMGATE_ERR_FORBIDDEN')
    await forwarded(c, 'GET', scopes(repo(D3, 'pull')), basic('user', await c.token('u-1')))
  })
})

describe('webhooks and metrics: from inside 10.0.0.0/8 only', () => {
  const events = (headers: Headers) => ({ ...headers, 'content-type': 'application/vnd.docker.distribution.events.v1+json' })

  it('/v1/alerts: forwarded from inside, body intact; refused from outside, directly or through the proxy', async () => {
    await forwarded(p, 'POST', '/v1/alerts', { ...INSIDE, ...JSON_POST }, '{"alerts":[]}')
    expect(p.upstream.requests[0]!.body).toBe('{"alerts":[]}')
    await refused(p, 'POST', '/v1/alerts', { ...OUTSIDE, ...JSON_POST }, 403, 'PERMGATE_ERR_IP_DENIED')
    await refused(p, 'POST', '/v1/alerts', JSON_POST, 403, 'PERMGATE_ERR_IP_DENIED')
  })

  it("/v1/registry/events: from inside with the registry's token (registry-auth-key beside the profile), which reaches Houston too", async () => {
    await forwarded(p, 'POST', '/v1/registry/events', events({ ...INSIDE, authorization: REGISTRY_AUTH_KEY }), '{"events":[]}')
    expect(p.upstream.requests[0]!.headers.authorization).toBe(REGISTRY_AUTH_KEY)
    await refused(p, 'POST', '/v1/registry/events', events(INSIDE), 401, 'PERMGATE_ERR_ROUTE_SECRET')
    await refused(p, 'POST', '/v1/registry/events', events({ ...INSIDE, authorization: `${REGISTRY_AUTH_KEY}0` }), 401, 'PERMGATE_ERR_ROUTE_SECRET')
    await refused(p, 'POST', '/v1/registry/events', events({ ...OUTSIDE, authorization: REGISTRY_AUTH_KEY }), 403, 'PERMGATE_ERR_IP_DENIED')
    await refused(p, 'POST', '/v1/registry/events', events({ authorization: REGISTRY_AUTH_KEY }), 403, 'PERMGATE_ERR_IP_DENIED')
  })

  it('/v1/metrics and /v1/elasticsearch: inside only, whoever asks', async () => {
    await forwarded(p, 'GET', '/v1/metrics', INSIDE)
    await refused(p, 'GET', '/v1/metrics', { ...OUTSIDE, ...(await bearer('u-admin')) }, 403, 'PERMGATE_ERR_IP_DENIED')
    await forwarded(p, 'GET', '/v1/elasticsearch', INSIDE)
    // the Elasticsearch proxy's own Basic credentials are Houston's to check (credentials none)
    await forwarded(p, 'GET', '/v1/elasticsearch', { ...INSIDE, ...basic(D1, 'the-elasticsearch-password') })
    await refused(p, 'GET', '/v1/elasticsearch', OUTSIDE, 403, 'PERMGATE_ERR_IP_DENIED')
    await refused(p, 'GET', '/v1/elasticsearch', { ...OUTSIDE, ...basic(D1, 'the-elasticsearch-password') }, 403, 'PERMGATE_ERR_IP_DENIED')
  })

  it('an inside address the client wrote itself, before the one the proxy saw, does not pass', async () => {
    await refused(p, 'POST', '/v1/alerts', { 'x-forwarded-for': '10.1.2.3, 203.0.113.9', ...JSON_POST }, 403, 'PERMGATE_ERR_IP_DENIED')
  })
})

describe('browsers on *.example.com (CORS)', () => {
  const preflight = (origin: string, path = '/v1') =>
    raw(p.url, 'OPTIONS', path, { origin, 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type, authorization' })
  const accessControl = (a: Answer) => Object.fromEntries(Object.entries(a.headers).filter(([k]) => k.startsWith('access-control-')))

  it.each([[APP, '/v1'], ['https://deployments.example.com', '/v1'], [APP, '/v1/authorization']])('a preflight from %s on %s: 204, credentials allowed, nothing forwarded', async (origin, path) => {
    const a = await preflight(origin, path)
    expect(a.status).toBe(204)
    expect(a.headers['access-control-allow-origin']).toBe(origin)
    expect(a.headers['access-control-allow-credentials']).toBe('true')
    expect(String(a.headers['access-control-allow-methods'])).toContain('POST')
    expect(String(a.headers['access-control-allow-headers']).toLowerCase()).toContain('authorization')
    expect(p.upstream.count()).toBe(0)
  })

  it.each([
    ['a look-alike of the base domain (Houston allows it)', 'https://evil-example.com'],
    ['the base domain under another', 'https://app.example.com.attacker.net'],
    ['plain http', 'http://app.example.com'],
    ['the base domain itself, no subdomain', 'https://example.com'],
  ])('a preflight from %s: 204 without any Access-Control-* header, nothing forwarded', async (_what, origin) => {
    const a = await preflight(origin)
    expect(a.status).toBe(204)
    expect(accessControl(a)).toEqual({})
    expect(p.upstream.count()).toBe(0)
  })

  it("permgate's own 403 and 401 carry the CORS headers, so the UI reads the denial", async () => {
    const denied = await graphql(W2_DEPLOYMENTS, { origin: APP, ...(await cookie('u-viewer')) })
    expect(denied.status).toBe(403)
    expect(denied.headers['access-control-allow-origin']).toBe(APP)
    expect(denied.headers['access-control-allow-credentials']).toBe('true')
    expect(denied.headers.vary).toMatch(/\bOrigin\b/)
    expect(reasonOf(denied.body)).toBe('missing_permission')
    const anonymous = await graphql('{ self { user { id } } }', { origin: APP })
    expect(anonymous.status).toBe(401)
    expect(anonymous.headers['access-control-allow-origin']).toBe(APP)
    expect(p.upstream.count()).toBe(0)
    // a disallowed origin is told nothing it could read
    const evil = await graphql(W2_DEPLOYMENTS, { origin: 'https://evil-example.com', ...(await cookie('u-viewer')) })
    expect(evil.status).toBe(403)
    expect(accessControl(evil)).toEqual({})
  })
})

describe('subscriptions on /ws: the Astro CLI (graphql-ws, connection_init {authorization}, then a start without id)', () => {
  const LOG = SUBSCRIPTIONS.find((s) => s.field === 'log')!
  const started = (): unknown[] => p.upstream.requests.filter((r) => r.method === 'WS').map((r) => JSON.parse(r.body) as unknown)

  /** astro deployment logs --follow: the bare token, and the start at once, without waiting for the ack. */
  async function cli(token: string, deploymentId: string): Promise<WsClient> {
    const c = await openWs(`${p.url}/ws`, 'graphql-ws')
    c.send({ type: 'connection_init', payload: { authorization: token } })
    c.send({ type: 'start', payload: { query: LOG.query, variables: { ...LOG.variables, deploymentId } } })
    return c
  }

  it('allowed: relayed to /ws upstream as the caller, the start without an id, its frames without one', async () => {
    const c = await cli(await p.token('u-viewer'), 'd1')
    const frames: WsMessage[] = []
    for (;;) {
      const m = await c.next((x) => x.type === 'data' || x.type === 'complete' || x.type === 'error')
      frames.push(m)
      if (m.type !== 'data') break
    }
    c.close()
    expect(frames.at(-1)!.type).toBe('complete')
    expect(frames.length).toBeGreaterThan(1)
    expect(frames.every((m) => !('id' in m))).toBe(true)
    // what the CLI prints: payload.data.log.log of each data frame
    for (const m of frames.slice(0, -1)) expect(typeof (m.payload as { data: { log: { log: unknown } } }).data.log.log).toBe('string')
    const upgrade = p.upstream.requests.filter((r) => r.method === 'GET')
    expect(upgrade.map((r) => `${r.url} ${String(r.headers['x-permgate-subject'])}`)).toEqual(['/ws u-viewer'])
    expect(started()).toEqual([{ type: 'start', payload: { query: LOG.query, variables: { ...LOG.variables, deploymentId: 'd1' } } }])
  })

  it("denied: another workspace's deployment gets an error without an id; no start reaches the upstream", async () => {
    const c = await cli(await p.token('u-viewer'), 'd3')
    const m = await c.next((x) => x.type === 'error')
    c.close()
    expect('id' in m).toBe(false)
    expect(m.payload).toMatchObject({ extensions: { code: 'FORBIDDEN', field: 'Subscription.log' } })
    expect(started()).toEqual([])
  })

  it('an upgrade from a page on an origin the cors section does not allow is refused (403), the base domain\'s is accepted', async () => {
    const evil = await rawUpgrade(p.url, '/ws', { 'Sec-WebSocket-Protocol': 'graphql-ws', Origin: 'https://evil-example.com' })
    expect(evil).toMatch(/^HTTP\/1\.1 403/)
    expect(evil).toContain('PERMGATE_ERR_WEBSOCKET_ORIGIN')
    const app = await openWs(`${p.url}/ws`, 'graphql-ws', { Origin: 'https://app.example.com' })
    app.send({ type: 'connection_init', payload: { authorization: await p.token('u-viewer') } })
    await app.next((m) => m.type === 'connection_ack')
    app.close()
  })

  it('no credential in connection_init: closed as Houston closes it (wsRequireCredential: connection_error, then 4403); nothing opened upstream', async () => {
    const c = await openWs(`${p.url}/ws`, 'graphql-ws')
    c.send({ type: 'connection_init', payload: {} })
    c.send({ type: 'start', payload: { query: LOG.query, variables: LOG.variables } })
    const m = await c.next((x) => x.type === 'connection_error')
    expect(m.payload).toMatchObject({ extensions: { code: 'UNAUTHENTICATED', reason: 'PERMGATE_ERR_WEBSOCKET_UNAUTHENTICATED' } })
    expect((await c.closed).code).toBe(4403)
    expect(started()).toEqual([])
  })
})
