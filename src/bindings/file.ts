import { PermgateError, type ErrorPlace } from '../errors.js'
import { isForwardableSubject, MAX_SUBJECT_LENGTH } from './subject.js'
import { isRecord, placeOf, readYamlFile, type YamlFile } from '../config/yaml.js'
import type { Binding, BindingsStore, SubjectEntry, SubjectKind } from './types.js'

const TOP_KEYS = new Set(['deployments', 'subjects', 'groups'])
const SUBJECT_KEYS = new Set(['kind', 'bindings', 'apiKeySha256'])
const BINDING_KEYS = new Set(['role', 'workspace', 'deployment'])
const DEPLOYMENT_KEYS = new Set(['workspace', 'releaseName'])
const KINDS: readonly SubjectKind[] = ['user', 'serviceAccount']
const SHA256_HEX = /^[0-9a-f]{64}$/

/** The embedded default store: a YAML file of deployments, subjects and groups, held in memory. */
export class FileBindingsStore implements BindingsStore {
  readonly version: number
  readonly deployments: ReadonlyMap<string, string>
  /** deployment id -> its release name (deployments without one are absent). */
  readonly releaseNames: ReadonlyMap<string, string>
  private readonly subjects: ReadonlyMap<string, SubjectEntry>
  private readonly groups: ReadonlyMap<string, readonly Binding[]>
  private readonly byKeyHash = new Map<string, string>()
  private readonly byReleaseName = new Map<string, string>()

  constructor(
    deployments: ReadonlyMap<string, string>,
    subjects: ReadonlyMap<string, SubjectEntry>,
    groups: ReadonlyMap<string, readonly Binding[]>,
    releaseNames: ReadonlyMap<string, string> = new Map(),
    version = 1,
  ) {
    this.deployments = deployments
    this.releaseNames = releaseNames
    this.subjects = subjects
    this.groups = groups
    this.version = version
    for (const [id, s] of subjects) if (s.apiKeySha256 !== undefined) this.byKeyHash.set(s.apiKeySha256, id)
    for (const [id, name] of releaseNames) this.byReleaseName.set(name, id)
  }

  deploymentByReleaseName(name: string): string | undefined {
    return this.byReleaseName.get(name)
  }

  subjectByApiKeySha256(hex: string): string | undefined {
    return this.byKeyHash.get(hex)
  }

  subject(id: string): SubjectEntry | undefined {
    return this.subjects.get(id)
  }

  group(name: string): readonly Binding[] | undefined {
    return this.groups.get(name)
  }

  subjectIds(): IterableIterator<string> {
    return this.subjects.keys()
  }
}

/**
 * What a bindings file is checked against: the roles of the policy it will serve (a compiled
 * policy is one). Structural, so the bindings stage reads roles without depending on the policy.
 */
export interface KnownRoles {
  /** The policy's name, for the error message. */
  readonly name: string
  /** Role id -> anything: only the ids are read. */
  readonly roles: ReadonlyMap<string, unknown>
}

