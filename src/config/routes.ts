// `routes:` of the config file: method + path prefix (+ conditions) -> public | authenticated |
// permission, with the guards a rule may add (ipAllow, a shared secret, HTTP Basic credentials).
// The format is described in docs/route-rules.md.
import { createHash } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { resolve } from 'node:path'
import { PermgateError } from '../errors.js'
import { compileCidrs } from './cidr.js'
import { readWhen } from './route-when.js'
import { isRecord } from './yaml.js'
import type { RouteAccess, RouteRule, RouteScope } from './schema.js'

const KEYS = new Set(['method', 'methods', 'prefix', 'when', 'access', 'permissions', 'op', 'scope', 'principals', 'ipAllow', 'secret', 'credentials', 'deploymentCredentials'])
const KINDS = new Set(['user', 'serviceAccount'])
const METHODS = new Set(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'])
const ACCESS: readonly RouteAccess[] = ['public', 'authenticated', 'permission']
const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/
const SCOPE_SHAPE = 'scope is { kind: workspace | deployment, segment: <index of the path segment> | from: <capture name of when>, lookup?: releaseName }'

/** `routes:` of the config file, validated; a secret file is read now (relative names were resolved by resolveRoutePaths). */
export function readRoutes(v: unknown): RouteRule[] {
  if (!Array.isArray(v)) throw invalid('routes must be a list', 'routes')
  return v.map((r, i) => readRoute(r, `routes[${i}]`))
}

/** The routes with each `secret.file` resolved against `base` (the config file's directory), as other file keys are. */
export function resolveRoutePaths(v: unknown, base: string): unknown {
  if (!Array.isArray(v)) return v
  return v.map((r: unknown) => {
    if (!isRecord(r) || !isRecord(r.secret) || typeof r.secret.file !== 'string' || r.secret.file === '') return r
    return { ...r, secret: { ...r.secret, file: resolve(base, r.secret.file) } }
  })
}

function readRoute(r: unknown, at: string): RouteRule {
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
  const { when, captures } = readWhen(r.when, at)
  const scope = r.scope === undefined ? undefined : readScope(r.scope, at, captures)
  let principals: RouteRule['principals']
  if (r.principals !== undefined) {
    const k = r.principals
    if (access === 'public') throw invalid('principals restricts who may call: it does not go with access public', at)
    if (!Array.isArray(k) || k.length === 0 || !k.every((x) => typeof x === 'string' && KINDS.has(x))) throw invalid('principals must be a non-empty list of user, serviceAccount', at)
    principals = Object.freeze([...k] as ('user' | 'serviceAccount')[])
  }
  const ipAllow = r.ipAllow === undefined ? undefined : readIpAllow(r.ipAllow, `${at}.ipAllow`)
  const secret = r.secret === undefined ? undefined : readSecret(r.secret, `${at}.secret`)
  const credentials = r.credentials
  if (credentials !== undefined && credentials !== 'basic' && credentials !== 'none') {
    throw invalid('credentials must be basic (the password of HTTP Basic is the credential) or none (permgate reads none: the upstream checks its own)', `${at}.credentials`)
  }
  // a rule that reads no credential can only be public: nobody is identified on it
  if (credentials === 'none' && access !== 'public') throw invalid('credentials none goes with access public only', `${at}.credentials`)
  // the identity would read the secret as the caller's credential, and the upstream the other way round
  if (credentials === 'basic' && secret?.header === 'authorization') throw invalid('a secret in the Authorization header does not go with credentials basic', `${at}.secret`)
  const deploymentCredentials = r.deploymentCredentials
  if (deploymentCredentials !== undefined) checkDeploymentCredentials(deploymentCredentials, credentials, access, scope, `${at}.deploymentCredentials`)
  // Frozen like the rest of the config: the proxy reads these rules per request.
  return Object.freeze({
    methods: Object.freeze(methods),
    prefix: prefix.replace(/\/+$/, '') || '/',
    when,
    access,
    permissions: Object.freeze([...permissions]),
    op,
    scope,
    principals,
    ipAllow,
    secret,
    credentials,
    deploymentCredentials: deploymentCredentials as RouteRule['deploymentCredentials'],
  })
}

function readScope(s: unknown, at: string, captures: ReadonlySet<string>): RouteScope {
  const path = `${at}.scope`
  if (!isRecord(s) || (s.kind !== 'workspace' && s.kind !== 'deployment')) throw invalid(SCOPE_SHAPE, path)
  for (const k of Object.keys(s)) if (!['kind', 'segment', 'from', 'lookup'].includes(k)) throw new PermgateError('PERMGATE_ERR_CONFIG_UNKNOWN_KEY', `unknown key "${k}" in a route scope`, { path: `${path}.${k}` })
  if ((s.segment === undefined) === (s.from === undefined)) throw invalid(`${SCOPE_SHAPE}: give segment or from`, path)
  if (s.segment !== undefined && (!Number.isSafeInteger(s.segment) || (s.segment as number) < 0)) throw invalid(SCOPE_SHAPE, path)
  if (s.from !== undefined && (typeof s.from !== 'string' || !captures.has(s.from))) {
    throw invalid(`scope.from must name a capture group of the rule's when patterns (${captures.size ? [...captures].join(', ') : 'it has none'})`, path)
  }
  if (s.lookup !== undefined && s.lookup !== 'releaseName') throw invalid('scope.lookup must be releaseName', path)
  // a release name names a deployment, never a workspace (as in GraphQL rules)
  if (s.lookup === 'releaseName' && s.kind !== 'deployment') throw invalid('lookup: releaseName names a deployment: give it with kind deployment', path)
  return Object.freeze({ kind: s.kind, segment: s.segment as number | undefined, from: s.from as string | undefined, lookup: s.lookup as 'releaseName' | undefined })
}

function readIpAllow(v: unknown, path: string) {
  if (!Array.isArray(v) || v.length === 0 || !v.every((x) => typeof x === 'string' && x !== '')) throw invalid('ipAllow must be a non-empty list of CIDR ranges', path)
  return compileCidrs(v as string[], 'PERMGATE_ERR_CONFIG_INVALID', { path })
}

/** `{ header, file }`: the file read now and trimmed; only its SHA-256 is kept (the secret itself is never held nor logged). */
function readSecret(v: unknown, path: string): NonNullable<RouteRule['secret']> {
  if (!isRecord(v) || Object.keys(v).some((k) => k !== 'header' && k !== 'file')) throw invalid('secret is { header: <name>, file: <path> }', path)
  if (typeof v.header !== 'string' || !HEADER_NAME.test(v.header)) throw invalid('secret.header must be a header name', `${path}.header`)
  if (typeof v.file !== 'string' || v.file === '') throw invalid('secret.file must name a file', `${path}.file`)
  let text: string
  try {
    text = readFileSync(v.file, 'utf8')
  } catch (e) {
    throw new PermgateError('PERMGATE_ERR_CONFIG_FILE', `cannot read the secret file ${v.file}: ${(e as NodeJS.ErrnoException).code ?? 'error'}`, { path: `${path}.file` })
  }
  const secret = text.trim()
  if (secret === '') throw invalid(`the secret file ${v.file} is empty`, `${path}.file`)
  return Object.freeze({ header: v.header.toLowerCase(), sha256: createHash('sha256').update(secret).digest() })
}

function checkDeploymentCredentials(v: unknown, credentials: unknown, access: RouteAccess, scope: RouteScope | undefined, path: string): void {
  if (v !== 'pull') throw invalid('deploymentCredentials must be pull', path)
  if (credentials !== 'basic') throw invalid('deploymentCredentials come as HTTP Basic: give credentials basic', path)
  if (access === 'public') throw invalid('deploymentCredentials restricts a route: it does not go with access public', path)
  if (scope?.from === undefined || scope.lookup !== 'releaseName') {
    throw invalid('deploymentCredentials needs scope { kind: deployment, from: <capture>, lookup: releaseName }: the release the credential may pull', path)
  }
}

function invalid(msg: string, path: string): PermgateError {
  return new PermgateError('PERMGATE_ERR_CONFIG_INVALID', msg, { path })
}
