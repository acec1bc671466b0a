import { Kind, type SelectionSetNode } from 'graphql'
import { unknownFragment, type FragmentMap } from './fragments.js'
import type { ParseLimits } from './types.js'

/**
 * What a selection set costs once its fragments are expanded. Each count saturates one
 * above its limit, so a fan-out of fragments (each spreading the next twice) stays a small
 * number instead of growing as 2^n.
 */
export interface SelectionCost {
  /** Deepest field nesting; a field directly in the set is 1. */
  readonly depth: number
  /** Aliased fields at any depth. */
  readonly aliases: number
  /** Fields directly in the set, through fragments and inline fragments. */
  readonly rootFields: number
}

export type CostTable = ReadonlyMap<string, SelectionCost>

/**
 * The cost of every fragment, measured once each in dependency order (see
 * `orderFragments`), so that measuring an operation is linear in the document's size.
 */
export function measureFragments(fragments: FragmentMap, order: readonly string[], limits: ParseLimits): CostTable {
  const costs = new Map<string, SelectionCost>()
  for (const name of order) {
    const def = fragments.get(name)
    if (def !== undefined) costs.set(name, measureSelections(def.selectionSet, costs, limits))
  }
  return costs
}

export function measureSelections(set: SelectionSetNode, costs: CostTable, limits: ParseLimits): SelectionCost {
  let depth = 0
  let aliases = 0
  let rootFields = 0
  for (const sel of set.selections) {
    if (sel.kind === Kind.FIELD) {
      rootFields += 1
      if (sel.alias !== undefined) aliases += 1
      const inner = sel.selectionSet === undefined ? undefined : measureSelections(sel.selectionSet, costs, limits)
      depth = Math.max(depth, 1 + (inner?.depth ?? 0))
      aliases += inner?.aliases ?? 0
      continue
    }
    const inner =
      sel.kind === Kind.INLINE_FRAGMENT
        ? measureSelections(sel.selectionSet, costs, limits)
        : fragmentCost(costs, sel.name.value)
    depth = Math.max(depth, inner.depth)
    aliases += inner.aliases
    rootFields += inner.rootFields
  }
  return {
    depth: Math.min(depth, limits.maxDepth + 1),
    aliases: Math.min(aliases, limits.maxAliases + 1),
    rootFields: Math.min(rootFields, limits.maxRootFields + 1),
  }
}

function fragmentCost(costs: CostTable, name: string): SelectionCost {
  const cost = costs.get(name)
  if (cost === undefined) throw unknownFragment(name)
  return cost
}
