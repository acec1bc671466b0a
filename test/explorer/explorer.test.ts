import { join } from 'node:path'
import { SignJWT } from 'jose'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { buildAdminApp } from '../../src/admin.js'
import { run } from '../../src/cli.js'
import type { CommandIO } from '../../src/commands/io.js'
import { loadServeConfig } from '../../src/config/load.js'
import { startUpstream, type DemoUpstream } from '../../src/demo/upstream.js'
import { compilePolicy } from '../../src/policy/compile.js'
import { loadPolicy } from '../../src/policy/load.js'
import { prepare, startServer, type Server } from '../../src/serve.js'
import type { Metrics } from '../../src/telemetry/metrics.js'
import { post } from '../helpers/proxy.js'
import { POLICY_HOUSTON, POLICY_HOUSTON_035 } from '../helpers/shared.js'
import { tempFiles } from '../helpers/tmp.js'

const ADMIN_TOKEN = 'explorer-admin-token-0123456789'
const SECRET = 'explorer-test-secret-0123456789abcdef'
const BINDINGS = join(POLICY_HOUSTON, 'bindings.example.yaml')
const OVERLAY = `astronomer:
  houston:
    config:
      roles:
        DEPLOYMENT_EDITOR:
          permissions:
            deployment.images.push: false
`
const dir = tempFiles({ 'admin.token': `${ADMIN_TOKEN}\n`, secret: SECRET, 'overlay.yaml': OVERLAY })

const args = (extra: string[] = []): string[] => [
  '--policy', POLICY_HOUSTON, '--bindings', BINDINGS, '--upstream', 'http://127.0.0.1:9/graphql',
  '--port', '0', '--admin-port', '0', '--jwt-secret-file', join(dir, 'secret'), '--jwt-subject-claim', 'uuid',
  '--log-level', 'silent', '--decision-log', 'off', ...extra,
]
const EXPLORER = ['--explorer', '--admin-token-file', join(dir, 'admin.token')]

/** The admin app alone, for fastify inject (no listener). */
async function adminApp(extra: string[]) {
  const config = loadServeConfig(args(extra))
  const deps = await prepare(config)
  return buildAdminApp(config, deps, deps.metrics as Metrics)
}

async function cli(argv: string[]): Promise<{ code: number; out: string }> {
  let out = ''
  const io: CommandIO = { stdin: (async function* () {})(), write: (t) => void (out += t), error: (t) => void (out += t) }
  return { code: await run(argv, io), out }
}

const unescape = (s: string): string =>
  s.replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&quot;/g, '"').replace(/&#39;/g, "'").replace(/&amp;/g, '&')

let upstream: DemoUpstream
let server: Server
let cookie: string
let csrf: string

beforeAll(async () => {
  upstream = await startUpstream({ host: '127.0.0.1', port: 0 })
  server = await startServer(loadServeConfig(args([...EXPLORER, '--upstream', upstream.url])))
  ;({ cookie, csrf } = await login())
})
afterAll(async () => {
  await server?.close()
  await upstream?.close()
})

const url = (path: string): string => `${server.adminUrl}${path}`
const form = (fields: Record<string, string>): string => new URLSearchParams(fields).toString()
const FORM = { 'content-type': 'application/x-www-form-urlencoded' }

async function login(): Promise<{ cookie: string; csrf: string }> {
  const r = await fetch(url('/explorer/login'), { method: 'POST', headers: FORM, body: form({ token: ADMIN_TOKEN }), redirect: 'manual' })
  expect(r.status).toBe(303)
  const set = r.headers.get('set-cookie') ?? ''
  const c = /permgate_admin=([^;]+)/.exec(set)?.[1] as string
  const page = await (await fetch(url('/explorer'), { headers: { cookie: `permgate_admin=${c}` } })).text()
  return { cookie: `permgate_admin=${c}`, csrf: /name="csrf" value="([^"]+)"/.exec(page)?.[1] as string }
}

describe('the explorer is off by default', () => {
  it('nothing under /explorer exists without explorer: true', async () => {
    const app = await adminApp([])
    for (const path of ['/explorer', '/explorer/', '/explorer/login', '/explorer/counters.json', '/explorer/app.js']) {
      expect((await app.inject({ method: 'GET', url: path })).statusCode, path).toBe(404)
    }
    expect((await app.inject({ method: 'POST', url: '/explorer/login', payload: form({ token: ADMIN_TOKEN }), headers: FORM })).statusCode).toBe(404)
    expect((await app.inject({ method: 'GET', url: '/healthz' })).statusCode).toBe(200)
    await app.close()
  })
})

