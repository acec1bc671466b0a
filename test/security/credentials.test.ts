// Credentials built to pass as someone else: forged and confused JWTs, header parameters that
// name a key (kid, jku, x5u, jwk), bad claims, oversized tokens, Authorization/cookie tricks.
// A credential that is presented but invalid is 401 and nothing reaches the upstream.
import { createHmac } from 'node:crypto'
import { exportJWK, generateKeyPair, importSPKI, exportSPKI, SignJWT, type KeyLike } from 'jose'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { API_KEY, startHarness, type Harness } from '../helpers/proxy.js'
import { startJwksServer, type JwksServer } from '../unit/identity/helpers.js'
import { expectForwarded, expectRefused, gql, nowSec, raw, responsesIn, socket, unsecured } from './helpers.js'

const SELF = { query: '{ self }' }
const bearer = (t: string): Record<string, string> => ({ authorization: `Bearer ${t}` })

describe('RS256 key: forged and confused tokens', () => {
  let h: Harness
  let attacker: { privateKey: KeyLike; publicKey: KeyLike }
  let jwks: JwksServer
  const admin = (): Record<string, unknown> => ({ uuid: 'u-admin', exp: nowSec() + 3600 })
  const byAttacker = (header: Record<string, unknown>): Promise<string> =>
    new SignJWT(admin()).setProtectedHeader({ alg: 'RS256', ...header }).sign(attacker.privateKey)

  beforeAll(async () => {
    h = await startHarness()
    attacker = await generateKeyPair('RS256', { extractable: true })
    // A JWK set on loopback holding the attacker's key: it would verify the attacker's tokens.
    jwks = await startJwksServer([{ ...(await exportJWK(attacker.publicKey)), kid: 'attacker', alg: 'RS256', use: 'sig' }])
  })
  afterAll(async () => {
    await h.close()
    await jwks.close()
  })
  beforeEach(() => h.upstream.reset())

  const hmacWith = (alg: 'HS256' | 'HS384' | 'HS512', secret: Uint8Array): Promise<string> =>
    new SignJWT(admin()).setProtectedHeader({ alg }).sign(secret)
  const der = async (): Promise<Uint8Array> => {
    const k = await importSPKI(h.keyText, 'RS256', { extractable: true })
    const pem = await exportSPKI(k)
    return Buffer.from(pem.replace(/-----[^-]+-----|\s/g, ''), 'base64')
  }
  const text = (s: string): Uint8Array => new TextEncoder().encode(s)

  const cases: [string, () => Promise<string>, string][] = [
    ['alg none', async () => unsecured(admin()), 'PERMGATE_ERR_AUTH_TOKEN_ALGORITHM'],
    ['alg None', async () => unsecured(admin(), 'None'), 'PERMGATE_ERR_AUTH_TOKEN_ALGORITHM'],
    ['alg NONE with a signature', async () => unsecured(admin(), 'NONE', 'c2lnbmF0dXJl'), 'PERMGATE_ERR_AUTH_TOKEN_ALGORITHM'],
    ['alg nOnE', async () => unsecured(admin(), 'nOnE'), 'PERMGATE_ERR_AUTH_TOKEN_ALGORITHM'],
    ['alg missing', async () => `${Buffer.from('{"typ":"JWT"}').toString('base64url')}.${Buffer.from(JSON.stringify(admin())).toString('base64url')}.`, 'PERMGATE_ERR_AUTH_TOKEN_INVALID'],
    ['HS256 keyed with the RSA public key PEM', () => hmacWith('HS256', text(h.keyText)), 'PERMGATE_ERR_AUTH_TOKEN_ALGORITHM'],
    ['HS256 keyed with the PEM without its final newline', () => hmacWith('HS256', text(h.keyText.trimEnd())), 'PERMGATE_ERR_AUTH_TOKEN_ALGORITHM'],
    ['HS384 keyed with the PEM', () => hmacWith('HS384', text(h.keyText)), 'PERMGATE_ERR_AUTH_TOKEN_ALGORITHM'],
    ['HS512 keyed with the PEM', () => hmacWith('HS512', text(h.keyText)), 'PERMGATE_ERR_AUTH_TOKEN_ALGORITHM'],
    ['HS256 keyed with the DER of the public key', async () => hmacWith('HS256', await der()), 'PERMGATE_ERR_AUTH_TOKEN_ALGORITHM'],
    ['kid: path traversal', () => byAttacker({ kid: '../../../../../../dev/null' }), 'PERMGATE_ERR_AUTH_TOKEN_INVALID'],
    ['kid: absolute path', () => byAttacker({ kid: '/proc/self/environ' }), 'PERMGATE_ERR_AUTH_TOKEN_INVALID'],
    ['kid: SQL', () => byAttacker({ kid: "x' UNION SELECT 'attacker-key' -- " }), 'PERMGATE_ERR_AUTH_TOKEN_INVALID'],
    ['kid: shell', () => byAttacker({ kid: 'k1|curl http://127.0.0.1:1/x' }), 'PERMGATE_ERR_AUTH_TOKEN_INVALID'],
    ['kid: a URL', async () => byAttacker({ kid: jwks.url }), 'PERMGATE_ERR_AUTH_TOKEN_INVALID'],
    ['kid: 2,000 characters', () => byAttacker({ kid: 'k'.repeat(2000) }), 'PERMGATE_ERR_AUTH_TOKEN_INVALID'],
    ['jku naming a JWK set that holds the signing key', () => byAttacker({ kid: 'attacker', jku: jwks.url }), 'PERMGATE_ERR_AUTH_TOKEN_INVALID'],
    ['x5u naming the same server', () => byAttacker({ kid: 'attacker', x5u: jwks.url }), 'PERMGATE_ERR_AUTH_TOKEN_INVALID'],
    ['jwk: the signing key embedded in the header', async () => byAttacker({ jwk: await exportJWK(attacker.publicKey) }), 'PERMGATE_ERR_AUTH_TOKEN_INVALID'],
    ['expired an hour ago', () => h.signRaw({ uuid: 'u-admin', exp: nowSec() - 3600 }), 'PERMGATE_ERR_AUTH_TOKEN_EXPIRED'],
    ['expired past the 30 s tolerance', () => h.signRaw({ uuid: 'u-admin', exp: nowSec() - 120 }), 'PERMGATE_ERR_AUTH_TOKEN_EXPIRED'],
    ['nbf an hour ahead', () => h.signRaw({ uuid: 'u-admin', exp: nowSec() + 7200, nbf: nowSec() + 3600 }), 'PERMGATE_ERR_AUTH_TOKEN_NOT_YET_VALID'],
    ['exp as a string', () => h.signRaw({ uuid: 'u-admin', exp: String(nowSec() + 3600) as unknown as number }), 'PERMGATE_ERR_AUTH_TOKEN_CLAIMS'],
    ['no exp', () => h.signRaw({ uuid: 'u-admin' }), 'PERMGATE_ERR_AUTH_TOKEN_CLAIMS'],
    ['a signed token over the 8 KiB limit', () => h.signRaw({ uuid: 'u-admin', exp: nowSec() + 3600, pad: 'x'.repeat(6000) }), 'PERMGATE_ERR_AUTH_TOKEN_TOO_LARGE'],
  ]

  it.each(cases)('%s: 401, on a public field too, nothing forwarded', async (name, make, reason) => {
    const token = await make()
    expectRefused(h, await gql(h, SELF, bearer(token)), 401, reason, name)
    expectRefused(h, await gql(h, { query: '{ authConfig }' }, bearer(token)), 401, reason, name)
  })

  it('no header parameter made permgate fetch a key', () => {
    expect(jwks.requests()).toBe(0)
  })

  it('the same token in the cookie is refused the same way', async () => {
    const token = await byAttacker({ kid: 'attacker', jku: jwks.url })
    expectRefused(h, await gql(h, SELF, { cookie: `astronomer_example_com_auth=${token}` }), 401, 'PERMGATE_ERR_AUTH_TOKEN_INVALID')
    const big = await h.signRaw({ uuid: 'u-admin', exp: nowSec() + 3600, pad: 'x'.repeat(6000) })
    expectRefused(h, await gql(h, SELF, { cookie: `astronomer_example_com_auth=${big}` }), 401, 'PERMGATE_ERR_AUTH_TOKEN_TOO_LARGE')
    expect(jwks.requests()).toBe(0)
  })

  it('an Authorization header beyond the HTTP header limit: refused by the HTTP server (431), nothing forwarded', async () => {
    const [first] = responsesIn(await socket(h.url, `POST /graphql HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nAuthorization: Bearer ${'a'.repeat(20_000)}.b.c\r\nContent-Length: 2\r\nConnection: close\r\n\r\n{}`))
    expect(first?.status).toBe(431)
    expect(h.upstream.count()).toBe(0)
  })
})

