import type { RouteRule } from '../config/schema.js'
import { PermgateError } from '../errors.js'
import { maskOf } from '../policy/bits.js'
import { scopeOf } from '../policy/permissions.js'
import type { CompiledPolicy, CompiledRule } from '../policy/types.js'

export interface CompiledRoute {
  readonly rule: RouteRule
  /** The permission check, in the policy's bits (undefined for public/authenticated). */
  readonly check: CompiledRule | undefined
}

/** Route rules compiled against a policy: every permission must exist in it. */
export function compileRoutes(routes: readonly RouteRule[], policy: CompiledPolicy): CompiledRoute[] {
  return routes.map((rule, i) => {
    if (rule.access !== 'permission') return { rule, check: undefined }
    for (const p of rule.permissions) {
      if (!policy.bitOf.has(p)) throw new PermgateError('PERMGATE_ERR_CONFIG_INVALID', `routes[${i}] requires ${p}, which policy ${policy.name} does not know`, { path: `routes[${i}]` })
    }
    const scoped = rule.permissions.some((p) => scopeOf(p) !== 'system')
    const check: CompiledRule = {
      key: `route ${rule.prefix}`,
      type: 'Query',
      field: rule.prefix,
      access: 'permission',
      op: rule.op,
      permissions: rule.permissions,
      required: maskOf(policy.words, rule.permissions.map((p) => policy.bitOf.get(p) as number)),
      scoped,
      scope: [],
    }
    return { rule, check }
  })
}

// Encoded slashes, backslashes, dot segments (`.`/`..`, also percent-encoded: URL parsers read
// `%2e%2e` as `..`), empty segments and a fragment (dropped before the upstream sees the path):
// a path that a router and the upstream could read differently is refused rather than matched.
const AMBIGUOUS = /%2f|%5c|\\|#|\/(?:\.|%2e){1,2}(\/|$)|\/\//i

/**
 * A path an upstream could serve as `endpoint` although it is not exactly it: the same after
 * percent-decoding, in another letter case, or with a trailing slash (as non-strict routers read it).
 */
export function aliasesEndpoint(path: string, endpoint: string): boolean {
  if (path === endpoint) return false
  let decoded = path
  try {
    decoded = decodeURIComponent(path)
  } catch {
    // a malformed encoding is refused by fastify before this
  }
  const norm = (p: string): string => p.toLowerCase().replace(/\/+$/, '')
  return norm(decoded) === norm(endpoint)
}

/** The route rule for a raw path (longest matching prefix wins), or undefined: no rule, 403. */
export function matchRoute(routes: readonly CompiledRoute[], method: string, path: string): CompiledRoute | undefined {
  if (AMBIGUOUS.test(path)) {
    throw new PermgateError('PERMGATE_ERR_REQUEST_SHAPE', 'the path has encoded slashes, dot segments or empty segments')
  }
  let best: CompiledRoute | undefined
  for (const r of routes) {
    const p = r.rule.prefix
    const hit = p === '/' || path === p || path.startsWith(p + '/')
    if (hit && r.rule.methods.includes(method) && (best === undefined || p.length > best.rule.prefix.length)) best = r
  }
  return best
}

/** The path segment a route's scope names (0 = the first after `/`), or null. */
export function segmentAt(path: string, index: number): string | null {
  const segments = path.split('/').slice(1)
  const s = segments[index]
  if (s === undefined || s === '') return null
  try {
    return decodeURIComponent(s)
  } catch {
    throw new PermgateError('PERMGATE_ERR_REQUEST_SHAPE', 'the path has a malformed percent-encoding')
  }
}
