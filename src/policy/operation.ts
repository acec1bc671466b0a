// What the policy decides on: one operation of a document as the operation stage extracts it
// (root fields with their argument nodes). Defined here, below the operation stage that builds it.
import type { ArgumentNode } from 'graphql'

/** The root type an operation selects on, named as in rules (`Query.workspaces`). */
export type OperationType = 'Query' | 'Mutation' | 'Subscription'

/** One field selected directly on the root type, after following fragments. */
export interface RootField {
  /** The schema field name (`workspaces`); aliases never change what is authorized. */
  readonly name: string
  /** The alias the client gave it, if any (reported, never used to decide). */
  readonly alias: string | undefined
  /** The field's argument nodes, resolved on demand with {@link resolveArgPath}. */
  readonly args: readonly ArgumentNode[]
}

/**
 * What one operation of a document asks for. Independent of the variables and of the
 * policy, so it can be cached by query text and operation name.
 */
export interface ExtractedOperation {
  readonly type: OperationType
  readonly name: string | undefined
  /** Root fields in document order, duplicates (same field twice) kept. */
  readonly fields: readonly RootField[]
  /** Variable name -> default value from the operation's variable definitions (null prototype). */
  readonly variableDefaults: Readonly<Record<string, unknown>>
  /** Names of the variables the operation declares. */
  readonly declaredVariables: ReadonlySet<string>
  /**
   * Whether any root field argument uses a variable. When none does, a decision depends only
   * on the principal and the operation, and can be cached for the pair.
   */
  readonly usesVariables: boolean
}
