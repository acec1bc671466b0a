/**
 * An independent model of Houston's authorization as permgate means to apply it, written from
 * ../shared/houston/README.md ("How Houston decides" plus "Where permgate deliberately differs")
 * and the two fact files (operations-v0.12.1.json, roles-v0.12.1.json). It reads nothing of
 * permgate's policy files or code: it exists so the shipped policy can be checked against it.
 *
 * Imported by tests only.
 */
import type { HoustonOperation, HoustonRoles } from '../../test/helpers/shared.js'

export type RefOperationType = HoustonOperation['type']

/** A role binding: system-wide, on one workspace, or on one deployment. */
export type RefBinding =
  | { readonly role: string }
  | { readonly role: string; readonly workspace: string }
  | { readonly role: string; readonly deployment: string }

/**
 * Who asks. `bindings` are every binding the principal holds, its own and its groups',
 * without the synthetic USER binding (the model adds it to every authenticated principal).
 */
export interface RefPrincipal {
  readonly anonymous: boolean
  readonly bindings: readonly RefBinding[]
}

/** One root field of a request, with the values its arguments resolve to (null/absent: not given). */
export interface RefField {
  readonly name: string
  readonly alias: string | null
  readonly args: Readonly<Record<string, string | null | undefined>>
}

export type RefFieldReason =
  | 'public'
  | 'authenticated'
  | 'permission'
  | 'typename'
  | 'introspection'
  | 'unauthenticated'
  | 'missing_permission'
  | 'no_rule'
  | 'escalation'
  | 'invite_required'

export interface RefEntity {
  readonly kind: 'workspace' | 'deployment'
  readonly id: string
}

export interface RefFieldDecision {
  readonly field: string
  readonly alias: string | null
  readonly allowed: boolean
  readonly reason: RefFieldReason
  /** The operation's permissions, sorted ([] when it needs none or is unknown). */
  readonly required: readonly string[]
  /** AND/OR for a permission field, else null. */
  readonly op: 'AND' | 'OR' | null
  /** The entity a scoped permission was checked on, when one was named. */
  readonly scope: RefEntity | null
}

export interface RefDecision {
  readonly allowed: boolean
  readonly reason: 'allowed' | Exclude<RefFieldReason, 'public' | 'authenticated' | 'permission' | 'typename' | 'introspection'>
  readonly denied: readonly RefFieldDecision[]
}

/** Which entity kind a scope argument names (Houston: workspaceUuid, else deploymentUuid). */
const KIND_OF_ARG: Readonly<Record<string, RefEntity['kind']>> = {
  workspaceUuid: 'workspace',
  deploymentUuid: 'deployment',
}

/**
 * The escalation guard (README, "Conditions"): the fields that grant the role named by an
 * argument, and the scope they grant it at ('entityType': read from that argument).
 */
const GRANTS: Readonly<Record<string, { readonly role: string; readonly scope: 'system' | 'workspace' | 'deployment' | 'entityType'; readonly optional?: true }>> = {
  'Mutation.workspaceAddUser': { role: 'role', scope: 'workspace' },
  'Mutation.workspaceUpdateUserRole': { role: 'role', scope: 'workspace' },
  'Mutation.createServiceAccount': { role: 'role', scope: 'entityType' },
  'Mutation.createDeploymentServiceAccount': { role: 'role', scope: 'deployment' },
  'Mutation.createWorkspaceServiceAccount': { role: 'role', scope: 'workspace' },
  'Mutation.createSystemServiceAccount': { role: 'role', scope: 'system' },
  'Mutation.createSystemRoleBinding': { role: 'role', scope: 'system' },
  'Mutation.updateServiceAccount': { role: 'payload.role', scope: 'system', optional: true },
  'Mutation.updateWorkspaceServiceAccount': { role: 'payload.role', scope: 'workspace', optional: true },
  'Mutation.updateDeploymentServiceAccount': { role: 'payload.role', scope: 'deployment', optional: true },
}
/** The scope of a grantable role: its id's prefix (SYSTEM_, WORKSPACE_, DEPLOYMENT_); USER is not grantable. */
const scopeOfRole = (role: string): string | undefined => /^(SYSTEM|WORKSPACE|DEPLOYMENT)_/.exec(role)?.[1]?.toLowerCase()

