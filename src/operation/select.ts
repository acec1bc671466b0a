import {
  Kind,
  OperationTypeNode,
  type DocumentNode,
  type FieldNode,
  type OperationDefinitionNode,
  type SelectionNode,
} from 'graphql'
import { PermgateError } from '../errors.js'
import { measureFragments, measureSelections, type SelectionCost } from './cost.js'
import { indexFragments, orderFragments, unknownFragment, type FragmentMap } from './fragments.js'
import type { ExtractedOperation, OperationType, RootField } from '../policy/operation.js'
import type { ParseLimits } from './types.js'
import { checkArguments, readVariableDefinitions } from './variables.js'

/** The schema's root type names, which root-level fragments must be typed on. */
export const DEFAULT_ROOT_TYPE_NAMES: Readonly<Record<OperationType, string>> = Object.freeze({
  Query: 'Query',
  Mutation: 'Mutation',
  Subscription: 'Subscription',
})

const OPERATION_TYPES: Readonly<Record<OperationTypeNode, OperationType>> = {
  [OperationTypeNode.QUERY]: 'Query',
  [OperationTypeNode.MUTATION]: 'Mutation',
  [OperationTypeNode.SUBSCRIPTION]: 'Subscription',
}

const NO_ARGS: RootField['args'] = Object.freeze([])

/**
 * What the chosen operation of `doc` asks for: its root fields with fragments followed,
 * its variable definitions, after checking the document's fragments and `limits`.
 * Directives such as `@skip`/`@include` are never evaluated: a field under them counts as
 * requested.
 */
export function extractOperation(
  doc: DocumentNode,
  operationName: string | undefined | null,
  limits: ParseLimits,
  rootTypeNames: Readonly<Record<OperationType, string>> = DEFAULT_ROOT_TYPE_NAMES,
): ExtractedOperation {
  const op = selectOperation(doc, operationName)
  const fragments = indexFragments(doc)
  const costs = measureFragments(fragments, orderFragments(fragments), limits)
  checkLimits(measureSelections(op.selectionSet, costs, limits), limits)

  const type = OPERATION_TYPES[op.operation]
  const { defaults, declared } = readVariableDefinitions(op)
  const fields = collectRootFields(op, fragments, rootTypeNames[type])
  const checked = new Set<FieldNode>()
  let usesVariables = false
  for (const [field, node] of fields) {
    if (checked.has(node)) continue
    checked.add(node)
    if (checkArguments(field.args, declared)) usesVariables = true
  }
  return Object.freeze({
    type,
    name: op.name?.value,
    fields: Object.freeze(fields.map(([field]) => field)),
    variableDefaults: defaults,
    declaredVariables: declared,
    usesVariables,
  })
}

/**
 * The operation graphql-js would execute for this name ("GetOperation" in the spec), or an
 * error where it would refuse. Repeated operation names are rejected (spec "Operation Name
 * Uniqueness"): graphql-js runs the last one of them.
 */
export function selectOperation(doc: DocumentNode, operationName: string | undefined | null): OperationDefinitionNode {
  let chosen: OperationDefinitionNode | undefined
  let count = 0
  const names = new Set<string>()
  for (const def of doc.definitions) {
    if (def.kind !== Kind.OPERATION_DEFINITION) continue
    count += 1
    const name = def.name?.value
    if (name !== undefined) {
      if (names.has(name)) {
        throw new PermgateError('PERMGATE_ERR_GRAPHQL_DUPLICATE_NAME', `operation "${name}" is defined twice`)
      }
      names.add(name)
    }
    if (operationName == null ? count === 1 : name === operationName) chosen = def
  }
  if (operationName != null) {
    if (chosen === undefined) {
      throw new PermgateError('PERMGATE_ERR_GRAPHQL_UNKNOWN_OPERATION', `no operation named "${operationName}"`)
    }
    return chosen
  }
  if (chosen === undefined) {
    throw new PermgateError('PERMGATE_ERR_GRAPHQL_NO_OPERATION', 'the document contains no operation')
  }
  if (count > 1) {
    throw new PermgateError(
      'PERMGATE_ERR_GRAPHQL_OPERATION_NAME_REQUIRED',
      'the document contains several operations; "operationName" must say which one to run',
    )
  }
  return chosen
}

function checkLimits(cost: SelectionCost, limits: ParseLimits): void {
  if (cost.depth > limits.maxDepth) {
    throw new PermgateError('PERMGATE_ERR_GRAPHQL_TOO_DEEP', `selections nest deeper than ${limits.maxDepth} levels`)
  }
  if (cost.aliases > limits.maxAliases) {
    throw new PermgateError('PERMGATE_ERR_GRAPHQL_TOO_MANY_ALIASES', `more than ${limits.maxAliases} aliased fields`)
  }
  if (cost.rootFields > limits.maxRootFields) {
    throw new PermgateError(
      'PERMGATE_ERR_GRAPHQL_TOO_MANY_ROOT_FIELDS',
      `more than ${limits.maxRootFields} root fields`,
    )
  }
}

/**
 * Root fields in document order, following fragments typed on the root type. Iterative;
 * its work is bounded because `checkLimits` already capped the number of root fields.
 */
function collectRootFields(
  op: OperationDefinitionNode,
  fragments: FragmentMap,
  rootType: string,
): Array<readonly [RootField, FieldNode]> {
  const fields: Array<readonly [RootField, FieldNode]> = []
  const pending: SelectionNode[] = []
  pushReversed(pending, op.selectionSet.selections)
  for (let sel = pending.pop(); sel !== undefined; sel = pending.pop()) {
    if (sel.kind === Kind.FIELD) {
      const field: RootField = Object.freeze({
        name: sel.name.value,
        alias: sel.alias?.value,
        args: sel.arguments ?? NO_ARGS,
      })
      fields.push([field, sel])
    } else if (sel.kind === Kind.INLINE_FRAGMENT) {
      const on = sel.typeCondition?.name.value
      if (on !== undefined && on !== rootType) throw wrongType('an inline fragment', on, rootType)
      pushReversed(pending, sel.selectionSet.selections)
    } else {
      const def = fragments.get(sel.name.value)
      if (def === undefined) throw unknownFragment(sel.name.value)
      const on = def.typeCondition.name.value
      if (on !== rootType) throw wrongType(`fragment "${def.name.value}"`, on, rootType)
      pushReversed(pending, def.selectionSet.selections)
    }
  }
  return fields
}

function pushReversed(stack: SelectionNode[], selections: readonly SelectionNode[]): void {
  for (let i = selections.length - 1; i >= 0; i--) stack.push(selections[i]!)
}

function wrongType(what: string, on: string, rootType: string): PermgateError {
  return new PermgateError(
    'PERMGATE_ERR_GRAPHQL_FRAGMENT_TYPE',
    `${what} on "${on}" is spread at the root of an operation on "${rootType}"`,
  )
}
