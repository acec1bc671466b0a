// The decision for a path other than the GraphQL endpoint: the rule a request selects (prefix,
// method, `when`), then its guards (ipAllow, a shared secret, deployment credentials), then its
// access on the principal identified from the headers credentialHeaders gave. Rule format:
// docs/route-rules.md.
import { createHash, timingSafeEqual } from 'node:crypto'
import type { IncomingHttpHeaders } from 'node:http'
import type { BindingsStore } from '../bindings/types.js'
import { cidrsContain } from '../config/cidr.js'
import type { RouteRule, RouteScope } from '../config/schema.js'
import { PermgateError } from '../errors.js'
import type { Principal } from '../identity/types.js'
import type { Authorizer } from '../policy/authorizer.js'
import { permits } from '../policy/holds.js'
import { readBasic } from './basic-credentials.js'
import { DEFAULT_MAX_CONDITION_VALUE_LENGTH, type Captures } from './route-conditions.js'
import { NO_FACTS, type RouteFacts } from './route-request.js'
import { matchRoute, routeAt, segmentAt, selectRoute, type CompiledRoute } from './routes.js'

/** A route request's decision: allowed (and why), or refused as unauthenticated (401). */
export type RouteDecision =
  | { readonly allowed: true; readonly reason: 'public' | 'authenticated' | 'permission' | 'deployment_credentials' }
  | { readonly allowed: false; readonly reason: 'unauthenticated' }

const PUBLIC: RouteDecision = { allowed: true, reason: 'public' }
const AUTHENTICATED: RouteDecision = { allowed: true, reason: 'authenticated' }
const PERMISSION: RouteDecision = { allowed: true, reason: 'permission' }
const DEPLOYMENT_CREDENTIALS: RouteDecision = { allowed: true, reason: 'deployment_credentials' }
const UNAUTHENTICATED: RouteDecision = { allowed: false, reason: 'unauthenticated' }

type Releases = Pick<BindingsStore, 'deploymentByReleaseName'>

/**
 * The headers identity reads for a route request, before it is decided: on a rule with
 * `credentials: basic`, `Authorization: Bearer <Basic password>` (no cookie: the Basic header is
 * the route's one credential; none when no Authorization is sent, and none for deployment
 * credentials, which identify no principal); a rule's `secret` header is never read as a
 * credential. Otherwise the headers unchanged. When no rule is selected, the longest rule for the
 * path says how, whatever its method and conditions (a refused registry request still names its
 * caller). What is
 * forwarded stays the request's own headers. Malformed Basic credentials: 401
 * PERMGATE_ERR_AUTH_TOKEN_INVALID; an ambiguous path: 400.
 */
export function credentialHeaders(routes: readonly CompiledRoute[], releases: Releases, method: string, path: string, facts: RouteFacts): IncomingHttpHeaders {
  const headers = facts.headers
  const rule = (matchRoute(routes, method, path, facts) ?? routeAt(routes, path))?.rule
  if (rule === undefined || (rule.secret === undefined && rule.credentials === undefined)) return headers
  const out: IncomingHttpHeaders = { ...headers }
  if (rule.secret !== undefined) delete out[rule.secret.header]
  if (rule.credentials === undefined) return out
  delete out.cookie
  delete out.authorization
  if (rule.credentials === 'none') return out
  const auth = headers.authorization
  if (auth === undefined) return out
  const basic = readBasic(auth)
  if (rule.deploymentCredentials !== undefined && releases.deploymentByReleaseName(basic.user) !== undefined) return out
  out.authorization = `Bearer ${basic.password}`
  return out
}

/**
 * decide, for a path other than the GraphQL endpoint: the rule the request selects (longest
 * prefix, method, `when`; see selectRoute), its guards, then its access. No rule, an address
 * outside its ipAllow, a principal kind it is not open to, a missing permission or an unknown
 * release throws the coded 403 (PERMGATE_ERR_NO_ROUTE, _IP_DENIED, _FORBIDDEN); a missing or
 * wrong secret the coded 401 PERMGATE_ERR_ROUTE_SECRET. Without `facts`, no rule with conditions
 * applies and every guard fails.
 */