describe('--jwt-issuer and --jwt-audience', () => {
  let h: Harness
  beforeAll(async () => {
    h = await startHarness(['--jwt-issuer', 'https://houston.example.com', '--jwt-audience', 'permgate'])
  })
  afterAll(() => h.close())
  beforeEach(() => h.upstream.reset())

  it.each([
    ['a wrong issuer', { iss: 'https://evil.example.com', aud: 'permgate' }],
    ['the issuer with a trailing slash', { iss: 'https://houston.example.com/', aud: 'permgate' }],
    ['the issuer in upper case', { iss: 'HTTPS://HOUSTON.EXAMPLE.COM', aud: 'permgate' }],
    ['the issuer as a list', { iss: ['https://houston.example.com'], aud: 'permgate' }],
    ['a wrong audience', { iss: 'https://houston.example.com', aud: 'other' }],
    ['an audience list without permgate', { iss: 'https://houston.example.com', aud: ['other', 'permgate-x'] }],
    ['no issuer or audience', {}],
  ])('%s: 401 PERMGATE_ERR_AUTH_TOKEN_CLAIMS', async (_name, claims) => {
    expectRefused(h, await gql(h, { query: '{ authConfig }' }, bearer(await h.token('u-admin', claims))), 401, 'PERMGATE_ERR_AUTH_TOKEN_CLAIMS')
  })

  it('the right issuer and audience: forwarded (the cases above fail on the claims alone)', async () => {
    expectForwarded(h, await gql(h, SELF, bearer(await h.token('u-viewer', { iss: 'https://houston.example.com', aud: 'permgate' }))))
  })
})

