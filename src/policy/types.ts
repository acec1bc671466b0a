import type { ErrorPlace, Warning } from '../errors.js'
import type { OperationType } from './operation.js'
import type { CidrList } from '../config/cidr.js'

/** Entity kinds a scoped permission can be checked on. */
export type EntityKind = 'workspace' | 'deployment'
export const ENTITY_KINDS: readonly EntityKind[] = ['workspace', 'deployment']

export type Access = 'public' | 'authenticated' | 'permission'
export type Combinator = 'AND' | 'OR'
export type IntrospectionMode = 'public' | 'authenticated' | 'denied'

/** A role as written: own grants and revocations, roles it inherits. */
export interface RoleDef {
  readonly id: string
  name: string
  /** permission -> true (granted) or false (revoked, even when inherited). */
  readonly permissions: Map<string, boolean>
  inherits: string[]
  /** Where the role was defined, and the overlays that changed it. */
  readonly place: ErrorPlace
  readonly overriddenBy: string[]
  /** The place of one of its permission entries, computed only for an error message. */
  readonly placeOfPermission: (permission: string) => ErrorPlace
}

/** How a scope argument's value becomes an entity id: `releaseName` maps a release name to its deployment. */
export type ScopeLookup = 'releaseName'
export const SCOPE_LOOKUPS: readonly ScopeLookup[] = ['releaseName']

/**
 * An argument naming the entity of one kind a rule's scoped permissions are checked on. Every
 * present argument of a kind must name the same entity.
 */
export interface ScopeArg {
  readonly kind: EntityKind
  /** Argument path: `workspaceUuid`, or into an input object: `input.workspaceId`. */
  readonly path: readonly string[]
  /** The value is a release name, mapped to a deployment id through the bindings store. */
  readonly lookup?: ScopeLookup
}

export interface RuleDef {
  readonly type: OperationType
  readonly field: string
  readonly access: Access
  readonly permissions: readonly string[]
  readonly op: Combinator
  readonly scope: readonly ScopeArg[]
  readonly place: ErrorPlace
}

/** A scope a role can be granted at. */
export type GrantScope = 'system' | EntityKind

/**
 * Escalation guard: the operation grants the role named by argument `role`. That role must be
 * one of the grant scope's roles, and grant nothing the caller does not hold there itself.
 * With `each`, the argument is a list and every element grants a role of its own: `role` and
 * `entity` are then paths inside the element.
 */
export interface GrantDef {
  /** The argument holding a list of grants, each element guarded on its own entity. */
  readonly each: readonly string[] | undefined
  /** With `each`: every element's deployment must belong to the workspace named by this argument. */
  readonly within: readonly string[] | undefined
  readonly role: readonly string[]
  /** The grant's scope: fixed, or read from an argument (`scopeFrom`), else the rule's scope entity. */
  readonly scope: GrantScope | undefined
  readonly scopeFrom: { readonly arg: readonly string[]; readonly values: ReadonlyMap<string, GrantScope> } | undefined
  /** The argument naming the entity the role is granted on (default: the rule's scope entity). */
  readonly entity: readonly string[] | undefined
  /** The role when the argument is absent (the upstream's own default); absent and no default: denied. */
  readonly default: string | undefined
  /** An absent role argument grants nothing (for update payloads): allowed. */
  readonly optional: boolean
}

/** Conditions on a rule: the field passes only if its rule passes and every condition holds. */
export interface ConditionDef {
  readonly key: string
  /** Escalation guards: every one must hold. */
  readonly grants: readonly GrantDef[] | undefined
  /** When the policy's publicSignups is false, this argument (an invite token) must be given. */
  readonly invite: readonly string[] | undefined
  /** The principal kinds the field is open to (CI/CD enforcement: only service accounts). */
  readonly principals: ReadonlySet<'user' | 'serviceAccount'> | undefined
  /** CIDR ranges the client must come from. */
  readonly ipAllow: readonly string[] | undefined
  readonly place: ErrorPlace
}

export interface CascadeDef {
  readonly from: EntityKind
  readonly to: EntityKind
  readonly roles: ReadonlyMap<string, string>
  readonly place: ErrorPlace
}