export function decideRoute(routes: readonly CompiledRoute[], authorizer: Authorizer, principal: Principal, method: string, path: string, facts: RouteFacts = NO_FACTS): RouteDecision {
  const match = selectRoute(routes, method, path, facts)
  if (match === undefined) throw new PermgateError('PERMGATE_ERR_NO_ROUTE', `no route rule allows ${method} ${path}`)
  const { route, captures } = match
  const rule = route.rule
  if (rule.ipAllow !== undefined && !cidrsContain(rule.ipAllow, facts.clientIp)) {
    throw new PermgateError('PERMGATE_ERR_IP_DENIED', `the client's address is outside the ipAllow ranges of the route rule for ${method} ${path}`)
  }
  if (rule.secret !== undefined && !secretHolds(rule.secret, facts.headers)) {
    // the secret is never part of a message or a log line; its header's name is
    throw new PermgateError('PERMGATE_ERR_ROUTE_SECRET', `${method} ${path} requires the route's shared secret in the ${rule.secret.header} header`)
  }
  if (rule.access === 'public') return PUBLIC
  if (rule.deploymentCredentials !== undefined && principal.kind === 'anonymous') {
    const d = deploymentCredentials(rule, captures, authorizer.store, facts.headers, method, path)
    if (d !== undefined) return d
  }
  if (principal.kind === 'anonymous') return UNAUTHENTICATED
  const kinds = rule.principals
  if (kinds !== undefined && !kinds.includes(principal.kind)) {
    throw new PermgateError('PERMGATE_ERR_FORBIDDEN', `${method} ${path} is open to ${kinds.join(' and ')} principals only`)
  }
  const check = route.check
  if (check === undefined) return AUTHENTICATED
  const masks = authorizer.masks(principal)
  const scope = rule.scope
  const requires = `${method} ${path} requires ${rule.permissions.join(rule.op === 'OR' ? ' or ' : ' and ')}`
  // every entity the request names is checked (a repeated parameter may name several)
  for (const { id, named } of scopeIds(scope, path, captures, masks.releases, requires)) {
    if (!permits(masks, check, scope?.kind, id)) throw new PermgateError('PERMGATE_ERR_FORBIDDEN', `${requires}${id !== null ? ` on ${scope?.kind} ${named}` : ''}`)
  }
  return PERMISSION
}

/** The secret's header carries exactly the secret: the SHA-256 digests compared in constant time. */
function secretHolds(secret: NonNullable<RouteRule['secret']>, headers: IncomingHttpHeaders): boolean {
  const v = headers[secret.header]
  if (typeof v !== 'string' || v.length > DEFAULT_MAX_CONDITION_VALUE_LENGTH) return false
  return timingSafeEqual(createHash('sha256').update(v).digest(), secret.sha256)
}

/**
 * A Basic user that is a release name known to the store presents that deployment's image-pull
 * secret, which only the upstream can check: allowed when every value of the scope's capture is
 * that release, else 403. Undefined: not deployment credentials (decided as a principal).
 */
function deploymentCredentials(rule: RouteRule, captures: Captures, releases: Releases, headers: IncomingHttpHeaders, method: string, path: string): RouteDecision | undefined {
  const auth = headers.authorization
  if (auth === undefined) return undefined
  let user: string
  try {
    user = readBasic(auth).user
  } catch {
    return undefined
  }
  if (releases.deploymentByReleaseName(user) === undefined) return undefined
  const named = captures.get(rule.scope?.from ?? '') ?? []
  if (named.length > 0 && named.every((n) => n === user)) return DEPLOYMENT_CREDENTIALS
  throw new PermgateError('PERMGATE_ERR_FORBIDDEN', `${method} ${path}: the deployment credentials of release ${user} may only ask for what this rule allows on that release`)
}

/**
 * The entities a rule's scope names, each once: the path segment, or every value of a capture
 * (null: none named, so scoped permissions fail); a release name resolved to its deployment, an
 * unknown one denied (403, unknown_release) rather than checked as nothing.
 */
function scopeIds(scope: RouteScope | undefined, path: string, captures: Captures, releases: Releases, requires: string): { id: string | null; named: string }[] {
  if (scope === undefined) return [{ id: null, named: '' }]
  const values = scope.from === undefined ? [segmentAt(path, scope.segment ?? 0)] : (captures.get(scope.from) ?? [])
  const distinct = new Set(values.length === 0 ? [null] : values.map((v) => (v === undefined || v === '' ? null : v)))
  return [...distinct].map((v) => {
    if (v === null || scope.lookup !== 'releaseName') return { id: v, named: v ?? '' }
    const id = releases.deploymentByReleaseName(v)
    if (id === undefined) throw new PermgateError('PERMGATE_ERR_FORBIDDEN', `${requires} on the deployment of release ${v}, which names no deployment known to permgate (unknown_release)`)
    return { id, named: `${id} (release ${v})` }
  })
}
