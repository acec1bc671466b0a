/**
 * An independent model of how permgate means to authorize Houston on Astronomer Software 0.3x,
 * written from the facts in ../shared/houston (operations-0.3x.json, roles-0.35.json,
 * types-0.3x.json, README.md) and from the readings this policy documents where it is stricter
 * than the facts (READINGS and GUARD_READINGS below, each with its reason). It reads nothing of
 * permgate's policy files or code: it exists so the shipped policy can be checked against it.
 *
 * Imported by tests only.
 */
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { SHARED, type HoustonRoles } from '../../test/helpers/shared.js'

export type OpType = 'Query' | 'Mutation' | 'Subscription'
export type Kind = 'workspace' | 'deployment'
export type Scope = 'system' | Kind

/** A scope argument of operations-0.3x.json: `where.id`, or `releaseName` with a lookup. */
export interface FactScopeArg {
  readonly kind: Kind
  readonly path: string
  readonly lookup?: 'releaseName'
}

/** One root field of operations-0.3x.json (the keys the model reads). */
export interface Op03 {
  readonly type: OpType
  readonly field: string
  readonly args: readonly { readonly name: string; readonly type: string; readonly default?: string; readonly note?: string }[]
  readonly returns: string
  readonly access: 'public' | 'authenticated' | 'permission'
  readonly permissions: readonly string[]
  readonly combinator: 'AND' | 'OR' | null
  readonly scopeArgs: readonly FactScopeArg[]
  readonly grants: null | {
    readonly scope: string
    readonly roleArg: string | null
    readonly entityArg?: string
    readonly defaultRole?: string
    readonly lists?: readonly { readonly arg: string; readonly scope: string }[]
  }
  readonly evidence: 'schema' | 'docs' | 'inference'
  readonly status0_3x: string
}

export interface TypeFact {
  readonly name: string
  readonly kind: 'scalar' | 'enum' | 'input' | 'object'
  readonly fields?: readonly { readonly name: string; readonly type: string }[]
  readonly values?: readonly { readonly name: string }[]
}

export interface Facts {
  readonly operations: readonly Op03[]
  readonly roles: HoustonRoles
  readonly types: readonly TypeFact[]
}

export function loadFacts(): Facts {
  const read = (f: string): unknown => JSON.parse(readFileSync(join(SHARED, 'houston', f), 'utf8'))
  return {
    operations: (read('operations-0.3x.json') as { operations: Op03[] }).operations,
    roles: read('roles-0.35.json') as HoustonRoles,
    types: (read('types-0.3x.json') as { types: TypeFact[] }).types,
  }
}

/** The rule the model applies: the facts' rule unless a reading below replaces it. */
export interface ModelRule {
  readonly access: Op03['access']
  readonly permissions: readonly string[]
  readonly op: 'AND' | 'OR'
  readonly scope: readonly FactScopeArg[]
}

const release = (path: string): FactScopeArg => ({ kind: 'deployment', path, lookup: 'releaseName' })

/**
 * Where the policy is stricter than the facts' rule. Each entry replaces part of the facts' rule;
 * the reason is the policy's (rules.yaml says the same at the rule).
 */
