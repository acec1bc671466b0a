import { generateKeyPair, SignJWT } from 'jose'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { post, startHarness, type Harness } from '../helpers/proxy.js'
import { startJwksServer, testKey, type JwksServer, type TestKey } from '../unit/identity/helpers.js'

interface ErrorBody {
  errors: { message: string; extensions: Record<string, unknown> }[]
}
const errorsOf = async (r: Response) => ((await r.json()) as ErrorBody).errors
const nowSec = (): number => Math.floor(Date.now() / 1000)
const SELF = { query: '{ self }' }

/** `alg: none`, no signature (RFC 7519 §6), written by hand: no library signs these. */
function unsecured(claims: Record<string, unknown>): string {
  const part = (o: object): string => Buffer.from(JSON.stringify(o)).toString('base64url')
  return `${part({ alg: 'none', typ: 'JWT' })}.${part(claims)}.`
}

/** `{ self }` answered by the upstream for `subject`. */
async function expectForwardedAs(h: Harness, token: string, subject: string): Promise<void> {
  h.upstream.reset()
  const r = await post(h.graphql, SELF, { authorization: `Bearer ${token}` })
  expect(r.status).toBe(200)
  expect(h.upstream.count()).toBe(1)
  expect(h.upstream.requests[0]!.headers['x-permgate-subject']).toBe(subject)
  expect(h.upstream.requests[0]!.headers.authorization).toBe(`Bearer ${token}`)
}

async function expect401(h: Harness, token: string, reason: string, body: unknown = SELF): Promise<void> {
  h.upstream.reset()
  const r = await post(h.graphql, body, { authorization: `Bearer ${token}` })
  expect(r.status).toBe(401)
  expect(r.headers.get('www-authenticate')).toBe('Bearer')
  const [e] = await errorsOf(r)
  expect(e!.extensions).toMatchObject({ code: 'UNAUTHENTICATED', reason, decisionId: expect.any(String) })
  expect(h.upstream.count()).toBe(0)
}

describe('RS256 PEM key: tokens through the proxy', () => {
  let h: Harness
  beforeAll(async () => {
    h = await startHarness()
  })
  afterAll(() => h.close())
  beforeEach(() => h.upstream.reset())

  it('a valid token is forwarded with its subject', async () => {
    await expectForwardedAs(h, await h.token('u-viewer'), 'u-viewer')
    await expectForwardedAs(h, await h.signRaw({ uuid: 'u-admin', exp: nowSec() + 60 }), 'u-admin')
  })

  it('a valid token authorizes by its subject: an admin-only field for the admin only', async () => {
    expect((await post(h.graphql, { query: '{ deployments }' }, { authorization: `Bearer ${await h.token('u-admin')}` })).status).toBe(200)
    expect((await post(h.graphql, { query: '{ deployments }' }, { authorization: `Bearer ${await h.token('u-viewer')}` })).status).toBe(403)
  })

  const cases: [string, () => Promise<string>, string][] = [
    ['expired', () => h.signRaw({ uuid: 'u-admin', iat: nowSec() - 7200, exp: nowSec() - 3600 }), 'PERMGATE_ERR_AUTH_TOKEN_EXPIRED'],
    ['nbf in the future', () => h.signRaw({ uuid: 'u-admin', exp: nowSec() + 7200, nbf: nowSec() + 3600 }), 'PERMGATE_ERR_AUTH_TOKEN_NOT_YET_VALID'],
    ['alg none claiming u-admin', async () => unsecured({ uuid: 'u-admin', exp: nowSec() + 3600 }), 'PERMGATE_ERR_AUTH_TOKEN_ALGORITHM'],
    ['alg None (any case) claiming u-admin', async () => unsecured({ uuid: 'u-admin', exp: nowSec() + 3600 }).replace(/^[^.]+/, Buffer.from('{"alg":"None"}').toString('base64url')), 'PERMGATE_ERR_AUTH_TOKEN_ALGORITHM'],
    [
      'HS256 signed with the RSA public key PEM text as the HMAC secret',
      () => new SignJWT({ uuid: 'u-admin' }).setProtectedHeader({ alg: 'HS256' }).setExpirationTime('1h').sign(new TextEncoder().encode(h.keyText)),
      'PERMGATE_ERR_AUTH_TOKEN_ALGORITHM',
    ],
    [
      'RS256 signed by another key',
      async () => {
        const other = await generateKeyPair('RS256')
        return new SignJWT({ uuid: 'u-admin' }).setProtectedHeader({ alg: 'RS256' }).setExpirationTime('1h').sign(other.privateKey)
      },
      'PERMGATE_ERR_AUTH_TOKEN_INVALID',
    ],
    [
      'a valid token whose payload was swapped for another subject',
      async () => {
        const [head, , sig] = (await h.token('u-viewer')).split('.')
        const payload = Buffer.from(JSON.stringify({ uuid: 'u-admin', exp: nowSec() + 3600 })).toString('base64url')
        return `${head}.${payload}.${sig}`
      },
      'PERMGATE_ERR_AUTH_TOKEN_INVALID',
    ],
    ['without the subject claim', () => h.signRaw({ sub: 'u-admin', exp: nowSec() + 3600 }), 'PERMGATE_ERR_AUTH_TOKEN_CLAIMS'],
    ['an empty subject claim', () => h.signRaw({ uuid: '', exp: nowSec() + 3600 }), 'PERMGATE_ERR_AUTH_TOKEN_CLAIMS'],
    ['a subject claim that is not a string', () => h.signRaw({ uuid: ['u-admin'], exp: nowSec() + 3600 }), 'PERMGATE_ERR_AUTH_TOKEN_CLAIMS'],
    ['without exp', () => h.signRaw({ uuid: 'u-admin' }), 'PERMGATE_ERR_AUTH_TOKEN_CLAIMS'],
    ['not a JWT', async () => 'a.b.c', 'PERMGATE_ERR_AUTH_TOKEN_INVALID'],
    ['over the size limit', async () => `${'a'.repeat(9000)}.b.c`, 'PERMGATE_ERR_AUTH_TOKEN_TOO_LARGE'],
  ]

  it.each(cases)('%s: 401, not forwarded', async (_name, make, reason) => {
    await expect401(h, await make(), reason)
  })

  it.each(cases)('%s: 401 even for a public field', async (_name, make, reason) => {
    await expect401(h, await make(), reason, { query: '{ authConfig }' })
  })

  it('an expired token in the cookie is 401 too, not anonymous', async () => {
    const expired = await h.signRaw({ uuid: 'u-admin', exp: nowSec() - 3600 })
    const r = await post(h.graphql, { query: '{ authConfig }' }, { cookie: `astronomer_example_com_auth=${expired}` })
    expect(r.status).toBe(401)
    expect((await errorsOf(r))[0]!.extensions.reason).toBe('PERMGATE_ERR_AUTH_TOKEN_EXPIRED')
    expect(h.upstream.count()).toBe(0)
  })
})

