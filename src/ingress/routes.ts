// Route rules against a request: compiled against the policy, the rule a request selects (prefix,
// method, `when`; the same in every reading of its path), the GraphQL endpoint's other spellings,
// and the path segment a scope names.
import type { RouteRule } from '../config/schema.js'
import { PermgateError } from '../errors.js'
import { maskOf } from '../policy/bits.js'
import { scopeOf } from '../policy/permissions.js'
import type { CompiledPolicy, CompiledRule } from '../policy/types.js'
import { NON_ASCII, readings } from './path-readings.js'
import { conditionsHold, NO_CAPTURES, type Captures } from './route-conditions.js'
import { NO_FACTS, type RouteFacts } from './route-request.js'

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

/** The rule a request selects, with what its conditions captured. */
export interface RouteMatch {
  readonly route: CompiledRoute
  readonly captures: Captures
}

/** Whether rule `i`'s conditions hold: its captures, or null. */
interface Conditions {
  of(routes: readonly CompiledRoute[], i: number): Captures | null
}

/** Conditions not read: every rule applies by prefix and method alone. */
const UNREAD: Conditions = { of: () => NO_CAPTURES }

/** The request's conditions, asked at most once per rule and request (a path is matched in several readings). */
class RequestConditions implements Conditions {
  readonly #held: (Captures | null | undefined)[] = []
  constructor(readonly facts: RouteFacts) {}

  of(routes: readonly CompiledRoute[], i: number): Captures | null {
    let c = this.#held[i]
    if (c === undefined) c = this.#held[i] = conditionsHold((routes[i] as CompiledRoute).rule.when, this.facts)
    return c
  }
}

/**
 * The longest prefix rule matching `path` for `method` (undefined: any) whose conditions hold
 * (among rules of one prefix, the first in the file); letter case ignored when `fold`. Its
 * index, or -1.
 */
function longest(routes: readonly CompiledRoute[], method: string | undefined, path: string, fold: boolean, conditions: Conditions): number {
  const at = fold ? path.toLowerCase() : path
  let best = -1
  let bestLength = -1
  for (let i = 0; i < routes.length; i++) {
    const rule = (routes[i] as CompiledRoute).rule
    const p = fold ? rule.prefix.toLowerCase() : rule.prefix
    const hit = p === '/' || at === p || at.startsWith(p + '/')
    if (hit && p.length > bestLength && (method === undefined || rule.methods.includes(method)) && conditions.of(routes, i) !== null) {
      best = i
      bestLength = p.length
    }
  }
  return best
}

/**
 * The route rule for a raw path and the request's facts (longest matching prefix wins; among
 * rules of one prefix, the first whose `when` holds), or undefined: no rule, 403. The path must
 * select the same rule however an upstream reads it (as sent or percent-decoded,
 * case-sensitively or not): `/v1/%64eployments/d3` or `/v1/Deployments/d3` must not fall under
 * a public `/v1` rule while the upstream serves it as `/v1/deployments/d3`. A path that does not
 * is refused (400).
 */
export function selectRoute(routes: readonly CompiledRoute[], method: string, path: string, facts: RouteFacts = NO_FACTS): RouteMatch | undefined {
  const rs = readings(path)
  const conditions = new RequestConditions(facts)
  const best = longest(routes, method, path, false, conditions)
  for (const r of rs) {
    for (const fold of [false, true]) {
      if ((r !== path || fold) && longest(routes, method, r, fold, conditions) !== best) {
        throw new PermgateError('PERMGATE_ERR_REQUEST_SHAPE', 'the path falls under different route rules depending on percent-decoding or letter case')
      }
    }
  }
  return best < 0 ? undefined : { route: routes[best] as CompiledRoute, captures: conditions.of(routes, best) as Captures }
}

/** {@link selectRoute}'s rule alone. Without `facts`, no rule with conditions applies. */
export function matchRoute(routes: readonly CompiledRoute[], method: string, path: string, facts: RouteFacts = NO_FACTS): CompiledRoute | undefined {
  return selectRoute(routes, method, path, facts)?.route
}

/**
 * The longest prefix rule for the raw `path`, whatever the method, its conditions not read: the
 * rule that says how the credential of a request at this place is read when none is selected.
 */
export function routeAt(routes: readonly CompiledRoute[], path: string): CompiledRoute | undefined {
  const i = longest(routes, undefined, path, false, UNREAD)
  return i < 0 ? undefined : routes[i]
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
