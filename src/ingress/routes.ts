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
      condition: undefined,
    }
    return { rule, check }
  })
}

// Encoded slashes, backslashes, dot segments (`.`/`..`, also percent-encoded: URL parsers read
// `%2e%2e` as `..`), empty segments, a fragment (dropped before the upstream sees the path), path
// parameters (`;`: Tomcat reads `/..;/` as `/../`, Spring `/a;x/b` as `/a/b`) and encoded control
// characters (`%00` ends a path in C): a path that a router and the upstream could read
// differently is refused rather than matched.
const AMBIGUOUS = /%2f|%5c|\\|#|;|%3b|%[01][0-9a-f]|%7f|\/(?:\.|%2e){1,2}(\/|$)|\/\//i
/**
 * Read on the raw, the decoded and the NFKC-folded path: backslashes, parameters, control
 * characters, dot and empty segments, and `/..` or `../` anywhere (the forwarder, reply-from,
 * refuses those itself: a 500 instead of a coded 400).
 */
const AMBIGUOUS_DECODED = /[\\;\u0000-\u001f\u007f]|\/\.(\/|$)|\/\.\.|\.\.\/|\/\//
const NON_ASCII = /[^\u0000-\u007f]/

function ambiguous(): PermgateError {
  return new PermgateError('PERMGATE_ERR_REQUEST_SHAPE', 'the path has encoded slashes, dot segments, empty segments, path parameters or control characters')
}

/** The path percent-decoded; malformed encodings are refused. */
function decodePath(path: string): string {
  try {
    return decodeURIComponent(path)
  } catch {
    throw new PermgateError('PERMGATE_ERR_REQUEST_SHAPE', 'the path has a malformed percent-encoding')
  }
}

/**
 * The ways an upstream may read a raw path: as sent, percent-decoded, and with compatibility
 * characters folded (NFKC: a fullwidth `／` or `．` becomes `/` or `.`). Throws when one of them
 * is ambiguous (see AMBIGUOUS).
 */
function readings(path: string): string[] {
  if (AMBIGUOUS.test(path) || AMBIGUOUS_DECODED.test(path)) throw ambiguous()
  const out = [path]
  if (!path.includes('%') && !NON_ASCII.test(path)) return out
  const decoded = decodePath(path)
  const folded = NON_ASCII.test(decoded) ? decoded.normalize('NFKC') : decoded
  for (const r of [decoded, folded]) {
    if (AMBIGUOUS_DECODED.test(r)) throw ambiguous()
    if (!out.includes(r)) out.push(r)
  }
  return out
}

/**
 * A path an upstream could serve as `endpoint` although it is not exactly it: the same after
 * percent-decoding and NFKC folding, in another letter case, with a trailing slash, dot,
 * whitespace or path parameter, or below it (`/graphql/x`: routers that mount a handler on a
 * prefix, as Express's `app.use('/graphql', ...)` does, serve it as the endpoint).
 */
export function aliasesEndpoint(path: string, endpoint: string): boolean {
  if (path === endpoint) return false
  const e = endpoint.toLowerCase().replace(/\/+$/, '')
  if (e === '') return false
  let decoded = path
  if (path.includes('%')) {
    try {
      decoded = decodeURIComponent(path)
    } catch {
      // a malformed encoding is refused by fastify (and by matchRoute) before this
    }
  }
  return names(path, e) || (decoded !== path && names(decoded, e)) || (NON_ASCII.test(decoded) && names(decoded.normalize('NFKC'), e))
}

/** Whether `path` is `e` (lower case, no trailing slash) in another case, or `e` followed by anything but more name. */
function names(path: string, e: string): boolean {
  const n = path.toLowerCase()
  // What follows the endpoint's name, if anything: more name (`/graphqlx`, `/graphql-ws`) makes
  // another path; a separator, a dot, a parameter, whitespace or a control character does not.
  return n.startsWith(e) && (n.length === e.length || !/[a-z0-9_~-]/.test(n.charAt(e.length)))
}

/** The longest prefix rule matching `path` for `method`; letter case ignored when `fold`. */
function longest(routes: readonly CompiledRoute[], method: string, path: string, fold: boolean): CompiledRoute | undefined {
  const at = fold ? path.toLowerCase() : path
  let best: CompiledRoute | undefined
  for (const r of routes) {
    const p = fold ? r.rule.prefix.toLowerCase() : r.rule.prefix
    const hit = p === '/' || at === p || at.startsWith(p + '/')
    if (hit && r.rule.methods.includes(method) && (best === undefined || p.length > best.rule.prefix.length)) best = r
  }
  return best
}

/**
 * The route rule for a raw path (longest matching prefix wins), or undefined: no rule, 403.
 * The path must select the same rule however an upstream reads it (as sent or percent-decoded,
 * case-sensitively or not): `/v1/%64eployments/d3` or `/v1/Deployments/d3` must not fall under
 * a public `/v1` rule while the upstream serves it as `/v1/deployments/d3`. A path that does not
 * is refused (400).
 */
export function matchRoute(routes: readonly CompiledRoute[], method: string, path: string): CompiledRoute | undefined {
  const rs = readings(path)
  const best = longest(routes, method, path, false)
  for (const r of rs) {
    for (const fold of [false, true]) {
      if ((r !== path || fold) && longest(routes, method, r, fold) !== best) {
        throw new PermgateError('PERMGATE_ERR_REQUEST_SHAPE', 'the path falls under different route rules depending on percent-decoding or letter case')
      }
    }
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