describe('--jwt-issuer and --jwt-audience', () => {
  let h: Harness
  beforeAll(async () => {
    h = await startHarness(['--jwt-issuer', 'https://houston.example.com', '--jwt-audience', 'permgate'])
  })
  afterAll(() => h.close())

  it('a token with the expected issuer and audience is forwarded', async () => {
    await expectForwardedAs(h, await h.token('u-viewer', { iss: 'https://houston.example.com', aud: 'permgate' }), 'u-viewer')
    await expectForwardedAs(h, await h.token('u-viewer', { iss: 'https://houston.example.com', aud: ['other', 'permgate'] }), 'u-viewer')
  })

  it.each([
    ['a wrong issuer', { iss: 'https://evil.example.com', aud: 'permgate' }],
    ['a wrong audience', { iss: 'https://houston.example.com', aud: 'other' }],
    ['no issuer', { aud: 'permgate' }],
    ['no audience', { iss: 'https://houston.example.com' }],
  ])('%s: 401 PERMGATE_ERR_AUTH_TOKEN_CLAIMS', async (_name, claims) => {
    await expect401(h, await h.token('u-admin', claims), 'PERMGATE_ERR_AUTH_TOKEN_CLAIMS')
  })
})

describe('other key setups work end to end', () => {
  it('HS256 with --jwt-secret-file (the file may end with a newline)', async () => {
    const h = await startHarness([], undefined, { jwt: 'HS256' })
    try {
      expect(h.keyText.endsWith('\n')).toBe(true)
      await expectForwardedAs(h, await h.token('u-viewer'), 'u-viewer')
      const r = await post(h.graphql, { query: '{ deployments }' }, { authorization: `Bearer ${await h.token('u-admin')}` })
      expect(r.status).toBe(200)
      // The secret with its newline is another secret.
      const withNewline = await new SignJWT({ uuid: 'u-admin' }).setProtectedHeader({ alg: 'HS256' }).setExpirationTime('1h').sign(new TextEncoder().encode(h.keyText))
      await expect401(h, withNewline, 'PERMGATE_ERR_AUTH_TOKEN_INVALID')
      const rsa = await generateKeyPair('RS256')
      await expect401(h, await new SignJWT({ uuid: 'u-admin' }).setProtectedHeader({ alg: 'RS256' }).setExpirationTime('1h').sign(rsa.privateKey), 'PERMGATE_ERR_AUTH_TOKEN_ALGORITHM')
      await expect401(h, unsecured({ uuid: 'u-admin', exp: nowSec() + 3600 }), 'PERMGATE_ERR_AUTH_TOKEN_ALGORITHM')
    } finally {
      await h.close()
    }
  })

  it('ES256 with an SPKI PEM public key', async () => {
    const h = await startHarness([], undefined, { jwt: 'ES256' })
    try {
      await expectForwardedAs(h, await h.token('u-viewer'), 'u-viewer')
      const rsa = await generateKeyPair('RS256')
      await expect401(h, await new SignJWT({ uuid: 'u-admin' }).setProtectedHeader({ alg: 'RS256' }).setExpirationTime('1h').sign(rsa.privateKey), 'PERMGATE_ERR_AUTH_TOKEN_ALGORITHM')
      const other = await generateKeyPair('ES256')
      await expect401(h, await new SignJWT({ uuid: 'u-admin' }).setProtectedHeader({ alg: 'ES256' }).setExpirationTime('1h').sign(other.privateKey), 'PERMGATE_ERR_AUTH_TOKEN_INVALID')
    } finally {
      await h.close()
    }
  })

  it('no JWT key configured: a JWT is 401 PERMGATE_ERR_AUTH_NOT_CONFIGURED, never anonymous', async () => {
    const h = await startHarness([], undefined, { jwt: 'none' })
    try {
      const rsa = await generateKeyPair('RS256')
      const token = await new SignJWT({ uuid: 'u-admin' }).setProtectedHeader({ alg: 'RS256' }).setExpirationTime('1h').sign(rsa.privateKey)
      await expect401(h, token, 'PERMGATE_ERR_AUTH_NOT_CONFIGURED', { query: '{ authConfig }' })
      // Anonymous callers still reach public fields.
      expect((await post(h.graphql, { query: '{ authConfig }' })).status).toBe(200)
    } finally {
      await h.close()
    }
  })
})

