import { beforeAll, describe, expect, it } from 'vitest'
import { createJwtVerifier } from '../../../src/identity/jwt.js'
import type { JwtOptions } from '../../../src/identity/types.js'
import { NOW_MS, NOW_SEC, rejected, selfSignedCertPem, sign, testKey, unsecuredToken, type TestKey } from './helpers.js'
import { FakeClock } from '../../helpers/clock.js'

/** The fixed clock: tokens are signed for NOW_MS; the JWK set's timers run only when advanced. */
const clock = new FakeClock(NOW_MS)
const SECRET = new TextEncoder().encode('houston-jwt-passphrase-of-32-bytes!')

let rsa: TestKey
let ec: TestKey

beforeAll(async () => {
  rsa = await testKey('RS256')
  ec = await testKey('ES256')
})

describe('createJwtVerifier: key sources', () => {
  it('accepts RS256 with an SPKI PEM public key', async () => {
    const verify = await createJwtVerifier({ algorithms: ['RS256'], publicKeyPem: rsa.publicKeyPem }, clock)
    expect(await verify(await sign(rsa.privateKey, 'RS256'))).toEqual({ subject: 'alice', groups: [], expiresAtMs: (NOW_SEC + 3600) * 1000 })
  })

  it('accepts ES256 with an SPKI PEM public key', async () => {
    const verify = await createJwtVerifier({ algorithms: ['ES256'], publicKeyPem: ec.publicKeyPem }, clock)
    expect((await verify(await sign(ec.privateKey, 'ES256'))).subject).toBe('alice')
  })

  it('accepts ES256 with an X.509 certificate PEM', async () => {
    const verify = await createJwtVerifier({ algorithms: ['ES256'], publicKeyPem: await selfSignedCertPem(ec) }, clock)
    expect((await verify(await sign(ec.privateKey, 'ES256'))).subject).toBe('alice')
  })

  it('accepts HS256 with a secret (Houston signs with its jwtPassphrase)', async () => {
    const verify = await createJwtVerifier({ algorithms: ['HS256'], secret: SECRET, subjectClaim: 'uuid' }, clock)
    expect((await verify(await sign(SECRET, 'HS256', { uuid: 'u-1' }))).subject).toBe('u-1')
  })

  it('accepts RS256 with a public JWK, and HS256 with an oct JWK', async () => {
    const verify = await createJwtVerifier({ algorithms: ['RS256'], jwk: { ...rsa.publicJwk } }, clock)
    expect((await verify(await sign(rsa.privateKey, 'RS256'))).subject).toBe('alice')
    const oct = { kty: 'oct', k: Buffer.from(SECRET).toString('base64url') }
    const hmac = await createJwtVerifier({ algorithms: ['HS256'], jwk: oct }, clock)
    expect((await hmac(await sign(SECRET, 'HS256'))).subject).toBe('alice')
  })

  it('reads groups from the configured claim', async () => {
    const verify = await createJwtVerifier({ algorithms: ['RS256'], publicKeyPem: rsa.publicKeyPem, groupsClaim: 'teams' }, clock)
    expect((await verify(await sign(rsa.privateKey, 'RS256', { teams: ['a', 'b'] }))).groups).toEqual(['a', 'b'])
    expect((await verify(await sign(rsa.privateKey, 'RS256'))).groups).toEqual([])
  })
})

