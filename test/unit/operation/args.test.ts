import { describe, expect, it } from 'vitest'
import { resolveArgPath, resolveArgument } from '../../../src/policy/args.js'
import type { ExtractedOperation, RootField } from '../../../src/policy/operation.js'
import { codeOf, extract } from './helpers.js'

function only(op: ExtractedOperation): RootField {
  const [field] = op.fields
  if (field === undefined) throw new Error('no root field')
  return field
}

function at(query: string, path: readonly string[], variables?: Record<string, unknown>): unknown {
  const op = extract(query)
  return resolveArgPath(only(op), path, variables, op.variableDefaults)
}

describe('resolveArgPath from literals', () => {
  it('resolves scalar literals', () => {
    const q = '{ a(s: "ws-1", i: 42, neg: -7, f: 1.5, t: true, n: null, e: ADMIN, blk: """x""") }'
    expect(at(q, ['s'])).toBe('ws-1')
    expect(at(q, ['i'])).toBe(42)
    expect(at(q, ['neg'])).toBe(-7)
    expect(at(q, ['f'])).toBe(1.5)
    expect(at(q, ['t'])).toBe(true)
    expect(at(q, ['n'])).toBeNull()
    expect(at(q, ['e'])).toBe('ADMIN')
    expect(at(q, ['blk'])).toBe('x')
  })

  it('returns undefined for a missing argument, field or empty path', () => {
    const q = '{ a(input: { workspaceId: "w" }, s: "x") }'
    expect(at(q, ['missing'])).toBeUndefined()
    expect(at(q, ['input', 'missing'])).toBeUndefined()
    expect(at(q, ['s', 'deeper'])).toBeUndefined()
    expect(at(q, ['input', 'workspaceId', 'deeper'])).toBeUndefined()
    expect(at(q, [])).toBeUndefined()
  })

  it('walks into a literal input object', () => {
    const q = '{ a(input: { workspaceId: "w-9", nested: { deep: 3 } }) }'
    expect(at(q, ['input', 'workspaceId'])).toBe('w-9')
    expect(at(q, ['input', 'nested', 'deep'])).toBe(3)
  })

  it('resolves lists and does not index into them', () => {
    const q = '{ a(ids: ["x", "y"], objs: [{ id: 1 }]) }'
    expect(at(q, ['ids'])).toEqual(['x', 'y'])
    expect(at(q, ['ids', '0'])).toBeUndefined()
    expect(at(q, ['objs', 'id'])).toBeUndefined()
  })

  it('takes the value the upstream would use when an argument repeats', () => {
    // Extraction rejects this; the resolver still mirrors graphql-js (last wins).
    const field: RootField = { name: 'a', alias: undefined, args: extractArgs('{ a(x: 1, y: 2) }') }
    const twice: RootField = { ...field, args: [...field.args, ...extractArgs('{ a(x: 3) }')] }
    expect(resolveArgPath(twice, ['x'], undefined, {})).toBe(3)
  })
})

function extractArgs(query: string): RootField['args'] {
  return only(extract(query)).args
}

describe('resolveArgPath from variables', () => {
  const q = 'query($ws: ID = "default-ws", $input: In, $n: Int = 5) { a(ws: $ws, input: $input, n: $n) }'

  it('uses a provided value', () => {
    expect(at(q, ['ws'], { ws: 'given' })).toBe('given')
  })

  it('falls back to the default when the variable is absent', () => {
    expect(at(q, ['ws'], {})).toBe('default-ws')
    expect(at(q, ['ws'], undefined)).toBe('default-ws')
    expect(at(q, ['n'], { ws: 'x' })).toBe(5)
  })

  it('treats a provided null as provided', () => {
    expect(at(q, ['ws'], { ws: null })).toBeNull()
  })

  it('is undefined with neither a value nor a default', () => {
    expect(at(q, ['input'], {})).toBeUndefined()
    expect(at(q, ['input', 'workspaceId'], {})).toBeUndefined()
  })

  it('walks into a variable holding an object', () => {
    expect(at(q, ['input', 'workspaceId'], { input: { workspaceId: 'w-1' } })).toBe('w-1')
    expect(at(q, ['input', 'a', 'b'], { input: { a: { b: 7 } } })).toBe(7)
    expect(at(q, ['input', 'workspaceId'], { input: 'not an object' })).toBeUndefined()
    expect(at(q, ['input', 'workspaceId'], { input: null })).toBeUndefined()
  })

  it('walks into a variable nested in a literal object', () => {
    const nested = 'query($w: ID, $o: In) { a(input: { workspaceId: $w, obj: $o }) }'
    expect(at(nested, ['input', 'workspaceId'], { w: 'w-2' })).toBe('w-2')
    expect(at(nested, ['input', 'obj', 'k'], { o: { k: 'v' } })).toBe('v')
  })

  it('walks into an object default', () => {
    expect(at('query($i: In = { workspaceId: "dw" }) { a(input: $i) }', ['input', 'workspaceId'], {})).toBe('dw')
  })

  it('never reaches prototypes or array properties', () => {
    const vars = JSON.parse('{"input": {"__proto__": {"workspaceId": "evil"}, "list": [1, 2]}}') as Record<
      string,
      unknown
    >
    expect(at(q, ['input', 'workspaceId'], vars)).toBeUndefined()
    expect(at(q, ['input', '__proto__', 'workspaceId'], vars)).toEqual('evil')
    expect(at(q, ['input', 'list', 'length'], vars)).toBeUndefined()
    expect(at(q, ['input', 'list', '0'], vars)).toBeUndefined()
    expect(at(q, ['input', 'constructor'], { input: {} })).toBeUndefined()
    expect(at(q, ['input', '__proto__'], { input: {} })).toBeUndefined()
    expect(at(q, ['input', 'toString'], { input: {} })).toBeUndefined()
    expect(at(q, ['input', 'size'], { input: new Map([['size', 1]]) })).toBeUndefined()
  })

  it('ignores variables inherited from the prototype of the variables object', () => {
    const vars = JSON.parse('{"__proto__": {"ws": "evil"}}') as Record<string, unknown>
    expect(at(q, ['ws'], vars)).toBe('default-ws')
    expect(at('query($constructor: ID) { a(x: $constructor) }', ['x'], {})).toBeUndefined()
  })
})

