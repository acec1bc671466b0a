import { Kind } from 'graphql'
import { describe, expect, it } from 'vitest'
import { DEFAULT_LIMITS, DEFAULT_MAX_TOKENS } from '../../../src/operation/limits.js'
import { parseDocument } from '../../../src/operation/parse.js'
import { codeOf } from './helpers.js'

const limits = DEFAULT_LIMITS

describe('parseDocument', () => {
  it('parses an executable document without locations', () => {
    const doc = parseDocument('query Q { a } fragment F on Query { b }', limits)
    expect(doc.definitions.map((d) => d.kind)).toEqual([Kind.OPERATION_DEFINITION, Kind.FRAGMENT_DEFINITION])
    expect(doc.loc).toBeUndefined()
  })

  it('rejects a non-string or empty query as a request-shape error', () => {
    expect(codeOf(() => parseDocument('', limits))).toBe('PERMGATE_ERR_REQUEST_SHAPE')
    expect(codeOf(() => parseDocument(undefined as unknown as string, limits))).toBe('PERMGATE_ERR_REQUEST_SHAPE')
    expect(codeOf(() => parseDocument(42 as unknown as string, limits))).toBe('PERMGATE_ERR_REQUEST_SHAPE')
    expect(codeOf(() => parseDocument({ query: '{ a }' } as unknown as string, limits))).toBe(
      'PERMGATE_ERR_REQUEST_SHAPE',
    )
  })

  it('maps syntax errors', () => {
    expect(codeOf(() => parseDocument('{ a', limits))).toBe('PERMGATE_ERR_GRAPHQL_SYNTAX')
    expect(codeOf(() => parseDocument('   ', limits))).toBe('PERMGATE_ERR_GRAPHQL_SYNTAX')
    expect(codeOf(() => parseDocument('{ a(x: ) }', limits))).toBe('PERMGATE_ERR_GRAPHQL_SYNTAX')
    expect(codeOf(() => parseDocument('{ a } \u0007', limits))).toBe('PERMGATE_ERR_GRAPHQL_SYNTAX')
  })

  it('keeps graphql-js syntax message in the error', () => {
    try {
      parseDocument('{ a', limits)
      expect.unreachable()
    } catch (e) {
      expect((e as Error).message).toContain('Syntax Error')
    }
  })

  it('rejects type-system definitions and extensions', () => {
    for (const q of [
      'type Query { a: Int }',
      '{ a } type Query { a: Int }',
      'extend type Query { b: Int }',
      'schema { query: Query }',
      'directive @d on FIELD',
    ]) {
      expect(codeOf(() => parseDocument(q, limits)), q).toBe('PERMGATE_ERR_GRAPHQL_NOT_EXECUTABLE')
    }
  })

  it('rejects legacy fragment variables', () => {
    expect(codeOf(() => parseDocument('fragment F($v: Int) on Query { a }', limits))).toBe(
      'PERMGATE_ERR_GRAPHQL_SYNTAX',
    )
  })

  describe('token limit', () => {
    // `{` + n names + `}`: n + 2 tokens.
    const withTokens = (n: number): string => `{ ${Array.from({ length: n - 2 }, () => 'a').join(' ')} }`

    it('accepts exactly maxTokens tokens and rejects one more', () => {
      expect(() => parseDocument(withTokens(100), { ...limits, maxTokens: 100 })).not.toThrow()
      expect(codeOf(() => parseDocument(withTokens(101), { ...limits, maxTokens: 100 }))).toBe(
        'PERMGATE_ERR_GRAPHQL_TOO_MANY_TOKENS',
      )
    })

    it('applies the default limit', () => {
      expect(() => parseDocument(withTokens(DEFAULT_MAX_TOKENS), limits)).not.toThrow()
      expect(codeOf(() => parseDocument(withTokens(DEFAULT_MAX_TOKENS + 1), limits))).toBe(
        'PERMGATE_ERR_GRAPHQL_TOO_MANY_TOKENS',
      )
    })

    it('does not count comments as tokens', () => {
      const q = `${'# comment\n'.repeat(50)}{ a }`
      expect(() => parseDocument(q, { ...limits, maxTokens: 3 })).not.toThrow()
    })

    it('reports a syntax error that comes before the limit as a syntax error', () => {
      const q = `{ a ) ${'b '.repeat(200)}}`
      expect(codeOf(() => parseDocument(q, { ...limits, maxTokens: 100 }))).toBe('PERMGATE_ERR_GRAPHQL_SYNTAX')
    })

    it('reports a document over the limit as too many tokens even if it is broken later', () => {
      const q = `{ ${'b '.repeat(200)} ) }`
      expect(codeOf(() => parseDocument(q, { ...limits, maxTokens: 100 }))).toBe(
        'PERMGATE_ERR_GRAPHQL_TOO_MANY_TOKENS',
      )
    })
  })

  it('turns nesting that exhausts the parser stack into a client error', () => {
    const n = 3300
    const q = `{${'a{'.repeat(n)}b${'}'.repeat(n + 1)}`
    expect(codeOf(() => parseDocument(q, limits))).toBe('PERMGATE_ERR_GRAPHQL_TOO_DEEP')
    const list = `{ a(x: ${'['.repeat(4900)}${']'.repeat(4900)}) }`
    expect(codeOf(() => parseDocument(list, limits))).toBe('PERMGATE_ERR_GRAPHQL_TOO_DEEP')
  })
})
