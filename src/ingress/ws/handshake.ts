import type { IncomingHttpHeaders } from 'node:http'
import type { Duplex } from 'node:stream'
import type { Principal } from '../../identity/types.js'
import type { ServeConfig } from '../../config/schema.js'
import { forwardHeaders, withoutCookie, type HeaderHygiene } from '../../egress/forward.js'
import { ERRORS, PermgateError } from '../../errors.js'
import type { CidrList } from '../../config/cidr.js'
import type { CredentialSource } from './init-payload.js'
import { errorEntryOf } from '../../egress/graphql-errors.js'

const REASONS: Readonly<Record<number, string>> = { 400: 'Bad Request', 403: 'Forbidden', 404: 'Not Found', 500: 'Internal Server Error', 503: 'Service Unavailable' }

/** Refuses an upgrade with a plain HTTP response carrying a coded GraphQL error; the socket is closed. */
export function refuseUpgrade(socket: Duplex, e: PermgateError): void {
  const status = ERRORS[e.code].status ?? 500
  const body = JSON.stringify({ errors: [errorEntryOf(e, undefined, '')] })
  socket.on('error', () => socket.destroy())
  socket.end(
    `HTTP/1.1 ${status} ${REASONS[status] ?? 'Error'}\r\nContent-Type: application/json; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\n` +
      `Cache-Control: no-store\r\nConnection: close\r\n\r\n${body}`,
  )
}

/** Headers of the client's handshake that belong to that one connection, never copied upstream. */
const HANDSHAKE = new Set([
  'host', 'connection', 'upgrade', 'keep-alive', 'proxy-connection', 'te', 'trailer', 'transfer-encoding', 'content-length',
  'sec-websocket-key', 'sec-websocket-version', 'sec-websocket-extensions', 'sec-websocket-protocol', 'sec-websocket-accept',
])

/**
 * The upstream handshake's headers: the client's, without its handshake headers, with the same
 * hygiene as HTTP (forwardHeaders) plus who permgate decided for. When the credential came from
 * connection_init's payload, the upgrade request's Authorization header and credential cookie are
 * dropped: the upstream must not authenticate the connection as someone other than the principal
 * permgate decides for.
 */
export function upstreamHeaders(
  upgrade: IncomingHttpHeaders,
  config: ServeConfig,
  hygiene: HeaderHygiene,
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
  const h = forwardHeaders(copy, hygiene, principal, connectionId, false, peer, trusted)
  const out: Record<string, string> = {}
  for (const [name, value] of Object.entries(h)) if (value !== undefined) out[name] = Array.isArray(value) ? value.join(', ') : value
  return out
}

/** ws:// (or wss://) URL of the upstream's subscriptions path; the client's query string is never forwarded. */
export function upstreamUrl(config: ServeConfig): string {
  const u = new URL(config.upstreamSubscriptionsPath, config.upstream.origin)
  u.protocol = u.protocol === 'https:' ? 'wss:' : 'ws:'
  u.search = ''
  return u.toString()
}