describe('authentication', () => {
  it('guessing is throttled: after 10 wrong tokens even the right one gets 429 for the minute', async () => {
    const app = await adminApp(EXPLORER)
    const attempt = (token: string) => app.inject({ method: 'POST', url: '/explorer/login', payload: form({ token }), headers: FORM })
    for (let i = 0; i < 9; i++) expect((await attempt(`guess-${i}`)).statusCode).toBe(401)
    const bearer = await app.inject({ method: 'GET', url: '/explorer/counters.json', headers: { authorization: 'Bearer guess-bearer' } })
    expect(bearer.statusCode).toBe(401) // the tenth wrong attempt
    const right = await attempt(ADMIN_TOKEN)
    expect(right.statusCode).toBe(429)
    expect(right.headers['set-cookie']).toBeUndefined()
    expect((await app.inject({ method: 'GET', url: '/explorer/counters.json', headers: { authorization: `Bearer ${ADMIN_TOKEN}` } })).statusCode).toBe(401)
    await app.close()
  })

  it('HTML routes redirect to the login form, JSON routes answer 401', async () => {
    for (const path of ['/explorer', '/explorer/']) {
      const r = await fetch(url(path), { redirect: 'manual' })
      expect(r.status).toBe(303)
      expect(r.headers.get('location')).toBe('/explorer/login')
    }
    const p = await fetch(url('/explorer/explain'), { method: 'POST', headers: FORM, body: form({ query: '{ self }' }), redirect: 'manual' })
    expect(p.status).toBe(303)
    expect((await fetch(url('/explorer/counters.json'))).status).toBe(401)
    expect((await fetch(url('/explorer/app.js'))).status).toBe(401)
    expect((await fetch(url('/explorer/explain.json'), { method: 'POST', headers: FORM, body: form({ query: '{ self }' }) })).status).toBe(401)
    const l = await fetch(url('/explorer/login'))
    expect(l.status).toBe(200)
    expect(await l.text()).toContain('name="token"')
  })

  it('a wrong token is refused, as Bearer, as a login, or as a made-up cookie', async () => {
    expect((await fetch(url('/explorer/counters.json'), { headers: { authorization: 'Bearer not-the-token-0123456789' } })).status).toBe(401)
    expect((await fetch(url('/explorer'), { headers: { authorization: `Basic ${ADMIN_TOKEN}` }, redirect: 'manual' })).status).toBe(303)
    const bad = await fetch(url('/explorer/login'), { method: 'POST', headers: FORM, body: form({ token: `${ADMIN_TOKEN}x` }), redirect: 'manual' })
    expect(bad.status).toBe(401)
    expect(bad.headers.get('set-cookie')).toBeNull()
    expect(await bad.text()).toContain('wrong token')
    expect((await fetch(url('/explorer/counters.json'), { headers: { cookie: 'permgate_admin=made-up' } })).status).toBe(401)
  })

  it('the Bearer token opens every route; login sets a strict, HttpOnly session cookie', async () => {
    const b = await fetch(url('/explorer'), { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } })
    expect(b.status).toBe(200)
    expect(b.headers.get('content-type')).toMatch(/^text\/html/)
    expect(b.headers.get('content-security-policy')).toContain("frame-ancestors 'none'")
    expect(b.headers.get('content-security-policy')).toContain("script-src 'self'")
    expect(b.headers.get('x-content-type-options')).toBe('nosniff')
    expect(b.headers.get('cache-control')).toBe('no-store')
    const r = await fetch(url('/explorer/login'), { method: 'POST', headers: FORM, body: form({ token: ADMIN_TOKEN }), redirect: 'manual' })
    expect(r.status).toBe(303)
    expect(r.headers.get('location')).toBe('/explorer')
    const set = r.headers.get('set-cookie') ?? ''
    expect(set).toMatch(/^permgate_admin=[A-Za-z0-9_-]{40,};/)
    expect(set).toContain('HttpOnly')
    expect(set).toContain('SameSite=Strict')
    expect(set).toContain('Path=/explorer')
    expect(csrf).toMatch(/^[A-Za-z0-9_-]{40,}$/)
    const js = await fetch(url('/explorer/app.js'), { headers: { cookie } })
    expect(js.status).toBe(200)
    expect(js.headers.get('content-type')).toMatch(/^text\/javascript/)
  })

  it('POSTs with the cookie need the session CSRF token; logout ends the session', async () => {
    const s = await login()
    const body = { subject: 'u-viewer', query: '{ deployments { id } }' }
    expect((await fetch(url('/explorer/explain'), { method: 'POST', headers: { ...FORM, cookie: s.cookie }, body: form(body) })).status).toBe(403)
    expect((await fetch(url('/explorer/explain'), { method: 'POST', headers: { ...FORM, cookie: s.cookie }, body: form({ ...body, csrf: 'x'.repeat(43) }) })).status).toBe(403)
    expect((await fetch(url('/explorer/explain.json'), { method: 'POST', headers: { ...FORM, cookie: s.cookie }, body: form(body) })).status).toBe(403)
    // another session's token is no good either
    expect((await fetch(url('/explorer/diff'), { method: 'POST', headers: { ...FORM, cookie: s.cookie }, body: form({ path: POLICY_HOUSTON_035, csrf }) })).status).toBe(403)
    expect((await fetch(url('/explorer/explain'), { method: 'POST', headers: { ...FORM, cookie: s.cookie }, body: form({ ...body, csrf: s.csrf }) })).status).toBe(200)
    // a Bearer header is no ambient credential: no CSRF token needed
    expect((await fetch(url('/explorer/explain.json'), { method: 'POST', headers: { ...FORM, authorization: `Bearer ${ADMIN_TOKEN}` }, body: form(body) })).status).toBe(200)
    expect((await fetch(url('/explorer/logout'), { method: 'POST', headers: { ...FORM, cookie: s.cookie }, body: form({ csrf: s.csrf }), redirect: 'manual' })).status).toBe(303)
    expect((await fetch(url('/explorer/counters.json'), { headers: { cookie: s.cookie } })).status).toBe(401)
  })
})