describe('resolveArgument', () => {
  it('resolves a whole argument with variables substituted', () => {
    const op = extract('query($w: ID, $d: Int = 2) { a(input: { workspaceId: $w, list: [1, $d, ENUM], n: null }) }')
    const value = resolveArgument(only(op), 'input', { w: 'w-3' }, op.variableDefaults) as Record<string, unknown>
    expect(Object.getPrototypeOf(value)).toBeNull()
    expect({ ...value }).toEqual({ workspaceId: 'w-3', list: [1, 2, 'ENUM'], n: null })
    expect(resolveArgument(only(op), 'missing', undefined, op.variableDefaults)).toBeUndefined()
  })
})

describe('variable definitions', () => {
  it('collects declared names and defaults in a null-prototype object', () => {
    const op = extract('query($a: Int = 1, $b: In = { k: [1, "x"] }, $c: ID, $__proto__: Int = 9) { f }')
    expect([...op.declaredVariables].sort()).toEqual(['__proto__', 'a', 'b', 'c'])
    expect(Object.getPrototypeOf(op.variableDefaults)).toBeNull()
    expect(Object.keys(op.variableDefaults).sort()).toEqual(['__proto__', 'a', 'b'])
    expect(op.variableDefaults['a']).toBe(1)
    expect(op.variableDefaults['b']).toEqual({ k: [1, 'x'] })
    expect(Object.hasOwn(op.variableDefaults, 'c')).toBe(false)
    expect(Object.isFrozen(op.variableDefaults['b'])).toBe(true)
  })

  it('rejects a variable declared twice', () => {
    expect(codeOf(() => extract('query($a: Int = 1, $a: Int = 2) { f(x: $a) }'))).toBe(
      'PERMGATE_ERR_GRAPHQL_DUPLICATE_NAME',
    )
  })

  it('rejects undeclared variables anywhere in root-field arguments', () => {
    const undeclared = 'PERMGATE_ERR_GRAPHQL_UNDECLARED_VARIABLE'
    expect(codeOf(() => extract('{ f(x: $v) }'))).toBe(undeclared)
    expect(codeOf(() => extract('query($w: ID) { f(x: $v) }'))).toBe(undeclared)
    expect(codeOf(() => extract('{ f(x: [1, [$v]]) }'))).toBe(undeclared)
    expect(codeOf(() => extract('{ f(x: { a: { b: [$v] } }) }'))).toBe(undeclared)
    expect(codeOf(() => extract('query { ...F } fragment F on Query { f(x: $v) }'))).toBe(undeclared)
    expect(() => extract('query($v: ID) { ...F } fragment F on Query { f(x: { a: [$v] }) }')).not.toThrow()
  })

  it('rejects repeated argument and input-field names in root fields', () => {
    const dup = 'PERMGATE_ERR_GRAPHQL_DUPLICATE_NAME'
    expect(codeOf(() => extract('{ f(ws: "mine", ws: "theirs") }'))).toBe(dup)
    expect(codeOf(() => extract('{ f(input: { ws: "mine", ws: "theirs" }) }'))).toBe(dup)
    expect(codeOf(() => extract('{ f(input: [{ a: 1, a: 2 }]) }'))).toBe(dup)
  })
})
