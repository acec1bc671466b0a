import type { IncomingHttpHeaders } from 'node:http'
import type { Principal } from '../identity/types.js'
import { cidrsContain, normalizeAddress, type CidrList } from '../config/cidr.js'

/** Headers permgate sets for the upstream; a client's own are always removed first. */
export const PERMGATE_HEADER_PREFIX = 'x-permgate-'

/** Forwarding headers a client could forge: kept only when a trusted proxy sent them. */
const FORWARDING = ['x-forwarded-host', 'x-forwarded-proto', 'x-forwarded-port', 'x-real-ip', 'forwarded']

/**
 * Request headers about the client's own hop (RFC 9110 §7.6.1), never forwarded: undici refuses
 * `expect`, `keep-alive` and `upgrade` outright. reply-from removes `connection`, what it names,
 * and `transfer-encoding`.
 */
const HOP_BY_HOP_REQUEST = ['expect', 'keep-alive', 'te', 'trailer', 'proxy-connection', 'upgrade']

/** Method overrides (Rack, Express, ASP.NET): the upstream must run the method that was decided. */
const METHOD_OVERRIDES = ['x-http-method-override', 'x-http-method', 'x-method-override']

/** What forwardHeaders removes, prepared once from the configuration. */
export interface HeaderHygiene {
  /** Names never forwarded, lower case, with `_` and `.` read as `-`. */
  readonly drop: ReadonlySet<string>
  /** Of those, the configured identity headers (`stripHeaders`), read the same way. */
  readonly strip: ReadonlySet<string>
  /** The credential cookie, removed when the Authorization header decided. */
  readonly cookieName: string | undefined
}

export function headerHygiene(stripHeaders: readonly string[], cookieName: string | undefined): HeaderHygiene {
  const strip = new Set(stripHeaders.map((h) => dashed(h.toLowerCase())))
  return { drop: new Set([...HOP_BY_HOP_REQUEST, ...METHOD_OVERRIDES, ...strip]), strip, cookieName }
}

const SEPARATORS = /[_.]/g

/** A (lower-case) header name as CGI, WSGI and Rack servers read it: `x_user.id` is X-User-Id (HTTP_X_USER_ID). */
export function dashed(name: string): string {
  return name.includes('_') || name.includes('.') ? name.replace(SEPARATORS, '-') : name
}

/**
 * Header hygiene for the upstream: drop every client-supplied `x-permgate-*` header, the
 * configured identity headers (a client must not pass as someone) and their spellings with `_`
 * or `.`, hop-by-hop headers and method overrides; drop the credential cookie when the
 * Authorization header decided (src/identity/credential.ts: the cookie may be another
 * principal's); drop the encoding of a body that was decoded and re-serialized; then add who
 * permgate decided for.
 * X-Forwarded-For: from a trusted proxy (`trusted`), its chain with the peer appended; from
 * anyone else, just the peer, and the other forwarding headers dropped, so an upstream that
 * reads them is not told what a client made up.
 */
export function forwardHeaders(
  headers: IncomingHttpHeaders,
  hygiene: HeaderHygiene,
  principal: Principal,
  decisionId: string,
  bodyRewritten: boolean,
  peer: string | undefined,
  trusted: CidrList | undefined,
): IncomingHttpHeaders {
  const drop = hygiene.drop
  for (const name in headers) {
    const n = dashed(name)
    if (n.startsWith(PERMGATE_HEADER_PREFIX) || drop.has(n)) delete headers[name]
  }
  const cookieName = hygiene.cookieName
  if (cookieName !== undefined && headers.authorization !== undefined && typeof headers.cookie === 'string' && headers.cookie.includes(cookieName)) {
    const kept = withoutCookie(headers.cookie, cookieName)
    if (kept === '') delete headers.cookie
    else headers.cookie = kept
  }
  const from = peer === undefined ? undefined : (normalizeAddress(peer) ?? peer)
  const chain = headers['x-forwarded-for']
  if (trusted !== undefined && from !== undefined && chain !== undefined && cidrsContain(trusted, from)) {
    headers['x-forwarded-for'] = `${Array.isArray(chain) ? chain.join(', ') : chain}, ${from}`
  } else {
    for (let i = 0; i < FORWARDING.length; i++) delete headers[FORWARDING[i] as string]
    if (from === undefined) delete headers['x-forwarded-for']
    else headers['x-forwarded-for'] = from
  }
  if (bodyRewritten) {
    delete headers['content-encoding']
    delete headers['transfer-encoding']
  }
  headers['x-permgate-subject'] = principal.id ?? 'anonymous'
  headers['x-permgate-kind'] = principal.kind
  headers['x-permgate-decision-id'] = decisionId
  return headers
}

/** A Cookie header without the cookies called `name` (names compare exactly, as cookieValues reads them). */
export function withoutCookie(header: string, name: string): string {
  return header
    .split(';')
    .filter((pair) => {
      const eq = pair.indexOf('=')
      return eq < 0 ? pair.trim() !== '' : pair.slice(0, eq).trim() !== name
    })
    .map((p) => p.trim())
    .join('; ')
}

/** undici's codes for a request it refused to send: a fault of permgate's, not the upstream's. */
const LOCAL_UNDICI_CODES = new Set(['UND_ERR_INVALID_ARG', 'UND_ERR_NOT_SUPPORTED', 'UND_ERR_INVALID_RETURN_VALUE', 'UND_ERR_REQ_CONTENT_LENGTH_MISMATCH'])

/** True when a forwarding error (reply-from wraps undici's as its `cause`) was raised before anything reached the upstream. */
export function isLocalForwardingError(error: unknown): boolean {
  for (let e = error, depth = 0; e instanceof Error && depth < 4; e = e.cause, depth++) {
    const code = (e as { code?: unknown }).code
    if (typeof code === 'string' && LOCAL_UNDICI_CODES.has(code)) return true
  }
  return false
}

/** Response headers about the upstream connection itself (RFC 9110 §7.6.1), never relayed. */
const HOP_BY_HOP = ['connection', 'keep-alive', 'proxy-connection', 'upgrade']

/**
 * The upstream's response headers for the client, without its hop-by-hop headers (and those
 * its Connection header names): the upstream's `Connection: keep-alive` must not override
 * how permgate's own client connection ends (e.g. a client's `Connection: close`).
 */
export function responseHeaders(headers: IncomingHttpHeaders): IncomingHttpHeaders {
  const connection = headers.connection
  if (typeof connection === 'string') for (const name of connection.split(',')) delete headers[name.trim().toLowerCase()]
  for (let i = 0; i < HOP_BY_HOP.length; i++) delete headers[HOP_BY_HOP[i] as string]
  return headers
}
