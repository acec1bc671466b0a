import type { IncomingHttpHeaders } from 'node:http'
import { describe, expect, it } from 'vitest'
import { cookieValues } from '../../../src/identity/cookie.js'
import { readCredential, type CredentialOptions } from '../../../src/identity/credential.js'
import { thrown } from './helpers.js'

const JWT = 'eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJhbGljZSJ9.c2lnbmF0dXJl'
const KEY = '0123456789abcdef0123456789abcdef'
const opts: CredentialOptions = { cookieName: 'astronomer_astro_example_com_auth', apiKeyLength: 32 }
const read = (headers: IncomingHttpHeaders, o: CredentialOptions = opts): ReturnType<typeof readCredential> => readCredential(headers, o)

describe('readCredential', () => {
  it.each([
    ['Bearer', `Bearer ${JWT}`],
    ['bare (as Houston clients send)', JWT],
    ['lowercase bearer', `bearer ${JWT}`],
    ['BEARER with extra blanks', `  BEARER \t ${JWT}  `],
  ])('reads a JWT from the Authorization header: %s', (_name, authorization) => {
    expect(read({ authorization })).toEqual({ kind: 'jwt', token: JWT, source: 'header' })
  })

  it('reads a 32-character token with no dot as an API key, with or without Bearer', () => {
    expect(read({ authorization: KEY })).toEqual({ kind: 'apiKey', token: KEY, source: 'header' })
    expect(read({ authorization: `Bearer ${KEY}` })).toEqual({ kind: 'apiKey', token: KEY, source: 'header' })
  })

  it('reads a 32-character token with a dot as a JWT', () => {
    const dotted = `${'a'.repeat(15)}.${'b'.repeat(16)}`
    expect(dotted).toHaveLength(32)
    expect(read({ authorization: dotted }).kind).toBe('jwt')
    expect(read({ authorization: KEY.slice(1) }).kind).toBe('jwt')
  })

  it('reads no API keys when apiKeyLength is 0', () => {
    expect(read({ authorization: KEY }, { ...opts, apiKeyLength: 0 }).kind).toBe('jwt')
  })

  it('falls back to the cookie only when there is no Authorization header', () => {
    const cookie = `theme=dark; ${opts.cookieName}=${JWT}; other=1`
    expect(read({ cookie })).toEqual({ kind: 'jwt', token: JWT, source: 'cookie' })
    expect(read({ cookie, authorization: `Bearer ${KEY}` })).toEqual({ kind: 'apiKey', token: KEY, source: 'header' })
    expect(read({ cookie }, { ...opts, cookieName: undefined })).toEqual({ kind: 'none' })
  })

  it('is anonymous with no credential, or an emptied cookie', () => {
    expect(read({})).toEqual({ kind: 'none' })
    expect(read({ cookie: 'theme=dark' })).toEqual({ kind: 'none' })
    expect(read({ cookie: `${opts.cookieName}=` })).toEqual({ kind: 'none' })
  })

  it.each<[string, IncomingHttpHeaders]>([
    ['an empty Authorization header', { authorization: '' }],
    ['a blank Authorization header', { authorization: '   ' }],
    ['Bearer with no token', { authorization: 'Bearer' }],
    ['Bearer and blanks', { authorization: 'Bearer   ' }],
    ['another scheme', { authorization: 'Basic dXNlcjpwYXNz' }],
    ['two Authorization headers', { authorization: [`Bearer ${JWT}`, `Bearer ${KEY}`] as unknown as string }],
    ['the cookie twice', { cookie: `${opts.cookieName}=${JWT}; ${opts.cookieName}=${KEY}` }],
    ['the cookie twice, across Cookie fields', { cookie: [`${opts.cookieName}=${JWT}`, `${opts.cookieName}=${JWT}`] as unknown as string }],
    ['a cookie token with blanks inside', { cookie: `${opts.cookieName}=a b` }],
  ])('is 401 for %s', (_name, headers) => {
    const e = thrown(() => read(headers))
    expect(e.code).toBe('PERMGATE_ERR_AUTH_TOKEN_INVALID')
    expect(e.status).toBe(401)
    expect(e.message).not.toContain(JWT)
    expect(e.message).not.toContain(KEY)
  })
})

describe('cookieValues', () => {
  it('splits on ; and the first =, trims, keeps = in values, and does not decode', () => {
    expect(cookieValues(' a = x=y ; b=%41 ;c', 'a')).toEqual(['x=y'])
    expect(cookieValues('a=1; b=%41', 'b')).toEqual(['%41'])
    expect(cookieValues('a="quoted"', 'a')).toEqual(['quoted'])
    expect(cookieValues('A=1; a=2', 'a')).toEqual(['2'])
    expect(cookieValues('xa=1; ax=2', 'a')).toEqual([])
    expect(cookieValues(undefined, 'a')).toEqual([])
    expect(cookieValues(['a=1', 'b=2; a=3'], 'a')).toEqual(['1', '3'])
  })
})
