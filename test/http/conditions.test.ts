import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { API_KEY, post, startHarness, type Harness } from '../helpers/proxy.js'
import { POLICY_HOUSTON } from '../helpers/shared.js'
import { tempFiles } from '../helpers/tmp.js'

interface ErrorBody {
  errors: { message: string; extensions: Record<string, unknown> }[]
}
const errorsOf = async (r: Response) => ((await r.json()) as ErrorBody).errors

/** policies/houston with a changed manifest and conditions file. */
function policyWith(manifest: (m: string) => string, conditions?: string): string {
  const abs = (f: string): string => JSON.stringify(join(POLICY_HOUSTON, f))
  const m = readFileSync(join(POLICY_HOUSTON, 'policy.yaml'), 'utf8')
    .replace(/^roles:.*$/m, `roles: ${abs('roles.yaml')}`)
    .replace(/^rules:.*$/m, `rules: ${abs('rules.yaml')}`)
  return tempFiles({ 'policy.yaml': manifest(m), 'conditions.yaml': conditions ?? readFileSync(join(POLICY_HOUSTON, 'conditions.yaml'), 'utf8') })
}

describe('the escalation guard and publicSignups through the proxy (policies/houston)', () => {
  let h: Harness
  beforeAll(async () => {
    h = await startHarness()
  })
  afterAll(() => h.close())
  beforeEach(() => h.upstream.reset())

  it('a deployment editor creating a SYSTEM_ADMIN service account: 403 escalation, the upstream sees nothing', async () => {
    const r = await post(h.graphql, { query: 'mutation { createDeploymentServiceAccount(label: "ci", deploymentUuid: "d1", role: SYSTEM_ADMIN) }' }, { authorization: API_KEY })
    expect(r.status).toBe(403)
    const [e] = await errorsOf(r)
    expect(e?.extensions).toMatchObject({ code: 'FORBIDDEN', reason: 'escalation', field: 'Mutation.createDeploymentServiceAccount' })
    expect(e?.message).toMatch(/role it grants/)
    expect(h.upstream.count()).toBe(0)
  })

  it('the same with its own role is forwarded', async () => {
    const r = await post(h.graphql, {
      query: 'mutation M($r: Role!) { createDeploymentServiceAccount(label: "ci", deploymentUuid: "d1", role: $r) }',
      variables: { r: 'DEPLOYMENT_EDITOR' },
    }, { authorization: API_KEY })
    expect(r.status).toBe(200)
    expect(h.upstream.count()).toBe(1)
  })

  it('a batch with one escalating operation is refused whole', async () => {
    const r = await post(h.graphql, [
      { query: 'mutation { createDeploymentServiceAccount(label: "a", deploymentUuid: "d1", role: DEPLOYMENT_VIEWER) }' },
      { query: 'mutation { createDeploymentServiceAccount(label: "b", deploymentUuid: "d1", role: DEPLOYMENT_ADMIN) }' },
    ], { authorization: API_KEY })
    expect(r.status).toBe(403)
    expect((await errorsOf(r))[0]?.extensions).toMatchObject({ reason: 'escalation', batchIndex: 1 })
    expect(h.upstream.count()).toBe(0)
  })

  it('signing up without an invitation: 403 invite_required; with one: forwarded', async () => {
    const denied = await post(h.graphql, { query: 'mutation { createUser(email: "a@b.c", password: "pw") }' })
    expect(denied.status).toBe(403)
    expect((await errorsOf(denied))[0]?.extensions.reason).toBe('invite_required')
    expect(h.upstream.count()).toBe(0)
    const ok = await post(h.graphql, { query: 'mutation S($t: String) { createUser(email: "a@b.c", password: "pw", inviteToken: $t) }', variables: { t: 'inv-1' } })
    expect(ok.status).toBe(200)
    expect(h.upstream.count()).toBe(1)
  })
})

