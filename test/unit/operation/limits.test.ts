import { describe, expect, it } from 'vitest'
import {
  DEFAULT_LIMITS,
  DEFAULT_MAX_ALIASES,
  DEFAULT_MAX_DEPTH,
  DEFAULT_MAX_ROOT_FIELDS,
} from '../../../src/operation/limits.js'
import { codeOf, extract } from './helpers.js'

/** `{ f { f { ... leaf } } }` with `levels` field levels. */
function nested(levels: number): string {
  return `${'f { '.repeat(levels - 1)}leaf${' }'.repeat(levels - 1)}`
}

function aliased(count: number, prefix = 'x'): string {
  return Array.from({ length: count }, (_, i) => `${prefix}${i}: f`).join(' ')
}

function plain(count: number): string {
  return Array.from({ length: count }, (_, i) => `f${i}`).join(' ')
}

describe('limits', () => {
  it('has frozen named defaults', () => {
    expect(DEFAULT_LIMITS).toEqual({ maxTokens: 10_000, maxDepth: 15, maxAliases: 50, maxRootFields: 32 })
    expect(Object.isFrozen(DEFAULT_LIMITS)).toBe(true)
  })

  describe('depth', () => {
    it('allows maxDepth levels and rejects one more', () => {
      expect(() => extract(`{ ${nested(DEFAULT_MAX_DEPTH)} }`)).not.toThrow()
      expect(codeOf(() => extract(`{ ${nested(DEFAULT_MAX_DEPTH + 1)} }`))).toBe('PERMGATE_ERR_GRAPHQL_TOO_DEEP')
    })

    it('counts a root field as depth 1', () => {
      expect(() => extract('{ a b }', null, { maxDepth: 1 })).not.toThrow()
      expect(codeOf(() => extract('{ a { b } }', null, { maxDepth: 1 }))).toBe('PERMGATE_ERR_GRAPHQL_TOO_DEEP')
    })

    it('counts through fragments, which add no depth of their own', () => {
      const q = (levels: number): string =>
        `{ a { ...F } } fragment F on T { ... on T { ...G } } fragment G on T { ${nested(levels)} }`
      expect(() => extract(q(3), null, { maxDepth: 4 })).not.toThrow()
      expect(codeOf(() => extract(q(4), null, { maxDepth: 4 }))).toBe('PERMGATE_ERR_GRAPHQL_TOO_DEEP')
    })

    it('takes the deepest use of a fragment used at several depths', () => {
      const q = '{ ...F a { b { ...F } } } fragment F on Query { c { d } }'
      expect(() => extract(q.replace('...F }', 'x }'), null, { maxDepth: 3 })).not.toThrow()
      expect(codeOf(() => extract(q, null, { maxDepth: 3 }))).toBe('PERMGATE_ERR_GRAPHQL_TOO_DEEP')
    })

    it('ignores a too-deep fragment the operation does not use', () => {
      expect(() => extract(`{ a } fragment Unused on T { ${nested(30)} }`)).not.toThrow()
    })
  })

  describe('aliases', () => {
    it('allows maxAliases and rejects one more, at any depth', () => {
      const q = (count: number): string => `{ r: a { ${aliased(count - 1)} } }`
      expect(() => extract(q(DEFAULT_MAX_ALIASES))).not.toThrow()
      expect(codeOf(() => extract(q(DEFAULT_MAX_ALIASES + 1)))).toBe('PERMGATE_ERR_GRAPHQL_TOO_MANY_ALIASES')
      expect(() => extract(`{ ${aliased(5)} }`, null, { maxAliases: 5 })).not.toThrow()
      expect(codeOf(() => extract(`{ ${aliased(6)} }`, null, { maxAliases: 5 }))).toBe(
        'PERMGATE_ERR_GRAPHQL_TOO_MANY_ALIASES',
      )
    })

    it('counts aliases in a fragment each time it is expanded', () => {
      const q = (uses: number): string =>
        `{ a { ${'...F '.repeat(uses)}} } fragment F on T { ${aliased(5)} }`
      expect(() => extract(q(2), null, { maxAliases: 10 })).not.toThrow()
      expect(codeOf(() => extract(q(3), null, { maxAliases: 10 }))).toBe('PERMGATE_ERR_GRAPHQL_TOO_MANY_ALIASES')
    })

    it('counts aliases through nested fragments', () => {
      const q = '{ ...A ...A } fragment A on Query { x: a { ...B ...B } } fragment B on T { y: b z: c }'
      // Per A: 1 + 2 * 2 = 5, used twice.
      expect(() => extract(q, null, { maxAliases: 10 })).not.toThrow()
      expect(codeOf(() => extract(q, null, { maxAliases: 9 }))).toBe('PERMGATE_ERR_GRAPHQL_TOO_MANY_ALIASES')
    })
  })

  describe('root fields', () => {
    it('allows maxRootFields and rejects one more', () => {
      expect(extract(`{ ${plain(DEFAULT_MAX_ROOT_FIELDS)} }`).fields).toHaveLength(DEFAULT_MAX_ROOT_FIELDS)
      expect(codeOf(() => extract(`{ ${plain(DEFAULT_MAX_ROOT_FIELDS + 1)} }`))).toBe(
        'PERMGATE_ERR_GRAPHQL_TOO_MANY_ROOT_FIELDS',
      )
    })

    it('counts root fields through fragments each time they are used', () => {
      const q = (uses: number): string => `{ a ${'...F '.repeat(uses)}} fragment F on Query { b ... { c } }`
      expect(extract(q(2), null, { maxRootFields: 5 }).fields).toHaveLength(5)
      expect(codeOf(() => extract(q(3), null, { maxRootFields: 6 }))).toBe('PERMGATE_ERR_GRAPHQL_TOO_MANY_ROOT_FIELDS')
    })

    it('does not count nested fields as root fields', () => {
      expect(() => extract(`{ a { ${plain(100)} } }`, null, { maxRootFields: 1 })).not.toThrow()
    })
  })

  describe('exponential fragment fan-out', () => {
    // F0 spreads F1 twice, ..., F29 spreads F30 twice: 2^30 expansions if followed naively (a
    // regression would not finish within the test timeout; no duration is asserted).
    function fanOut(n: number, on: string, leaf: string): string {
      const defs = Array.from({ length: n }, (_, i) => `fragment F${i} on ${on} { ...F${i + 1} ...F${i + 1} }`)
      return `${defs.join(' ')} fragment F${n} on ${on} { ${leaf} }`
    }

    it('is rejected at the root before it is expanded', () => {
      expect(codeOf(() => extract(`{ ...F0 } ${fanOut(30, 'Query', 'a')}`))).toBe(
        'PERMGATE_ERR_GRAPHQL_TOO_MANY_ROOT_FIELDS',
      )
    })

    it('is rejected below the root before it is expanded', () => {
      expect(codeOf(() => extract(`{ a { ...F0 } } ${fanOut(30, 'T', 'x: a')}`))).toBe(
        'PERMGATE_ERR_GRAPHQL_TOO_MANY_ALIASES',
      )
    })

    it('is never expanded when unused', () => {
      expect(extract(`{ a } ${fanOut(30, 'T', 'x: a')}`).fields).toHaveLength(1)
    })

    it('allows a small fan-out within the limits', () => {
      const op = extract(`{ ...F0 } ${fanOut(4, 'Query', 'a')}`)
      expect(op.fields).toHaveLength(16)
    })
  })
})
