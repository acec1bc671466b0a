import type { IncomingHttpHeaders } from 'node:http'
import type { Principal } from '../bindings/types.js'

/** Headers permgate sets for the upstream; a client's own are always removed first. */
export const PERMGATE_HEADER_PREFIX = 'x-permgate-'

/**
 * Header hygiene for the upstream: drop every client-supplied `x-permgate-*` header and the
 * configured identity headers (a client must not pass as someone), drop the encoding of a
 * body that was decoded and re-serialized, then add who permgate decided for.
 */
export function forwardHeaders(
  headers: IncomingHttpHeaders,
  strip: readonly string[],
  principal: Principal,
  decisionId: string,
  bodyRewritten: boolean,
): IncomingHttpHeaders {
  for (const name of Object.keys(headers)) {
    if (name.startsWith(PERMGATE_HEADER_PREFIX) || strip.includes(name)) delete headers[name]
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
