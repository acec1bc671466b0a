import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { createJwtVerifier, type JwtVerifier } from '../../../src/identity/jwt.js'
import { MAX_JWKS_BYTES } from '../../../src/identity/jwt-key.js'
import { DEFAULT_JWKS_CACHE_MAX_AGE_MS, DEFAULT_JWKS_COOLDOWN_MS, DEFAULT_JWKS_TIMEOUT_MS } from '../../../src/identity/types.js'
import { NOW_MS, rejected, sign, startJwksServer, testKey, type JwksServer, type TestKey } from './helpers.js'
import { FakeClock } from '../../helpers/clock.js'
import { eventually } from '../../helpers/eventually.js'

/** The fixed clock: tokens are signed for NOW_MS; the JWK set's timers run only when advanced. */
const clock = new FakeClock(NOW_MS)

let a: TestKey
let b: TestKey
let c: TestKey
let issuer: JwksServer
let attacker: JwksServer

beforeAll(async () => {
  ;[a, b, c] = await Promise.all([testKey('RS256', 'a'), testKey('RS256', 'b'), testKey('RS256', 'c')])
  issuer = await startJwksServer([a.publicJwk])
  attacker = await startJwksServer([c.publicJwk])
})

afterAll(async () => {
  await issuer.close().catch(() => undefined)
  await attacker.close()
})

describe('createJwtVerifier with a remote JWK set', () => {
  it('follows key rotation, rejects an unknown kid, and keeps working from cache when the issuer is down', async () => {
    // Cooldown 0 so the unknown-kid refetch is not suppressed; a long max age so the set stays cached.
    const verify = await createJwtVerifier({ algorithms: ['RS256'], jwksUrl: issuer.url, jwksCooldownMs: 0, jwksCacheMaxAgeMs: 3_600_000 }, clock)
    expect((await verify(await sign(a.privateKey, 'RS256', {}, { kid: 'a' }))).subject).toBe('alice')
    expect(issuer.requests()).toBe(1)

    issuer.setKeys([b.publicJwk])
    const tokenB = await sign(b.privateKey, 'RS256', { sub: 'bob' }, { kid: 'b' })
    expect((await verify(tokenB)).subject).toBe('bob')
    expect(issuer.requests()).toBe(2)

    const unknown = await rejected(verify(await sign(c.privateKey, 'RS256', {}, { kid: 'c' })))
    expect(unknown.code).toBe('PERMGATE_ERR_AUTH_NO_KEY')
    expect(unknown.status).toBe(401)
    expect(issuer.requests()).toBe(3)

    await issuer.close()
    expect((await verify(tokenB)).subject).toBe('bob')
    // An unknown kid now makes jose refetch, and the refused connection is no key, not a crash.
    expect((await rejected(verify(await sign(c.privateKey, 'RS256', {}, { kid: 'x' })))).code).toBe('PERMGATE_ERR_AUTH_NO_KEY')
  })

  it('does not refetch for an unknown kid during the cooldown', async () => {
    const server = await startJwksServer([a.publicJwk])
    try {
      const verify = await createJwtVerifier({ algorithms: ['RS256'], jwksUrl: server.url, jwksCooldownMs: 3_600_000 }, clock)
      await verify(await sign(a.privateKey, 'RS256', {}, { kid: 'a' }))
      for (let i = 0; i < 3; i++) {
        expect((await rejected(verify(await sign(c.privateKey, 'RS256', {}, { kid: `c${i}` })))).code).toBe('PERMGATE_ERR_AUTH_NO_KEY')
      }
      expect(server.requests()).toBe(1)
    } finally {
      await server.close()
    }
  })

  it('never fetches a key from a jku (or x5u) the token names', async () => {
    const server = await startJwksServer([a.publicJwk])
    try {
      const verify: JwtVerifier = await createJwtVerifier({ algorithms: ['RS256'], jwksUrl: server.url }, clock)
      // RFC 8725 §3.10: the attacker signs with their own key and points jku at their own set.
      const forged = await sign(c.privateKey, 'RS256', { sub: 'admin' }, { kid: 'c', jku: attacker.url, x5u: attacker.url })
      expect((await rejected(verify(forged))).code).toBe('PERMGATE_ERR_AUTH_NO_KEY')
      // Even with a kid the issuer does serve, the signature is checked against the issuer's key.
      const forgedA = await sign(c.privateKey, 'RS256', { sub: 'admin' }, { kid: 'a', jku: attacker.url })
      expect((await rejected(verify(forgedA))).code).toBe('PERMGATE_ERR_AUTH_TOKEN_INVALID')
      expect(attacker.requests()).toBe(0)
    } finally {
      await server.close()
    }
  })

  it('rejects an HS256 token against a JWK set as an algorithm error', async () => {
    const server = await startJwksServer([a.publicJwk])
    try {
      const verify = await createJwtVerifier({ algorithms: ['RS256'], jwksUrl: server.url }, clock)
      const e = await rejected(verify(await sign(new TextEncoder().encode('x'.repeat(32)), 'HS256', {}, { kid: 'a' })))
      expect(e.code).toBe('PERMGATE_ERR_AUTH_TOKEN_ALGORITHM')
      expect(server.requests()).toBe(0)
    } finally {
      await server.close()
    }
  })

  it('reports a JWK set that cannot be fetched as no key', async () => {
    const server = await startJwksServer([])
    const url = server.url
    await server.close()
    const verify = await createJwtVerifier({ algorithms: ['RS256'], jwksUrl: url, jwksTimeoutMs: 2_000 }, clock)
    expect((await rejected(verify(await sign(a.privateKey, 'RS256', {}, { kid: 'a' })))).code).toBe('PERMGATE_ERR_AUTH_NO_KEY')
  })
})

