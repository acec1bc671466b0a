import { PermgateError } from '../errors.js'
import type { Principal } from '../identity/types.js'
import type { Authorizer } from '../policy/authorizer.js'
import { permits } from '../policy/holds.js'
import { matchRoute, segmentAt, type CompiledRoute } from './routes.js'

/** A route request's decision: allowed (and why), or refused as unauthenticated (401). */
export type RouteDecision =
  | { readonly allowed: true; readonly reason: 'public' | 'authenticated' | 'permission' }
  | { readonly allowed: false; readonly reason: 'unauthenticated' }

const PUBLIC: RouteDecision = { allowed: true, reason: 'public' }
const AUTHENTICATED: RouteDecision = { allowed: true, reason: 'authenticated' }
const PERMISSION: RouteDecision = { allowed: true, reason: 'permission' }
const UNAUTHENTICATED: RouteDecision = { allowed: false, reason: 'unauthenticated' }

/**
 * decide, for a path other than the GraphQL endpoint: the first route rule that matches, then its
 * access. No rule, a principal kind the rule is not open to, or a missing permission throws the
 * coded 403 (PERMGATE_ERR_NO_ROUTE, PERMGATE_ERR_FORBIDDEN).
 */
export function decideRoute(routes: readonly CompiledRoute[], authorizer: Authorizer, principal: Principal, method: string, path: string): RouteDecision {
  const route = matchRoute(routes, method, path)
  if (route === undefined) throw new PermgateError('PERMGATE_ERR_NO_ROUTE', `no route rule allows ${method} ${path}`)
  if (route.rule.access === 'public') return PUBLIC
  if (principal.kind === 'anonymous') return UNAUTHENTICATED
  const kinds = route.rule.principals
  if (kinds !== undefined && !kinds.includes(principal.kind)) {
    throw new PermgateError('PERMGATE_ERR_FORBIDDEN', `${method} ${path} is open to ${kinds.join(' and ')} principals only`)
  }
  if (route.check === undefined) return AUTHENTICATED
  const scope = route.rule.scope
  const id = scope === undefined ? null : segmentAt(path, scope.segment)
  if (permits(authorizer.masks(principal), route.check, scope?.kind, id)) return PERMISSION
  throw new PermgateError('PERMGATE_ERR_FORBIDDEN', `${method} ${path} requires ${route.rule.permissions.join(route.rule.op === 'OR' ? ' or ' : ' and ')}${id ? ` on ${scope?.kind} ${id}` : ''}`)
}
