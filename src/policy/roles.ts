import { PermgateError } from '../errors.js'
import type { RoleDef } from './types.js'
import { isRecord, placeOf, type YamlFile } from '../config/yaml.js'

const ROLE_ID = /^[A-Za-z][A-Za-z0-9_-]*$/
const ROLE_KEYS = new Set(['id', 'name', 'permissions', 'inherits', 'description'])

/** The roles of a roles file or overlay, in the form they were written. */
export interface RolesDoc {
  /** `list`: Houston v0.10 and earlier (every role lists all it has); `map`: v0.11 and later. */
  readonly form: 'list' | 'map'
  readonly roles: Map<string, RoleDef>
}

/**
 * Finds the roles in a YAML document: bare `roles:`, Helm values nested as
 * `astronomer.houston.config.roles`, or (for a roles file) a top-level map of roles.
 */
export function readRoles(y: YamlFile, allowBareMap: boolean): RolesDoc {
  const v = y.value
  let node: unknown
  let path: (string | number)[]
  const nested = isRecord(v) ? dig(v, ['astronomer', 'houston', 'config', 'roles']) : undefined
  if (nested !== undefined) {
    node = nested
    path = ['astronomer', 'houston', 'config', 'roles']
  } else if (isRecord(v) && 'roles' in v) {
    node = v.roles
    path = ['roles']
  } else if (allowBareMap && isRecord(v) && Object.values(v).every((r) => isRecord(r) && 'permissions' in r)) {
    node = v
    path = []
  } else {
    throw new PermgateError(
      'PERMGATE_ERR_POLICY_SHAPE',
      'no roles found: expected `roles:` or `astronomer.houston.config.roles:`',
      { file: y.file },
    )
  }
  const roles = new Map<string, RoleDef>()
  if (Array.isArray(node)) {
    node.forEach((entry, i) => {
      const at = [...path, i]
      if (!isRecord(entry) || typeof entry.id !== 'string') {
        throw new PermgateError('PERMGATE_ERR_POLICY_SHAPE', 'a role in a list needs an `id`', placeOf(y, at))
      }
      addRole(y, roles, entry.id, entry, at)
    })
    return { form: 'list', roles }
  }
  if (!isRecord(node)) {
    throw new PermgateError('PERMGATE_ERR_POLICY_SHAPE', 'roles must be a map of role id -> role, or a list', placeOf(y, path))
  }
  for (const [id, entry] of Object.entries(node)) {
    addRole(y, roles, id, entry ?? {}, [...path, id])
  }
  return { form: 'map', roles }
}

function addRole(y: YamlFile, roles: Map<string, RoleDef>, id: string, entry: unknown, at: (string | number)[]): void {
  const place = placeOf(y, at)
  if (!ROLE_ID.test(id)) {
    throw new PermgateError('PERMGATE_ERR_POLICY_SHAPE', `malformed role id "${id}"`, place)
  }
  if (roles.has(id)) {
    throw new PermgateError('PERMGATE_ERR_POLICY_DUPLICATE_ROLE', `role ${id} is defined twice`, place)
  }
  if (!isRecord(entry)) {
    throw new PermgateError('PERMGATE_ERR_POLICY_SHAPE', `role ${id} must be a map with name and permissions`, place)
  }
  for (const k of Object.keys(entry)) {
    if (!ROLE_KEYS.has(k)) {
      throw new PermgateError('PERMGATE_ERR_POLICY_SHAPE', `role ${id} has an unknown key "${k}" (known: ${[...ROLE_KEYS].join(', ')})`, placeOf(y, [...at, k]))
    }
  }
  const inherits = entry.inherits === undefined ? [] : entry.inherits
  if (!Array.isArray(inherits) || !inherits.every((r) => typeof r === 'string')) {
    throw new PermgateError('PERMGATE_ERR_POLICY_SHAPE', `role ${id}: inherits must be a list of role ids`, placeOf(y, [...at, 'inherits']))
  }
  const permsAt = [...at, 'permissions']
  roles.set(id, {
    id,
    name: typeof entry.name === 'string' ? entry.name : id,
    permissions: readPermissionEntries(y, entry.permissions, permsAt, id),
    inherits: [...inherits],
    place,
    overriddenBy: [],
    placeOfPermission: (p) => placeOf(y, [...permsAt, p]),
  })
}

/**
 * Permissions as Houston writes them: a map of set entries (`? perm`, value null), Helm
 * overrides (`perm: true | false`), a list of names, or a YAML `!!set`.
 */
function readPermissionEntries(y: YamlFile, v: unknown, at: (string | number)[], role: string): Map<string, boolean> {
  const out = new Map<string, boolean>()
  if (v === undefined || v === null) return out
  if (Array.isArray(v) || v instanceof Set) {
    for (const p of v) {
      if (typeof p !== 'string') {
        throw new PermgateError('PERMGATE_ERR_POLICY_PERMISSION_NAME', `role ${role}: a permission must be a string, got ${JSON.stringify(p)}`, placeOf(y, at))
      }
      out.set(p, true)
    }
    return out
  }
  if (!isRecord(v)) {
    throw new PermgateError('PERMGATE_ERR_POLICY_SHAPE', `role ${role}: permissions must be a map, a set or a list`, placeOf(y, at))
  }
  for (const [p, flag] of Object.entries(v)) {
    if (flag !== null && flag !== true && flag !== false) {
      throw new PermgateError(
        'PERMGATE_ERR_POLICY_SHAPE',
        `role ${role}: permission ${p} must be null or true (granted) or false (revoked), got ${JSON.stringify(flag)}`,
        placeOf(y, [...at, p]),
      )
    }
    out.set(p, flag !== false)
  }
  return out
}

function dig(v: Record<string, unknown>, path: readonly string[]): unknown {
  let cur: unknown = v
  for (const k of path) {
    if (!isRecord(cur) || !(k in cur)) return undefined
    cur = cur[k]
  }
  return cur
}
