import { cidrsContain, normalizeAddress, type CidrList } from '../config/cidr.js'

/**
 * The client's address. `remote` is the socket's peer; `X-Forwarded-For` is believed only
 * when that peer is a trusted proxy, and then read from the right: each hop added by a
 * trusted proxy is skipped, the first untrusted one is the client. An entry that is not an
 * address makes the client unknown (undefined), which no allow-list holds.
 */
export function clientAddress(remote: string | undefined, forwardedFor: string | string[] | undefined, trusted: CidrList | undefined): string | undefined {
  let addr = remote === undefined ? undefined : normalizeAddress(remote)
  if (addr === undefined || trusted === undefined || forwardedFor === undefined || !cidrsContain(trusted, addr)) return addr
  const hops = (Array.isArray(forwardedFor) ? forwardedFor.join(',') : forwardedFor).split(',')
  for (let i = hops.length - 1; i >= 0; i--) {
    const hop = normalizeAddress((hops[i] as string).trim())
    if (hop === undefined) return undefined
    addr = hop
    if (!cidrsContain(trusted, addr)) return addr
  }
  return addr
}
