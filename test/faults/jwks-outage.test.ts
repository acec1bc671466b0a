/**
 * The JWKS endpoint goes away while permgate serves: the keys it already fetched keep
 * verifying tokens (new ones, not only cached ones), an unknown kid is a coded 401 and never
 * a 5xx or a hang, and when the endpoint is back with a rotated key the new kid is accepted.
 *
 * permgate's identity runs on a FakeClock here: the JWK set's 30 s refetch cooldown, 10 min
 * maximum age and 5 s fetch timeout pass when the test advances it. What is asserted is which
 * tokens verify and how many fetches the endpoint saw, never how long anything took.
 */
import { randomUUID } from 'node:crypto'
import { SignJWT } from 'jose'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { DEFAULT_JWKS_CACHE_MAX_AGE_MS, DEFAULT_JWKS_COOLDOWN_MS, DEFAULT_JWKS_TIMEOUT_MS } from '../../src/identity/types.js'
import { FakeClock } from '../helpers/clock.js'
import { eventually } from '../helpers/eventually.js'
import { startHarness, type Harness } from '../helpers/proxy.js'
import { testKey, type TestKey } from '../unit/identity/helpers.js'
import { ANSWER_TIMEOUT_MS, postJson } from './helpers.js'
import { JwksEndpoint } from './jwks-endpoint.js'

const SELF = { query: '{ self }' }

let k1: TestKey
let k2: TestKey
let k3: TestKey
let jwks: JwksEndpoint
let h: Harness
// starts at the real time: the tokens' one-hour lifetime outlasts every advance below
const clock = new FakeClock()

beforeAll(async () => {
  ;[k1, k2, k3] = await Promise.all([testKey('RS256', 'k1'), testKey('RS256', 'k2'), testKey('RS256', 'k3')])
  jwks = await JwksEndpoint.start([k1.publicJwk])
  h = await startHarness(['--jwks-url', jwks.url, '--jwt-algorithms', 'RS256'], undefined, { jwt: 'none', clock })
})
afterAll(async () => {
  await h.close()
  await jwks.close()
})

/** A token never sent before (its own jti), signed with `key` under `kid`. */
const fresh = (key: TestKey, kid: string, subject = 'u-viewer'): Promise<string> =>
  new SignJWT({ uuid: subject, jti: randomUUID() }).setProtectedHeader({ alg: 'RS256', kid }).setExpirationTime('1h').sign(key.privateKey)

/** The answer to one request; the signal only keeps a hang from stalling the run (the clock permgate waits on never moves by itself). */
async function ask(token: string): Promise<{ status: number; reason: unknown }> {
  const r = await postJson(h.graphql, SELF, { authorization: `Bearer ${token}` }, AbortSignal.timeout(ANSWER_TIMEOUT_MS))
  const body = (await r.json()) as { errors?: { extensions: { reason?: unknown } }[] }
  return { status: r.status, reason: body.errors?.[0]?.extensions.reason }
}

async function expectAllowed(token: string): Promise<void> {
  expect(await ask(token)).toMatchObject({ status: 200, reason: undefined })
}

async function expectNoKey(token: string): Promise<void> {
  expect(await ask(token)).toMatchObject({ status: 401, reason: 'PERMGATE_ERR_AUTH_NO_KEY' })
}

describe('JWKS endpoint down', () => {
  it('keys already fetched keep verifying new tokens; an unknown kid is 401 NO_KEY, looked up at most once per cooldown', async () => {
    await expectAllowed(await fresh(k1, 'k1'))
    expect(jwks.fetches).toBe(1)
    jwks.down()

    // new tokens (never cached) signed with the fetched key, several subjects
    for (const subject of ['u-viewer', 'u-admin', 'u-unbound']) await expectAllowed(await fresh(k1, 'k1', subject))
    // within the cooldown an unknown kid is not even looked up remotely
    await expectNoKey(await fresh(k2, 'k2'))
    await clock.advance(DEFAULT_JWKS_COOLDOWN_MS - 1)
    await expectNoKey(await fresh(k2, 'k2'))
    expect(jwks.fetches).toBe(1)

    // once the cooldown has passed an unknown kid makes permgate try the endpoint: it fails, still 401
    await clock.advance(1)
    await expectNoKey(await fresh(k2, 'k2'))
    expect(jwks.fetches).toBe(2)
    // the failed try starts a cooldown of its own
    await expectNoKey(await fresh(k2, 'k2'))
    await expectAllowed(await fresh(k1, 'k1'))
    expect(jwks.fetches).toBe(2)
  })

  it('an outage longer than the JWK set\'s maximum age: the last set fetched keeps serving', async () => {
    // jose alone refetches a set this old before every lookup, and fails the lookup when the fetch fails
    await clock.advance(DEFAULT_JWKS_CACHE_MAX_AGE_MS)
    const before = jwks.fetches
    for (let i = 0; i < 3; i++) await expectAllowed(await fresh(k1, 'k1'))
    // the set is past its age: one refetch is tried beside the lookups (which did not wait for it), and fails
    await eventually('the refetch of the old set reached the endpoint', () => jwks.fetches === before + 1)
    await expectNoKey(await fresh(k2, 'k2'))
    const burst = await Promise.all(Array.from({ length: 20 }, async (_, i) => ask(await fresh(i % 4 === 0 ? k2 : k1, i % 4 === 0 ? 'k2' : 'k1'))))
    expect(burst.map((r) => r.status).sort()).toEqual([...Array(15).fill(200), ...Array(5).fill(401)])
    expect(jwks.fetches).toBe(before + 1)
  })

  it('a hung endpoint holds one lookup until its timeout; other tokens are not held up', async () => {
    jwks.hang()
    await clock.advance(DEFAULT_JWKS_COOLDOWN_MS)
    const before = jwks.fetches
    let settled = false
    const stuck = ask(await fresh(k2, 'k2')).finally(() => {
      settled = true
    })
    await eventually('the lookup of the unknown kid reached the endpoint', () => jwks.fetches === before + 1)
    // while that lookup waits on the endpoint, a token of a known key is answered
    await expectAllowed(await fresh(k1, 'k1'))
    expect(settled).toBe(false)
    // the fetch's timeout passes: the waiting lookup is a 401; the endpoint was asked once
    await clock.advance(DEFAULT_JWKS_TIMEOUT_MS)
    expect(await stuck).toMatchObject({ status: 401, reason: 'PERMGATE_ERR_AUTH_NO_KEY' })
    expect(jwks.fetches).toBe(before + 1)
    // the endpoint just failed: the next unknown kid is answered without asking it again (on a
    // clock that has not moved, a lookup waiting on the hung endpoint would never be answered)
    await expectNoKey(await fresh(k2, 'k2'))
    expect(jwks.fetches).toBe(before + 1)
  })

  it('the endpoint back with a rotated key: the new kid is accepted, the retired one is not', async () => {
    jwks.setKeys([k3.publicJwk])
    jwks.up()
    await clock.advance(DEFAULT_JWKS_COOLDOWN_MS)
    const before = jwks.fetches
    await expectAllowed(await fresh(k3, 'k3'))
    expect(jwks.fetches).toBe(before + 1)
    await expectNoKey(await fresh(k1, 'k1'))
    await expectAllowed(await fresh(k3, 'k3', 'u-admin'))
    expect(jwks.fetches).toBe(before + 1)
  })
})