describe('HS256 secret: tokens signed by hand', () => {
  let h: Harness
  let secret: string
  const part = (o: object): string => Buffer.from(JSON.stringify(o)).toString('base64url')
  const hs = (header: object, payload: object, key = secret, hash = 'sha256'): string => {
    const input = `${part(header)}.${part(payload)}`
    return `${input}.${createHmac(hash, key).update(input).digest('base64url')}`
  }
  const admin = (): object => ({ uuid: 'u-admin', exp: nowSec() + 3600 })

  beforeAll(async () => {
    h = await startHarness([], undefined, { jwt: 'HS256' })
    secret = h.keyText.trimEnd()
  })
  afterAll(() => h.close())
  beforeEach(() => h.upstream.reset())

  it('control: a hand-signed HS256 token with the real secret is accepted', async () => {
    const seen = expectForwarded(h, await gql(h, SELF, bearer(hs({ alg: 'HS256', typ: 'JWT' }, { uuid: 'u-viewer', exp: nowSec() + 3600 }))))
    expect(seen.headers['x-permgate-subject']).toBe('u-viewer')
  })

  it.each([
    ['kid pointing at /dev/null, keyed with an empty secret', () => hs({ alg: 'HS256', kid: '../../../../../../dev/null' }, admin(), ''), 'PERMGATE_ERR_AUTH_TOKEN_INVALID'],
    ['kid as SQL returning a known secret', () => hs({ alg: 'HS256', kid: "x' UNION SELECT 'attacker' -- " }, admin(), 'attacker'), 'PERMGATE_ERR_AUTH_TOKEN_INVALID'],
    ['HS512 with the real secret (not in the allow-list)', () => hs({ alg: 'HS512' }, admin(), secret, 'sha512'), 'PERMGATE_ERR_AUTH_TOKEN_ALGORITHM'],
    ['alg hs256 in lower case', () => hs({ alg: 'hs256' }, admin()), 'PERMGATE_ERR_AUTH_TOKEN_ALGORITHM'],
    ['crit naming an extension nobody understands', () => hs({ alg: 'HS256', crit: ['x-permgate-admin'], 'x-permgate-admin': true }, admin()), 'PERMGATE_ERR_AUTH_TOKEN_ALGORITHM'],
    ['b64: false (unencoded payload)', () => hs({ alg: 'HS256', b64: false, crit: ['b64'] }, admin()), 'PERMGATE_ERR_AUTH_TOKEN_INVALID'],
    ['a header that is not JSON', () => `${Buffer.from('{alg:HS256}').toString('base64url')}.${part(admin())}.x`, 'PERMGATE_ERR_AUTH_TOKEN_INVALID'],
    ['a payload that is a list', () => hs({ alg: 'HS256' }, [admin()]), 'PERMGATE_ERR_AUTH_TOKEN_INVALID'],
  ] as const)('%s: 401', async (name, make, reason) => {
    expectRefused(h, await gql(h, SELF, bearer(make())), 401, reason, name)
  })
})