describe('IP allow-lists and trusted proxies', () => {
  const policy = policyWith(
    (m) => m.replace('ipAllow: []', 'ipAllow: [127.0.0.1, 198.51.100.0/24]'),
    'conditions:\n  Query.deployments: { ipAllow: [198.51.100.0/24] }\n',
  )
  let direct: Harness
  let proxied: Harness
  beforeAll(async () => {
    direct = await startHarness(['--policy', policy])
    proxied = await startHarness(['--policy', policy, '--trusted-proxy', '127.0.0.1'])
  })
  afterAll(async () => {
    await direct.close()
    await proxied.close()
  })
  beforeEach(() => {
    direct.upstream.reset()
    proxied.upstream.reset()
  })

  it('a peer inside the policy-wide range is served; X-Forwarded-For from an untrusted peer is not believed', async () => {
    // 127.0.0.1 is in the policy-wide list; the per-rule list of Query.deployments does not hold it
    const admin = { authorization: `Bearer ${await direct.token('u-admin')}` }
    expect((await post(direct.graphql, { query: '{ authConfig }' })).status).toBe(200)
    const spoofed = await post(direct.graphql, { query: '{ deployments }' }, { ...admin, 'x-forwarded-for': '198.51.100.7' })
    expect(spoofed.status).toBe(403)
    expect((await errorsOf(spoofed))[0]?.extensions.reason).toBe('ip_denied')
    expect(direct.upstream.count()).toBe(1)
  })

  it('behind a trusted proxy: the forwarded client address decides, globally and per rule', async () => {
    const admin = { authorization: `Bearer ${await proxied.token('u-admin')}` }
    const inside = await post(proxied.graphql, { query: '{ deployments }' }, { ...admin, 'x-forwarded-for': '10.9.9.9, 198.51.100.7' })
    expect(inside.status).toBe(200)
    expect(proxied.upstream.count()).toBe(1)

    const outside = await post(proxied.graphql, { query: '{ authConfig }' }, { 'x-forwarded-for': '203.0.113.1' })
    expect(outside.status).toBe(403)
    expect((await errorsOf(outside))[0]?.extensions.reason).toBe('PERMGATE_ERR_IP_DENIED')

    const junk = await post(proxied.graphql, { query: '{ authConfig }' }, { 'x-forwarded-for': 'not-an-address' })
    expect(junk.status).toBe(403)
    expect(proxied.upstream.count()).toBe(1)
  })

  it('the upstream is told the chain a trusted proxy sent, with the proxy appended; from an untrusted peer only the peer', async () => {
    await post(proxied.graphql, { query: '{ authConfig }' }, { 'x-forwarded-for': '198.51.100.7', 'x-forwarded-proto': 'https' })
    expect(proxied.upstream.requests.at(-1)?.headers['x-forwarded-for']).toBe('198.51.100.7, 127.0.0.1')
    expect(proxied.upstream.requests.at(-1)?.headers['x-forwarded-proto']).toBe('https')
    await post(direct.graphql, { query: '{ authConfig }' }, { 'x-forwarded-for': '198.51.100.7', 'x-forwarded-proto': 'https' })
    expect(direct.upstream.requests.at(-1)?.headers['x-forwarded-for']).toBe('127.0.0.1')
    expect(direct.upstream.requests.at(-1)?.headers['x-forwarded-proto']).toBeUndefined()
  })

  it('the policy-wide list covers route paths too', async () => {
    const r = await fetch(`${proxied.url}/v1/anything`, { headers: { 'x-forwarded-for': '203.0.113.1' } })
    expect(r.status).toBe(403)
    expect((await errorsOf(r))[0]?.extensions.reason).toBe('PERMGATE_ERR_IP_DENIED')
    expect(proxied.upstream.count()).toBe(0)
  })
})

describe('CI/CD enforcement on route rules: principals', () => {
  let h: Harness
  beforeAll(async () => {
    h = await startHarness([], 'routes:\n  - { prefix: /v1/registry, access: authenticated, principals: [serviceAccount] }\n')
  })
  afterAll(() => h.close())
  beforeEach(() => h.upstream.reset())

  it('a user is refused, a service account is forwarded', async () => {
    const user = await fetch(`${h.url}/v1/registry/push`, { method: 'POST', headers: { authorization: `Bearer ${await h.token('u-admin')}` } })
    expect(user.status).toBe(403)
    expect((await errorsOf(user))[0]?.message).toMatch(/serviceAccount principals only/)
    expect(h.upstream.count()).toBe(0)
    await fetch(`${h.url}/v1/registry/push`, { method: 'POST', headers: { authorization: API_KEY } })
    expect(h.upstream.count()).toBe(1)
  })

  it('principals with access public is a configuration error', async () => {
    await expect(startHarness([], 'routes:\n  - { prefix: /v1, access: public, principals: [user] }\n')).rejects.toMatchObject({ code: 'PERMGATE_ERR_CONFIG_INVALID' })
  })

  it('a bad --trusted-proxy range fails at start', async () => {
    await expect(startHarness(['--trusted-proxy', '10.0.0.0/40'])).rejects.toMatchObject({ code: 'PERMGATE_ERR_CONFIG_INVALID' })
  })
})
