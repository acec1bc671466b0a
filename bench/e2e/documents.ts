import { Rng } from '../micro/rng.js'
import { DEPLOYMENTS, EDITOR, VIEWER, WORKSPACES, deploymentId, workspaceId, type ScopeKind } from './world.js'

/** Distinct GraphQL documents in the realistic traffic. */
export const DOCUMENT_COUNT = 500

/** A Houston root field with a scoped rule, and the level on its entity the roles require. */
export interface ScopedField {
  readonly type: 'query' | 'mutation'
  readonly field: string
  readonly arg: string
  readonly kind: ScopeKind
  readonly level: number
  /** Arguments after the scope argument. */
  readonly rest: string
}

/** From policies/houston/rules.yaml and roles.yaml. */
export const FIELDS: readonly ScopedField[] = [
  { type: 'query', field: 'workspaceDeployments', arg: 'workspaceUuid', kind: 'workspace', level: VIEWER, rest: '' },
  { type: 'query', field: 'workspaceUsers', arg: 'workspaceUuid', kind: 'workspace', level: VIEWER, rest: ', email: "a@example.com"' },
  { type: 'query', field: 'workspaceServiceAccounts', arg: 'workspaceUuid', kind: 'workspace', level: VIEWER, rest: '' },
  { type: 'query', field: 'deploymentServiceAccounts', arg: 'deploymentUuid', kind: 'deployment', level: VIEWER, rest: '' },
  { type: 'query', field: 'logs', arg: 'deploymentUuid', kind: 'deployment', level: VIEWER, rest: ', component: "scheduler"' },
  { type: 'mutation', field: 'updateDeployment', arg: 'deploymentUuid', kind: 'deployment', level: EDITOR, rest: ', config: {}' },
  { type: 'mutation', field: 'updateWorkspace', arg: 'workspaceUuid', kind: 'workspace', level: EDITOR, rest: ', payload: {}' },
]

export interface Document {
  readonly query: string
  readonly field: ScopedField
  /** The entity named in the text, or undefined when the scope comes from the variable `$id`. */
  readonly literal: number | undefined
}

/** The warm configuration's one document, allowed for the warm subject. */
export const WARM_DOCUMENT = '{ workspaceDeployments(workspaceUuid: "w1") }'

/** Allowed for any authenticated caller: the memory check's document, whatever the subject. */
export const SELF_DOCUMENT = '{ self }'

const entityName = (kind: ScopeKind, n: number): string => (kind === 'workspace' ? workspaceId(n) : deploymentId(n))

/**
 * Half the documents name their entity in the text, half take it from a variable; about one
 * query in five also selects `self` (authenticated) beside the scoped field. Variable documents are
 * named operations, as clients send them.
 */
export function buildDocuments(seed: number, count: number = DOCUMENT_COUNT): Document[] {
  const rng = new Rng(seed)
  const seen = new Set<string>()
  const docs: Document[] = []
  for (let i = 0; docs.length < count && i < count * 10; i++) {
    const f = FIELDS[i % FIELDS.length] as ScopedField
    // `self` is a Query field: in a mutation it would name Mutation.self, which has no rule
    const self = f.type === 'query' && i % 5 === 0 ? 'self ' : ''
    let doc: Document
    if (i % 2 === 0) {
      const n = rng.int(f.kind === 'workspace' ? WORKSPACES : DEPLOYMENTS)
      const call = `${f.field}(${f.arg}: "${entityName(f.kind, n)}"${f.rest})`
      doc = { query: `${f.type === 'mutation' ? 'mutation ' : ''}{ ${self}${call} }`, field: f, literal: n }
    } else {
      const name = `${f.field[0]?.toUpperCase()}${f.field.slice(1)}${i}`
      doc = { query: `${f.type} ${name}($id: Uuid!) { ${self}${f.field}(${f.arg}: $id${f.rest}) }`, field: f, literal: undefined }
    }
    if (seen.has(doc.query)) continue
    seen.add(doc.query)
    docs.push(doc)
  }
  if (docs.length < count) throw new Error(`only ${docs.length} distinct documents could be made`)
  return docs
}

export function entityId(f: ScopedField, n: number): string {
  return entityName(f.kind, n)
}