export const READINGS: Readonly<Record<string, Partial<ModelRule> & { readonly why: string }>> = {
  'Query.deploymentVariables': {
    scope: [{ kind: 'workspace', path: 'workspaceUuid' }, release('releaseName')],
    why: 'Houston does not check that releaseName is a deployment of workspaceUuid (IDOR): the release must be one of its deployments',
  },
  'Query.workspaceDeployment': {
    scope: [{ kind: 'workspace', path: 'workspaceUuid' }, release('releaseName')],
    why: 'the same IDOR as deploymentVariables',
  },
  'Query.email': {
    access: 'permission',
    permissions: ['system.users.get'],
    why: 'Email objects carry the verification token; the facts recommend restricting the field',
  },
  'Mutation.deleteInviteToken': {
    access: 'permission',
    permissions: ['system.user.invite'],
    why: 'any caller deleted any invite; the invite cannot be resolved to its workspace at the edge',
  },
  'Mutation.deleteServiceAccount': {
    access: 'permission',
    permissions: ['system.serviceAccounts.delete'],
    why: 'no check at all in Houston; the account cannot be resolved to its binding at the edge',
  },
  'Mutation.updateServiceAccount': {
    access: 'permission',
    permissions: ['system.serviceAccounts.update'],
    why: 'no check at all in Houston; the account cannot be resolved to its binding at the edge',
  },
  'Mutation.updateDeploymentVariables': {
    scope: [{ kind: 'deployment', path: 'deploymentUuid' }, release('releaseName')],
    why: 'releaseName must name the same deployment as deploymentUuid (Houston does not check it)',
  },
  'Subscription.deploymentStatus': {
    access: 'permission',
    permissions: ['deployment.metrics.get', 'system.deployments.metrics'],
    op: 'OR',
    scope: [release('releaseName')],
    why: 'bare @auth keyed by releaseName let any principal poll any deployment: the facts\' safer rule',
  },
}

/** A guard the model applies: the role at `role` (a path) must be granted within the caller's rights. */
export interface ModelGuard {
  readonly role: readonly string[]
  /** Fixed, or read from the entityType argument. */
  readonly scope: Scope | 'entityType'
  readonly entity: readonly string[] | null
  readonly default: string | null
  /** A role inside a payload: a payload without one grants nothing. */
  readonly optional: boolean
  /** A list argument: every element (a plain object) grants `role` at its own `entity`. */
  readonly each: string | null
  /** With `each`: every element's deployment must be one of this workspace argument's. */
  readonly within: string | null
}

/** Guards beyond the facts' grants: the revocations of a system role by name. */
export const GUARD_READINGS: Readonly<Record<string, { readonly guards: readonly ModelGuard[]; readonly why: string }>> = Object.fromEntries(
  ['Mutation.deleteSystemRoleBinding', 'Mutation.deleteTeamSystemRoleBinding'].map((k) => [
    k,
    {
      guards: [{ role: ['role'], scope: 'system', entity: null, default: null, optional: false, each: null, within: null }],
      why: 'a caller may remove only a system role it could grant',
    },
  ]),
)

/** The guards of a field: from the facts' grants (a role argument), plus GUARD_READINGS. */
export function guardsOf(op: Op03, types: readonly TypeFact[]): ModelGuard[] {
  const key = `${op.type}.${op.field}`
  const extra = GUARD_READINGS[key]?.guards ?? []
  const g = op.grants
  if (g === null || g.roleArg === null) return [...extra]
  const scope: ModelGuard['scope'] = g.scope.startsWith('from entityType')
    ? 'entityType'
    : g.scope === 'workspace' || g.scope === 'deployment' || g.scope === 'system'
      ? g.scope
      : 'system' // "the service account's own binding": it cannot be resolved, so only a system role passes
  const roleArg = op.args.find((a) => a.name === g.roleArg)
  // a default is the upstream's only when the schema has it, not when it is the CLI's variable default
  const schemaDefault = roleArg?.default !== undefined && !(roleArg.note ?? '').includes('CLI variable default') ? roleArg.default : null
  const out: ModelGuard[] = [
    {
      role: g.roleArg.split('.'),
      scope,
      entity: g.entityArg === undefined ? null : g.entityArg.split('.'),
      default: schemaDefault,
      optional: g.roleArg.includes('.'),
      each: null,
      within: null,
    },
  ]
  // the element fields of a list of grants are not known: types-0.3x.json's guess (an id and a Role)
  const element = types.find((t) => t.name === 'DeploymentRoles')?.fields ?? []
  const roleField = element.find((f) => f.type === 'Role')?.name
  const idField = element.find((f) => f.type === 'Uuid' || f.type === 'Id' || f.type === 'ID')?.name
  for (const list of g.lists ?? []) {
    if (roleField === undefined || idField === undefined) throw new Error('reference model: DeploymentRoles has no role or id field')
    out.push({
      role: [roleField],
      scope: list.scope as Scope,
      entity: [idField],
      default: null,
      optional: false,
      each: list.arg,
      within: scope === 'workspace' ? (g.entityArg ?? null) : null,
    })
  }
  return [...out, ...extra]
}

