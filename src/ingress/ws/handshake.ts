import type { IncomingHttpHeaders } from 'node:http'
import type { Duplex } from 'node:stream'
import type { Principal } from '../../bindings/types.js'
import type { ServeConfig } from '../../config/schema.js'
import { forwardHeaders } from '../../egress/forward.js'
import { ERRORS, PermgateError } from '../../errors.js'
import type { CidrList } from '../../policy/ip.js'
import { graphqlCode } from './protocols.js'

const REASONS: Readonly<Record<number, string>> = { 400: 'Bad Request', 403: 'Forbidden', 404: 'Not Found', 500: 'Internal Server Error' }

/** Refuses an upgrade with a plain HTTP response carrying a coded GraphQL error; the socket is closed. */
export function refuseUpgrade(socket: Duplex, e: PermgateError): void {
  const status = ERRORS[e.code].status ?? 500
  const body = JSON.stringify({ errors: [{ message: e.message, extensions: { code: status === 404 ? 'NOT_FOUND' : graphqlCode(status), reason: e.code } }] })
  socket.on('error', () => socket.destroy())
  socket.end(
    `HTTP/1.1 ${status} ${REASONS[status] ?? 'Error'}\r\nContent-Type: application/json; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\n` +
      `Cache-Control: no-store\r\nConnection: close\r\n\r\n${body}`,
  )
}

/** Keys of connection_init's payload that carry a credential, as Houston's clients send it. */
export const PAYLOAD_CREDENTIAL_KEYS = ['authorization', 'Authorization', 'token', 'authToken'] as const

/** The credential the headers are built from: connection_init's payload, else the upgrade request. */
export type CredentialSource = 'payload' | 'upgrade'

/**
 * The headers the identity stage reads for a connection: the credential in connection_init's
 * payload as an Authorization header when there is one (null counts as none), else the upgrade
 * request's Authorization header and cookie. Two different credentials in the payload, or one
 * that is not a string, are refused as a credential that is not valid.
 */
export function credentialHeaders(payload: Record<string, unknown> | undefined, upgrade: IncomingHttpHeaders): { headers: IncomingHttpHeaders; source: CredentialSource } {
  let found: string | undefined
  for (const key of PAYLOAD_CREDENTIAL_KEYS) {
    const v = payload === undefined || !Object.hasOwn(payload, key) ? undefined : payload[key]
    if (v === undefined || v === null) continue
    if (typeof v !== 'string') throw new PermgateError('PERMGATE_ERR_AUTH_TOKEN_INVALID', `connection_init's ${key} must be a string`)
    if (found !== undefined && found !== v) throw new PermgateError('PERMGATE_ERR_AUTH_TOKEN_INVALID', 'connection_init carries two different credentials')
    found = v
  }
  if (found !== undefined) return { headers: { authorization: found }, source: 'payload' }
  const headers: IncomingHttpHeaders = {}
  if (upgrade.authorization !== undefined) headers.authorization = upgrade.authorization
  if (upgrade.cookie !== undefined) headers.cookie = upgrade.cookie
  return { headers, source: 'upgrade' }
}

/** Headers of the client's handshake that belong to that one connection, never copied upstream. */
const HANDSHAKE = new Set([
  'host', 'connection', 'upgrade', 'keep-alive', 'proxy-connection', 'te', 'trailer', 'transfer-encoding', 'content-length',
  'sec-websocket-key', 'sec-websocket-version', 'sec-websocket-extensions', 'sec-websocket-protocol', 'sec-websocket-accept',
])

/**
 * The upstream handshake's headers: the client's, without its handshake headers, with the same
 * hygiene as HTTP (no client `x-permgate-*`, no configured identity headers) plus who permgate
 * decided for. When the credential came from connection_init's payload, the upgrade request's
 * Authorization header and credential cookie are dropped: the upstream must not authenticate the
 * connection as someone other than the principal permgate decides for.
 */
export function upstreamHeaders(
  upgrade: IncomingHttpHeaders,
  config: ServeConfig,
  principal: Principal,
  connectionId: string,
  source: CredentialSource,
  peer: string | undefined,
  trusted: CidrList | undefined,
): Record<string, string> {
  const copy: IncomingHttpHeaders = {}
  for (const [name, value] of Object.entries(upgrade)) if (!HANDSHAKE.has(name) && value !== undefined) copy[name] = value
  if (source === 'payload') {
    delete copy.authorization
    if (config.cookieName !== undefined && typeof copy.cookie === 'string') {
      const kept = withoutCookie(copy.cookie, config.cookieName)
      if (kept === '') delete copy.cookie
      else copy.cookie = kept
    }
  }
  const h = forwardHeaders(copy, config.stripHeaders, principal, connectionId, false, peer, trusted)
  const out: Record<string, string> = {}
  for (const [name, value] of Object.entries(h)) if (value !== undefined) out[name] = Array.isArray(value) ? value.join(', ') : value
  return out
}

function withoutCookie(header: string, name: string): string {
  return header
    .split(';')
    .filter((pair) => {
      const eq = pair.indexOf('=')
      return eq < 0 ? pair.trim() !== '' : pair.slice(0, eq).trim() !== name
    })
    .map((p) => p.trim())
    .join('; ')
}

/** ws:// (or wss://) URL of the upstream's GraphQL endpoint; the client's query string is never forwarded. */
export function upstreamUrl(config: ServeConfig): string {
  const u = new URL(config.upstream.graphqlPath ?? config.graphqlPath, config.upstream.origin)
  u.protocol = u.protocol === 'https:' ? 'wss:' : 'ws:'
  u.search = ''
  return u.toString()
}
