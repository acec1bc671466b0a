import { Kind, type DocumentNode, type FragmentDefinitionNode, type SelectionSetNode } from 'graphql'
import { PermgateError } from '../errors.js'

export type FragmentMap = ReadonlyMap<string, FragmentDefinitionNode>

/**
 * The document's fragment definitions by name. A repeated name makes the document invalid
 * (spec "Fragment Name Uniqueness"); graphql-js execution would take the last definition
 * while a first-match reader authorizes the other one.
 */
export function indexFragments(doc: DocumentNode): Map<string, FragmentDefinitionNode> {
  const fragments = new Map<string, FragmentDefinitionNode>()
  for (const def of doc.definitions) {
    if (def.kind !== Kind.FRAGMENT_DEFINITION) continue
    const name = def.name.value
    if (fragments.has(name)) {
      throw new PermgateError('PERMGATE_ERR_GRAPHQL_DUPLICATE_NAME', `fragment "${name}" is defined twice`)
    }
    fragments.set(name, def)
  }
  return fragments
}

const VISITING = 1
const DONE = 2

interface Frame {
  readonly name: string
  readonly spreads: readonly string[]
  next: number
}

/**
 * Every fragment name, each after all the fragments it spreads. Throws on a spread of an
 * unknown fragment and on any cycle, used or not: the spec ("Fragment spreads must not form
 * cycles") makes the whole document invalid. Iterative, so a long chain of fragments cannot
 * exhaust the stack.
 */
export function orderFragments(fragments: FragmentMap): string[] {
  const spreadsOf = new Map<string, string[]>()
  for (const [name, def] of fragments) spreadsOf.set(name, collectSpreads(def.selectionSet, []))

  const state = new Map<string, number>()
  const order: string[] = []
  const stack: Frame[] = []
  for (const start of fragments.keys()) {
    if (state.has(start)) continue
    state.set(start, VISITING)
    stack.push({ name: start, spreads: spreadsOf.get(start) ?? [], next: 0 })
    while (stack.length > 0) {
      const frame = stack[stack.length - 1]!
      const target = frame.spreads[frame.next++]
      if (target === undefined) {
        state.set(frame.name, DONE)
        order.push(frame.name)
        stack.pop()
        continue
      }
      const seen = state.get(target)
      if (seen === DONE) continue
      if (seen === VISITING) {
        throw new PermgateError(
          'PERMGATE_ERR_GRAPHQL_FRAGMENT_CYCLE',
          `fragment "${target}" spreads itself (through "${frame.name}")`,
        )
      }
      const spreads = spreadsOf.get(target)
      if (spreads === undefined) throw unknownFragment(target)
      state.set(target, VISITING)
      stack.push({ name: target, spreads, next: 0 })
    }
  }
  return order
}

export function unknownFragment(name: string): PermgateError {
  return new PermgateError('PERMGATE_ERR_GRAPHQL_UNKNOWN_FRAGMENT', `fragment "${name}" is not defined`)
}

function collectSpreads(set: SelectionSetNode, out: string[]): string[] {
  for (const sel of set.selections) {
    if (sel.kind === Kind.FRAGMENT_SPREAD) out.push(sel.name.value)
    else if (sel.selectionSet !== undefined) collectSpreads(sel.selectionSet, out)
  }
  return out
}
