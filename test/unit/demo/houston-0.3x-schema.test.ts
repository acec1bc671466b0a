import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { isInputObjectType, isObjectType, parse, visit, type GraphQLField, type GraphQLObjectType, type GraphQLSchema } from 'graphql'
import { findPackageRoot, HOUSTON_03X_SDL_PATH, houston03xSchema } from '../../../src/demo/upstream.js'
import { SHARED } from '../../helpers/shared.js'

// The 0.3x SDL against the facts it was written from: every root field of operations-0.3x.json
// with its arguments and return type, every type of types-0.3x.json with its fields.

interface Operation {
  type: 'Query' | 'Mutation' | 'Subscription'
  field: string
  args: { name: string; type: string }[]
  returns: string
}
interface TypeFact {
  name: string
  kind: 'scalar' | 'enum' | 'input' | 'object'
  fields?: { name: string; type: string }[]
  values?: { name: string }[]
}

const facts = (file: string): unknown => JSON.parse(readFileSync(join(SHARED, 'houston', file), 'utf8'))
const OPERATIONS = (facts('operations-0.3x.json') as { operations: Operation[] }).operations
const TYPES = (facts('types-0.3x.json') as { types: TypeFact[] }).types

function rootType(schema: GraphQLSchema, name: Operation['type']): GraphQLObjectType {
  const t = name === 'Query' ? schema.getQueryType() : name === 'Mutation' ? schema.getMutationType() : schema.getSubscriptionType()
  if (t == null) throw new Error(`no ${name} type`)
  return t
}

describe('Houston 0.3x demo schema', () => {
  const schema = houston03xSchema()

  it('builds from the shipped SDL, with 37 Query, 61 Mutation and 3 Subscription fields', () => {
    expect(HOUSTON_03X_SDL_PATH).toBe(join('src', 'demo', 'upstream', 'houston-0.3x', 'schema.graphql'))
    const sizes = (['Query', 'Mutation', 'Subscription'] as const).map((t) => Object.keys(rootType(schema, t).getFields()).length)
    expect(sizes).toEqual([37, 61, 3])
    expect(OPERATIONS).toHaveLength(101)
  })

  it.each(OPERATIONS.map((op) => [`${op.type}.${op.field}`, op] as const))('%s has the facts\' arguments and return type', (_name, op) => {
    const field: GraphQLField<unknown, unknown> | undefined = rootType(schema, op.type).getFields()[op.field]
    expect(field, `${op.type}.${op.field}`).toBeDefined()
    expect(field?.args.map((a) => [a.name, String(a.type)])).toEqual(op.args.map((a) => [a.name, a.type]))
    expect(String(field?.type)).toBe(op.returns)
  })

  it.each(TYPES.map((t) => [t.name, t] as const))('type %s has the facts\' fields or values', (_name, fact) => {
    const t = schema.getType(fact.name)
    expect(t, fact.name).toBeDefined()
    if (fact.kind === 'enum') {
      expect(t && 'getValues' in t ? t.getValues().map((v) => v.name) : []).toEqual(fact.values?.map((v) => v.name))
    }
    if (fact.kind === 'object' || fact.kind === 'input') {
      expect(fact.kind === 'object' ? isObjectType(t) : isInputObjectType(t)).toBe(true)
      const fields = t !== undefined && (isObjectType(t) || isInputObjectType(t)) ? t.getFields() : {}
      expect(Object.entries(fields).map(([name, f]) => [name, String(f.type)])).toEqual(fact.fields?.map((f) => [f.name, f.type]))
    }
  })

  it('carries no @auth: the policy is permgate\'s', () => {
    const sdl = readFileSync(join(findPackageRoot(), HOUSTON_03X_SDL_PATH), 'utf8')
    const directives: string[] = []
    visit(parse(sdl), { Directive: (node) => void directives.push(node.name.value) })
    expect(new Set(directives)).toEqual(new Set(['deprecated']))
    expect(schema.getDirective('auth')).toBeUndefined()
  })
})
