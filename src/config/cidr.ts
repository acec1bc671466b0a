import { BlockList, isIP } from 'node:net'
import { PermgateError, type ErrorCode, type ErrorPlace } from '../errors.js'

/** A compiled list of CIDR ranges (IPv4 and IPv6); an address matches if any range holds it. */
export interface CidrList {
  readonly ranges: readonly string[]
  readonly list: BlockList
}

/**
 * Reads `10.0.0.0/8`, `2001:db8::/32` or a bare address (a /32 or /128). Anything else is an
 * error at load: a typo in an allow-list must never widen or silently empty it.
 */
export function compileCidrs(ranges: readonly string[], code: ErrorCode, place: ErrorPlace): CidrList {
  const list = new BlockList()
  for (const r of ranges) {
    const slash = r.indexOf('/')
    const addr = slash < 0 ? r : r.slice(0, slash)
    const family = isIP(addr)
    const max = family === 4 ? 32 : 128
    const prefix = slash < 0 ? max : Number(r.slice(slash + 1))
    if (family === 0 || !/^\d{1,3}$/.test(slash < 0 ? String(max) : r.slice(slash + 1)) || prefix > max) {
      throw new PermgateError(code, `not an IP address or CIDR range: ${JSON.stringify(r)}`, place)
    }
    list.addSubnet(addr, prefix, family === 4 ? 'ipv4' : 'ipv6')
    // an IPv4 range also holds the IPv4-mapped IPv6 spelling of its addresses
    if (family === 4) list.addSubnet(`::ffff:${addr}`, 96 + prefix, 'ipv6')
  }
  return { ranges: Object.freeze([...ranges]), list }
}

/** Whether `ip` is in the list; an unknown or unparsable address is not (deny on doubt). */
export function cidrsContain(c: CidrList, ip: string | undefined): boolean {
  if (ip === undefined) return false
  const family = isIP(ip)
  if (family === 0) return false
  return c.list.check(ip, family === 4 ? 'ipv4' : 'ipv6')
}

/** `::ffff:10.1.2.3` -> `10.1.2.3`; undefined for anything that is not an address. */
export function normalizeAddress(a: string): string | undefined {
  const v4 = a.startsWith('::ffff:') ? a.slice(7) : a
  if (isIP(v4) === 4) return v4
  return isIP(a) === 6 ? a : undefined
}
