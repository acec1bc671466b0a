import { describe, expect, it } from 'vitest'
import { DocumentCache } from '../../../src/operation/cache.js'
import { codeOf } from './helpers.js'

describe('DocumentCache', () => {
  it('counts a miss then hits, returning the same extraction', () => {
    const cache = new DocumentCache()
    const first = cache.get('{ a }', undefined)
    expect(cache.stats()).toEqual({ hits: 0, misses: 1, evictions: 0, size: 1 })
    const second = cache.get('{ a }', undefined)
    expect(second).toBe(first)
    expect(cache.get('{ a }', null)).toBe(first)
    expect(cache.stats()).toEqual({ hits: 2, misses: 1, evictions: 0, size: 1 })
  })

  it('keys on the operation name', () => {
    const cache = new DocumentCache()
    const q = 'query A { a } mutation B { b }'
    const a = cache.get(q, 'A')
    const b = cache.get(q, 'B')
    expect(a.type).toBe('Query')
    expect(a.fields.map((f) => f.name)).toEqual(['a'])
    expect(b.type).toBe('Mutation')
    expect(b.fields.map((f) => f.name)).toEqual(['b'])
    expect(codeOf(() => cache.get(q, undefined))).toBe('PERMGATE_ERR_GRAPHQL_OPERATION_NAME_REQUIRED')
    expect(cache.get(q, 'A')).toBe(a)
    expect(cache.stats()).toMatchObject({ hits: 1, misses: 3, size: 3 })
  })

  it('does not confuse a name with the start of the query', () => {
    const cache = new DocumentCache()
    expect(cache.get('query Ab { x } query A { y }', 'A').fields[0]?.name).toBe('y')
    expect(codeOf(() => cache.get('b { x } query A { y }', 'A'))).toBe('PERMGATE_ERR_GRAPHQL_SYNTAX')
    expect(codeOf(() => cache.get('query A { y }', 'B'))).toBe('PERMGATE_ERR_GRAPHQL_UNKNOWN_OPERATION')
    expect(cache.get('query A { y }', 'A').fields[0]?.name).toBe('y')
    expect(cache.stats().hits).toBe(0)
  })

  it('evicts the least recently used entry and counts it', () => {
    const cache = new DocumentCache({ max: 2 })
    const a = cache.get('{ a }', null)
    cache.get('{ b }', null)
    cache.get('{ a }', null)
    cache.get('{ c }', null)
    expect(cache.stats()).toEqual({ hits: 1, misses: 3, evictions: 1, size: 2 })
    expect(cache.get('{ a }', null)).toBe(a)
    cache.get('{ b }', null)
    expect(cache.stats()).toEqual({ hits: 2, misses: 4, evictions: 2, size: 2 })
  })

  it('bounds the query text it keeps', () => {
    const cache = new DocumentCache({ maxChars: 64 })
    const long = `{ a(x: "${'x'.repeat(80)}") }`
    cache.get(long, null)
    expect(cache.stats().size).toBe(0)
    cache.get('{ a }', null)
    expect(cache.stats().size).toBe(1)
  })

  it('rethrows a rejected document on every request without caching it as a success', () => {
    const cache = new DocumentCache()
    expect(codeOf(() => cache.get('{ a', null))).toBe('PERMGATE_ERR_GRAPHQL_SYNTAX')
    expect(codeOf(() => cache.get('{ a', null))).toBe('PERMGATE_ERR_GRAPHQL_SYNTAX')
    expect(cache.stats()).toMatchObject({ hits: 1, misses: 1 })
    expect(codeOf(() => cache.get('{ ...F }', null))).toBe('PERMGATE_ERR_GRAPHQL_UNKNOWN_FRAGMENT')
    expect(codeOf(() => cache.get('{ ...F }', null))).toBe('PERMGATE_ERR_GRAPHQL_UNKNOWN_FRAGMENT')
  })

  it('applies its limits, with unset ones defaulted', () => {
    const cache = new DocumentCache({ limits: { maxRootFields: 1 } })
    expect(cache.limits.maxDepth).toBe(15)
    expect(cache.get('{ a }', null).fields).toHaveLength(1)
    expect(codeOf(() => cache.get('{ a b }', null))).toBe('PERMGATE_ERR_GRAPHQL_TOO_MANY_ROOT_FIELDS')
  })

  it('rejects a non-string query without touching the cache', () => {
    const cache = new DocumentCache()
    expect(codeOf(() => cache.get(null as unknown as string, null))).toBe('PERMGATE_ERR_REQUEST_SHAPE')
    expect(cache.stats()).toEqual({ hits: 0, misses: 0, evictions: 0, size: 0 })
  })

  it('accepts configured root type names', () => {
    const cache = new DocumentCache({ rootTypeNames: { Query: 'QueryRoot' } })
    expect(cache.get('{ ...F } fragment F on QueryRoot { a }', null).fields[0]?.name).toBe('a')
    expect(codeOf(() => cache.get('{ ...F } fragment F on Query { a }', null))).toBe(
      'PERMGATE_ERR_GRAPHQL_FRAGMENT_TYPE',
    )
  })
})