const SYSTEM = 'system.'
const isSystem = (p: string): boolean => p.startsWith(SYSTEM)

export class ReferenceModel {
  private readonly ops = new Map<string, HoustonOperation>()

  constructor(
    operations: readonly HoustonOperation[],
    private readonly roles: HoustonRoles,
    /** deployment id -> the id of its workspace */
    private readonly workspaceOf: ReadonlyMap<string, string>,
  ) {
    for (const op of operations) this.ops.set(`${op.type}.${op.field}`, op)
  }

  /** Every root field must be allowed; unauthenticated wins as the reason, else the first denial. */
  decide(p: RefPrincipal, type: RefOperationType, fields: readonly RefField[]): RefDecision {
    const decisions = fields.map((f) => this.decideField(p, type, f))
    const denied = decisions.filter((d) => !d.allowed)
    const first = denied[0]
    if (first === undefined) return { allowed: true, reason: 'allowed', denied: [] }
    const reason = denied.some((d) => d.reason === 'unauthenticated') ? 'unauthenticated' : (first.reason as RefDecision['reason'])
    return { allowed: false, reason, denied }
  }

  decideField(p: RefPrincipal, type: RefOperationType, f: RefField): RefFieldDecision {
    const base = { field: f.name, alias: f.alias }
    if (f.name === '__typename') return { ...base, allowed: true, reason: 'typename', required: [], op: null, scope: null }
    if (f.name === '__schema' || f.name === '__type') {
      // introspection: authenticated (policy.yaml of the Houston policy)
      return p.anonymous
        ? { ...base, allowed: false, reason: 'unauthenticated', required: [], op: null, scope: null }
        : { ...base, allowed: true, reason: 'introspection', required: [], op: null, scope: null }
    }
    const op = this.ops.get(`${type}.${f.name}`)
    if (op === undefined) return { ...base, allowed: false, reason: 'no_rule', required: [], op: null, scope: null }
    const required = [...op.permissions].sort()
    const combinator = op.access === 'permission' ? (op.combinator ?? 'AND') : null
    const result = (allowed: boolean, reason: RefFieldReason, scope: RefEntity | null = null): RefFieldDecision => ({
      ...base,
      allowed,
      reason,
      required,
      op: combinator,
      scope,
    })

    if (op.access === 'public') return this.conditions(p, `${type}.${f.name}`, f, null, (reason) => result(reason === undefined, reason ?? 'public'))
    if (p.anonymous) return result(false, 'unauthenticated')
    if (op.access === 'authenticated') return this.conditions(p, `${type}.${f.name}`, f, null, (reason) => result(reason === undefined, reason ?? 'authenticated'))

    // The entity: the first scope argument whose value is present.
    let entity: RefEntity | null = null
    for (const arg of op.scopeArgs) {
      const v = f.args[arg]
      if (v === null || v === undefined) continue
      const kind = KIND_OF_ARG[arg]
      if (kind === undefined) throw new Error(`reference model: no entity kind for scope argument ${arg}`)
      entity = { kind, id: v }
      break
    }

    const systemRoles = ['USER', ...p.bindings.filter((b) => !('workspace' in b) && !('deployment' in b)).map((b) => b.role)]
    const systemHeld = this.permissionsOf(systemRoles)
    const entityHeld = entity === null ? new Set<string>() : this.scopedPermissionsOn(p, entity, systemHeld)
    const holds = (perm: string): boolean => (isSystem(perm) ? systemHeld.has(perm) : entityHeld.has(perm))
    const allowed = combinator === 'OR' ? op.permissions.some(holds) : op.permissions.every(holds)
    const scoped = op.permissions.some((perm) => !isSystem(perm))
    if (!allowed) return result(false, 'missing_permission', scoped ? entity : null)
    return this.conditions(p, `${type}.${f.name}`, f, entity, (reason) => result(reason === undefined, reason ?? 'permission', scoped ? entity : null))
  }