describe('createJwtVerifier: configuration is checked at start', () => {
  const cases: [string, () => JwtOptions, string][] = [
    ['no key source', () => ({ algorithms: ['RS256'] }), 'PERMGATE_ERR_CONFIG_MISSING'],
    ['two key sources', () => ({ algorithms: ['RS256'], publicKeyPem: rsa.publicKeyPem, jwksUrl: 'https://issuer.example/jwks' }), 'PERMGATE_ERR_CONFIG_CONTRADICTION'],
    ['no algorithms', () => ({ algorithms: [], publicKeyPem: rsa.publicKeyPem }), 'PERMGATE_ERR_CONFIG_INVALID'],
    ['alg none allowed', () => ({ algorithms: ['none'], secret: SECRET }), 'PERMGATE_ERR_CONFIG_INVALID'],
    ['an RSA PEM also allowed for HS256', () => ({ algorithms: ['RS256', 'HS256'], publicKeyPem: rsa.publicKeyPem }), 'PERMGATE_ERR_CONFIG_CONTRADICTION'],
    ['an RSA PEM for ES256', () => ({ algorithms: ['ES256'], publicKeyPem: rsa.publicKeyPem }), 'PERMGATE_ERR_CONFIG_CONTRADICTION'],
    ['a secret for RS256', () => ({ algorithms: ['RS256'], secret: SECRET }), 'PERMGATE_ERR_CONFIG_CONTRADICTION'],
    ['a JWK set for HS256', () => ({ algorithms: ['HS256'], jwksUrl: 'https://issuer.example/jwks' }), 'PERMGATE_ERR_CONFIG_CONTRADICTION'],
    ['a private JWK', () => ({ algorithms: ['RS256'], jwk: { ...rsa.publicJwk, d: 'AQAB' } }), 'PERMGATE_ERR_CONFIG_INVALID'],
    ['a JWK for another alg', () => ({ algorithms: ['RS384'], jwk: { ...rsa.publicJwk } }), 'PERMGATE_ERR_CONFIG_CONTRADICTION'],
    ['a file: JWKS URL', () => ({ algorithms: ['RS256'], jwksUrl: 'file:///etc/jwks.json' }), 'PERMGATE_ERR_CONFIG_INVALID'],
    ['a JWK set CA that is not PEM certificates', () => ({ algorithms: ['RS256'], jwksUrl: 'https://issuer.example/jwks', jwksCa: rsa.publicKeyPem }), 'PERMGATE_ERR_CONFIG_INVALID'],
    ['a JWK set CA without a JWK set', () => ({ algorithms: ['RS256'], publicKeyPem: rsa.publicKeyPem, jwksCa: '' }), 'PERMGATE_ERR_CONFIG_CONTRADICTION'],
    ['a negative tolerance', () => ({ algorithms: ['RS256'], publicKeyPem: rsa.publicKeyPem, clockToleranceSec: -1 }), 'PERMGATE_ERR_CONFIG_INVALID'],
    ['an unknown key', () => ({ algorithms: ['RS256'], publicKeyPem: rsa.publicKeyPem, audiences: ['x'] }) as JwtOptions, 'PERMGATE_ERR_CONFIG_UNKNOWN_KEY'],
  ]
  it.each(cases)('rejects %s', async (_name, opts, code) => {
    expect((await rejected(createJwtVerifier(opts(), clock))).code).toBe(code)
  })
  it('rejects a JWK set CA for an http: JWK set (it would verify nothing)', async () => {
    const jwksCa = await selfSignedCertPem(ec)
    expect((await rejected(createJwtVerifier({ algorithms: ['RS256'], jwksUrl: 'http://issuer.example/jwks', jwksCa }, clock))).code).toBe('PERMGATE_ERR_CONFIG_CONTRADICTION')
  })
})