describe('Authorization header and cookie tricks', () => {
  let h: Harness
  let viewer: string
  let admin: string
  const COOKIE = 'astronomer_example_com_auth'

  beforeAll(async () => {
    h = await startHarness()
    viewer = await h.token('u-viewer')
    admin = await h.token('u-admin')
  })
  afterAll(() => h.close())
  beforeEach(() => h.upstream.reset())

  it.each([
    ['lower-case bearer', (t: string) => `bearer ${t}`],
    ['upper-case BEARER', (t: string) => `BEARER ${t}`],
    ['a tab and spaces around the token', (t: string) => `Bearer\t ${t}  `],
    ['no scheme (Houston clients)', (t: string) => t],
  ])('%s: accepted as the token\'s subject', async (_name, f) => {
    const seen = expectForwarded(h, await gql(h, SELF, { authorization: f(viewer) }))
    expect(seen.headers['x-permgate-subject']).toBe('u-viewer')
  })

  it.each([
    ['a space and garbage after the token', (t: string) => `Bearer ${t} x`],
    ['a character appended to the signature', (t: string) => `Bearer ${t}x`],
    ['a fourth segment', (t: string) => `Bearer ${t}.x`],
    ['a second token after a comma', (t: string) => `Bearer ${t},Bearer ${t}`],
    ['two schemes', (t: string) => `Bearer Bearer ${t}`],
    ['a Basic credential', () => `Basic ${Buffer.from('u-admin:x').toString('base64')}`],
    ['the scheme alone', () => 'Bearer'],
    ['a quoted token', (t: string) => `Bearer "${t}"`],
  ])('%s: 401 PERMGATE_ERR_AUTH_TOKEN_INVALID', async (_name, f) => {
    expectRefused(h, await gql(h, { query: '{ authConfig }' }, { authorization: f(admin) }), 401, 'PERMGATE_ERR_AUTH_TOKEN_INVALID')
  })

  it('another spelling of a valid token (base64 padding, stray low bits in the signature): 401', async () => {
    const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_'
    // An RS256 (2048-bit) signature is 342 characters for 256 bytes: the last one's 4 low bits are unused.
    const last = ALPHABET.indexOf(viewer.at(-1)!)
    const strayBits = `${viewer.slice(0, -1)}${ALPHABET[last ^ 1]}`
    expect(Buffer.from(strayBits.split('.')[2]!, 'base64url')).toEqual(Buffer.from(viewer.split('.')[2]!, 'base64url'))
    for (const spelling of [`${viewer}=`, `${viewer}==`, strayBits]) {
      expectRefused(h, await gql(h, SELF, bearer(spelling)), 401, 'PERMGATE_ERR_AUTH_TOKEN_INVALID', spelling.slice(-8))
    }
    expectForwarded(h, await gql(h, SELF, bearer(viewer)))
  })

  it('a token in both the header and the cookie: the header decides', async () => {
    expectRefused(h, await gql(h, { query: '{ deployments }' }, { authorization: `Bearer ${viewer}`, cookie: `${COOKIE}=${admin}` }), 403, 'missing_permission')
    expectRefused(h, await gql(h, { query: '{ deployments }' }, { authorization: 'Bearer not.a.jwt', cookie: `${COOKIE}=${admin}` }), 401, 'PERMGATE_ERR_AUTH_TOKEN_INVALID')
  })

  it('two cookies of the configured name: 401, even when one of them is valid', async () => {
    expectRefused(h, await gql(h, { query: '{ authConfig }' }, { cookie: `${COOKIE}=${viewer}; ${COOKIE}=${admin}` }), 401, 'PERMGATE_ERR_AUTH_TOKEN_INVALID')
    expectRefused(h, await gql(h, { query: '{ authConfig }' }, { cookie: `${COOKIE}=; ${COOKIE}=${admin}` }), 401, 'PERMGATE_ERR_AUTH_TOKEN_INVALID')
  })

  it('a cookie of another name or letter case is no credential: anonymous', async () => {
    expectRefused(h, await gql(h, SELF, { cookie: `Astronomer_example_com_auth=${admin}; ${COOKIE}x=${admin}` }), 401, 'unauthenticated')
  })

  it('two Authorization fields: the first is decided, and only the first is forwarded', async () => {
    const send = async (first: string, second: string, query: string): Promise<{ status: number; body: string }> => {
      const body = JSON.stringify({ query })
      const text = await socket(h.url, `POST /graphql HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nAuthorization: Bearer ${first}\r\nAuthorization: Bearer ${second}\r\nContent-Length: ${body.length}\r\nConnection: close\r\n\r\n${body}`)
      return responsesIn(text)[0]!
    }
    expect((await send(viewer, admin, '{ deployments }')).status).toBe(403)
    expect(h.upstream.count()).toBe(0)
    expect((await send(admin, viewer, '{ deployments }')).status).toBe(200)
    expect(h.upstream.requests[0]!.headers.authorization).toBe(`Bearer ${admin}`)
    expect(h.upstream.requests[0]!.headers['x-permgate-subject']).toBe('u-admin')
  })

  it('subjects named like prototype keys are plain subjects without bindings', async () => {
    for (const subject of ['__proto__', 'constructor', 'toString', 'hasOwnProperty']) {
      h.upstream.reset()
      const token = await h.token(subject)
      expectRefused(h, await gql(h, { query: '{ deployments }' }, bearer(token)), 403, 'missing_permission', subject)
      const seen = expectForwarded(h, await gql(h, SELF, bearer(token)), 200, subject)
      expect(seen.headers['x-permgate-subject']).toBe(subject)
      expect(seen.headers['x-permgate-kind']).toBe('user')
    }
  })

  it('an API key in another letter case is another key: 401', async () => {
    expectRefused(h, await gql(h, { query: '{ authConfig }' }, { authorization: API_KEY.toUpperCase() }), 401, 'PERMGATE_ERR_AUTH_UNKNOWN_API_KEY')
    expect((await raw(h.url, 'POST', '/graphql', { 'content-type': 'application/json', authorization: API_KEY }, '{"query":"{ self }"}')).status).toBe(200)
  })
})

