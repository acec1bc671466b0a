import { PermgateError } from '../errors.js'
import { readRoles } from './roles.js'
import type { RoleDef } from './types.js'
import { readYamlFile } from '../config/yaml.js'

/**
 * Applies one Helm-style values file over the roles, as Helm deep-merges values:
 * - a map of roles merges role by role: `<perm>: true` (or null) grants, `false` revokes,
 *   even a permission the role inherits; `name` and `inherits` replace;
 * - a new role id defines a custom role;
 * - a list of roles (Houston v0.10 form) replaces the whole list, as Helm replaces lists.
 */
export function applyOverlay(roles: Map<string, RoleDef>, file: string): Map<string, RoleDef> {
  const y = readYamlFile(file, 'PERMGATE_ERR_POLICY_NOT_FOUND')
  const overlay = readRoles(y, false)
  if (overlay.form === 'list') {
    for (const r of overlay.roles.values()) r.overriddenBy.push(file)
    return overlay.roles
  }
  const out = new Map(roles)
  for (const [id, o] of overlay.roles) {
    const base = out.get(id)
    if (!base) {
      if (![...o.permissions.values()].some(Boolean) && o.inherits.length === 0) {
        throw new PermgateError(
          'PERMGATE_ERR_POLICY_UNKNOWN_ROLE',
          `overlay changes role ${id}, which does not exist; a new (custom) role must grant a permission or inherit a role`,
          o.place,
        )
      }
      o.overriddenBy.push(file)
      out.set(id, o)
      continue
    }
    const merged: RoleDef = {
      ...base,
      permissions: new Map(base.permissions),
      inherits: o.inherits.length > 0 ? o.inherits : base.inherits,
      overriddenBy: [...base.overriddenBy, file],
      placeOfPermission: (p) => (o.permissions.has(p) ? o.placeOfPermission(p) : base.placeOfPermission(p)),
    }
    if (o.name !== id) merged.name = o.name
    for (const [p, granted] of o.permissions) merged.permissions.set(p, granted)
    out.set(id, merged)
  }
  return out
}
