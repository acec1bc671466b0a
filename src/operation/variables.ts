import { Kind, valueFromASTUntyped, type ArgumentNode, type OperationDefinitionNode, type ValueNode } from 'graphql'
import { PermgateError } from '../errors.js'

export interface VariableDefinitions {
  readonly defaults: Readonly<Record<string, unknown>>
  readonly declared: ReadonlySet<string>
}

/**
 * The operation's declared variables and their default values (deep-frozen: they are
 * shared by every request served from the document cache). A name declared twice is
 * rejected (spec "Variable Uniqueness"): graphql-js would coerce the last definition.
 */
export function readVariableDefinitions(op: OperationDefinitionNode): VariableDefinitions {
  const defaults: Record<string, unknown> = Object.create(null)
  const declared = new Set<string>()
  for (const def of op.variableDefinitions ?? []) {
    const name = def.variable.name.value
    if (declared.has(name)) {
      throw new PermgateError('PERMGATE_ERR_GRAPHQL_DUPLICATE_NAME', `variable "$${name}" is declared twice`)
    }
    declared.add(name)
    if (def.defaultValue !== undefined) defaults[name] = deepFreeze(valueFromASTUntyped(def.defaultValue))
  }
  return { defaults: Object.freeze(defaults), declared }
}

/**
 * Checks a root field's arguments before any rule reads them: every variable they use is
 * declared, and no argument or input-object field name repeats. graphql-js keeps the last
 * of repeated names (spec "Argument Uniqueness", "Input Object Field Uniqueness"), so a
 * duplicate would let the value the policy sees differ from the one the upstream runs with.
 * Returns true when an argument uses a variable.
 */
export function checkArguments(args: readonly ArgumentNode[], declared: ReadonlySet<string>): boolean {
  const seen = new Set<string>()
  let usesVariables = false
  for (const arg of args) {
    if (seen.has(arg.name.value)) {
      throw new PermgateError('PERMGATE_ERR_GRAPHQL_DUPLICATE_NAME', `argument "${arg.name.value}" is given twice`)
    }
    seen.add(arg.name.value)
    if (checkValue(arg.value, declared)) usesVariables = true
  }
  return usesVariables
}

/** Checks a value's variables are declared and its input fields unique; true when it uses a variable. */
function checkValue(value: ValueNode, declared: ReadonlySet<string>): boolean {
  switch (value.kind) {
    case Kind.VARIABLE:
      if (!declared.has(value.name.value)) {
        throw new PermgateError(
          'PERMGATE_ERR_GRAPHQL_UNDECLARED_VARIABLE',
          `variable "$${value.name.value}" is used but not declared by the operation`,
        )
      }
      return true
    case Kind.LIST: {
      let uses = false
      for (const item of value.values) if (checkValue(item, declared)) uses = true
      return uses
    }
    case Kind.OBJECT: {
      const seen = new Set<string>()
      let uses = false
      for (const field of value.fields) {
        if (seen.has(field.name.value)) {
          throw new PermgateError(
            'PERMGATE_ERR_GRAPHQL_DUPLICATE_NAME',
            `input field "${field.name.value}" is given twice`,
          )
        }
        seen.add(field.name.value)
        if (checkValue(field.value, declared)) uses = true
      }
      return uses
    }
    default:
      return false
  }
}

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value)
    for (const key of Object.keys(value)) deepFreeze((value as Record<string, unknown>)[key])
  }
  return value
}
