import type { ErrorPlace, Warning } from '../errors.js'
import type { OperationType } from '../operation/types.js'

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

/** Where a scoped permission of a rule is checked: the first present argument wins. */
export interface ScopeArg {
  readonly kind: EntityKind
  /** Argument path: `workspaceUuid`, or into an input object: `input.workspaceId`. */
  readonly path: readonly string[]
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
  readonly warnings: readonly Warning[]
  readonly source: PolicySource
}
