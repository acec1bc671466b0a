// What a route decision reads of a request besides its method and path: headers, query
// parameters and the client's address. The query is read as Express's default parser (qs) reads
// it, so that a condition holds for the values the upstream will act on.
import type { IncomingHttpHeaders } from 'node:http'
import type { CidrList } from '../config/cidr.js'
import { clientAddress } from './client-address.js'

/** Values of one query parameter a condition reads; more: the condition does not hold. @default 64 values */
export const DEFAULT_MAX_QUERY_VALUES = 64

/** The request facts a route rule's conditions and guards read. */
export class RouteFacts {
  /** parameter -> its values; undefined until a condition asks */
  #params: Map<string, string[]> | undefined
  /** parameters also sent in a bracketed spelling (`scope[]=`, `scope[0]=`) */
  #bracketed: Set<string> | undefined

  constructor(
    /** The raw query string, without `?` ('' when none). */
    readonly query: string,
    readonly headers: IncomingHttpHeaders,
    /** The client's address (X-Forwarded-For believed from trusted proxies only); undefined: unknown, in no range. */
    readonly clientIp: string | undefined,
  ) {}

  /**
   * Every value of query parameter `name`, decoded (`+` is a space, percent-encodings as UTF-8);
   * empty when it is not sent. Undefined when its reading is in doubt: it is also sent as
   * `name[]` or `name[x]` (qs merges those into `name`, a reader that does not would miss them),
   * or more than DEFAULT_MAX_QUERY_VALUES times.
   */
  queryValues(name: string): readonly string[] | undefined {
    if (this.#params === undefined) this.#parse()
    if (this.#bracketed!.has(name)) return undefined
    const values = this.#params!.get(name) ?? []
    return values.length > DEFAULT_MAX_QUERY_VALUES ? undefined : values
  }

  #parse(): void {
    const params = new Map<string, string[]>()
    const bracketed = new Set<string>()
    for (const [key, value] of new URLSearchParams(this.query)) {
      const b = key.indexOf('[')
      if (b > 0) bracketed.add(key.slice(0, b))
      const list = params.get(key)
      if (list === undefined) params.set(key, [value])
      else list.push(value)
    }
    this.#params = params
    this.#bracketed = bracketed
  }
}

/** No facts: every condition, ipAllow and secret fails (deny on doubt). */
export const NO_FACTS = new RouteFacts('', {}, undefined)

/**
 * The facts of one HTTP request: `url` as received (path and query), its headers, the socket's
 * peer and the trusted proxies (config.trustedProxyRanges) for the client's address.
 */
export function routeFacts(url: string, headers: IncomingHttpHeaders, remote: string | undefined, trusted: CidrList | undefined): RouteFacts {
  const q = url.indexOf('?')
  return new RouteFacts(q < 0 ? '' : url.slice(q + 1), headers, clientAddress(remote, headers['x-forwarded-for'], trusted))
}
