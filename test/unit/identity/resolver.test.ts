import { createHash } from 'node:crypto'
import type { Clock } from '../../../src/clock.js'
import { beforeAll, describe, expect, it } from 'vitest'
import { type BindingsStore } from '../../../src/bindings/types.js'
import { ANONYMOUS, type Principal } from '../../../src/identity/types.js'
import { IdentityResolver } from '../../../src/identity/resolver.js'
import type { IdentityOptions } from '../../../src/identity/types.js'
import { NOW_MS, NOW_SEC, rejected, sign, storeOf, testKey, thrown, type TestKey } from './helpers.js'

const API_KEY = '0123456789abcdef0123456789abcdef'
const COOKIE = 'astronomer_astro_example_com_auth'

let rsa: TestKey
let t: number
/** The clock token expiry is checked against (set `t`); its timers never fire (no JWK set here). */
const clock: Clock = { now: () => t, setTimeout: () => undefined, clearTimeout: () => undefined }
let store: BindingsStore

beforeAll(async () => {
  rsa = await testKey('RS256')
})

/** A resolver on the fixed clock; `opts` override the defaults here (`jwt: undefined` removes JWT support). */
async function resolver(opts: Record<string, unknown> = {}): Promise<IdentityResolver> {
  t = NOW_MS
  store = storeOf({
    robot: { kind: 'serviceAccount', apiKeySha256: createHash('sha256').update(API_KEY).digest('hex') },
    'svc-jwt': { kind: 'serviceAccount' },
  })
  const base: IdentityOptions = { jwt: { algorithms: ['RS256'], publicKeyPem: rsa.publicKeyPem, groupsClaim: 'teams' }, cookieName: COOKIE }
  return IdentityResolver.create({ ...base, ...opts } as IdentityOptions, () => store, clock)
}

describe('IdentityResolver', () => {
  it('is ANONYMOUS, synchronously, with no credential', async () => {
    const r = await resolver()
    expect(r.resolve({})).toBe(ANONYMOUS)
  })

  it('resolves an API key synchronously to its service account', async () => {
    const r = await resolver()
    expect(r.resolve({ authorization: API_KEY })).toEqual({ kind: 'serviceAccount', id: 'robot', groups: [] })
    const e = thrown(() => r.resolve({ authorization: 'ffffffffffffffffffffffffffffffff' }))
    expect(e.code).toBe('PERMGATE_ERR_AUTH_UNKNOWN_API_KEY')
  })

  it('verifies a JWT once, then answers from the cache synchronously', async () => {
    const r = await resolver()
    const token = await sign(rsa.privateKey, 'RS256', { teams: ['ops'] })
    const first = r.resolve({ authorization: `Bearer ${token}` })
    expect(first).toBeInstanceOf(Promise)
    expect(await first).toEqual({ kind: 'user', id: 'alice', groups: ['ops'] })
    expect(r.stats()).toMatchObject({ hits: 0, misses: 1, size: 1 })

    const second = r.resolve({ cookie: `${COOKIE}=${token}` })
    expect(second).not.toBeInstanceOf(Promise)
    expect(second).toEqual({ kind: 'user', id: 'alice', groups: ['ops'] })
    expect(Object.isFrozen(second)).toBe(true)
    expect(r.stats()).toMatchObject({ hits: 1, misses: 1 })
  })

  it('shares one principal object among the tokens of a subject without groups', async () => {
    const r = await resolver()
    const a = await r.resolve({ authorization: `Bearer ${await sign(rsa.privateKey, 'RS256', { jti: '1' })}` })
    const b = await r.resolve({ authorization: `Bearer ${await sign(rsa.privateKey, 'RS256', { jti: '2' })}` })
    expect(r.stats()).toMatchObject({ misses: 2, size: 2 })
    expect(b).toBe(a)
    const withGroups = await r.resolve({ authorization: `Bearer ${await sign(rsa.privateKey, 'RS256', { jti: '3', teams: ['ops'] })}` })
    expect(withGroups).not.toBe(a)
    expect(withGroups.groups).toEqual(['ops'])
  })

  it('takes the subject kind from the bindings store, and follows a reload on a cache hit', async () => {
    const r = await resolver()
    const token = await sign(rsa.privateKey, 'RS256', { sub: 'svc-jwt' })
    expect(await r.resolve({ authorization: token })).toMatchObject({ kind: 'serviceAccount', id: 'svc-jwt' })
    store = storeOf({ 'svc-jwt': { kind: 'user' } })
    expect(r.resolve({ authorization: token })).toEqual({ kind: 'user', id: 'svc-jwt', groups: [] })
    expect(r.stats().hits).toBe(1)
  })

  it('verifies a cached token again once it expires, and rejects it', async () => {
    const r = await resolver()
    const token = await sign(rsa.privateKey, 'RS256', { exp: NOW_SEC + 60 })
    await r.resolve({ authorization: token })
    t = NOW_MS + 59_000
    expect(r.resolve({ authorization: token })).not.toBeInstanceOf(Promise)
    t = NOW_MS + 60_000 + 31_000
    const e = await rejected(r.resolve({ authorization: token }))
    expect(e.code).toBe('PERMGATE_ERR_AUTH_TOKEN_EXPIRED')
    expect(e.message).not.toContain(token)
    expect(r.stats()).toMatchObject({ hits: 1, misses: 2, expirations: 1, size: 0 })
  })

  it('does not cache a rejected token', async () => {
    const r = await resolver()
    const token = await sign(rsa.privateKey, 'RS256', { exp: NOW_SEC - 3600 })
    for (let i = 0; i < 2; i++) expect((await rejected(r.resolve({ authorization: token }))).code).toBe('PERMGATE_ERR_AUTH_TOKEN_EXPIRED')
    expect(r.stats()).toMatchObject({ hits: 0, misses: 2, size: 0 })
  })

  it('is 401 NOT_CONFIGURED for a JWT when no jwt options are given, yet still reads API keys', async () => {
    const r = await resolver({ jwt: undefined })
    const token = await sign(rsa.privateKey, 'RS256')
    const e = thrown(() => r.resolve({ authorization: token }))
    expect(e.code).toBe('PERMGATE_ERR_AUTH_NOT_CONFIGURED')
    expect(e.status).toBe(401)
    expect(e.message).not.toContain(token)
    expect((r.resolve({ authorization: API_KEY }) as Principal).id).toBe('robot')
  })

  it('throws malformed credentials synchronously', async () => {
    const r = await resolver()
    expect(thrown(() => r.resolve({ authorization: '' })).code).toBe('PERMGATE_ERR_AUTH_TOKEN_INVALID')
    expect(thrown(() => r.resolve({ cookie: `${COOKIE}=a; ${COOKIE}=b` })).code).toBe('PERMGATE_ERR_AUTH_TOKEN_INVALID')
  })

  it('rejects bad identity options at creation', async () => {
    expect((await rejected(resolver({ tokenCacheSize: 0 }))).code).toBe('PERMGATE_ERR_CONFIG_INVALID')
    expect((await rejected(resolver({ cookieName: 'a b' }))).code).toBe('PERMGATE_ERR_CONFIG_INVALID')
    expect((await rejected(resolver({ apiKeyLength: 1.5 }))).code).toBe('PERMGATE_ERR_CONFIG_INVALID')
    expect((await rejected(resolver({ cookie: 'x' }))).code).toBe('PERMGATE_ERR_CONFIG_UNKNOWN_KEY')
  })
})