describe('--jwks-url: a JWK set served over HTTP', () => {
  let issuer: TestKey
  let stranger: TestKey
  let jwks: JwksServer
  let h: Harness
  const signWith = (k: TestKey, kid: string | undefined, claims: Record<string, unknown> = {}) =>
    new SignJWT({ uuid: 'u-viewer', ...claims })
      .setProtectedHeader({ alg: 'RS256', ...(kid !== undefined ? { kid } : {}) })
      .setExpirationTime('1h')
      .sign(k.privateKey)

  beforeAll(async () => {
    ;[issuer, stranger] = await Promise.all([testKey('RS256', 'k1'), testKey('RS256', 'k2')])
    jwks = await startJwksServer([issuer.publicJwk])
    h = await startHarness(['--jwks-url', jwks.url, '--jwt-algorithms', 'RS256'], undefined, { jwt: 'none' })
  })
  afterAll(async () => {
    await h.close()
    await jwks.close()
  })

  it('a token whose kid is in the set is forwarded', async () => {
    await expectForwardedAs(h, await signWith(issuer, 'k1'), 'u-viewer')
    expect(jwks.requests()).toBeGreaterThanOrEqual(1)
  })

  it('an unknown kid: 401 PERMGATE_ERR_AUTH_NO_KEY', async () => {
    await expect401(h, await signWith(stranger, 'k2', { uuid: 'u-admin' }), 'PERMGATE_ERR_AUTH_NO_KEY')
  })

  it('a known kid with another key\'s signature: 401 PERMGATE_ERR_AUTH_TOKEN_INVALID', async () => {
    await expect401(h, await signWith(stranger, 'k1', { uuid: 'u-admin' }), 'PERMGATE_ERR_AUTH_TOKEN_INVALID')
  })

  it('a jku header pointing elsewhere is not followed', async () => {
    const attacker = await startJwksServer([stranger.publicJwk])
    try {
      const token = await new SignJWT({ uuid: 'u-admin' }).setProtectedHeader({ alg: 'RS256', kid: 'k2', jku: attacker.url }).setExpirationTime('1h').sign(stranger.privateKey)
      await expect401(h, token, 'PERMGATE_ERR_AUTH_NO_KEY')
      expect(attacker.requests()).toBe(0)
    } finally {
      await attacker.close()
    }
  })

  it('HS256 and alg none are refused before any key lookup', async () => {
    await expect401(h, unsecured({ uuid: 'u-admin', exp: nowSec() + 3600 }), 'PERMGATE_ERR_AUTH_TOKEN_ALGORITHM')
    const hs = await new SignJWT({ uuid: 'u-admin' }).setProtectedHeader({ alg: 'HS256', kid: 'k1' }).setExpirationTime('1h').sign(new TextEncoder().encode('x'.repeat(32)))
    await expect401(h, hs, 'PERMGATE_ERR_AUTH_TOKEN_ALGORITHM')
  })
})
