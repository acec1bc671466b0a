import { describe, expect, it } from 'vitest'
import { cidrsContain, compileCidrs } from '../../../src/config/cidr.js'
import { clientAddress } from '../../../src/ingress/client-address.js'
import { thrown } from '../../helpers/errors.js'

const TRUSTED = compileCidrs(['10.0.0.0/8', '::1'], 'PERMGATE_ERR_CONFIG_INVALID', {})

describe('clientAddress: X-Forwarded-For is believed only from trusted proxies', () => {
  it.each([
    ['no trusted proxies configured: the peer, whatever the header says', '10.0.0.5', '1.2.3.4', undefined, '10.0.0.5'],
    ['an untrusted peer cannot claim another address', '203.0.113.9', '10.0.0.1', TRUSTED, '203.0.113.9'],
    ['a trusted peer: the rightmost hop it added', '10.0.0.5', '198.51.100.7', TRUSTED, '198.51.100.7'],
    ['hops added by trusted proxies are skipped; a client-supplied left part is not believed', '10.0.0.5', '1.1.1.1, 198.51.100.7, 10.0.0.9', TRUSTED, '198.51.100.7'],
    ['several headers are one list', '10.0.0.5', ['1.1.1.1', '198.51.100.7'], TRUSTED, '198.51.100.7'],
    ['only trusted hops: the leftmost', '10.0.0.5', '10.0.0.7, 10.0.0.6', TRUSTED, '10.0.0.7'],
    ['a junk hop makes the client unknown', '10.0.0.5', '1.1.1.1, junk', TRUSTED, undefined],
    ['an IPv4-mapped peer is read as IPv4', '::ffff:10.0.0.5', '198.51.100.7', TRUSTED, '198.51.100.7'],
    ['IPv6 loopback as a trusted proxy', '::1', '2001:db8::5', TRUSTED, '2001:db8::5'],
    ['no header from a trusted peer: the peer', '10.0.0.5', undefined, TRUSTED, '10.0.0.5'],
    ['no peer address: unknown', undefined, '1.2.3.4', TRUSTED, undefined],
  ])('%s', (_label, remote, xff, trusted, want) => {
    expect(clientAddress(remote, xff, trusted)).toBe(want)
  })
})

describe('CIDR lists', () => {
  it('IPv4, IPv6, bare addresses, and IPv4-mapped spellings', () => {
    const c = compileCidrs(['192.168.0.0/16', '2001:db8::/32', '203.0.113.5'], 'PERMGATE_ERR_POLICY_SHAPE', {})
    expect(cidrsContain(c, '192.168.4.4')).toBe(true)
    expect(cidrsContain(c, '::ffff:192.168.4.4')).toBe(true)
    expect(cidrsContain(c, '192.169.0.1')).toBe(false)
    expect(cidrsContain(c, '2001:db8:1::1')).toBe(true)
    expect(cidrsContain(c, '2001:db9::1')).toBe(false)
    expect(cidrsContain(c, '203.0.113.5')).toBe(true)
    expect(cidrsContain(c, '203.0.113.6')).toBe(false)
    expect(cidrsContain(c, undefined)).toBe(false)
    expect(cidrsContain(c, '')).toBe(false)
  })

  it.each(['10.0.0.0/33', '10.0.0.0/', '10.0.0.0/-1', '10.0.0.0/8/8', '10.0.0', 'localhost', '::1/129', '10.0.0.0/08x', ''])('%j is refused with the given code', (r) => {
    expect(thrown(() => compileCidrs([r], 'PERMGATE_ERR_CONFIG_INVALID', { path: 'trustedProxies' })).code).toBe('PERMGATE_ERR_CONFIG_INVALID')
  })
})