// Regression (issue 12, item 12): such a subject used to verify, and then undici refused it in
// the x-permgate-subject header: every request of the token was a 502.
describe('a signed subject that cannot be sent upstream as a header value', () => {
  let h: Harness
  beforeAll(async () => {
    h = await startHarness()
  })
  afterAll(() => h.close())
  beforeEach(() => h.upstream.reset())

  it.each([
    ['CR LF', 'u-viewer\r\nx-permgate-subject: u-admin'],
    ['NUL', 'u-admin\u0000'],
    ['a snowman', 'u-\u2603'],
    ['a Latin-1 letter', 'jos\u00e9'],
    ['a trailing space', 'u-admin '],
    ['257 characters', 'u'.repeat(257)],
  ])('%s: 401 PERMGATE_ERR_AUTH_TOKEN_CLAIMS, bearer and cookie, nothing forwarded', async (name, subject) => {
    const token = await h.token(subject)
    expectRefused(h, await gql(h, SELF, bearer(token)), 401, 'PERMGATE_ERR_AUTH_TOKEN_CLAIMS', name)
    expectRefused(h, await gql(h, { query: '{ authConfig }' }, { cookie: `astronomer_example_com_auth=${token}` }), 401, 'PERMGATE_ERR_AUTH_TOKEN_CLAIMS', name)
  })

  it('control: printable ASCII with a space inside is forwarded as the subject header', async () => {
    const seen = expectForwarded(h, await gql(h, SELF, bearer(await h.token('Ada Lovelace|ci@example.com'))))
    expect(seen.headers['x-permgate-subject']).toBe('Ada Lovelace|ci@example.com')
  })
})
