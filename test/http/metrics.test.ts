import { join } from 'node:path'
import { SignJWT } from 'jose'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { loadServeConfig } from '../../src/config/load.js'
import { startUpstream, type DemoUpstream } from '../../src/demo/upstream.js'
import { startServer, type Server } from '../../src/serve.js'
import { post } from '../helpers/proxy.js'
import { POLICY_HOUSTON } from '../helpers/shared.js'
import { tempFiles } from '../helpers/tmp.js'

const SECRET = 'metrics-test-secret-0123456789abcdef'
let upstream: DemoUpstream
let server: Server

beforeAll(async () => {
  upstream = await startUpstream()
  const dir = tempFiles({
    secret: SECRET,
    'bindings.yaml': 'deployments: { d1: w1 }\nsubjects:\n  u-viewer:\n    bindings: [ { role: WORKSPACE_VIEWER, workspace: w1 } ]\n',
  })
  server = await startServer(loadServeConfig([
    '--policy', POLICY_HOUSTON, '--bindings', join(dir, 'bindings.yaml'), '--upstream', upstream.url,
    '--port', '0', '--admin-port', '0', '--jwt-secret-file', join(dir, 'secret'), '--jwt-subject-claim', 'uuid', '--log-level', 'silent', '--decision-log', 'off',
  ]))
})
afterAll(async () => {
  await server.close()
  await upstream.close()
})

const token = (uuid: string) =>
  new SignJWT({ uuid }).setProtectedHeader({ alg: 'HS256' }).setExpirationTime('1h').sign(new TextEncoder().encode(SECRET))

/** The value of one sample line of the Prometheus text, or undefined. */
function sample(text: string, name: string, labels: Record<string, string>): number | undefined {
  const want = Object.entries(labels).map(([k, v]) => `${k}="${v}"`)
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${name}{`) && !line.startsWith(`${name} `)) continue
    const inside = /\{(.*)\}/.exec(line)?.[1] ?? ''
    const have = inside === '' ? [] : inside.split(',')
    if (want.every((w) => have.includes(w)) && have.length === want.length) return Number(line.slice(line.lastIndexOf(' ') + 1))
  }
  return undefined
}

describe('metrics on the admin port', () => {
  it('count a known sequence of requests, with bounded labels', async () => {
    const g = `${server.url}/graphql`
    const viewer = { authorization: `Bearer ${await token('u-viewer')}` }
    expect((await post(g, { query: '{ workspaceDeployments(workspaceUuid: "w1") }' }, viewer)).status).toBe(200)
    expect((await post(g, { query: '{ workspaceDeployments(workspaceUuid: "w1") }' }, viewer)).status).toBe(200)
    expect((await post(g, { query: '{ deployments }' }, viewer)).status).toBe(403)
    expect((await post(g, { query: '{ secretFieldXyz }' }, viewer)).status).toBe(403)
    expect((await post(g, { query: '{ self }' })).status).toBe(401)
    expect((await post(g, '{"query": ')).status).toBe(400)
    expect((await post(g, { query: `{ self } # ${'x'.repeat(2 * 1024 * 1024)}` })).status).toBe(413)

    const r = await fetch(`${server.adminUrl}/metrics`)
    expect(r.status).toBe(200)
    expect(r.headers.get('content-type')).toMatch(/^text\/plain/)
    const text = await r.text()
    const decisions = (labels: Record<string, string>) => sample(text, 'permgate_decisions_total', labels)
    expect(decisions({ decision: 'allow', reason: 'allowed', operation_type: 'query' })).toBe(2)
    expect(decisions({ decision: 'deny', reason: 'missing_permission', operation_type: 'query' })).toBe(1)
    expect(decisions({ decision: 'deny', reason: 'no_rule', operation_type: 'query' })).toBe(1)
    expect(decisions({ decision: 'deny', reason: 'unauthenticated', operation_type: 'query' })).toBe(1)
    expect(decisions({ decision: 'deny', reason: 'PERMGATE_ERR_REQUEST_SHAPE', operation_type: 'none' })).toBe(1)
    expect(decisions({ decision: 'deny', reason: 'PERMGATE_ERR_BODY_TOO_LARGE', operation_type: 'none' })).toBe(1)
    expect(sample(text, 'permgate_upstream_requests_total', { status_class: '2xx' })).toBe(2)
    expect(sample(text, 'permgate_decision_duration_seconds_count', {})).toBe(6)
    expect(sample(text, 'permgate_cache_misses_total', { cache: 'tokens' })).toBe(1)
    expect(sample(text, 'permgate_cache_hits_total', { cache: 'tokens' })).toBe(3)
    expect(sample(text, 'permgate_cache_hits_total', { cache: 'decisions' })).toBe(1)
    expect(sample(text, 'permgate_policy_info', { revision: 'v0.12.1' })).toBe(1)
    expect(text).toContain('process_cpu_user_seconds_total')
    // label values are bounded sets: never a field name from a denied request, never a subject
    expect(text).not.toContain('secretFieldXyz')
    expect(text).not.toContain('u-viewer')
  })

  it('/healthz is alive; /readyz follows the upstream', async () => {
    expect((await fetch(`${server.adminUrl}/healthz`)).status).toBe(200)
    const ready = await fetch(`${server.adminUrl}/readyz`)
    expect(ready.status).toBe(200)
    expect(await ready.json()).toMatchObject({ status: 'ready', policy: { name: 'houston' }, upstream: 'reachable' })
    // the proxied port does not serve the admin paths
    expect((await fetch(`${server.url}/metrics`)).status).toBe(403)
    await upstream.close()
    const down = await fetch(`${server.adminUrl}/readyz`)
    expect(down.status).toBe(503)
    expect(await down.json()).toMatchObject({ status: 'not ready', upstream: 'unreachable' })
  })
})