describe('the policy', () => {
  const policy = compilePolicy(loadPolicy(POLICY_HOUSTON))
  const cells = (html: string): Map<string, string> => {
    const m = new Map<string, string>()
    for (const x of html.matchAll(/data-role="([^"]+)" data-perm="([^"]+)" data-state="([a-z]+)"/g)) m.set(`${x[1]} ${x[2]}`, x[3] as string)
    return m
  }

  it('the matrix has every role and permission, held or not, inherited marked apart', async () => {
    const html = await (await fetch(url('/explorer'), { headers: { cookie } })).text()
    const c = cells(html)
    expect(c.size).toBe(policy.roles.size * policy.permissions.length)
    for (const r of policy.roles.values()) {
      expect(html).toContain(`<th data-role="${r.id}"`)
      for (const p of policy.permissions) expect(c.get(`${r.id} ${p}`) !== 'none', `${r.id} ${p}`).toBe(r.permissions.includes(p))
    }
    expect(c.get('SYSTEM_ADMIN system.iam.update')).not.toBe('none')
    // WORKSPACE_EDITOR merges WORKSPACE_VIEWER's permissions (<<: *PERMS__WORKSPACE_VIEWER)
    const viewer = policy.roles.get('WORKSPACE_VIEWER')?.permissions ?? []
    expect(viewer.length).toBeGreaterThan(0)
    for (const p of viewer) expect(c.get(`WORKSPACE_EDITOR ${p}`), p).toBe('inherited')
    for (const p of viewer) expect(c.get(`WORKSPACE_VIEWER ${p}`), p).toBe('direct')
    expect(c.get('WORKSPACE_EDITOR workspace.config.update')).toBe('direct')
    expect(html).toMatch(/title="inherited from WORKSPACE_VIEWER"/)
    expect(html).not.toContain('data-overlay=')
    expect(html).not.toMatch(/<th data-role="[A-Z_]+" class="overlay"/)
  })

  it('an overlay is highlighted: the role and the permission it revoked', async () => {
    const app = await adminApp([...EXPLORER, '--overlay', join(dir, 'overlay.yaml')])
    const r = await app.inject({ method: 'GET', url: '/explorer', headers: { authorization: `Bearer ${ADMIN_TOKEN}` } })
    expect(r.statusCode).toBe(200)
    expect(r.body).toMatch(/<th data-role="DEPLOYMENT_EDITOR" class="overlay" title="changed by overlay.yaml">/)
    expect(r.body).toMatch(/data-role="DEPLOYMENT_EDITOR" data-perm="deployment\.images\.push" data-state="none" data-overlay="revoked"/)
    expect(r.body).toMatch(/data-role="DEPLOYMENT_ADMIN" data-perm="deployment\.images\.push" data-state="(direct|inherited)" title/)
    expect(r.body).toContain('+ 1 overlay(s)')
    await app.close()
  })

  it('the rules table: 62 rules, with who passes where', async () => {
    const html = await (await fetch(url('/explorer'), { headers: { cookie } })).text()
    const rows = [...html.matchAll(/<tr data-rule="([^"]+)">(.*?)<\/tr>/gs)]
    expect(rows).toHaveLength(62)
    expect(rows.map((r) => r[1])).toEqual([...policy.rules.keys()])
    const row = (key: string): string => rows.find((r) => r[1] === key)?.[2] ?? ''
    expect(row('Query.authConfig')).toContain('anyone')
    expect(row('Query.self')).toContain('every authenticated principal')
    // workspace.deployments.get OR system.deployments.get, scope workspaceUuid
    const wd = row('Query.workspaceDeployments')
    expect(wd).toContain('workspace.deployments.get, system.deployments.get</td><td>OR</td><td>workspace: workspaceUuid</td>')
    expect(wd).toContain('WORKSPACE_VIEWER <small>(workspace)</small>')
    expect(wd).toContain('SYSTEM_ADMIN <small>(system)</small>')
    expect(wd).not.toContain('DEPLOYMENT_VIEWER')
    // system permissions from system roles only
    const d = row('Query.deployments')
    expect(d).toContain('SYSTEM_ADMIN <small>(system)</small>')
    expect(d).not.toContain('WORKSPACE_')
    expect(row('Mutation.workspaceAddUser')).toContain('escalation guard: role from role')
    expect(row('Mutation.createUser')).toContain('invite token in inviteToken')
    // a deployment rule passes for a workspace role through the cascade
    expect(row('Mutation.updateDeployment')).toMatch(/WORKSPACE_EDITOR <small>\(workspace \(cascade\)\)<\/small>/)
    expect(row('Mutation.updateDeployment')).toMatch(/DEPLOYMENT_EDITOR <small>\(deployment\)<\/small>/)
  })
})