describe('a JWK set endpoint that answers too much (issue 12)', () => {
  it.each([
    ['with a Content-Length over the bound', true],
    ['streamed without a length', false],
  ])('%s: refused after MAX_JWKS_BYTES, so no key (401), never held whole', async (_name, withLength) => {
    const { createServer } = await import('node:http')
    const keys = JSON.stringify({ keys: [a.publicJwk] })
    // a valid set padded past the bound: only the size makes it wrong
    const body = `${keys.slice(0, -1)},"pad":"${'x'.repeat(MAX_JWKS_BYTES)}"}`
    let sent = 0
    const server = createServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json', ...(withLength ? { 'content-length': Buffer.byteLength(body) } : {}) })
      for (let i = 0; i < body.length; i += 64 * 1024) {
        res.write(body.slice(i, i + 64 * 1024))
        sent += 64 * 1024
      }
      res.end()
    })
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
    try {
      const { port } = server.address() as { port: number }
      const verify = await createJwtVerifier({ algorithms: ['RS256'], jwksUrl: `http://127.0.0.1:${port}/jwks` }, clock)
      const e = await rejected(verify(await sign(a.privateKey, 'RS256', {}, { kid: 'a' })))
      expect(e.code).toBe('PERMGATE_ERR_AUTH_NO_KEY')
      expect(sent).toBeGreaterThan(MAX_JWKS_BYTES)
    } finally {
      server.closeAllConnections()
      await new Promise((r) => server.close(r))
    }
  })

  it('a set within the bound verifies (the bound is on size alone)', async () => {
    const server = await startJwksServer([a.publicJwk])
    try {
      const verify = await createJwtVerifier({ algorithms: ['RS256'], jwksUrl: server.url }, clock)
      expect((await verify(await sign(a.privateKey, 'RS256', {}, { kid: 'a' }))).subject).toBe('alice')
    } finally {
      await server.close()
    }
  })
})

