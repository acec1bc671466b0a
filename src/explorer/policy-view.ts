import { basename } from 'node:path'
import { FileBindingsStore } from '../bindings/file.js'
import type { Binding, SubjectEntry } from '../bindings/types.js'
import type { Principal } from '../identity/types.js'
import { permits } from '../policy/holds.js'
import { compilePrincipal, type PrincipalMasks } from '../policy/principal.js'
import { scopeOf } from '../policy/permissions.js'
import type { CompiledPolicy, CompiledRole, CompiledRule, ConditionDef, GrantScope, RoleDef } from '../policy/types.js'

/** One cell of the role x permission matrix. */
export interface MatrixCell {
  readonly state: 'direct' | 'inherited' | 'none'
  /** For an inherited permission: the role(s) it comes from. */
  readonly from: readonly string[]
  /** An overlay granted (`granted`) or revoked (`revoked`) this permission on this role. */
  readonly overlay: 'granted' | 'revoked' | undefined
}

export interface MatrixRole {
  readonly id: string
  readonly name: string
  /** Overlay files (base names) that changed the role. */
  readonly overlays: readonly string[]
  readonly cells: ReadonlyMap<string, MatrixCell>
}

export interface PolicyMatrix {
  readonly permissions: readonly string[]
  readonly roles: readonly MatrixRole[]
}

/** Where a role passes a rule: bound at system scope, on the workspace or deployment the rule names, or on the workspace by its cascade. */
export type PassScope = 'system' | 'workspace' | 'deployment' | 'workspace (cascade)'

export interface RuleView {
  readonly rule: CompiledRule
  readonly condition: ConditionDef | undefined
  /** Who passes: everyone, any authenticated principal, or the roles and their scopes. */
  readonly passes: 'anyone' | 'authenticated' | { readonly role: string; readonly scopes: readonly PassScope[] }[]
}

export interface PolicyView {
  readonly matrix: PolicyMatrix
  readonly rules: readonly RuleView[]
}

// Computed once per compiled policy: a hot reload brings a new object.
const VIEWS = new WeakMap<CompiledPolicy, PolicyView>()

export function policyView(policy: CompiledPolicy): PolicyView {
  let v = VIEWS.get(policy)
  if (v === undefined) {
    v = { matrix: matrix(policy), rules: rules(policy) }
    VIEWS.set(policy, v)
  }
  return v
}

const NOWHERE = '\u0000'
const samePlace = (a: { file?: string; line?: number }, b: { file?: string; line?: number }): boolean => a.file === b.file && a.line === b.line

/**
 * Direct vs inherited: a permission the role does not grant itself (CompiledRole.direct) is
 * inherited (`inherits:`); so is one that reached the role's own map through a YAML merge key
 * (`<<: *PERMS__X`, Houston's form), which has no place of its own in the role's map (its
 * place is the map's, like any name absent from it).
 */
function matrix(policy: CompiledPolicy): PolicyMatrix {
  const roles = [...policy.roles.values()]
  return {
    permissions: policy.permissions,
    roles: roles.map((r) => {
      const def = policy.source.roles.get(r.id)
      const overlayFiles = new Set(r.overriddenBy)
      const cells = new Map<string, MatrixCell>()
      const ownPlace = def?.placeOfPermission(NOWHERE)
      for (const p of policy.permissions) {
        const held = r.permissions.includes(p)
        const merged = held && def !== undefined && ownPlace !== undefined && r.direct.has(p) && samePlace(def.placeOfPermission(p), ownPlace)
        const inherited = held && (!r.direct.has(p) || merged)
        cells.set(p, {
          state: !held ? 'none' : inherited ? 'inherited' : 'direct',
          from: inherited ? parents(roles, r, p) : [],
          overlay: overlayFiles.size > 0 && def !== undefined ? overlayChange(def, overlayFiles, p) : undefined,
        })
      }
      return { id: r.id, name: r.name, overlays: r.overriddenBy.map((f) => basename(f)), cells }
    }),
  }
}

/** The closest roles the permission comes from: listed in `inherits`, or whose permissions the role's include. */
function parents(roles: readonly CompiledRole[], r: CompiledRole, p: string): string[] {
  const named = r.inherits.filter((id) => roles.find((x) => x.id === id)?.permissions.includes(p))
  if (named.length > 0) return named
  const held = new Set(r.permissions)
  const within = roles.filter((x) => x.id !== r.id && x.permissions.includes(p) && x.permissions.length < r.permissions.length && x.permissions.every((q) => held.has(q)))
  const most = Math.max(0, ...within.map((x) => x.permissions.length))
  return within.filter((x) => x.permissions.length === most).map((x) => x.id)
}

function overlayChange(def: RoleDef, files: ReadonlySet<string>, p: string): 'granted' | 'revoked' | undefined {
  const entry = def.permissions.get(p)
  if (entry === undefined) return undefined
  const file = def.placeOfPermission(p).file
  if (file === undefined || !files.has(file)) return undefined
  return entry ? 'granted' : 'revoked'
}

