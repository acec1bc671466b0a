import { FileBindingsStore } from '../../src/bindings/file.js'
import type { Binding, SubjectEntry } from '../../src/bindings/types.js'
import type { Principal } from '../../src/identity/types.js'
import { DocumentCache } from '../../src/operation/cache.js'
import { Authorizer } from '../../src/policy/authorizer.js'
import type { Decision } from '../../src/policy/decide.js'
import type { CompiledPolicy } from '../../src/policy/types.js'

/** A store from literal data: subject id -> bindings (users unless the id starts with `sa-`). */
export function storeOf(
  subjects: Record<string, Binding[]>,
  deployments: Record<string, string> = { d1: 'w1', d2: 'w2' },
  groups: Record<string, Binding[]> = {},
): FileBindingsStore {
  const s = new Map<string, SubjectEntry>()
  for (const [id, bindings] of Object.entries(subjects)) s.set(id, { kind: id.startsWith('sa-') ? 'serviceAccount' : 'user', bindings })
  return new FileBindingsStore(new Map(Object.entries(deployments)), s, new Map(Object.entries(groups)))
}

const documents = new DocumentCache()

/** Decides a GraphQL request for a subject (null = anonymous). */
export function decideQuery(
  policy: CompiledPolicy,
  store: FileBindingsStore,
  subject: string | null,
  query: string,
  variables?: Record<string, unknown>,
  groups: string[] = [],
): Decision {
  const principal: Principal =
    subject === null ? { kind: 'anonymous', id: null, groups: [] } : { kind: store.subject(subject)?.kind ?? 'user', id: subject, groups }
  return new Authorizer(policy, store).decide(principal, documents.get(query, undefined), variables)
}