// ---------------------------------------------------------------------------------------------

/** A role binding: system-wide, on one workspace, or on one deployment. */
export type RefBinding = { readonly role: string; readonly workspace?: string; readonly deployment?: string }

/** Who asks: every binding it holds, its own and its teams', without the synthetic USER. */
export interface RefPrincipal {
  readonly anonymous: boolean
  readonly bindings: readonly RefBinding[]
}

/** One root field of a request, its arguments as plain values. */
export interface RefField {
  readonly name: string
  readonly args: Readonly<Record<string, unknown>>
}

export type RefReason =
  | 'public'
  | 'authenticated'
  | 'permission'
  | 'typename'
  | 'introspection'
  | 'unauthenticated'
  | 'missing_permission'
  | 'no_rule'
  | 'invalid_scope'
  | 'unknown_release'
  | 'escalation'
  | 'invite_required'

const ALLOW = new Set<RefReason>(['public', 'authenticated', 'permission', 'typename', 'introspection'])

export interface RefDecision {
  readonly allowed: boolean
  readonly reason: 'allowed' | RefReason
  /** Every field's reason, in order. */
  readonly fields: readonly RefReason[]
}

/** The platform's deployments: id -> its workspace and release name. */
export type World = ReadonlyMap<string, { readonly workspace: string; readonly releaseName?: string }>

const isSystem = (p: string): boolean => p.startsWith('system.')
const kindOf = (p: string): string => p.split('.')[0] ?? ''
const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v)

/** An id as an argument may give it: a non-empty string or a safe integer. */
function idOf(v: unknown): string | null {
  if (typeof v === 'string') return v === '' ? null : v
  if (typeof v === 'number' && Number.isSafeInteger(v)) return String(v)
  return null
}

/** The value at a dotted path; a step through anything but an object is `through`. */
function at(args: Readonly<Record<string, unknown>>, path: readonly string[]): { value: unknown; through: boolean } {
  let cur: unknown = args
  for (const key of path) {
    if (cur === undefined || cur === null) return { value: cur, through: false }
    if (!isObject(cur)) return { value: undefined, through: true }
    cur = Object.hasOwn(cur, key) ? cur[key] : undefined
  }
  return { value: cur, through: false }
}

export class ReferenceModel {
  private readonly ops = new Map<string, Op03>()
  private readonly releases = new Map<string, string>()

  constructor(
    private readonly facts: Facts,
    private readonly world: World,
  ) {
    for (const op of facts.operations) this.ops.set(`${op.type}.${op.field}`, op)
    for (const [id, d] of world) if (d.releaseName !== undefined) this.releases.set(d.releaseName, id)
  }

  /** The rule for a field: the facts' rule with READINGS applied. */
  ruleOf(op: Op03): ModelRule {
    const r = READINGS[`${op.type}.${op.field}`]
    return {
      access: r?.access ?? op.access,
      permissions: r?.permissions ?? op.permissions,
      op: r?.op ?? op.combinator ?? 'AND',
      scope: r?.scope ?? op.scopeArgs,
    }
  }

  /** Every root field must be allowed; unauthenticated wins as the reason, else the first denial. */
  decide(p: RefPrincipal, type: OpType, fields: readonly RefField[]): RefDecision {
    const reasons = fields.map((f) => this.decideField(p, type, f))
    const denied = reasons.filter((r) => !ALLOW.has(r))
    if (denied.length === 0) return { allowed: true, reason: 'allowed', fields: reasons }
    return { allowed: false, reason: denied.includes('unauthenticated') ? 'unauthenticated' : (denied[0] as RefReason), fields: reasons }
  }