describe('createJwtVerifier: every failure is a 401 with its code', () => {
  let rs: (token: string) => Promise<unknown>
  beforeAll(async () => {
    rs = await createJwtVerifier(
      { algorithms: ['RS256'], publicKeyPem: rsa.publicKeyPem, issuer: 'https://houston.example', audience: 'permgate' },
      clock,
    )
  })
  const good = { iss: 'https://houston.example', aud: 'permgate' }

  const cases: [string, () => Promise<string> | string, string][] = [
    ['expired beyond the tolerance', () => sign(rsa.privateKey, 'RS256', { ...good, exp: NOW_SEC - 31 }), 'PERMGATE_ERR_AUTH_TOKEN_EXPIRED'],
    ['nbf in the future beyond the tolerance', () => sign(rsa.privateKey, 'RS256', { ...good, nbf: NOW_SEC + 31 }), 'PERMGATE_ERR_AUTH_TOKEN_NOT_YET_VALID'],
    ['alg none', () => unsecuredToken(good), 'PERMGATE_ERR_AUTH_TOKEN_ALGORITHM'],
    // Algorithm confusion: the RSA public key, which anyone has, used as an HMAC secret.
    ['HS256 signed with the RSA public key PEM as secret', () => sign(new TextEncoder().encode(rsa.publicKeyPem), 'HS256', good), 'PERMGATE_ERR_AUTH_TOKEN_ALGORITHM'],
    ['HS256 when only RS256 is allowed', () => sign(SECRET, 'HS256', good), 'PERMGATE_ERR_AUTH_TOKEN_ALGORITHM'],
    ['ES256 when only RS256 is allowed', () => sign(ec.privateKey, 'ES256', good), 'PERMGATE_ERR_AUTH_TOKEN_ALGORITHM'],
    ['RS256 signed by another key', async () => sign((await testKey('RS256')).privateKey, 'RS256', good), 'PERMGATE_ERR_AUTH_TOKEN_INVALID'],
    ['a wrong issuer', () => sign(rsa.privateKey, 'RS256', { ...good, iss: 'https://evil.example' }), 'PERMGATE_ERR_AUTH_TOKEN_CLAIMS'],
    ['a wrong audience', () => sign(rsa.privateKey, 'RS256', { ...good, aud: 'other' }), 'PERMGATE_ERR_AUTH_TOKEN_CLAIMS'],
    ['no exp', () => sign(rsa.privateKey, 'RS256', { ...good, exp: undefined }), 'PERMGATE_ERR_AUTH_TOKEN_CLAIMS'],
    ['no subject claim', () => sign(rsa.privateKey, 'RS256', { ...good, sub: undefined }), 'PERMGATE_ERR_AUTH_TOKEN_CLAIMS'],
    ['an empty subject', () => sign(rsa.privateKey, 'RS256', { ...good, sub: '' }), 'PERMGATE_ERR_AUTH_TOKEN_CLAIMS'],
    ['garbage', () => 'not-a-jwt', 'PERMGATE_ERR_AUTH_TOKEN_INVALID'],
    ['three garbage parts', () => 'abc.def.ghi', 'PERMGATE_ERR_AUTH_TOKEN_INVALID'],
    ['an oversized token', () => `${'a'.repeat(8192)}.b.c`, 'PERMGATE_ERR_AUTH_TOKEN_TOO_LARGE'],
  ]
  it.each(cases)('rejects %s', async (_name, make, code) => {
    const token = await make()
    const e = await rejected(rs(token))
    expect(e.code).toBe(code)
    expect(e.status).toBe(401)
    expect(e.message).not.toContain(token)
    for (const part of token.split('.')) if (part.length > 8) expect(e.message).not.toContain(part)
  })

  it('accepts a token expired within the clock tolerance', async () => {
    await expect(rs(await sign(rsa.privateKey, 'RS256', { ...good, exp: NOW_SEC - 29 }))).resolves.toMatchObject({ subject: 'alice' })
    await expect(rs(await sign(rsa.privateKey, 'RS256', { ...good, nbf: NOW_SEC + 29 }))).resolves.toMatchObject({ subject: 'alice' })
  })

  it('rejects groups that are not a list of strings', async () => {
    const verify = await createJwtVerifier({ algorithms: ['RS256'], publicKeyPem: rsa.publicKeyPem, groupsClaim: 'teams' }, clock)
    for (const teams of ['admins', [1], { a: 1 }]) {
      expect((await rejected(verify(await sign(rsa.privateKey, 'RS256', { teams })))).code).toBe('PERMGATE_ERR_AUTH_TOKEN_CLAIMS')
    }
  })

  it('accepts a token without exp only when requireExp is false', async () => {
    const verify = await createJwtVerifier({ algorithms: ['RS256'], publicKeyPem: rsa.publicKeyPem, requireExp: false }, clock)
    expect(await verify(await sign(rsa.privateKey, 'RS256', { exp: undefined }))).toEqual({ subject: 'alice', groups: [], expiresAtMs: undefined })
  })

  it('reads the subject from an own claim only', async () => {
    const verify = await createJwtVerifier({ algorithms: ['RS256'], publicKeyPem: rsa.publicKeyPem, subjectClaim: 'constructor' }, clock)
    expect((await rejected(verify(await sign(rsa.privateKey, 'RS256'))))?.code).toBe('PERMGATE_ERR_AUTH_TOKEN_CLAIMS')
  })

  // Regression (issue 12, item 12): such a subject verified, and then undici refused it in the
  // x-permgate-subject header: every request of the token was a 502.
  it.each([
    ['CR LF', 'u-admin\r\nx-permgate-kind: serviceAccount'],
    ['LF', 'u-admin\n'],
    ['NUL', 'u-admin\u0000'],
    ['a tab', 'u\tadmin'],
    ['DEL', 'u-admin\u007f'],
    ['a C1 control', 'u-admin\u0085'],
    ['a Latin-1 letter', 'jos\u00e9'],
    ['a snowman (past Latin-1)', 'u-\u2603'],
    ['a leading space', ' u-admin'],
    ['a trailing space', 'u-admin '],
    ['only a space', ' '],
    ['257 characters', 'u'.repeat(257)],
  ])('rejects a subject with %s: 401 PERMGATE_ERR_AUTH_TOKEN_CLAIMS, the value not in the message', async (_name, sub) => {
    const verify = await createJwtVerifier({ algorithms: ['RS256'], publicKeyPem: rsa.publicKeyPem, subjectClaim: 'uuid' }, clock)
    const e = await rejected(verify(await sign(rsa.privateKey, 'RS256', { uuid: sub })))
    expect(e.code).toBe('PERMGATE_ERR_AUTH_TOKEN_CLAIMS')
    expect(e.status).toBe(401)
    expect(e.message).toContain('"uuid"')
    if (sub.trim() !== '') expect(e.message).not.toContain(sub)
  })

  it('accepts printable ASCII subjects up to 256 characters, spaces inside', async () => {
    const verify = await createJwtVerifier({ algorithms: ['RS256'], publicKeyPem: rsa.publicKeyPem }, clock)
    for (const sub of ['u', 'cl3x9j2k40000abcd', 'auth0|5f7c8ec7c33c6c004bbafe82', 'ada.lovelace+ci@example.com', 'Ada Lovelace', '~!"#$%&\'()*+,-./:;<=>?@[\\]^_`{|}', 'u'.repeat(256)]) {
      expect((await verify(await sign(rsa.privateKey, 'RS256', { sub }))).subject).toBe(sub)
    }
  })

  it('honours maxTokenBytes in UTF-8 bytes', async () => {
    const verify = await createJwtVerifier({ algorithms: ['RS256'], publicKeyPem: rsa.publicKeyPem, maxTokenBytes: 10 }, clock)
    expect((await rejected(verify('é'.repeat(6)))).code).toBe('PERMGATE_ERR_AUTH_TOKEN_TOO_LARGE')
    expect((await rejected(verify('a.b.c'))).code).toBe('PERMGATE_ERR_AUTH_TOKEN_INVALID')
  })
})
