import type { IncomingHttpHeaders } from 'node:http'
import type { Principal } from '../bindings/types.js'
import { cidrsContain, normalizeAddress, type CidrList } from '../policy/ip.js'

/** Headers permgate sets for the upstream; a client's own are always removed first. */
export const PERMGATE_HEADER_PREFIX = 'x-permgate-'

/** Forwarding headers a client could forge: kept only when a trusted proxy sent them. */
const FORWARDING = ['x-forwarded-host', 'x-forwarded-proto', 'x-forwarded-port', 'x-real-ip', 'forwarded']

/**
 * Header hygiene for the upstream: drop every client-supplied `x-permgate-*` header and the
 * configured identity headers (a client must not pass as someone), drop the encoding of a
 * body that was decoded and re-serialized, then add who permgate decided for.
 * X-Forwarded-For: from a trusted proxy (`trusted`), its chain with the peer appended; from
 * anyone else, just the peer, and the other forwarding headers dropped, so an upstream that
 * reads them is not told what a client made up.
 */
export function forwardHeaders(
  headers: IncomingHttpHeaders,
  strip: readonly string[],
  principal: Principal,
  decisionId: string,
  bodyRewritten: boolean,
  peer: string | undefined,
  trusted: CidrList | undefined,
): IncomingHttpHeaders {
  for (const name of Object.keys(headers)) {
    if (name.startsWith(PERMGATE_HEADER_PREFIX) || strip.includes(name)) delete headers[name]
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
