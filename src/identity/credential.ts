import type { IncomingHttpHeaders } from 'node:http'
import { PermgateError } from '../errors.js'
import { cookieValues } from './cookie.js'
import { DEFAULT_API_KEY_LENGTH } from './types.js'

export type Credential =
  | { readonly kind: 'none' }
  | { readonly kind: 'jwt' | 'apiKey'; readonly token: string; readonly source: 'header' | 'cookie' }

export interface CredentialOptions {
  /** Cookie read when there is no Authorization header. @default undefined (cookies are not read) */
  readonly cookieName?: string | undefined
  /** A token of this length with no `.` is an API key; 0 disables API keys. @default DEFAULT_API_KEY_LENGTH (32) */
  readonly apiKeyLength?: number | undefined
}

const NONE: Credential = Object.freeze({ kind: 'none' })
const BEARER = /^bearer(?:[ \t]+|$)/i
/** RFC 6750 §2.1 `b64token`: what a bearer token may contain (JWTs and hex API keys fit). */
const B64TOKEN = /^[A-Za-z0-9\-._~+/]+=*$/

/**
 * The credential a request presents: the Authorization header (`Bearer <token>`, any case of
 * the scheme, or a bare token as Houston's clients send), else the named cookie. A credential
 * that is presented but malformed is 401, never anonymous: a client that meant to
 * authenticate must not silently get the anonymous principal.
 */
export function readCredential(headers: IncomingHttpHeaders, opts: CredentialOptions): Credential {
  const auth: unknown = headers.authorization
  if (auth !== undefined) {
    // Two Authorization fields could be read differently here and upstream (request smuggling).
    if (typeof auth !== 'string') throw invalid('more than one Authorization header was sent')
    let token = auth.trim()
    const scheme = BEARER.exec(token)
    if (scheme) token = token.slice(scheme[0].length).trim()
    if (token === '') throw invalid('the Authorization header holds no token')
    return classify(token, 'header', opts)
  }
  if (opts.cookieName === undefined) return NONE
  const values = cookieValues(headers.cookie, opts.cookieName)
  // Two cookies of the same name (e.g. one planted for a parent domain) leave it ambiguous
  // which the client meant, and another reader could pick the other one.
  if (values.length > 1) throw invalid(`the cookie ${opts.cookieName} was sent more than once`)
  const token = values[0]
  // An emptied cookie (how a logout clears it) is no credential.
  if (token === undefined || token === '') return NONE
  return classify(token, 'cookie', opts)
}

function classify(token: string, source: 'header' | 'cookie', opts: CredentialOptions): Credential {
  if (!B64TOKEN.test(token)) throw invalid(`the ${source === 'header' ? 'Authorization header' : 'cookie'} token has characters no token may have`)
  const length = opts.apiKeyLength ?? DEFAULT_API_KEY_LENGTH
  const apiKey = length > 0 && token.length === length && !token.includes('.')
  return { kind: apiKey ? 'apiKey' : 'jwt', token, source }
}

function invalid(message: string): PermgateError {
  return new PermgateError('PERMGATE_ERR_AUTH_TOKEN_INVALID', message)
}
