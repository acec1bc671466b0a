import { describe, expect, it } from 'vitest'
import { DEFAULT_LIMITS } from '../../../src/operation/limits.js'
import { parseDocument } from '../../../src/operation/parse.js'
import { extractOperation } from '../../../src/operation/select.js'
import { codeOf, extract, names } from './helpers.js'

describe('operation selection', () => {
  it('takes the only operation when no name is given', () => {
    const op = extract('query Q { a }')
    expect(op.type).toBe('Query')
    expect(op.name).toBe('Q')
    expect(names(op)).toEqual(['a'])
  })

  it('treats shorthand as an anonymous query', () => {
    const op = extract('{ a b }', null)
    expect(op.type).toBe('Query')
    expect(op.name).toBeUndefined()
    expect(names(op)).toEqual(['a', 'b'])
  })

  it('maps mutation and subscription', () => {
    expect(extract('mutation { m }').type).toBe('Mutation')
    expect(extract('subscription { s }').type).toBe('Subscription')
  })

  it('picks the named operation among several', () => {
    const q = 'query A { a } mutation B { b } subscription C { c }'
    expect(extract(q, 'A').type).toBe('Query')
    const b = extract(q, 'B')
    expect(b.type).toBe('Mutation')
    expect(names(b)).toEqual(['b'])
    expect(extract(q, 'C').type).toBe('Subscription')
  })

  it('requires a name when there are several operations', () => {
    expect(codeOf(() => extract('query A { a } query B { b }'))).toBe('PERMGATE_ERR_GRAPHQL_OPERATION_NAME_REQUIRED')
    expect(codeOf(() => extract('query A { a } query B { b }', null))).toBe(
      'PERMGATE_ERR_GRAPHQL_OPERATION_NAME_REQUIRED',
    )
  })

  it('rejects an unknown operation name, even with a single operation', () => {
    expect(codeOf(() => extract('query A { a } query B { b }', 'C'))).toBe('PERMGATE_ERR_GRAPHQL_UNKNOWN_OPERATION')
    expect(codeOf(() => extract('query A { a }', 'B'))).toBe('PERMGATE_ERR_GRAPHQL_UNKNOWN_OPERATION')
    expect(codeOf(() => extract('{ a }', 'A'))).toBe('PERMGATE_ERR_GRAPHQL_UNKNOWN_OPERATION')
    expect(codeOf(() => extract('{ a }', ''))).toBe('PERMGATE_ERR_GRAPHQL_UNKNOWN_OPERATION')
  })

  it('rejects a document with only fragments', () => {
    expect(codeOf(() => extract('fragment F on Query { a }'))).toBe('PERMGATE_ERR_GRAPHQL_NO_OPERATION')
  })

  it('rejects repeated operation names, whichever is selected', () => {
    const q = 'query A { a } query A { secret }'
    expect(codeOf(() => extract(q, 'A'))).toBe('PERMGATE_ERR_GRAPHQL_DUPLICATE_NAME')
    expect(codeOf(() => extract(`${q} query B { b }`, 'B'))).toBe('PERMGATE_ERR_GRAPHQL_DUPLICATE_NAME')
  })

  it('honours configured root type names for fragment type conditions', () => {
    const doc = parseDocument('{ ...F } fragment F on QueryRoot { a }', DEFAULT_LIMITS)
    const roots = { Query: 'QueryRoot', Mutation: 'MutationRoot', Subscription: 'SubscriptionRoot' }
    expect(extractOperation(doc, null, DEFAULT_LIMITS, roots).fields.map((f) => f.name)).toEqual(['a'])
    expect(codeOf(() => extractOperation(doc, null, DEFAULT_LIMITS))).toBe('PERMGATE_ERR_GRAPHQL_FRAGMENT_TYPE')
  })
})

describe('root fields', () => {
  it('reports aliases but uses the schema name', () => {
    const op = extract('{ mine: workspaces { id } theirs: workspaces { id } plain: user }')
    expect(op.fields.map((f) => [f.name, f.alias])).toEqual([
      ['workspaces', 'mine'],
      ['workspaces', 'theirs'],
      ['user', 'plain'],
    ])
    expect(extract('{ a }').fields[0]?.alias).toBeUndefined()
  })

  it('keeps duplicates in document order', () => {
    expect(names(extract('{ a b a }'))).toEqual(['a', 'b', 'a'])
  })

  it('returns introspection fields like any other', () => {
    expect(names(extract('{ __typename __schema { types { name } } __type(name: "X") { name } }'))).toEqual([
      '__typename',
      '__schema',
      '__type',
    ])
  })

  it('counts fields under @skip and @include as requested', () => {
    const q = 'query($no: Boolean = false) { a @skip(if: true) b @include(if: false) c @include(if: $no) }'
    expect(names(extract(q))).toEqual(['a', 'b', 'c'])
    expect(names(extract('{ ... @skip(if: true) { x } ...F @include(if: false) } fragment F on Query { y }'))).toEqual([
      'x',
      'y',
    ])
  })

  it('keeps each field’s argument nodes', () => {
    const [field] = extract('{ a(x: 1, y: "s") }').fields
    expect(field?.args.map((arg) => arg.name.value)).toEqual(['x', 'y'])
  })

  it('returns a frozen result', () => {
    const op = extract('query($v: Int = 1) { a }')
    expect(Object.isFrozen(op)).toBe(true)
    expect(Object.isFrozen(op.fields)).toBe(true)
    expect(Object.isFrozen(op.fields[0])).toBe(true)
    expect(Object.isFrozen(op.variableDefaults)).toBe(true)
  })
})

