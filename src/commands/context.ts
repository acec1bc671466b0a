import { type BindingsStore } from '../bindings/types.js'
import { ANONYMOUS, type Principal } from '../identity/types.js'
import { PermgateError } from '../errors.js'
import { DocumentCache } from '../operation/cache.js'
import { loadAuthorizer, type Authorizer } from '../policy/authorizer.js'

/** What `eval` and `explain` decide with: a policy, its bindings, a document cache. */
export interface DecisionContext {
  readonly authorizer: Authorizer
  readonly documents: DocumentCache
}

export function loadContext(policyDir: string, overlays: readonly string[], bindingsFile: string): DecisionContext {
  return { authorizer: loadAuthorizer(policyDir, overlays, bindingsFile), documents: new DocumentCache() }
}

/** A subject id as a principal: its kind from the store (a subject absent from it is a user). */
export function principalFor(store: BindingsStore, subject: unknown, groups: unknown): Principal {
  if (subject === null) return ANONYMOUS
  if (typeof subject !== 'string' || subject === '') {
    throw new PermgateError('PERMGATE_ERR_REQUEST_SHAPE', 'subject must be a non-empty string, or null for anonymous')
  }
  if (groups !== undefined && (!Array.isArray(groups) || !groups.every((g) => typeof g === 'string'))) {
    throw new PermgateError('PERMGATE_ERR_REQUEST_SHAPE', 'groups must be a list of strings')
  }
  return { kind: store.subject(subject)?.kind ?? 'user', id: subject, groups: (groups as string[] | undefined) ?? [] }
}