  decideField(p: RefPrincipal, type: OpType, f: RefField): RefReason {
    if (f.name === '__typename') return 'typename'
    if (f.name === '__schema' || f.name === '__type') return p.anonymous ? 'unauthenticated' : 'introspection' // introspection: authenticated
    const op = this.ops.get(`${type}.${f.name}`)
    if (op === undefined) return 'no_rule'
    const rule = this.ruleOf(op)
    let allow: RefReason
    if (rule.access === 'public') allow = 'public'
    else if (p.anonymous) return 'unauthenticated'
    else if (rule.access === 'authenticated') allow = 'authenticated'
    else {
      const named = this.resolve(rule, f.args)
      if (typeof named === 'string') return named
      if (!this.holdsRule(p, rule, named.workspace, named.deployment)) return 'missing_permission'
      allow = 'permission'
    }
    // publicSignups: false: signup takes an invitation
    if (op.field === 'createUser' && type === 'Mutation') {
      const token = f.args.inviteToken
      if (typeof token !== 'string' || token.trim() === '') return 'invite_required'
    }
    for (const g of guardsOf(op, this.facts.types)) if (!this.guardHolds(p, g, f.args)) return 'escalation'
    return allow
  }

  /**
   * The entities the scope arguments name, per kind. Every present argument of a kind must name
   * the same entity, and a deployment named beside a workspace must be one of its deployments
   * (invalid_scope); a release name the world does not know is unknown_release.
   */
  private resolve(rule: ModelRule, args: Readonly<Record<string, unknown>>): { workspace: string | null; deployment: string | null } | RefReason {
    let workspace: string | null = null
    let deployment: string | null = null
    for (const s of rule.scope) {
      const { value } = at(args, s.path.split('.'))
      if (value === undefined || value === null) continue
      let id = idOf(value)
      if (id === null || (s.lookup !== undefined && typeof value !== 'string')) return 'invalid_scope'
      if (s.lookup === 'releaseName') {
        const d = this.releases.get(id)
        if (d === undefined) return 'unknown_release'
        id = d
      }
      if (s.kind === 'workspace') {
        if (workspace !== null && workspace !== id) return 'invalid_scope'
        workspace = id
      } else {
        if (deployment !== null && deployment !== id) return 'invalid_scope'
        deployment = id
      }
    }
    if (workspace !== null && deployment !== null && this.world.get(deployment)?.workspace !== workspace) return 'invalid_scope'
    return { workspace, deployment }
  }

  /** system permissions from system-scope roles (with USER); workspace and deployment ones on the entity of their kind. */
  private holdsRule(p: RefPrincipal, rule: ModelRule, ws: string | null, dep: string | null): boolean {
    const system = this.systemHeld(p)
    const onWs = ws === null ? null : this.heldOn(p, 'workspace', ws)
    const onDep = dep === null ? null : this.heldOn(p, 'deployment', dep)
    const holds = (perm: string): boolean => {
      if (isSystem(perm)) return system.has(perm)
      const kind = kindOf(perm)
      if (kind === 'workspace') return onWs !== null && onWs.has(perm)
      if (kind === 'deployment') return onDep !== null && onDep.has(perm)
      return false
    }
    return rule.op === 'OR' ? rule.permissions.some(holds) : rule.permissions.every(holds)
  }

  /** The escalation guard: the role belongs to the scope and grants nothing the caller lacks there. */
  private guardHolds(p: RefPrincipal, g: ModelGuard, args: Readonly<Record<string, unknown>>): boolean {
    if (g.each !== null) {
      const list = args[g.each]
      if (list === undefined || list === null) return true
      if (!Array.isArray(list)) return false
      if (list.length === 0) return true
      let ws: string | null = null
      if (g.within !== null) {
        ws = idOf(args[g.within])
        if (ws === null) return false
      }
      for (const el of list) {
        if (!isObject(el)) return false
        const role = el[g.role[0] as string]
        if (typeof role !== 'string' || this.scopeOfRole(role) !== g.scope) return false
        const id = idOf(el[(g.entity ?? [])[0] as string])
        if (id === null) return false
        if (ws !== null && this.world.get(id)?.workspace !== ws) return false
        if (!this.within(p, role, g.scope as Scope, id)) return false
      }
      return true
    }
    const { value, through } = at(args, g.role)
    if (through) return false
    let role = value
    if (role === undefined || role === null) {
      if (g.optional) return true
      if (g.default === null) return false
      role = g.default
    }
    if (typeof role !== 'string') return false
    let scope: Scope | undefined
    if (g.scope === 'entityType') {
      const t = args.entityType
      scope = t === 'SYSTEM' ? 'system' : t === 'WORKSPACE' ? 'workspace' : t === 'DEPLOYMENT' ? 'deployment' : undefined
    } else scope = g.scope
    if (scope === undefined || this.scopeOfRole(role) !== scope) return false
    let id: string | null = null
    if (scope !== 'system' && g.entity !== null) {
      const v = at(args, g.entity).value
      id = idOf(v)
      if (id === null && v !== undefined && v !== null) return false
    }
    return this.within(p, role, scope, id)
  }