/** Everything a policy directory says, before compilation. */
export interface PolicySource {
  readonly name: string
  readonly revision: string
  readonly dir: string
  readonly scopes: ReadonlySet<string>
  readonly legacyPermissions: ReadonlySet<string>
  readonly declaredPermissions: ReadonlySet<string>
  /** Permissions the base roles grant: overlays and rules may only name these (or declared ones). */
  readonly basePermissions: ReadonlySet<string>
  readonly roles: ReadonlyMap<string, RoleDef>
  readonly rules: readonly RuleDef[]
  readonly rulesFrom: string
  /** The roles file the policy was read from. */
  readonly rolesFrom: string
  readonly syntheticRoles: readonly string[]
  readonly cascades: readonly CascadeDef[]
  readonly defaultScope: readonly ScopeArg[]
  readonly introspection: IntrospectionMode
  readonly overlays: readonly string[]
  readonly manifestPlace: ErrorPlace
  readonly conditions: readonly ConditionDef[]
  /** Houston's publicSignups: false (the default) makes `invite` conditions bite. */
  readonly publicSignups: boolean
  /** The roles each scope may grant (the escalation guard's first test). */
  readonly roleScopes: ReadonlyMap<string, GrantScope>
  /** CIDR ranges every request must come from (empty: any address). */
  readonly ipAllow: readonly string[]
}

/** A bitset over the policy's permissions, `words` 32-bit words long. */
export type Mask = Uint32Array

export interface CompiledRole {
  readonly id: string
  readonly name: string
  /** Effective permissions, inheritance and overrides applied. */
  readonly mask: Mask
  readonly permissions: readonly string[]
  readonly direct: ReadonlySet<string>
  readonly inherits: readonly string[]
  readonly overriddenBy: readonly string[]
}

export interface CompiledRule {
  readonly key: string
  readonly type: OperationType
  readonly field: string
  readonly access: Access
  readonly op: Combinator
  readonly permissions: readonly string[]
  readonly required: Mask
  /** True when a permission of another scope than `system` is required: it needs an entity. */
  readonly scoped: boolean
  readonly scope: readonly ScopeArg[]
  /**
   * Set when the scope names both kinds: each permission is checked on the entity of its own
   * prefix. Unset (one kind, or none): every scoped permission is checked on the one entity.
   */
  readonly byKind?: KindMasks | undefined
  /** Conditions on top of the rule (escalation guard, invite, principal kinds, IP ranges). */
  readonly condition?: CompiledCondition | undefined
}

/** A rule's required bits split by the prefix of each permission. */
export interface KindMasks {
  readonly system: Mask
  readonly workspace: Mask
  readonly deployment: Mask
  /** A permission of another scope (neither system, workspace nor deployment): it has no entity. */
  readonly unscoped: boolean
}

export interface CompiledCondition {
  readonly grants: readonly GrantDef[] | undefined
  /** Set only when the policy's publicSignups is false. */
  readonly invite: readonly string[] | undefined
  readonly principals: ReadonlySet<'user' | 'serviceAccount'> | undefined
  readonly ipAllow: CidrList | undefined
}

export interface CompiledPolicy {
  readonly name: string
  readonly revision: string
  readonly words: number
  /** Bit index -> permission name (sorted by name, so bits are stable for a given set). */
  readonly permissions: readonly string[]
  readonly bitOf: ReadonlyMap<string, number>
  readonly systemScope: 'system'
  /** Bits of permissions whose scope is `system`. */
  readonly systemBits: Mask
  readonly roles: ReadonlyMap<string, CompiledRole>
  readonly syntheticRoles: readonly string[]
  /** workspace role -> the deployment role it grants on each deployment of the workspace. */
  readonly cascade: ReadonlyMap<string, string>
  /** `Query.workspaces` -> rule. */
  readonly rules: ReadonlyMap<string, CompiledRule>
  /** The same rules by operation type, then field name (no string building per request). */
  readonly rulesByType: Readonly<Record<OperationType, ReadonlyMap<string, CompiledRule>>>
  readonly introspection: IntrospectionMode
  /** Per grantable role: its scope, and what granting it gives (its mask and its cascade's). */
  readonly grantable: ReadonlyMap<string, { readonly scope: GrantScope; readonly mask: Mask }>
  /** Every request must come from these ranges (undefined: any address). */
  readonly ipAllow: CidrList | undefined
  /** Some rule has an IP condition: decisions depend on the client address (not cached per operation). */
  readonly ipRules: boolean
  readonly warnings: readonly Warning[]
  readonly source: PolicySource
}
