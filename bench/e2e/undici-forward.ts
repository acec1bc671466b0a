/**
 * What the two Node reference proxies share: one undici Pool to the upstream origin, kept
 * alive across rounds, and the headers each side of it may pass on.
 */
import type { IncomingHttpHeaders, OutgoingHttpHeaders } from 'node:http'
import { Pool } from 'undici'

/** As the upstream's: pooled connections never close between rounds (undici's default is 4 s). */
const KEEP_ALIVE_TIMEOUT_MS = 120_000 // 2 min

/**
 * Hop-by-hop headers (RFC 9110 section 7.6.1) belong to one connection, never forwarded; undici
 * refuses most of them in a request anyway. `host` names this proxy, and content-length is
 * set again from the buffered body.
 */
const REQUEST_DROPPED = new Set(['connection', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'te', 'trailer', 'upgrade', 'expect', 'host', 'content-length'])
const RESPONSE_DROPPED = new Set(['connection', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'te', 'trailer', 'upgrade'])

export function upstreamPool(origin: string): Pool {
  return new Pool(origin, { keepAliveTimeout: KEEP_ALIVE_TIMEOUT_MS, keepAliveMaxTimeout: KEEP_ALIVE_TIMEOUT_MS })
}

export function requestHeaders(headers: IncomingHttpHeaders): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {}
  for (const [name, value] of Object.entries(headers)) if (value !== undefined && !REQUEST_DROPPED.has(name)) out[name] = value
  return out
}

export function responseHeaders(headers: Record<string, string | string[] | undefined>): OutgoingHttpHeaders {
  const out: OutgoingHttpHeaders = {}
  for (const [name, value] of Object.entries(headers)) if (value !== undefined && !RESPONSE_DROPPED.has(name)) out[name] = value
  return out
}