describe('a remote JWK set on the clock: max age, cooldown and timeout pass when the clock is moved', () => {
  // the defaults: 10 min max age, 30 s cooldown, 5 s timeout
  let server: JwksServer
  let t: FakeClock
  let verify: JwtVerifier
  const token = (key: TestKey, kid: string): Promise<string> => sign(key.privateKey, 'RS256', { sub: kid }, { kid })
  const subjectOf = async (key: TestKey, kid: string): Promise<string> => (await verify(await token(key, kid))).subject
  const noKey = async (key: TestKey, kid: string): Promise<string> => (await rejected(verify(await token(key, kid)))).code

  beforeEach(async () => {
    server = await startJwksServer([a.publicJwk])
    t = new FakeClock(NOW_MS)
    verify = await createJwtVerifier({ algorithms: ['RS256'], jwksUrl: server.url }, t)
  })
  afterEach(() => server.close())

  it('a known kid is verified from the set held, never fetched again within its max age', async () => {
    expect(await subjectOf(a, 'a')).toBe('a')
    await t.advance(DEFAULT_JWKS_CACHE_MAX_AGE_MS - 1)
    for (let i = 0; i < 3; i++) expect(await subjectOf(a, 'a')).toBe('a')
    expect(server.requests()).toBe(1)
  })

  it('past its max age the set is fetched again beside the lookup, which answers from the set held', async () => {
    expect(await subjectOf(a, 'a')).toBe('a')
    server.setKeys([b.publicJwk])
    await t.advance(DEFAULT_JWKS_CACHE_MAX_AGE_MS)
    // a is no longer served, but the lookup does not wait for the new set
    expect(await subjectOf(a, 'a')).toBe('a')
    // b comes with the refetch (joined if still in flight): no fetch of its own
    expect(await subjectOf(b, 'b')).toBe('b')
    expect(server.requests()).toBe(2)
    // the set held is the new one; a retired kid is not fetched for within the cooldown
    expect(await noKey(a, 'a')).toBe('PERMGATE_ERR_AUTH_NO_KEY')
    expect(server.requests()).toBe(2)
  })

  it('an unknown kid fetches the set at most once per cooldown', async () => {
    expect(await subjectOf(a, 'a')).toBe('a')
    server.setKeys([a.publicJwk, b.publicJwk])
    expect(await noKey(b, 'b')).toBe('PERMGATE_ERR_AUTH_NO_KEY')
    await t.advance(DEFAULT_JWKS_COOLDOWN_MS - 1)
    expect(await noKey(b, 'b')).toBe('PERMGATE_ERR_AUTH_NO_KEY')
    expect(server.requests()).toBe(1)
    await t.advance(1)
    expect(await subjectOf(b, 'b')).toBe('b')
    expect(server.requests()).toBe(2)
    // a kid the set still lacks, right after a fetch: refused without another
    expect(await noKey(c, 'c')).toBe('PERMGATE_ERR_AUTH_NO_KEY')
    expect(server.requests()).toBe(2)
  })

  it('a hung endpoint holds an unknown kid until the fetch times out; a known kid is answered meanwhile', async () => {
    expect(await subjectOf(a, 'a')).toBe('a')
    server.hang(true)
    await t.advance(DEFAULT_JWKS_COOLDOWN_MS)
    let settled = false
    const stuck = noKey(b, 'b').finally(() => {
      settled = true
    })
    await eventually('the fetch for the unknown kid reached the endpoint', () => server.requests() === 2)
    expect(await subjectOf(a, 'a')).toBe('a')
    expect(settled).toBe(false)
    await t.advance(DEFAULT_JWKS_TIMEOUT_MS)
    expect(await stuck).toBe('PERMGATE_ERR_AUTH_NO_KEY')
    // the failed fetch started a cooldown: the next unknown kid is refused without asking again
    expect(await noKey(b, 'b')).toBe('PERMGATE_ERR_AUTH_NO_KEY')
    expect(server.requests()).toBe(2)
  })
})
