import { describe, expect, it } from 'vitest'
import { readCors } from '../../../src/config/cors.js'
import { allowedOrigin, corsPolicy, isPreflight, MAX_ORIGIN_LENGTH, originOf } from '../../../src/ingress/cors.js'

// Houston's CORS (its src/index.js) allows `.<baseDomain>$` and `://localhost[:\d+]?` as regular
// expressions, unescaped and unanchored: the same intent written as permgate patterns, which are
// matched against the whole origin.
const houstonLike = corsPolicy(readCors({
  origins: ['http://app.local.astronomer.io:5000'],
  originPatterns: ['https://[a-z0-9-]+\\.example\\.com', 'http://localhost(:[0-9]+)?'],
  credentials: true,
}))

describe('allowedOrigin: exact origins, then patterns matched whole', () => {
  it.each([
    ['an exact origin', 'http://app.local.astronomer.io:5000'],
    ['a subdomain the pattern names', 'https://app.example.com'],
    ['another one', 'https://houston.example.com'],
    ['localhost without a port', 'http://localhost'],
    ['localhost with a port', 'http://localhost:3000'],
  ])('%s is allowed and echoed: %s', (_what, origin) => {
    expect(allowedOrigin(houstonLike, origin)).toBe(origin)
  })

  it.each([
    // Houston's `.example.com$`: the dot matches any character
    ['a look-alike domain (Houston lets it through)', 'https://evil-example.com'],
    // Houston's `://localhost[:\d+]?`: unanchored
    ['a host that begins with localhost (Houston lets it through)', 'http://localhost.attacker.net'],
    ['localhost with a path-like suffix', 'http://localhost:3000.attacker.net'],
    ['the domain under another', 'https://app.example.com.attacker.net'],
    ['the domain itself, which the pattern does not name', 'https://example.com'],
    ['another scheme', 'http://app.example.com'],
    ['another port of the exact origin', 'http://app.local.astronomer.io:5001'],
    ['the exact origin in another case', 'HTTP://APP.LOCAL.ASTRONOMER.IO:5000'],
    ['the exact origin with a trailing slash', 'http://app.local.astronomer.io:5000/'],
    ['two Origin fields, joined', 'https://evil.net, https://app.example.com'],
    ['userinfo before an allowed host', 'https://app.example.com@evil.net'],
    ['the opaque origin', 'null'],
    ['an empty header', ''],
  ])('%s is refused: %s', (_what, origin) => {
    expect(allowedOrigin(houstonLike, origin)).toBeUndefined()
  })

  it('no Origin header, or several: no CORS answer', () => {
    expect(allowedOrigin(houstonLike, undefined)).toBeUndefined()
    expect(allowedOrigin(houstonLike, ['https://app.example.com', 'https://app.example.com'])).toBeUndefined()
  })

  it('an alternation in a pattern stays inside the anchors', () => {
    const p = corsPolicy(readCors({ originPatterns: ['https://a\\.example\\.com|https://b\\.example\\.com'] }))
    expect(allowedOrigin(p, 'https://b.example.com')).toBe('https://b.example.com')
    expect(allowedOrigin(p, 'https://a.example.com.evil.net')).toBeUndefined()
    expect(allowedOrigin(p, 'https://evil.net.https://b.example.com')).toBeUndefined()
  })

  it('origins ["*"]: every origin, as "*", the opaque one too', () => {
    const any = corsPolicy(readCors({ origins: ['*'] }))
    expect(allowedOrigin(any, 'https://anything.net')).toBe('*')
    expect(allowedOrigin(any, 'null')).toBe('*')
    expect(allowedOrigin(any, undefined)).toBeUndefined()
  })
})

describe('originOf: what a client controls is bounded', () => {
  it(`an origin up to ${MAX_ORIGIN_LENGTH} characters is read; a longer one is ignored`, () => {
    const host = (n: number) => `https://${'a'.repeat(n - 'https://'.length - '.com'.length)}.com`
    expect(originOf(host(MAX_ORIGIN_LENGTH))).toHaveLength(MAX_ORIGIN_LENGTH)
    expect(originOf(host(MAX_ORIGIN_LENGTH + 1))).toBeUndefined()
  })

  it.each(['https://app.example.com\u0000', 'https://app\t.example.com', 'https://app.example.com\r\nx: y', 'https://app.exa mple.com', 'https://app.example.com/path', 'https://app.example.com?q', 'app.example.com', 'https://'])(
    'control characters, spaces, paths and non-origins are ignored: %j',
    (header) => {
      expect(originOf(header)).toBeUndefined()
      expect(allowedOrigin(houstonLike, header)).toBeUndefined()
    },
  )
})

describe('isPreflight (Fetch standard §3.2.2)', () => {
  it('OPTIONS with Origin and Access-Control-Request-Method, nothing less', () => {
    expect(isPreflight('OPTIONS', { origin: 'https://app.example.com', 'access-control-request-method': 'POST' })).toBe(true)
    expect(isPreflight('OPTIONS', { origin: 'https://app.example.com' })).toBe(false)
    expect(isPreflight('OPTIONS', { 'access-control-request-method': 'POST' })).toBe(false)
    expect(isPreflight('POST', { origin: 'https://app.example.com', 'access-control-request-method': 'POST' })).toBe(false)
  })
})

describe('corsPolicy: the header values, prepared once', () => {
  it('the defaults: Apollo Router\'s methods, Houston\'s headers, 10 minutes', () => {
    const p = corsPolicy(readCors({ origins: ['https://app.example.com'] }))
    expect(p.methods).toBe('GET, POST, OPTIONS')
    expect(p.allowHeaders).toBe('Content-Type, Authorization, Content-Length, X-Requested-With, X-Apollo-Tracing')
    expect(p.exposeHeaders).toBeUndefined()
    expect(p.maxAge).toBe('600')
  })
})