/** Loads and validates a bindings file against a policy's roles (every role must exist). */
export function loadBindingsFile(file: string, policy: KnownRoles): FileBindingsStore {
  const y = readYamlFile(file, 'PERMGATE_ERR_BINDINGS_NOT_FOUND')
  const v = y.value ?? {}
  const fail = (msg: string, at: (string | number)[]): never => {
    throw new PermgateError('PERMGATE_ERR_BINDINGS_SHAPE', msg, placeOf(y, at))
  }
  if (!isRecord(v)) fail('a bindings file must be a map with deployments, subjects, groups', [])
  const top = v as Record<string, unknown>
  for (const k of Object.keys(top)) if (!TOP_KEYS.has(k)) fail(`unknown key "${k}" (known: ${[...TOP_KEYS].join(', ')})`, [k])

  const deployments = new Map<string, string>()
  const releaseNames = new Map<string, string>()
  const releaseOwner = new Map<string, string>()
  for (const [d, entry] of Object.entries(recordAt(top.deployments, ['deployments'], fail))) {
    const at = ['deployments', d]
    const shape = `deployment ${d} must map to its workspace id, or to { workspace: <id>, releaseName?: <name> }`
    // `d1: w1`, or `d1: { workspace: w1, releaseName: r1 }` (Houston names a deployment by its release name too)
    const long = isRecord(entry) ? entry : undefined
    if (long !== undefined) for (const k of Object.keys(long)) if (!DEPLOYMENT_KEYS.has(k)) fail(`deployment ${d}: unknown key "${k}" (known: ${[...DEPLOYMENT_KEYS].join(', ')})`, [...at, k])
    const w = long === undefined ? entry : long.workspace
    if (typeof w !== 'string' && typeof w !== 'number') fail(shape, long === undefined ? at : [...at, 'workspace'])
    deployments.set(d, String(w))
    const name = long?.releaseName
    if (name === undefined || name === null) continue
    if (typeof name !== 'string' || name === '') fail(`deployment ${d}: releaseName must be a non-empty string`, [...at, 'releaseName'])
    const other = releaseOwner.get(name as string)
    // a release name must name one deployment, else a lookup could pick either
    if (other !== undefined) fail(`deployments ${other} and ${d} have the same releaseName ${JSON.stringify(name)}`, [...at, 'releaseName'])
    releaseOwner.set(name as string, d)
    releaseNames.set(d, name as string)
  }

  const subjects = new Map<string, SubjectEntry>()
  for (const [id, s] of Object.entries(recordAt(top.subjects, ['subjects'], fail))) {
    const at = ['subjects', id]
    // a subject is forwarded as x-permgate-subject: one that cannot be is refused here, not per request
    if (!isForwardableSubject(id)) fail(`subject ${JSON.stringify(id)}: a subject id is at most ${MAX_SUBJECT_LENGTH} printable ASCII characters, without control characters or surrounding spaces`, at)
    const entry = recordAt(s ?? {}, at, fail)
    for (const k of Object.keys(entry)) if (!SUBJECT_KEYS.has(k)) fail(`subject ${id}: unknown key "${k}"`, [...at, k])
    const kind = (entry.kind ?? 'user') as SubjectKind
    if (!KINDS.includes(kind)) fail(`subject ${id}: kind must be one of ${KINDS.join(', ')}`, [...at, 'kind'])
    const hash = entry.apiKeySha256
    if (hash !== undefined && (typeof hash !== 'string' || !SHA256_HEX.test(hash))) {
      fail(`subject ${id}: apiKeySha256 must be 64 lowercase hex digits (the SHA-256 of the key, never the key)`, [...at, 'apiKeySha256'])
    }
    const bindings = readBindings(y, entry.bindings, [...at, 'bindings'], policy)
    subjects.set(id, hash === undefined ? { kind, bindings } : { kind, bindings, apiKeySha256: hash as string })
  }

  const keyOwners = new Map<string, string>()
  for (const [id, s] of subjects) {
    if (s.apiKeySha256 === undefined) continue
    const other = keyOwners.get(s.apiKeySha256)
    if (other !== undefined) fail(`subjects ${other} and ${id} have the same apiKeySha256`, ['subjects', id, 'apiKeySha256'])
    keyOwners.set(s.apiKeySha256, id)
  }

  const groups = new Map<string, readonly Binding[]>()
  for (const [name, g] of Object.entries(recordAt(top.groups, ['groups'], fail))) {
    const entry = recordAt(g ?? {}, ['groups', name], fail)
    groups.set(name, readBindings(y, entry.bindings, ['groups', name, 'bindings'], policy))
  }
  return new FileBindingsStore(deployments, subjects, groups, releaseNames)
}

function readBindings(y: YamlFile, v: unknown, at: (string | number)[], policy: KnownRoles): Binding[] {
  if (v === undefined || v === null) return []
  const place = (i: number, k?: string): ErrorPlace => placeOf(y, k === undefined ? [...at, i] : [...at, i, k])
  if (!Array.isArray(v)) throw new PermgateError('PERMGATE_ERR_BINDINGS_SHAPE', 'bindings must be a list', placeOf(y, at))
  return v.map((b, i) => {
    if (!isRecord(b)) throw new PermgateError('PERMGATE_ERR_BINDINGS_SHAPE', 'a binding is { role, workspace? | deployment? }', place(i))
    for (const k of Object.keys(b)) {
      if (!BINDING_KEYS.has(k)) throw new PermgateError('PERMGATE_ERR_BINDINGS_SHAPE', `unknown key "${k}" in binding`, place(i, k))
    }
    if (typeof b.role !== 'string' || !policy.roles.has(b.role)) {
      throw new PermgateError(
        'PERMGATE_ERR_BINDINGS_UNKNOWN_ROLE',
        `unknown role ${JSON.stringify(b.role)} (policy ${policy.name} has ${[...policy.roles.keys()].join(', ')})`,
        place(i, 'role'),
      )
    }
    if (b.workspace !== undefined && b.deployment !== undefined) {
      throw new PermgateError('PERMGATE_ERR_BINDINGS_SHAPE', 'a binding names a workspace or a deployment, not both', place(i))
    }
    const id = (k: 'workspace' | 'deployment'): string => {
      const x = b[k]
      if ((typeof x !== 'string' || x === '') && typeof x !== 'number') {
        throw new PermgateError('PERMGATE_ERR_BINDINGS_SHAPE', `${k} must be an id`, place(i, k))
      }
      return String(x)
    }
    if (b.workspace !== undefined) return { role: b.role, workspace: id('workspace') }
    if (b.deployment !== undefined) return { role: b.role, deployment: id('deployment') }
    return { role: b.role }
  })
}

function recordAt(v: unknown, at: (string | number)[], fail: (msg: string, at: (string | number)[]) => never): Record<string, unknown> {
  if (v === undefined || v === null) return {}
  if (!isRecord(v)) return fail(`${at.join('.')} must be a map`, at)
  return v
}
