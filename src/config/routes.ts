import { PermgateError } from '../errors.js'
import { isRecord } from './yaml.js'
import type { RouteAccess, RouteRule } from './schema.js'

const KEYS = new Set(['method', 'methods', 'prefix', 'access', 'permissions', 'op', 'scope', 'principals'])
const KINDS = new Set(['user', 'serviceAccount'])
const METHODS = new Set(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'])
const ACCESS: readonly RouteAccess[] = ['public', 'authenticated', 'permission']

/** `routes:` of the config file: method + path prefix -> public | authenticated | permission. */
export function readRoutes(v: unknown): RouteRule[] {
  if (!Array.isArray(v)) throw invalid('routes must be a list', 'routes')
  return v.map((r, i) => {
    const at = `routes[${i}]`
    if (!isRecord(r)) throw invalid('a route is a map', at)
    for (const k of Object.keys(r)) if (!KEYS.has(k)) throw new PermgateError('PERMGATE_ERR_CONFIG_UNKNOWN_KEY', `unknown key "${k}" in a route`, { path: `${at}.${k}` })
    const m = r.methods ?? r.method ?? [...METHODS]
    const methods = (Array.isArray(m) ? m : [m]).map((x) => String(x).toUpperCase())
    if (methods.length === 0 || !methods.every((x) => METHODS.has(x))) throw invalid(`methods must be among ${[...METHODS].join(', ')}`, at)
    const prefix = r.prefix
    if (typeof prefix !== 'string' || !prefix.startsWith('/') || prefix.includes('..') || prefix.includes('//') || prefix.includes('%')) {
      throw invalid('prefix must be a plain absolute path (no .., //, or percent-encoding)', at)
    }
    const access = r.access as RouteAccess
    if (!ACCESS.includes(access)) throw invalid(`access must be one of ${ACCESS.join(', ')}`, at)
    const permissions = r.permissions ?? []
    if (!Array.isArray(permissions) || !permissions.every((p) => typeof p === 'string')) throw invalid('permissions must be a list', at)
    if ((access === 'permission') !== (permissions.length > 0)) throw invalid('access permission goes with a non-empty permissions list, and only with it', at)
    const op = r.op ?? 'AND'
    if (op !== 'AND' && op !== 'OR') throw invalid('op must be AND or OR', at)
    let scope: RouteRule['scope']
    if (r.scope !== undefined) {
      const s = r.scope
      if (!isRecord(s) || (s.kind !== 'workspace' && s.kind !== 'deployment') || !Number.isSafeInteger(s.segment) || (s.segment as number) < 0) {
        throw invalid('scope is { kind: workspace | deployment, segment: <index of the path segment> }', at)
      }
      scope = Object.freeze({ kind: s.kind, segment: s.segment as number })
    }
    let principals: RouteRule['principals']
    if (r.principals !== undefined) {
      const k = r.principals
      if (access === 'public') throw invalid('principals restricts who may call: it does not go with access public', at)
      if (!Array.isArray(k) || k.length === 0 || !k.every((x) => typeof x === 'string' && KINDS.has(x))) throw invalid('principals must be a non-empty list of user, serviceAccount', at)
      principals = Object.freeze([...k] as ('user' | 'serviceAccount')[])
    }
    // Frozen like the rest of the config: the proxy reads these rules per request.
    return Object.freeze({ methods: Object.freeze(methods), prefix: prefix.replace(/\/+$/, '') || '/', access, permissions: Object.freeze([...permissions]), op, scope, principals })
  })
}

function invalid(msg: string, path: string): PermgateError {
  return new PermgateError('PERMGATE_ERR_CONFIG_INVALID', msg, { path })
}
