import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import type { Browser, BrowserContext, CDPSession, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { launchChromium } from '../helpers/chromium.js'
import { copyProfile, HOUSTON_COOKIE, RELEASE, startProfile, type StartedProfile } from '../helpers/houston-profile.js'

// Issue 15, done when: a page on one origin calls permgate on another with credentials, in
// Chromium, through the Houston profile. The page is the Software UI's stand-in at
// http://app.example.com:<port>, permgate is houston.example.com:<port>; Chromium's host resolver
// maps both names (and a foreign one) to 127.0.0.1, so the two are different origins of one site,
// as app.<baseDomain> and houston.<baseDomain> are, and Houston's cookie (domain .example.com) is
// sent to permgate as a browser sends it. The page is served over plain http (a test has no
// certificate a browser trusts), so the profile's https-only pattern cannot admit it: the variant
// adds the page's exact origin to cors.origins; everything else is the profile as shipped.
// Chromium's DevTools protocol reports the preflight it sends (an initiator of type preflight)
// and its answer; the stand-in records what reaches Houston: never a preflight, never a denial.

const UI_HOST = 'app.example.com'
const API_HOST = 'houston.example.com'
const FOREIGN_HOST = 'app.example.net'

let page: Server
let pageOrigin: string
let p: StartedProfile
let api: string
let browser: Browser

beforeAll(async () => {
  page = createServer((req, res) => {
    req.resume()
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end('<!doctype html><meta charset="utf-8"><title>Astronomer</title><p>app</p>')
  })
  await new Promise<void>((r) => page.listen(0, '127.0.0.1', r))
  const pagePort = (page.address() as AddressInfo).port
  pageOrigin = `http://${UI_HOST}:${pagePort}`
  p = await startProfile(copyProfile((doc) => {
    doc.cors = { ...doc.cors, origins: [...(doc.cors?.origins ?? []), pageOrigin] }
  }))
  api = `http://${API_HOST}:${new URL(p.url).port}/v1`
  browser = await launchChromium([`--host-resolver-rules=MAP ${UI_HOST} 127.0.0.1, MAP ${API_HOST} 127.0.0.1, MAP ${FOREIGN_HOST} 127.0.0.1`])
}, 30_000)

afterAll(async () => {
  await browser?.close()
  await p?.close()
  page?.closeAllConnections()
  await new Promise((r) => page?.close(r))
})

interface Seen {
  readonly method: string
  readonly url: string
  /** Chromium's own CORS preflight (DevTools: an initiator of type `preflight`). */
  readonly preflight: boolean
  status?: number
  /** The answer's Access-Control-Allow-Origin. */
  allowOrigin?: string
}

interface Tab {
  readonly context: BrowserContext
  readonly page: Page
  /** Every request Chromium sent, preflights included, with the status of its answer. */
  readonly sent: Seen[]
}

/**
 * A fresh browser context (its own cookie jar and preflight cache) on `origin`'s page, holding
 * Houston's cookie for `subject` when given, with the DevTools protocol's Network domain on.
 */
async function open(origin: string, subject?: string): Promise<Tab> {
  const context = await browser.newContext()
  if (subject !== undefined) {
    // as Houston's OAuth callback sets it: domain .<baseDomain>, path /, not HttpOnly, no SameSite (Lax)
    await context.addCookies([{ name: HOUSTON_COOKIE, value: await p.token(subject), domain: '.example.com', path: '/', sameSite: 'Lax' }])
  }
  const tab = await context.newPage()
  const sent: Seen[] = []
  const cdp: CDPSession = await context.newCDPSession(tab)
  const byId = new Map<string, Seen>()
  cdp.on('Network.requestWillBeSent', (e) => {
    const seen: Seen = { method: e.request.method, url: e.request.url, preflight: e.initiator.type === 'preflight' }
    byId.set(e.requestId, seen)
    sent.push(seen)
  })
  cdp.on('Network.responseReceived', (e) => {
    const seen = byId.get(e.requestId)
    if (seen === undefined) return
    seen.status = e.response.status
    const acao = Object.entries(e.response.headers).find(([k]) => k.toLowerCase() === 'access-control-allow-origin')?.[1]
    if (acao !== undefined) seen.allowOrigin = String(acao)
  })
  await cdp.send('Network.enable')
  await tab.goto(`${origin}/`)
  return { context, page: tab, sent }
}

interface Outcome {
  readonly status?: number
  readonly body?: string
  /** The TypeError fetch rejects with when CORS keeps the answer from the page. */
  readonly error?: string
}

/** fetch() from the page: POST /v1 with credentials included. */
function ask(tab: Tab, query: string, headers: Record<string, string> = {}): Promise<Outcome> {
  return tab.page.evaluate(async ([url, q, h]) => {
    try {
      const r = await fetch(url, { method: 'POST', credentials: 'include', headers: { 'content-type': 'application/json', ...h }, body: JSON.stringify({ query: q }) })
      return { status: r.status, body: await r.text() }
    } catch (e) {
      return { error: String(e) }
    }
  }, [api, query, headers] as const)
}

/** The preflights Chromium sent to /v1: method, its answer's status and Access-Control-Allow-Origin. */
const preflights = (tab: Tab): string[] => tab.sent.filter((s) => s.preflight && s.url === api).map((s) => `${s.method} ${String(s.status)} ${s.allowOrigin ?? '-'}`)

const ALLOWED = '{ workspaceDeployments(workspaceUuid: "w1") { id releaseName } }'
const DENIED = '{ workspaceDeployments(workspaceUuid: "w2") { id releaseName } }'

describe('the Software UI on another origin, in Chromium', () => {
  it("with Houston's cookie: an allowed query is answered and readable, after a preflight", async () => {
    const tab = await open(pageOrigin, 'u-viewer')
    p.upstream.reset()
    const got = await ask(tab, ALLOWED)
    expect(got.error).toBeUndefined()
    expect(got.status).toBe(200)
    const data = (JSON.parse(got.body!) as { data: { workspaceDeployments: { releaseName: string }[] } }).data
    expect(data.workspaceDeployments.map((d) => d.releaseName).sort()).toEqual([RELEASE.d1, RELEASE.d2].sort())
    await expect.poll(() => preflights(tab)).toEqual([`OPTIONS 204 ${pageOrigin}`])
    // the preflight stayed with permgate; the query reached Houston once, with the cookie's principal
    expect(p.upstream.requests.map((r) => `${r.method} ${r.url} ${String(r.headers['x-permgate-subject'])} ${String(r.headers.origin)}`)).toEqual([`POST /v1 u-viewer ${pageOrigin}`])
    await tab.context.close()
  })

  it("with Houston's cookie: a denied query's 403 is readable, its reason included; nothing reaches Houston", async () => {
    const tab = await open(pageOrigin, 'u-viewer')
    p.upstream.reset()
    const got = await ask(tab, DENIED)
    expect(got.error).toBeUndefined()
    expect(got.status).toBe(403)
    const error = (JSON.parse(got.body!) as { errors: { extensions: { code: string; reason: string } }[] }).errors[0]!
    expect(error.extensions).toMatchObject({ code: 'FORBIDDEN', reason: 'missing_permission' })
    await expect.poll(() => preflights(tab)).toEqual([`OPTIONS 204 ${pageOrigin}`])
    expect(p.upstream.count()).toBe(0)
    await tab.context.close()
  })

  it('with an Authorization header and no cookie: the same, allowed and denied', async () => {
    const tab = await open(pageOrigin)
    const authorization = `Bearer ${await p.token('u-viewer')}`
    p.upstream.reset()
    expect((await ask(tab, ALLOWED, { authorization })).status).toBe(200)
    expect(p.upstream.requests.map((r) => String(r.headers['x-permgate-subject']))).toEqual(['u-viewer'])
    const denied = await ask(tab, DENIED, { authorization })
    expect(denied.status).toBe(403)
    expect(JSON.parse(denied.body!).errors[0].extensions.reason).toBe('missing_permission')
    expect(p.upstream.count()).toBe(1)
    await expect.poll(() => preflights(tab)[0]).toBe(`OPTIONS 204 ${pageOrigin}`)
    await tab.context.close()
  })

  it('anonymous: the 401 is readable too', async () => {
    const tab = await open(pageOrigin)
    p.upstream.reset()
    const got = await ask(tab, '{ self { user { id } } }')
    expect(got.status).toBe(401)
    expect(JSON.parse(got.body!).errors[0].extensions.code).toBe('UNAUTHENTICATED')
    expect(p.upstream.count()).toBe(0)
    await tab.context.close()
  })

  it('a page on an origin the profile does not allow: the preflight gets no CORS headers, so the query is never sent', async () => {
    const tab = await open(`http://${FOREIGN_HOST}:${new URL(pageOrigin).port}`)
    p.upstream.reset()
    const got = await ask(tab, ALLOWED, { authorization: `Bearer ${await p.token('u-viewer')}` })
    expect(got.error).toMatch(/TypeError/)
    await expect.poll(() => preflights(tab)).toEqual(['OPTIONS 204 -'])
    expect(p.upstream.count()).toBe(0)
    await tab.context.close()
  })
})
