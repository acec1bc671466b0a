import { describe, expect, it } from 'vitest'
import type { Principal } from '../../../src/identity/types.js'
import { TokenCache } from '../../../src/identity/token-cache.js'
import { NOW_MS } from './helpers.js'

const alice: Principal = { kind: 'user', id: 'alice', groups: [] }

function clock(): { now: () => number; advance: (ms: number) => void } {
  let t = NOW_MS
  return { now: () => t, advance: (ms) => void (t += ms) }
}

describe('TokenCache', () => {
  it('counts misses and hits', () => {
    const c = clock()
    const cache = new TokenCache(10, c.now)
    expect(cache.get('t')).toBeUndefined()
    cache.set('t', { principal: alice, expiresAtMs: NOW_MS + 60_000 })
    expect(cache.get('t')?.principal).toBe(alice)
    expect(cache.stats()).toEqual({ hits: 1, misses: 1, evictions: 0, expirations: 0, size: 1 })
  })

  it('never returns an entry at or after its token exp', () => {
    const c = clock()
    const cache = new TokenCache(10, c.now, 3_600_000)
    cache.set('t', { principal: alice, expiresAtMs: NOW_MS + 1000 })
    c.advance(999)
    expect(cache.get('t')).toBeDefined()
    c.advance(1)
    expect(cache.get('t')).toBeUndefined()
    expect(cache.stats()).toMatchObject({ hits: 1, misses: 1, expirations: 1, size: 0 })
  })

  it('bounds an entry by the TTL, with or without exp', () => {
    const c = clock()
    const cache = new TokenCache(10, c.now, 5000)
    cache.set('no-exp', { principal: alice, expiresAtMs: undefined })
    cache.set('late-exp', { principal: alice, expiresAtMs: NOW_MS + 3_600_000 })
    c.advance(4999)
    expect(cache.get('no-exp')).toBeDefined()
    c.advance(1)
    expect(cache.get('no-exp')).toBeUndefined()
    expect(cache.get('late-exp')).toBeUndefined()
    expect(cache.stats().expirations).toBe(2)
  })

  it('does not keep an already expired token', () => {
    const cache = new TokenCache(10, clock().now)
    cache.set('t', { principal: alice, expiresAtMs: NOW_MS })
    expect(cache.stats().size).toBe(0)
  })

  it('evicts the least recently used entry and counts it', () => {
    const cache = new TokenCache(2, clock().now)
    const entry = { principal: alice, expiresAtMs: NOW_MS + 60_000 }
    cache.set('a', entry)
    cache.set('b', entry)
    cache.get('a')
    cache.set('c', entry)
    expect(cache.get('b')).toBeUndefined()
    expect(cache.get('a')).toMatchObject(entry)
    expect(cache.get('a')?.principal).toBe(alice)
    expect(cache.stats()).toMatchObject({ evictions: 1, size: 2 })
  })
})
