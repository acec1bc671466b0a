/** One role binding: system-wide when it names neither a workspace nor a deployment. */
export interface Binding {
  readonly role: string
  readonly workspace?: string
  readonly deployment?: string
}

export type SubjectKind = 'user' | 'serviceAccount'

export interface SubjectEntry {
  readonly kind: SubjectKind
  readonly bindings: readonly Binding[]
  /** Hex SHA-256 of the service account's API key; the key itself is never stored. */
  readonly apiKeySha256?: string
}

/**
 * What one change of a store touched, for caches derived from its answers (an Authorizer's masks
 * and decisions). `subjects`: subjects whose own entry changed (kind, bindings, team memberships,
 * API keys); `groups`: groups (teams) whose bindings changed, which reaches every principal in
 * one, by membership or by a token naming it. `all`: anything may have changed (deployments and
 * release names, a truncate, a reconnection after notifications may have been missed, a
 * notification that could not be read).
 */
export type BindingsChange =
  | { readonly all: true }
  | { readonly all: false; readonly subjects: readonly string[]; readonly groups: readonly string[] }

/** Where role bindings come from. Reads are synchronous: the file store is in memory. */
export interface BindingsStore {
  /** Bumped on every change; a store without `onChange` is followed by it (a new version: every cached principal is stale). */
  readonly version: number
  /** deployment id -> its workspace id (for workspace -> deployment cascades). */
  readonly deployments: ReadonlyMap<string, string>
  /** The deployment whose release name this is (a scope argument with `lookup: releaseName`). */
  deploymentByReleaseName(name: string): string | undefined
  subject(id: string): SubjectEntry | undefined
  group(name: string): readonly Binding[] | undefined
  /** The subject whose `apiKeySha256` is this hex digest. */
  subjectByApiKeySha256(hex: string): string | undefined
  /**
   * Stores that load on demand (PostgreSQL): makes `subject` and `group` answer from memory for
   * this principal. undefined when they already do (the hot path, synchronous); a Promise when
   * something must be fetched first. Rejects with a 503 PermgateError when the store cannot
   * answer and what it holds is older than its allowed staleness (fail closed).
   */
  prepare?(principal: Subject): Promise<void> | undefined
  /** The same for `subjectByApiKeySha256(hex)`. */
  prepareApiKey?(hex: string): Promise<void> | undefined
  /**
   * Stores that change while in use (PostgreSQL, by NOTIFY): calls `listener` after each change
   * is taken in, with what it touched; returns its removal. A file store never changes (a reload
   * makes a new one). A store that has this calls it for every change of what `subject`, `group`,
   * `deployments` or `deploymentByReleaseName` answer, so caches follow it and not `version`.
   */
  onChange?(listener: (change: BindingsChange) => void): () => void
  /** Releases connections (PostgreSQL); the file store holds none. */
  close?(): Promise<void>
}

/**
 * Whom bindings are looked up for: the shape the bindings and policy stages read. The identity
 * stage's Principal is one (`anonymous` presented no credential).
 */
export interface Subject {
  readonly kind: 'anonymous' | SubjectKind
  readonly id: string | null
  /** Groups (teams) from the token or the caller; each adds the group's bindings. */
  readonly groups: readonly string[]
}
