/**
 * The JWKS endpoint goes away while permgate serves: the keys it already fetched keep
 * verifying tokens (new ones, not only cached ones), an unknown kid is a coded 401 and never
 * a 5xx or a hang, and when the endpoint is back with a rotated key the new kid is accepted.
 *
 * permgate's JWK set has a 30 s refetch cooldown and a 10 min maximum age (jose's defaults,
 * not configurable in `serve`): the clock jose reads them with (Date.now) is moved forward
 * here rather than waited for. Token lifetimes and the token cache run on the real clock.
 */
import { randomUUID } from 'node:crypto'
import { SignJWT } from 'jose'
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest'
import { DEFAULT_JWKS_CACHE_MAX_AGE_MS, DEFAULT_JWKS_COOLDOWN_MS, DEFAULT_JWKS_TIMEOUT_MS } from '../../src/identity/types.js'
import { startHarness, type Harness } from '../helpers/proxy.js'
import { testKey, type TestKey } from '../unit/identity/helpers.js'
import { ANSWER_TIMEOUT_MS, JwksEndpoint, postJson } from './helpers.js'

const SELF = { query: '{ self }' }

let k1: TestKey
let k2: TestKey
let k3: TestKey
let jwks: JwksEndpoint
let h: Harness
let skewMs = 0

/** Moves the clock jose's JWK set reads (Date.now) forward; `new Date()` and timers are untouched. */
function skew(ms: number): void {
  skewMs += ms
}

beforeAll(async () => {
  ;[k1, k2, k3] = await Promise.all([testKey('RS256', 'k1'), testKey('RS256', 'k2'), testKey('RS256', 'k3')])
  jwks = await JwksEndpoint.start([k1.publicJwk])
  h = await startHarness(['--jwks-url', jwks.url, '--jwt-algorithms', 'RS256'], undefined, { jwt: 'none' })
  const realNow = Date.now.bind(Date)
  vi.spyOn(Date, 'now').mockImplementation(() => realNow() + skewMs)
})
afterAll(async () => {
  vi.restoreAllMocks()
  await h.close()
  await jwks.stop()
})
afterEach(() => {
  jwks.hang(false)
})

/** A token never sent before (its own jti), signed with `key` under `kid`. */
const fresh = (key: TestKey, kid: string, subject = 'u-viewer'): Promise<string> =>
  new SignJWT({ uuid: subject, jti: randomUUID() }).setProtectedHeader({ alg: 'RS256', kid }).setExpirationTime('1h').sign(key.privateKey)

async function ask(token: string): Promise<{ status: number; reason: unknown; ms: number }> {
  const started = performance.now()
  const r = await postJson(h.graphql, SELF, { authorization: `Bearer ${token}` }, AbortSignal.timeout(ANSWER_TIMEOUT_MS + DEFAULT_JWKS_TIMEOUT_MS))
  const body = (await r.json()) as { errors?: { extensions: { reason?: unknown } }[] }
  return { status: r.status, reason: body.errors?.[0]?.extensions.reason, ms: performance.now() - started }
}

async function expectAllowed(token: string): Promise<void> {
  expect(await ask(token)).toMatchObject({ status: 200, reason: undefined })
}

async function expectNoKey(token: string): Promise<void> {
  expect(await ask(token)).toMatchObject({ status: 401, reason: 'PERMGATE_ERR_AUTH_NO_KEY' })
}

describe('JWKS endpoint down', () => {
  it('keys already fetched keep verifying new tokens; an unknown kid is 401 NO_KEY, fast', async () => {
    await expectAllowed(await fresh(k1, 'k1'))
    expect(jwks.requests).toBe(1)
    await jwks.stop()

    // new tokens (never cached) signed with the fetched key, several subjects
    for (const subject of ['u-viewer', 'u-admin', 'u-unbound']) await expectAllowed(await fresh(k1, 'k1', subject))
    // within the cooldown an unknown kid is not even looked up remotely
    await expectNoKey(await fresh(k2, 'k2'))

    // past the cooldown an unknown kid makes permgate try the endpoint: refused, still 401
    skew(DEFAULT_JWKS_COOLDOWN_MS + 1_000)
    await expectNoKey(await fresh(k2, 'k2'))
    await expectAllowed(await fresh(k1, 'k1'))
  })

  it('an outage longer than the JWK set\'s maximum age: the last set fetched keeps serving', async () => {
    // jose alone refetches a set this old before every lookup, and fails the lookup when the fetch fails
    skew(DEFAULT_JWKS_CACHE_MAX_AGE_MS + 1_000)
    for (let i = 0; i < 3; i++) await expectAllowed(await fresh(k1, 'k1'))
    await expectNoKey(await fresh(k2, 'k2'))
    const burst = await Promise.all(Array.from({ length: 20 }, async (_, i) => ask(await fresh(i % 4 === 0 ? k2 : k1, i % 4 === 0 ? 'k2' : 'k1'))))
    expect(burst.map((r) => r.status).sort()).toEqual([...Array(15).fill(200), ...Array(5).fill(401)])
  })

  it('a hung endpoint costs one lookup at most its timeout; other tokens are not held up', async () => {
    await jwks.restart()
    jwks.hang(true)
    skew(DEFAULT_JWKS_COOLDOWN_MS + 1_000)
    const before = jwks.requests
    const stuck = ask(await fresh(k2, 'k2'))
    // while that lookup waits on the endpoint, a token of a known key is answered at once
    const known = await ask(await fresh(k1, 'k1'))
    expect(known.status).toBe(200)
    expect(known.ms).toBeLessThan(DEFAULT_JWKS_TIMEOUT_MS)
    expect(await stuck).toMatchObject({ status: 401, reason: 'PERMGATE_ERR_AUTH_NO_KEY' })
    expect(jwks.requests).toBe(before + 1)
    // the endpoint just failed: the next unknown kid does not wait on it again
    const again = await ask(await fresh(k2, 'k2'))
    expect(again).toMatchObject({ status: 401, reason: 'PERMGATE_ERR_AUTH_NO_KEY' })
    expect(again.ms).toBeLessThan(DEFAULT_JWKS_TIMEOUT_MS / 2)
    expect(jwks.requests).toBe(before + 1)
    await jwks.stop()
  })

  it('the endpoint back with a rotated key: the new kid is accepted, the retired one is not', async () => {
    jwks.setKeys([k3.publicJwk])
    await jwks.restart()
    skew(DEFAULT_JWKS_COOLDOWN_MS + 1_000)
    await expectAllowed(await fresh(k3, 'k3'))
    await expectNoKey(await fresh(k1, 'k1'))
    await expectAllowed(await fresh(k3, 'k3', 'u-admin'))
  })
})
