import { Kind, type ArgumentNode, type ObjectFieldNode, type ValueNode } from 'graphql'
import type { RootField } from './operation.js'

type Variables = Readonly<Record<string, unknown>> | undefined
type Defaults = Readonly<Record<string, unknown>>

/**
 * The value at `path` inside a root field's arguments: `['workspaceUuid']` is an argument,
 * `['input', 'workspaceId']` a field of an input-object argument. Walks literals and, past
 * a variable, the variable's JSON value (own properties of plain objects only). Anything
 * missing is `undefined`. Only the path is resolved, never the whole argument.
 */
export function resolveArgPath(field: RootField, path: readonly string[], variables: Variables, defaults: Defaults): unknown {
  return resolvePath(field, path, variables, defaults, false)
}

/** What {@link resolveArgPathStrict} answers when a value on the path is no plain object. */
export const NOT_PLAIN: unique symbol = Symbol('not a plain object')

// Keys a resolver that merges or parses an input (Object.assign, lodash merge, a prototype
// walk) may turn into a prototype: an object carrying one is no plain record of its fields.
const PROTOTYPE_KEYS: readonly string[] = ['__proto__', 'constructor', 'prototype']

/**
 * {@link resolveArgPath}, stricter on the way: every value before the last segment must be a
 * plain object without a `__proto__`, `constructor` or `prototype` own key, else NOT_PLAIN (a
 * string, a list, a number where an object is expected). null or absent on the way is absent.
 * For checks that must not read "no value" where an upstream might find one.
 */
export function resolveArgPathStrict(field: RootField, path: readonly string[], variables: Variables, defaults: Defaults): unknown {
  return resolvePath(field, path, variables, defaults, true)
}

/** One walk for both readings: `strict` refuses, as NOT_PLAIN, what the lenient one reads as absent. */
function resolvePath(field: RootField, path: readonly string[], variables: Variables, defaults: Defaults, strict: boolean): unknown {
  const first = path[0]
  if (first === undefined) return undefined
  const arg = findArgument(field.args, first)
  if (arg === undefined) return undefined
  let node: ValueNode = arg.value
  for (let i = 1; i < path.length; i++) {
    if (node.kind === Kind.VARIABLE) {
      const value = variableValue(node.name.value, variables, defaults)
      return strict ? walkStrict(value, path, i) : walkValue(value, path, i)
    }
    if (node.kind !== Kind.OBJECT) return !strict ? undefined : node.kind === Kind.NULL ? null : NOT_PLAIN
    if (strict) for (const f of node.fields) if (PROTOTYPE_KEYS.includes(f.name.value)) return NOT_PLAIN
    const next = findObjectField(node.fields, path[i]!)
    if (next === undefined) return undefined
    node = next.value
  }
  return valueOf(node, variables, defaults)
}

/**
 * The value at `path` inside an argument's value (an element of a list argument), as strictly as
 * {@link resolveArgPathStrict}: every object on the way must be a {@link isStrictRecord}.
 */
export function walkStrict(value: unknown, path: readonly string[], from = 0): unknown {
  let current = value
  for (let i = from; i < path.length; i++) {
    if (current === undefined || current === null) return current
    if (!isStrictRecord(current)) return NOT_PLAIN
    const key = path[i]!
    if (!Object.hasOwn(current, key)) return undefined
    current = current[key]
  }
  return current
}

/** A plain object (or a literal input object) without a `__proto__`, `constructor` or `prototype` own key. */
export function isStrictRecord(value: unknown): value is Record<string, unknown> {
  if (!isPlainObject(value)) return false
  for (const k of PROTOTYPE_KEYS) if (Object.hasOwn(value, k)) return false
  return true
}

/** A whole argument as a plain JS value (input objects have a null prototype), for display. */
export function resolveArgument(field: RootField, name: string, variables: Variables, defaults: Defaults): unknown {
  const arg = findArgument(field.args, name)
  return arg === undefined ? undefined : valueOf(arg.value, variables, defaults)
}

/**
 * A variable's value as graphql-js coerces it: the request's own value when present (an
 * explicit `null` included), else the operation's default, else absent.
 */
function variableValue(name: string, variables: Variables, defaults: Defaults): unknown {
  if (variables !== undefined && Object.hasOwn(variables, name)) return variables[name]
  return Object.hasOwn(defaults, name) ? defaults[name] : undefined
}

/**
 * Own properties of plain objects only: `__proto__`, `constructor` or `length` in a path must
 * never reach a prototype or an array.
 */
function walkValue(value: unknown, path: readonly string[], from: number): unknown {
  let current = value
  for (let i = from; i < path.length; i++) {
    if (!isPlainObject(current)) return undefined
    const key = path[i]!
    if (!Object.hasOwn(current, key)) return undefined
    current = current[key]
  }
  return current
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null) return false
  const proto: unknown = Object.getPrototypeOf(value)
  return proto === Object.prototype || proto === null
}

function valueOf(node: ValueNode, variables: Variables, defaults: Defaults): unknown {
  switch (node.kind) {
    case Kind.VARIABLE:
      return variableValue(node.name.value, variables, defaults)
    case Kind.INT:
      return Number.parseInt(node.value, 10)
    case Kind.FLOAT:
      return Number.parseFloat(node.value)
    case Kind.STRING:
    case Kind.ENUM:
      return node.value
    case Kind.BOOLEAN:
      return node.value
    case Kind.NULL:
      return null
    case Kind.LIST:
      return node.values.map((item) => valueOf(item, variables, defaults))
    case Kind.OBJECT: {
      const out: Record<string, unknown> = Object.create(null)
      for (const f of node.fields) out[f.name.value] = valueOf(f.value, variables, defaults)
      return out
    }
  }
}

/** The last match, as graphql-js keeps the last of repeated names. */
function findArgument(args: readonly ArgumentNode[], name: string): ArgumentNode | undefined {
  for (let i = args.length - 1; i >= 0; i--) {
    const arg = args[i]!
    if (arg.name.value === name) return arg
  }
  return undefined
}

function findObjectField(fields: readonly ObjectFieldNode[], name: string): ObjectFieldNode | undefined {
  for (let i = fields.length - 1; i >= 0; i--) {
    const f = fields[i]!
    if (f.name.value === name) return f
  }
  return undefined
}