  /** publicSignups: false (createUser needs an invite token), and the escalation guard. */
  private conditions(p: RefPrincipal, key: string, f: RefField, entity: RefEntity | null, out: (deny: RefFieldReason | undefined) => RefFieldDecision): RefFieldDecision {
    if (key === 'Mutation.createUser') {
      const token = f.args.inviteToken
      return out(typeof token === 'string' && token.trim() !== '' ? undefined : 'invite_required')
    }
    const g = GRANTS[key]
    if (g === undefined) return out(undefined)
    const role = f.args[g.role]
    if (role === undefined || role === null) return out(g.optional ? undefined : 'escalation')
    const scope = g.scope === 'entityType' ? ({ SYSTEM: 'system', WORKSPACE: 'workspace', DEPLOYMENT: 'deployment' } as Record<string, string>)[f.args.entityType ?? ''] : g.scope
    if (scope === undefined || scopeOfRole(role) !== scope || this.roles[role] === undefined) return out('escalation')
    const id = g.scope === 'entityType' ? (f.args.entityUuid ?? null) : entity !== null && entity.kind === scope ? entity.id : null
    // what the caller holds there: system-scope roles (with USER), plus the roles bound on the
    // entity and what they cascade to; what the grant gives: the role and what it cascades to
    const held = ['USER', ...p.bindings.filter((b) => !('workspace' in b) && !('deployment' in b)).map((b) => b.role)]
    if (id !== null && scope === 'workspace') {
      for (const b of p.bindings) if ('workspace' in b && b.workspace === id) held.push(b.role, ...this.cascadeOf(b.role))
    }
    if (id !== null && scope === 'deployment') {
      const ws = this.workspaceOf.get(id)
      for (const b of p.bindings) {
        if ('deployment' in b && b.deployment === id) held.push(b.role)
        if (ws !== undefined && 'workspace' in b && b.workspace === ws) held.push(...this.cascadeOf(b.role))
      }
    }
    const have = this.permissionsOf(held)
    const within = [...this.permissionsOf([role, ...this.cascadeOf(role)])].every((perm) => have.has(perm))
    return out(within ? undefined : 'escalation')
  }

  /** WORKSPACE_X cascades to DEPLOYMENT_X on the workspace's deployments. */
  private cascadeOf(role: string): string[] {
    if (!role.startsWith('WORKSPACE_')) return []
    const to = `DEPLOYMENT_${role.slice('WORKSPACE_'.length)}`
    return this.roles[to] === undefined ? [] : [to]
  }

  /**
   * Workspace/deployment permissions on one entity: roles bound on it; for a deployment also
   * DEPLOYMENT_X for every WORKSPACE_X bound on its workspace; plus the scoped permissions of
   * system-scope roles (valid on every entity). System permissions never come from here.
   */
  private scopedPermissionsOn(p: RefPrincipal, e: RefEntity, systemHeld: ReadonlySet<string>): Set<string> {
    const roles: string[] = []
    for (const b of p.bindings) {
      if (e.kind === 'workspace' && 'workspace' in b && b.workspace === e.id) roles.push(b.role)
      if (e.kind === 'deployment' && 'deployment' in b && b.deployment === e.id) roles.push(b.role)
    }
    if (e.kind === 'deployment') {
      const ws = this.workspaceOf.get(e.id)
      for (const b of p.bindings) {
        if (ws === undefined || !('workspace' in b) || b.workspace !== ws || !b.role.startsWith('WORKSPACE_')) continue
        const cascaded = `DEPLOYMENT_${b.role.slice('WORKSPACE_'.length)}`
        if (this.roles[cascaded] !== undefined) roles.push(cascaded)
      }
    }
    const out = new Set<string>()
    for (const perm of this.permissionsOf(roles)) if (!isSystem(perm)) out.add(perm)
    for (const perm of systemHeld) if (!isSystem(perm)) out.add(perm)
    return out
  }

  private permissionsOf(roles: readonly string[]): Set<string> {
    const out = new Set<string>()
    for (const r of roles) {
      const def = this.roles[r]
      if (def === undefined) throw new Error(`reference model: unknown role ${r}`)
      for (const perm of def.permissions) out.add(perm)
    }
    return out
  }
}