describe('fragments at the root', () => {
  it('follows fragment spreads in document order', () => {
    const op = extract('{ a ...F c } fragment F on Query { b1 b2 }')
    expect(names(op)).toEqual(['a', 'b1', 'b2', 'c'])
  })

  it('follows inline fragments with and without a type condition', () => {
    expect(names(extract('{ ... { a } ... on Query { b } }'))).toEqual(['a', 'b'])
    expect(names(extract('mutation { ... on Mutation { m } }'))).toEqual(['m'])
  })

  it('follows nested fragments and inline fragments', () => {
    const q = `
      { ...A ... on Query { ...B } }
      fragment A on Query { a ...B }
      fragment B on Query { ... on Query { b } }`
    expect(names(extract(q))).toEqual(['a', 'b', 'b'])
  })

  it('lists the fields of a fragment used twice twice', () => {
    const op = extract('{ ...F ...F } fragment F on Query { alias: x }')
    expect(op.fields.map((f) => [f.name, f.alias])).toEqual([
      ['x', 'alias'],
      ['x', 'alias'],
    ])
  })

  it('does not look at the type condition of fragments below the root', () => {
    expect(names(extract('{ a { ...W ... on Workspace { id } } } fragment W on Workspace { id }'))).toEqual(['a'])
  })

  it('rejects fragments on a type other than the operation root', () => {
    expect(codeOf(() => extract('{ ...F } fragment F on Mutation { a }'))).toBe('PERMGATE_ERR_GRAPHQL_FRAGMENT_TYPE')
    expect(codeOf(() => extract('mutation { ...F } fragment F on Query { a }'))).toBe(
      'PERMGATE_ERR_GRAPHQL_FRAGMENT_TYPE',
    )
    expect(codeOf(() => extract('{ ... on Mutation { a } }'))).toBe('PERMGATE_ERR_GRAPHQL_FRAGMENT_TYPE')
    expect(codeOf(() => extract('{ ...F } fragment F on Query { ... on User { a } }'))).toBe(
      'PERMGATE_ERR_GRAPHQL_FRAGMENT_TYPE',
    )
    expect(codeOf(() => extract('{ ...F } fragment F on Query { ...G } fragment G on Mutation { m }'))).toBe(
      'PERMGATE_ERR_GRAPHQL_FRAGMENT_TYPE',
    )
  })

  it('rejects unknown fragments at the root, nested, and inside other fragments', () => {
    expect(codeOf(() => extract('{ ...Missing }'))).toBe('PERMGATE_ERR_GRAPHQL_UNKNOWN_FRAGMENT')
    expect(codeOf(() => extract('{ a { ...Missing } }'))).toBe('PERMGATE_ERR_GRAPHQL_UNKNOWN_FRAGMENT')
    expect(codeOf(() => extract('{ ...F } fragment F on Query { a { ...Missing } }'))).toBe(
      'PERMGATE_ERR_GRAPHQL_UNKNOWN_FRAGMENT',
    )
  })

  it('rejects repeated fragment names', () => {
    expect(codeOf(() => extract('{ ...F } fragment F on Query { a } fragment F on Query { secret }'))).toBe(
      'PERMGATE_ERR_GRAPHQL_DUPLICATE_NAME',
    )
  })
})

describe('fragment cycles', () => {
  const cycle = 'PERMGATE_ERR_GRAPHQL_FRAGMENT_CYCLE'

  it('rejects a fragment spreading itself', () => {
    expect(codeOf(() => extract('{ ...A } fragment A on Query { a ...A }'))).toBe(cycle)
  })

  it('rejects an indirect cycle', () => {
    expect(codeOf(() => extract('{ ...A } fragment A on Query { ...B } fragment B on Query { ...C } fragment C on Query { ...A }'))).toBe(cycle)
  })

  it('rejects a cycle nested deep in selections', () => {
    const q = '{ x { ...A } } fragment A on T { f { g { ...B } } } fragment B on T { h { ... on T { ...A } } }'
    expect(codeOf(() => extract(q))).toBe(cycle)
  })

  it('rejects a cycle among fragments the operation does not use', () => {
    expect(codeOf(() => extract('{ a } fragment A on Query { ...B } fragment B on Query { ...A }'))).toBe(cycle)
    expect(codeOf(() => extract('query Used { a } query Other { ...A } fragment A on Query { ...A }', 'Used'))).toBe(
      cycle,
    )
  })

  it('accepts a diamond, which is not a cycle', () => {
    const q = `{ ...A } fragment A on Query { ...B ...C } fragment B on Query { ...D }
      fragment C on Query { ...D } fragment D on Query { d }`
    expect(names(extract(q))).toEqual(['d', 'd'])
  })

  it('handles a long fragment chain without exhausting the stack', () => {
    const n = 20_000
    const defs = Array.from({ length: n }, (_, i) => `fragment F${i} on Query { ${i + 1 < n ? `...F${i + 1}` : 'leaf'} }`)
    const op = extract(`{ ...F0 } ${defs.join(' ')}`, null, { maxTokens: 1_000_000 })
    expect(names(op)).toEqual(['leaf'])
  })
})
