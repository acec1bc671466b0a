// One concept: what an import writes, as columns. The bindings data (a file's contents, or rows a
// benchmark generates) is turned into one array per column, the form the writer sends (each
// column one array parameter, unnested by the server), with the counts the report prints.
import type { Binding, SubjectEntry } from '../../bindings/types.js'

/** What an import writes: a bindings file's contents, or rows generated directly (benchmarks). */
export interface BindingsData {
  readonly deployments: ReadonlyMap<string, string>
  /** deployment -> its release name; a deployment of `deployments` absent here has none. */
  readonly releaseNames?: ReadonlyMap<string, string>
  readonly subjects: ReadonlyMap<string, SubjectEntry>
  readonly groups: ReadonlyMap<string, readonly Binding[]>
}

/** The role or team bindings of an import, one array per column of the table. */
export interface BindingColumns {
  readonly owner: string[]
  readonly role: string[]
  readonly workspace: (string | null)[]
  readonly deployment: (string | null)[]
  push(owner: string, b: Binding): void
}

export function bindingColumns(): BindingColumns {
  const c = { owner: [] as string[], role: [] as string[], workspace: [] as (string | null)[], deployment: [] as (string | null)[] }
  return {
    ...c,
    push(owner, b) {
      c.owner.push(owner)
      c.role.push(b.role)
      c.workspace.push(b.workspace ?? null)
      c.deployment.push(b.deployment ?? null)
    },
  }
}

/** Everything an import writes, column by column, and what it holds. */
export interface ImportPlan {
  readonly deployments: { readonly id: string[]; readonly ws: string[]; readonly release: (string | null)[] }
  /** `key`: the subject's API key hash, null for none. */
  readonly subjects: { readonly id: string[]; readonly kind: string[]; readonly key: (string | null)[] }
  /** The subjects that have an API key: its hash and the subject, row by row. */
  readonly keys: { readonly sha256: string[]; readonly subject: string[] }
  readonly roleBindings: BindingColumns
  readonly teams: string[]
  readonly teamBindings: BindingColumns
  /** Deployments given a release name. */
  readonly releaseNames: number
  readonly serviceAccounts: number
  readonly apiKeys: number
  /** Row triggers are to be switched off: a replace, or at least `bulkThreshold` role and team bindings. */
  readonly bulk: boolean
}

export function planImport(data: BindingsData, opts: { readonly replace: boolean; readonly bulkThreshold: number }): ImportPlan {
  const dep = { id: [] as string[], ws: [] as string[], release: [] as (string | null)[] }
  for (const [d, w] of data.deployments) {
    dep.id.push(d)
    dep.ws.push(w)
    dep.release.push(data.releaseNames?.get(d) ?? null)
  }
  const subj = { id: [] as string[], kind: [] as string[], key: [] as (string | null)[] }
  const keys = { sha256: [] as string[], subject: [] as string[] }
  const roleBindings = bindingColumns()
  let serviceAccounts = 0
  for (const [id, s] of data.subjects) {
    subj.id.push(id)
    subj.kind.push(s.kind)
    subj.key.push(s.apiKeySha256 ?? null)
    if (s.kind === 'serviceAccount') serviceAccounts++
    if (s.apiKeySha256 !== undefined) {
      keys.sha256.push(s.apiKeySha256)
      keys.subject.push(id)
    }
    for (const b of s.bindings) roleBindings.push(id, b)
  }
  const teams = [...data.groups.keys()]
  const teamBindings = bindingColumns()
  for (const [name, bs] of data.groups) for (const b of bs) teamBindings.push(name, b)
  return {
    deployments: dep,
    subjects: subj,
    keys,
    roleBindings,
    teams,
    teamBindings,
    releaseNames: dep.release.filter((r) => r !== null).length,
    serviceAccounts,
    apiKeys: keys.sha256.length,
    bulk: opts.replace || roleBindings.owner.length + teamBindings.owner.length >= opts.bulkThreshold,
  }
}

/** The rows of `columns` (arrays of one length) in slices of at most `size` rows, every column sliced alike. */
export function* batches<T>(columns: readonly (readonly T[])[], size: number): Generator<T[][]> {
  const rows = columns[0]?.length ?? 0
  for (let i = 0; i < rows; i += size) yield columns.map((c) => c.slice(i, i + size))
}

/** What changed in the database, row by row. */
export interface ImportChanges {
  readonly deployments: number
  readonly subjects: number
  readonly apiKeysAdded: number
  readonly apiKeysRemoved: number
  readonly roleBindingsAdded: number
  readonly roleBindingsRemoved: number
  readonly teamsAdded: number
  readonly teamBindingsAdded: number
  readonly teamBindingsRemoved: number
}

/** What the file held, and what changed in the database. */
export interface ImportCounts {
  readonly deployments: number
  /** Deployments given a release name. */
  readonly releaseNames: number
  readonly subjects: number
  readonly serviceAccounts: number
  readonly apiKeys: number
  readonly roleBindings: number
  readonly teams: number
  readonly teamBindings: number
  readonly changed: ImportChanges
  /** Row triggers were off; one notification per table announced the import. */
  readonly bulk: boolean
}

export function importCounts(plan: ImportPlan, changed: ImportChanges, bulk: boolean): ImportCounts {
  return {
    deployments: plan.deployments.id.length,
    releaseNames: plan.releaseNames,
    subjects: plan.subjects.id.length,
    serviceAccounts: plan.serviceAccounts,
    apiKeys: plan.apiKeys,
    roleBindings: plan.roleBindings.owner.length,
    teams: plan.teams.length,
    teamBindings: plan.teamBindings.owner.length,
    changed,
    bulk,
  }
}

/** Whether any row changed (an import that changed nothing announces nothing). */
export function anyChange(c: ImportChanges): boolean {
  return c.deployments + c.subjects + c.apiKeysAdded + c.apiKeysRemoved + c.roleBindingsAdded + c.roleBindingsRemoved + c.teamBindingsAdded + c.teamBindingsRemoved > 0
}
