import { readFileSync } from 'node:fs'
import { Kind, parse, type DirectiveNode, type FieldDefinitionNode, type ValueNode } from 'graphql'
import { PermgateError, type ErrorPlace } from '../errors.js'
import type { OperationType } from './operation.js'
import { readScopeArgs } from './scope-args.js'
import type { RuleDef, ScopeArg } from './types.js'

/** A root field as an SDL declares it. */
export interface SchemaField {
  readonly type: OperationType
  readonly name: string
  readonly args: readonly string[]
  readonly node: FieldDefinitionNode
  readonly place: ErrorPlace
}

/** The root fields of an SDL file, with their root type mapped to Query/Mutation/Subscription. */
export function readSchemaFields(file: string): SchemaField[] {
  let text: string
  try {
    text = readFileSync(file, 'utf8')
  } catch (e) {
    throw new PermgateError('PERMGATE_ERR_POLICY_NOT_FOUND', `cannot read schema: ${(e as Error).message}`, { file })
  }
  let doc
  try {
    doc = parse(text)
  } catch (e) {
    const loc = (e as { locations?: { line: number }[] }).locations?.[0]
    throw new PermgateError('PERMGATE_ERR_POLICY_SCHEMA', (e as Error).message, loc ? { file, line: loc.line } : { file })
  }
  const roots = new Map<string, OperationType>([['Query', 'Query'], ['Mutation', 'Mutation'], ['Subscription', 'Subscription']])
  for (const def of doc.definitions) {
    if (def.kind === Kind.SCHEMA_DEFINITION || def.kind === Kind.SCHEMA_EXTENSION) {
      for (const op of def.operationTypes ?? []) {
        const t = (op.operation.charAt(0).toUpperCase() + op.operation.slice(1)) as OperationType
        for (const [name, v] of roots) if (v === t) roots.delete(name)
        roots.set(op.type.name.value, t)
      }
    }
  }
  const out: SchemaField[] = []
  for (const def of doc.definitions) {
    if (def.kind !== Kind.OBJECT_TYPE_DEFINITION && def.kind !== Kind.OBJECT_TYPE_EXTENSION) continue
    const type = roots.get(def.name.value)
    if (!type) continue
    for (const f of def.fields ?? []) {
      const line = f.loc?.startToken.line
      out.push({
        type,
        name: f.name.value,
        args: (f.arguments ?? []).map((a) => a.name.value),
        node: f,
        place: line === undefined ? { file, path: `${type}.${f.name.value}` } : { file, line, path: `${type}.${f.name.value}` },
      })
    }
  }
  return out
}

/**
 * Rules from Houston's directive: no `@auth` = public; `@auth` without permissions = any
 * authenticated caller; otherwise the permissions combined with `op` (AND by default).
 * The scope is `@auth(scope:)` (the rules file's scope entries), else every one of
 * `defaultScope`'s single-argument entries the field declares.
 */
export function rulesFromSchema(file: string, defaultScope: readonly ScopeArg[]): RuleDef[] {
  return readSchemaFields(file).map((f) => {
    const auth = f.node.directives?.find((d) => d.name.value === 'auth')
    if (!auth) return rule(f, 'public', [], 'AND', [])
    const permissions = directiveArg(auth, 'permissions', f.place)
    const op = directiveArg(auth, 'op', f.place) ?? 'AND'
    if (permissions !== undefined && (!Array.isArray(permissions) || !permissions.every((p) => typeof p === 'string'))) {
      throw new PermgateError('PERMGATE_ERR_POLICY_SCHEMA', '@auth(permissions:) must be a list of strings', f.place)
    }
    if (op !== 'AND' && op !== 'OR') throw new PermgateError('PERMGATE_ERR_POLICY_SCHEMA', '@auth(op:) must be AND or OR', f.place)
    const written = directiveArg(auth, 'scope', f.place)
    const scope = written === undefined ? undefined : readScopeArgs(written, f.place)
    for (const s of scope ?? []) {
      if (!f.args.includes(s.path[0] as string)) {
        throw new PermgateError('PERMGATE_ERR_POLICY_SCHEMA', `@auth(scope:) names "${s.path.join('.')}", but ${f.type}.${f.name} has no argument ${s.path[0]}`, f.place)
      }
    }
    if (!permissions || permissions.length === 0) return rule(f, 'authenticated', [], 'AND', scope ?? [])
    return rule(f, 'permission', permissions as string[], op, scope ?? defaultScope.filter((s) => s.path.length === 1 && f.args.includes(s.path[0] as string)))
  })
}

function rule(f: SchemaField, access: RuleDef['access'], permissions: string[], op: 'AND' | 'OR', scope: ScopeArg[]): RuleDef {
  return { type: f.type, field: f.name, access, permissions, op, scope, place: f.place }
}

function directiveArg(d: DirectiveNode, name: string, place: ErrorPlace): unknown {
  const a = d.arguments?.find((x) => x.name.value === name)
  return a ? literal(a.value, place) : undefined
}

function literal(v: ValueNode, place: ErrorPlace): unknown {
  switch (v.kind) {
    case Kind.STRING:
    case Kind.ENUM:
      return v.value
    case Kind.LIST:
      return v.values.map((x) => literal(x, place))
    case Kind.OBJECT: {
      // no prototype: a field named __proto__ stays a key (and is refused as a scope kind)
      const out: Record<string, unknown> = Object.create(null)
      for (const field of v.fields) out[field.name.value] = literal(field.value, place)
      return out
    }
    case Kind.NULL:
      return undefined
    default:
      throw new PermgateError('PERMGATE_ERR_POLICY_SCHEMA', `@auth takes literal strings, enums, lists and objects, got ${v.kind}`, place)
  }
}