describe('explain, diff, counters', () => {
  it('explain answers what permgate explain prints, as a page and as JSON', async () => {
    const query = 'query($w: Uuid!) { workspaceDeployments(workspaceUuid: $w) { id } deployments { id } }'
    const expected = await cli(['explain', '--policy', POLICY_HOUSTON, '--bindings', BINDINGS, '--subject', 'u-viewer', '--query', query, '--variables', '{"w":"w1"}'])
    expect(expected.code).toBe(3)
    const fields = { subject: 'u-viewer', query, variables: '{"w":"w1"}', csrf }
    const page = await (await fetch(url('/explorer/explain'), { method: 'POST', headers: { ...FORM, cookie }, body: form(fields) })).text()
    const pre = /<pre id="explain-lines">(.*?)<\/pre>/s.exec(page)?.[1] ?? ''
    expect(unescape(pre) + '\n').toBe(expected.out)
    expect(page).toMatch(/<p id="explain-decision" class="deny"><b>DENIED<\/b>/)
    const json = await (await fetch(url('/explorer/explain.json'), { method: 'POST', headers: { ...FORM, cookie }, body: form(fields) })).json() as { allowed: boolean; lines: string[] }
    expect(json.allowed).toBe(false)
    expect(json.lines.join('\n') + '\n').toBe(expected.out)
    // token claims: the subject claim (uuid here); anonymous without a subject
    const claims = await (await fetch(url('/explorer/explain.json'), { method: 'POST', headers: { ...FORM, cookie }, body: form({ claims: '{"uuid":"u-1","exp":1}', query: 'mutation { updateDeployment(deploymentUuid: "d2") }', csrf }) })).json() as { allowed: boolean; lines: string[] }
    const cliU1 = await cli(['explain', '--policy', POLICY_HOUSTON, '--bindings', BINDINGS, '--subject', 'u-1', '--query', 'mutation { updateDeployment(deploymentUuid: "d2") }'])
    expect(claims.lines.join('\n') + '\n').toBe(cliU1.out)
    expect(claims.allowed).toBe(true)
    const anon = await (await fetch(url('/explorer/explain.json'), { method: 'POST', headers: { ...FORM, cookie }, body: form({ query: '{ authConfig { x } self { id } }', csrf }) })).json() as { lines: string[] }
    expect(anon.lines[0]).toBe('subject: anonymous (no credential)')
  })

  it('escapes what it echoes: a query with <script> is text', async () => {
    const query = '{ self } </textarea><script>alert(1)</script>'
    const page = await (await fetch(url('/explorer/explain'), { method: 'POST', headers: { ...FORM, cookie }, body: form({ subject: 'u-1', query, csrf }) })).text()
    expect(page).not.toContain('<script>alert(1)')
    expect(page).not.toContain('</textarea><script>')
    expect(page).toContain('&lt;/textarea&gt;&lt;script&gt;alert(1)&lt;/script&gt;')
    expect(page).toMatch(/class="error"/)
    const bad = await (await fetch(url('/explorer/explain.json'), { method: 'POST', headers: { ...FORM, cookie }, body: form({ subject: 'u-1', query: '{ self }', variables: '[1]', csrf }) })).json() as { error: { message: string } }
    expect(bad.error.message).toBe('variables must be a JSON object')
  })

  it('diff against policies/houston-0.35: what `permgate diff` reports', async () => {
    const page = await (await fetch(url('/explorer/diff'), { method: 'POST', headers: { ...FORM, cookie }, body: form({ path: POLICY_HOUSTON_035, csrf }) })).text()
    const cliDiff = JSON.parse((await cli(['diff', '--policy', POLICY_HOUSTON, '--policy', POLICY_HOUSTON_035, '--format', 'json'])).out) as { summary: { changes: number; newlyAllowed: number; newlyDenied: number } }
    const { changes, newlyAllowed, newlyDenied } = cliDiff.summary
    expect(changes).toBeGreaterThan(0)
    expect(page).toContain(`<p id="diff-summary">${changes} decisions change (${newlyAllowed} newly allowed, ${newlyDenied} newly denied)`)
    const table = /<table class="diff">(.*?)<\/table>/s.exec(page)?.[1] ?? ''
    expect(table.match(/<tr><td>/g)).toHaveLength(changes)
    const missing = await (await fetch(url('/explorer/diff'), { method: 'POST', headers: { ...FORM, cookie }, body: form({ path: '/nonexistent/<b>', csrf }) })).text()
    expect(missing).toContain('PERMGATE_ERR_POLICY_NOT_FOUND')
    expect(missing).toContain('/nonexistent/&lt;b&gt;')
  })

  it('counters.json and the counters table follow the decisions made on the proxy port', async () => {
    const token = await new SignJWT({ uuid: 'u-viewer' }).setProtectedHeader({ alg: 'HS256' }).setExpirationTime('1h').sign(new TextEncoder().encode(SECRET))
    const g = `${server.url}/graphql`
    const viewer = { authorization: `Bearer ${token}` }
    expect((await post(g, { query: '{ workspaceDeployments(workspaceUuid: "w1") }' }, viewer)).status).toBe(200)
    expect((await post(g, { query: '{ workspaceDeployments(workspaceUuid: "w1") }' }, viewer)).status).toBe(200)
    expect((await post(g, { query: '{ deployments }' }, viewer)).status).toBe(403)
    expect((await post(g, { query: 'mutation { createWorkspace(label: "x") { id } }' })).status).toBe(401)
    const r = await fetch(url('/explorer/counters.json'), { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } })
    expect(r.status).toBe(200)
    expect(r.headers.get('cache-control')).toBe('no-store')
    const c = await r.json() as { minutes: { start: string; decisions: unknown[] }[]; window: { decision: string; reason: string; operation_type: string; count: number }[]; sinceStart: unknown[] }
    expect(c.window).toEqual([
      { decision: 'allow', reason: 'allowed', operation_type: 'query', count: 2 },
      { decision: 'deny', reason: 'unauthenticated', operation_type: 'mutation', count: 1 },
      { decision: 'deny', reason: 'missing_permission', operation_type: 'query', count: 1 },
    ])
    expect(c.sinceStart).toEqual(c.window)
    expect(c.minutes.length).toBeGreaterThan(0)
    const page = await (await fetch(url('/explorer'), { headers: { cookie } })).text()
    expect(page).toMatch(/<tr data-key="allow\|allowed\|query">.*<td class="window">2<\/td><td>2<\/td><\/tr>/)
    expect(page).toMatch(/<tr data-key="deny\|missing_permission\|query">.*<td class="window">1<\/td>/)
  })
})