// The entities roles are bound on: deployment d1 and d2 belong to workspace w1.
const WS = 'w1'
const DEP = 'd1'
const DEP_OF_WS = 'd2'

interface Probes {
  /** Synthetic roles only: what every authenticated principal holds. */
  readonly base: PrincipalMasks
  readonly system: ReadonlyMap<string, PrincipalMasks>
  readonly workspace: ReadonlyMap<string, PrincipalMasks>
  readonly deployment: ReadonlyMap<string, PrincipalMasks>
}

/**
 * Every role bound alone (with the policy's synthetic roles) at each scope, compiled as a
 * request's principal is: system permissions from system-scope bindings only.
 */
function probes(policy: CompiledPolicy): Probes {
  const subjects = new Map<string, SubjectEntry>()
  const bind = (key: string, b: Binding[]): void => void subjects.set(key, { kind: 'user', bindings: b })
  bind('base', [])
  for (const id of policy.roles.keys()) {
    bind(`s:${id}`, [{ role: id }])
    bind(`w:${id}`, [{ role: id, workspace: WS }])
    bind(`d:${id}`, [{ role: id, deployment: DEP }])
  }
  const store = new FileBindingsStore(new Map([[DEP, WS], [DEP_OF_WS, WS]]), subjects, new Map())
  const masks = (key: string): PrincipalMasks => compilePrincipal(policy, store, { kind: 'user', id: key, groups: [] } satisfies Principal)
  const per = (prefix: string): Map<string, PrincipalMasks> => new Map([...policy.roles.keys()].map((id) => [id, masks(`${prefix}:${id}`)]))
  return { base: masks('base'), system: per('s'), workspace: per('w'), deployment: per('d') }
}

const PREFIXES: readonly [string, GrantScope][] = [['SYSTEM_', 'system'], ['WORKSPACE_', 'workspace'], ['DEPLOYMENT_', 'deployment']]

/**
 * The scope a role is bound at: the scope that may grant it (`roleScopes`), system for the
 * synthetic roles, else its id's prefix, else the scope of most of its permissions.
 */
export function boundAt(policy: CompiledPolicy, r: CompiledRole): GrantScope {
  const listed = policy.source.roleScopes.get(r.id)
  if (listed !== undefined) return listed
  if (policy.syntheticRoles.includes(r.id)) return 'system'
  for (const [prefix, scope] of PREFIXES) if (r.id.startsWith(prefix)) return scope
  const count = new Map<string, number>()
  for (const p of r.permissions) count.set(scopeOf(p), (count.get(scopeOf(p)) ?? 0) + 1)
  let best: GrantScope = 'system'
  for (const s of ['workspace', 'deployment'] as const) if ((count.get(s) ?? 0) > (count.get(best) ?? 0)) best = s
  return best
}

/**
 * Which roles pass each permission rule, bound at their scope (boundAt), with `permits` (the decision's own test:
 * the role's mask against the rule's required mask, AND or OR). A rule that needs only system
 * permissions is checked with no entity; a scoped one on the entity its scope arguments name.
 */
function rules(policy: CompiledPolicy): RuleView[] {
  const pr = probes(policy)
  const bound = new Map([...policy.roles.values()].map((r) => [r.id, boundAt(policy, r)]))
  const conditions = new Map(policy.source.conditions.map((c) => [c.key, c]))
  return [...policy.rules.values()].map((rule) => {
    const condition = conditions.get(rule.key)
    if (rule.access === 'public') return { rule, condition, passes: 'anyone' as const }
    if (rule.access === 'authenticated') return { rule, condition, passes: 'authenticated' as const }
    const kinds = new Set(rule.scope.map((s) => s.kind))
    const anyEntity = (pm: PrincipalMasks): boolean =>
      rule.scoped ? [...kinds].some((k) => permits(pm, rule, k, k === 'workspace' ? WS : DEP)) : permits(pm, rule, undefined, null)
    if (anyEntity(pr.base)) return { rule, condition, passes: 'authenticated' as const }
    const out: { role: string; scopes: PassScope[] }[] = []
    for (const [id, at] of bound) {
      const scopes: PassScope[] = []
      if (at === 'system' && anyEntity(pr.system.get(id) as PrincipalMasks)) scopes.push('system')
      if (rule.scoped && at === 'workspace') {
        if (kinds.has('workspace') && permits(pr.workspace.get(id) as PrincipalMasks, rule, 'workspace', WS)) scopes.push('workspace')
        if (kinds.has('deployment') && permits(pr.workspace.get(id) as PrincipalMasks, rule, 'deployment', DEP_OF_WS)) scopes.push('workspace (cascade)')
      }
      if (rule.scoped && at === 'deployment' && kinds.has('deployment') && permits(pr.deployment.get(id) as PrincipalMasks, rule, 'deployment', DEP)) scopes.push('deployment')
      if (scopes.length > 0) out.push({ role: id, scopes })
    }
    return { rule, condition, passes: out }
  })
}
