import { PermgateError, type ErrorPlace } from '../errors.js'

// scope.entity.action; the entity may itself be dotted (platform 0.35: system.deployment.variables.get).
const SEGMENT = /^[A-Za-z][A-Za-z0-9_]*$/

/** The scope of a permission name: its first segment. */
export function scopeOf(permission: string): string {
  const dot = permission.indexOf('.')
  return dot < 0 ? permission : permission.slice(0, dot)
}

/**
 * Checks a permission name: `scope.entity.action` with a declared scope. Names listed as
 * legacy only need a declared scope and valid segments.
 */
export function validatePermissionName(
  name: unknown,
  scopes: ReadonlySet<string>,
  legacy: ReadonlySet<string>,
  place: ErrorPlace,
): string {
  if (typeof name !== 'string' || name.length === 0) {
    throw new PermgateError('PERMGATE_ERR_POLICY_PERMISSION_NAME', `a permission must be a non-empty string, got ${JSON.stringify(name)}`, place)
  }
  const parts = name.split('.')
  const minParts = legacy.has(name) ? 2 : 3
  if (parts.length < minParts || !parts.every((p) => SEGMENT.test(p))) {
    throw new PermgateError(
      'PERMGATE_ERR_POLICY_PERMISSION_NAME',
      `malformed permission "${name}": expected scope.entity.action (letters, digits, _), ` +
        `or list it under permissions.legacy in policy.yaml`,
      place,
    )
  }
  const scope = parts[0] as string
  if (!scopes.has(scope)) {
    throw new PermgateError(
      'PERMGATE_ERR_POLICY_PERMISSION_NAME',
      `permission "${name}" has scope "${scope}", which is not one of the declared scopes [${[...scopes].join(', ')}]`,
      place,
    )
  }
  return name
}
