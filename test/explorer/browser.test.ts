import { mkdirSync } from 'node:fs'
import { join } from 'node:path'
import { SignJWT } from 'jose'
import type { Browser, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { loadServeConfig } from '../../src/config/load.js'
import { startUpstream, type DemoUpstream } from '../../src/demo/upstream.js'
import { compilePolicy } from '../../src/policy/compile.js'
import { loadPolicy } from '../../src/policy/load.js'
import { startServer, type Server } from '../../src/serve.js'
import { launchChromium } from '../helpers/chromium.js'
import { post } from '../helpers/proxy.js'
import { POLICY_HOUSTON, ROOT } from '../helpers/shared.js'
import { tempFiles } from '../helpers/tmp.js'

const ADMIN_TOKEN = 'browser-admin-token-0123456789'
const SECRET = 'browser-test-secret-0123456789abcdef'
const SHOTS = join(ROOT, 'test-results', 'explorer')

let upstream: DemoUpstream
let server: Server
let browser: Browser

beforeAll(async () => {
  const dir = tempFiles({ 'admin.token': `${ADMIN_TOKEN}\n`, secret: SECRET })
  upstream = await startUpstream({ host: '127.0.0.1', port: 0 })
  server = await startServer(loadServeConfig([
    '--policy', POLICY_HOUSTON, '--bindings', join(POLICY_HOUSTON, 'bindings.example.yaml'), '--upstream', upstream.url,
    '--port', '0', '--admin-port', '0', '--jwt-secret-file', join(dir, 'secret'), '--jwt-subject-claim', 'uuid',
    '--log-level', 'silent', '--decision-log', 'off', '--explorer', '--admin-token-file', join(dir, 'admin.token'),
  ]))
  browser = await launchChromium()
  mkdirSync(SHOTS, { recursive: true })
}, 30_000)

afterAll(async () => {
  await browser?.close()
  await server?.close()
  await upstream?.close()
})

async function logIn(page: Page): Promise<void> {
  await page.goto(`${server.adminUrl}/explorer`)
  expect(new URL(page.url()).pathname).toBe('/explorer/login')
  await page.fill('input[name="token"]', ADMIN_TOKEN)
  await Promise.all([page.waitForURL(/\/explorer$/), page.click('button[type="submit"]')])
}

/** Every cell of the matrix: "ROLE perm" -> state. */
async function matrixCells(page: Page): Promise<Map<string, string>> {
  const cells = await page.$$eval('table.matrix td[data-role]', (tds) =>
    tds.map((td) => [`${td.getAttribute('data-role')} ${td.getAttribute('data-perm')}`, td.getAttribute('data-state') ?? '']))
  return new Map(cells as [string, string][])
}

describe('the explorer in a browser', () => {
  const policy = compilePolicy(loadPolicy(POLICY_HOUSTON))

  it('logs in, shows the matrix and the rules, explains without a reload, refreshes the counters', async () => {
    const context = await browser.newContext()
    const page = await context.newPage()
    const errors: string[] = []
    page.on('pageerror', (e) => errors.push(String(e)))
    page.on('console', (m) => {
      if (m.type() === 'error') errors.push(m.text())
    })
    await logIn(page)
    const cookies = await context.cookies()
    expect(cookies.find((c) => c.name === 'permgate_admin')).toMatchObject({ httpOnly: true, sameSite: 'Strict', path: '/explorer' })

    // the matrix, cell by cell, against the compiled policy
    const roles = await page.$$eval('table.matrix thead th[data-role]', (ths) => ths.map((th) => th.getAttribute('data-role')))
    expect(roles).toEqual([...policy.roles.keys()])
    const perms = await page.$$eval('table.matrix tbody th[scope="row"]', (ths) => ths.map((th) => th.textContent))
    expect(perms).toEqual(policy.permissions)
    const cells = await matrixCells(page)
    for (const r of policy.roles.values()) {
      for (const p of policy.permissions) {
        const state = cells.get(`${r.id} ${p}`)
        expect(state === 'direct' || state === 'inherited', `${r.id} ${p}: ${state}`).toBe(r.permissions.includes(p))
      }
    }
    expect(await page.locator('table.rules tbody tr').count()).toBe(62)

    // explain, enhanced: no navigation, the answer written in place
    const before = page.url()
    let navigated = false
    page.on('framenavigated', (f) => {
      if (f === page.mainFrame()) navigated = true
    })
    await page.fill('#explain-form input[name="subject"]', 'u-viewer')
    await page.fill('#explain-form textarea[name="query"]', '{ deployments }')
    await page.click('#explain-form button[type="submit"]')
    await expect.poll(() => page.locator('#explain-decision').textContent()).toBe('DENIED')
    const lines = await page.locator('#explain-lines').textContent()
    expect(lines).toMatch(/DENY  Query\.deployments: missing_permission/)
    expect(lines).toContain('roles that would grant it: SYSTEM_ADMIN')
    expect(navigated).toBe(false)
    expect(page.url()).toBe(before)

    // counters: decisions on the proxy port appear without a reload
    const token = await new SignJWT({ uuid: 'u-viewer' }).setProtectedHeader({ alg: 'HS256' }).setExpirationTime('1h').sign(new TextEncoder().encode(SECRET))
    const g = `${server.url}/graphql`
    for (let i = 0; i < 3; i++) expect((await post(g, { query: '{ workspaceDeployments(workspaceUuid: "w1") }' }, { authorization: `Bearer ${token}` })).status).toBe(200)
    expect((await post(g, { query: '{ deployments }' }, { authorization: `Bearer ${token}` })).status).toBe(403)
    const allowRow = page.locator('#counters-table tr[data-key="allow|allowed|query"] td.window')
    await expect.poll(() => allowRow.textContent(), { timeout: 10_000 }).toBe('3')
    expect(await page.locator('#counters-table tr[data-key="deny|missing_permission|query"] td.window').textContent()).toBe('1')

    await page.screenshot({ path: join(SHOTS, 'explorer.png'), fullPage: false })
    expect(errors).toEqual([])
    await context.close()
  })

  it('without JavaScript: the tables are there and the explain form posts and renders', async () => {
    const context = await browser.newContext({ javaScriptEnabled: false })
    const page = await context.newPage()
    await logIn(page)
    expect(await page.locator('table.matrix td[data-role]').count()).toBe(policy.roles.size * policy.permissions.length)
    expect(await page.locator('table.rules tbody tr').count()).toBe(62)
    expect(await page.locator('table.counters').count()).toBe(1)
    await page.fill('#explain-form input[name="subject"]', 'u-admin')
    await page.fill('#explain-form textarea[name="query"]', '{ deployments }')
    await Promise.all([page.waitForURL(/\/explorer\/explain/), page.click('#explain-form button[type="submit"]')])
    expect(await page.locator('#explain-decision').textContent()).toBe('ALLOWED')
    expect(await page.locator('#explain-lines').textContent()).toMatch(/ALLOW Query\.deployments: permission/)
    await page.screenshot({ path: join(SHOTS, 'explorer-nojs.png') })
    await context.close()
  })
})
