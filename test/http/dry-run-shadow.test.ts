import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { loadServeConfig } from '../../src/config/load.js'
import { startUpstream, type DemoUpstream } from '../../src/demo/upstream.js'
import { startServer, type Server } from '../../src/serve.js'
import { post } from '../helpers/proxy.js'
import { POLICY_HOUSTON, POLICY_HOUSTON_035 } from '../helpers/shared.js'
import { tempFiles } from '../helpers/tmp.js'

const API_KEY = 'a'.repeat(32)
const HASH = '3ba3f5f43b92602683c19aee62a20342b084dd5971ddd33808d81a328879a547' // sha256 of 32 'a'
let upstream: DemoUpstream
const servers: Server[] = []

async function serve(extra: string[]): Promise<Server> {
  const dir = tempFiles({ 'bindings.yaml': `subjects:\n  sv:\n    kind: serviceAccount\n    apiKeySha256: ${HASH}\n    bindings: [ { role: SYSTEM_VIEWER } ]\n` })
  const s = await startServer(loadServeConfig([
    '--policy', POLICY_HOUSTON, '--bindings', join(dir, 'bindings.yaml'), '--upstream', upstream.url,
    '--port', '0', '--admin-port', '0', '--log-level', 'silent', '--decision-log', 'off', ...extra,
  ]))
  servers.push(s)
  return s
}
const metric = async (s: Server, prefix: string): Promise<number> => {
  const line = (await (await fetch(`${s.adminUrl}/metrics`)).text()).split('\n').find((l) => l.startsWith(prefix))
  return line === undefined ? 0 : Number(line.split(' ').at(-1))
}

beforeAll(async () => {
  upstream = await startUpstream()
})
afterAll(async () => {
  await Promise.all(servers.map((s) => s.close()))
  await upstream.close()
})

describe('dry run', () => {
  it('decides and counts, but forwards everything', async () => {
    const s = await serve(['--dry-run'])
    upstream.reset()
    const g = `${s.url}/graphql`
    expect((await post(g, { query: '{ deployments }' }, { authorization: API_KEY })).status).toBe(200)
    expect((await post(g, { query: '{ self }' })).status).toBe(200)
    expect((await post(g, { query: '{ self }' }, { authorization: 'Bearer not.a.jwt' })).status).toBe(200)
    expect(upstream.count()).toBe(3)
    expect(await metric(s, 'permgate_dry_run_would_deny_total{reason="missing_permission"}')).toBe(1)
    expect(await metric(s, 'permgate_dry_run_would_deny_total{reason="unauthenticated"}')).toBe(2)
    expect(await metric(s, 'permgate_dry_run_would_deny_total{reason="PERMGATE_ERR_AUTH_NOT_CONFIGURED"}')).toBe(1)
  })

  it('is off by default: the same request is refused', async () => {
    const s = await serve([])
    expect((await post(`${s.url}/graphql`, { query: '{ deployments }' }, { authorization: API_KEY })).status).toBe(403)
  })
})

describe('shadow policy', () => {
  it('counts disagreements with the candidate, never enforcing it', async () => {
    // SYSTEM_VIEWER: v0.12.1 denies Query.deployments, platform 0.35 allows it
    const s = await serve(['--shadow-policy', POLICY_HOUSTON_035])
    const g = `${s.url}/graphql`
    expect((await post(g, { query: '{ deployments }' }, { authorization: API_KEY })).status).toBe(403)
    expect((await post(g, { query: '{ self }' }, { authorization: API_KEY })).status).toBe(200)
    expect(await metric(s, 'permgate_shadow_disagreements_total{active="deny",shadow="allow"}')).toBe(1)
    expect(await metric(s, 'permgate_shadow_disagreements_total{active="allow",shadow="deny"}')).toBe(0)
  })
})