  /** What granting `role` gives (with its cascade) is all held by the caller at that scope. */
  private within(p: RefPrincipal, role: string, scope: Scope, id: string | null): boolean {
    const held = [...this.systemRoles(p)]
    if (id !== null && scope === 'workspace') {
      for (const b of p.bindings) if (b.workspace === id) held.push(b.role, ...this.cascadeOf(b.role))
    }
    if (id !== null && scope === 'deployment') {
      const ws = this.world.get(id)?.workspace
      for (const b of p.bindings) {
        if (b.deployment === id) held.push(b.role)
        if (ws !== undefined && b.workspace === ws) held.push(...this.cascadeOf(b.role))
      }
    }
    const have = this.permissionsOf(held)
    return [...this.permissionsOf([role, ...this.cascadeOf(role)])].every((perm) => have.has(perm))
  }

  /** A role's scope, by its id's prefix; USER and unknown roles are granted nowhere. */
  private scopeOfRole(role: string): Scope | undefined {
    if (this.facts.roles[role] === undefined) return undefined
    const m = /^(SYSTEM|WORKSPACE|DEPLOYMENT)_/.exec(role)
    return m ? (m[1]?.toLowerCase() as Scope) : undefined
  }

  private systemRoles(p: RefPrincipal): string[] {
    return ['USER', ...p.bindings.filter((b) => b.workspace === undefined && b.deployment === undefined).map((b) => b.role)]
  }

  private systemHeld(p: RefPrincipal): Set<string> {
    return this.permissionsOf(this.systemRoles(p))
  }

  /**
   * Scoped permissions on one entity: the roles bound on it; for a deployment also DEPLOYMENT_X for
   * every WORKSPACE_X bound on its workspace; plus the scoped permissions of system-scope roles
   * (valid on every entity). System permissions never come from here.
   */
  private heldOn(p: RefPrincipal, kind: Kind, id: string): Set<string> {
    const roles: string[] = []
    const ws = kind === 'deployment' ? this.world.get(id)?.workspace : undefined
    for (const b of p.bindings) {
      if (kind === 'workspace' && b.workspace === id) roles.push(b.role)
      if (kind === 'deployment' && b.deployment === id) roles.push(b.role)
      if (ws !== undefined && b.workspace === ws) roles.push(...this.cascadeOf(b.role))
    }
    const out = new Set<string>()
    for (const perm of this.permissionsOf([...roles, ...this.systemRoles(p)])) if (!isSystem(perm)) out.add(perm)
    return out
  }

  /** WORKSPACE_X cascades to DEPLOYMENT_X on the workspace's deployments. */
  private cascadeOf(role: string): string[] {
    if (!role.startsWith('WORKSPACE_')) return []
    const to = `DEPLOYMENT_${role.slice('WORKSPACE_'.length)}`
    return this.facts.roles[to] === undefined ? [] : [to]
  }

  private permissionsOf(roles: readonly string[]): Set<string> {
    const out = new Set<string>()
    for (const r of roles) {
      const def = this.facts.roles[r]
      if (def === undefined) throw new Error(`reference model: unknown role ${r}`)
      for (const perm of def.permissions) out.add(perm)
    }
    return out
  }
}
