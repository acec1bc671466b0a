import { PermgateError, type ErrorPlace } from '../errors.js'
import type { ConditionDef, GrantDef, GrantScope } from './types.js'
import { isRecord, placeOf, readYamlFile, type YamlFile } from '../config/yaml.js'

const FIELD = /^(Query|Mutation|Subscription)\.([_A-Za-z][_0-9A-Za-z]*)$/
const NAME = /^[_A-Za-z][_0-9A-Za-z]*$/
const CONDITION_KEYS = new Set(['grants', 'invite', 'principals', 'ipAllow'])
const GRANT_KEYS = new Set(['role', 'scope', 'scopeFrom', 'entity', 'default', 'optional', 'each', 'within'])
export const GRANT_SCOPES: readonly GrantScope[] = ['system', 'workspace', 'deployment']
const KINDS = new Set(['user', 'serviceAccount'])

/**
 * Reads rule conditions: `conditions: { Mutation.workspaceAddUser: { grants: { role: role } } }`,
 * inline in policy.yaml or from the file it names (a map under `conditions:`). They apply to the
 * rules whichever way those are written (rules file or SDL).
 */
export function readConditions(y: YamlFile, v: unknown, resolveFile: (f: string) => string): ConditionDef[] {
  if (v === undefined || v === null) return []
  let doc = y
  let at: (string | number)[] = ['conditions']
  let map: unknown = v
  if (typeof v === 'string') {
    doc = readYamlFile(resolveFile(v), 'PERMGATE_ERR_POLICY_NOT_FOUND')
    map = isRecord(doc.value) ? doc.value.conditions : undefined
    at = ['conditions']
  }
  if (!isRecord(map)) {
    throw new PermgateError('PERMGATE_ERR_POLICY_CONDITION', 'conditions must be a map of <Type.field>: { grants?, invite?, principals?, ipAllow? }', placeOf(doc, at))
  }
  return Object.entries(map).map(([key, c]) => readCondition(key, c, (k?: string) => placeOf(doc, k === undefined ? [...at, key] : [...at, key, k])))
}

function readCondition(key: string, c: unknown, at: (k?: string) => ErrorPlace): ConditionDef {
  const fail = (msg: string, k?: string): never => {
    throw new PermgateError('PERMGATE_ERR_POLICY_CONDITION', `${key}: ${msg}`, at(k))
  }
  if (!FIELD.test(key)) fail('a condition is keyed by Query.<field>, Mutation.<field> or Subscription.<field>')
  if (!isRecord(c) || Object.keys(c).length === 0) return fail('a condition must be a non-empty map')
  for (const k of Object.keys(c)) if (!CONDITION_KEYS.has(k)) fail(`unknown key "${k}" (known: ${[...CONDITION_KEYS].join(', ')})`, k)

  let principals: Set<'user' | 'serviceAccount'> | undefined
  if (c.principals !== undefined) {
    const p = c.principals
    if (!Array.isArray(p) || p.length === 0 || !p.every((k) => typeof k === 'string' && KINDS.has(k))) {
      fail('principals must be a non-empty list of user, serviceAccount', 'principals')
    }
    principals = new Set(p as ('user' | 'serviceAccount')[])
  }
  let ipAllow: string[] | undefined
  if (c.ipAllow !== undefined) {
    const l = c.ipAllow
    if (!Array.isArray(l) || l.length === 0 || !l.every((r) => typeof r === 'string')) fail('ipAllow must be a non-empty list of CIDR ranges', 'ipAllow')
    ipAllow = l as string[]
  }
  return {
    key,
    grants: c.grants === undefined ? undefined : readGrants(c.grants, (msg) => fail(msg, 'grants')),
    invite: c.invite === undefined ? undefined : argPath(c.invite, (msg) => fail(`invite: ${msg}`, 'invite')),
    principals,
    ipAllow,
    place: at(),
  }
}

/** One grant, or a list of them (a field that grants a role and a list of roles): every one is guarded. */
function readGrants(v: unknown, fail: (msg: string) => never): GrantDef[] {
  if (!Array.isArray(v)) return [readGrant(v, fail)]
  if (v.length === 0) return fail('grants must be a grant or a non-empty list of grants')
  return v.map((g, i) => readGrant(g, (msg) => fail(`grants[${i}]: ${msg}`)))
}

function readGrant(g: unknown, fail: (msg: string) => never): GrantDef {
  if (!isRecord(g)) return fail('grants must be a map: { role: <argument path>, scope?, scopeFrom?, entity?, default?, optional?, each?, within? }')
  for (const k of Object.keys(g)) if (!GRANT_KEYS.has(k)) fail(`unknown key "${k}" in grants (known: ${[...GRANT_KEYS].join(', ')})`)
  const scope = g.scope
  if (scope !== undefined && !GRANT_SCOPES.includes(scope as GrantScope)) fail(`grants.scope must be one of ${GRANT_SCOPES.join(', ')}`)
  let scopeFrom: GrantDef['scopeFrom']
  if (g.scopeFrom !== undefined) {
    const sf = g.scopeFrom
    if (scope !== undefined) fail('give grants.scope or grants.scopeFrom, not both')
    if (!isRecord(sf) || !isRecord(sf.values) || Object.keys(sf).some((k) => k !== 'arg' && k !== 'values')) {
      return fail('grants.scopeFrom is { arg: <argument path>, values: { <argument value>: system | workspace | deployment } }')
    }
    const values = new Map<string, GrantScope>()
    for (const [value, s] of Object.entries(sf.values)) {
      if (!GRANT_SCOPES.includes(s as GrantScope)) fail(`grants.scopeFrom.values.${value} must be one of ${GRANT_SCOPES.join(', ')}`)
      values.set(value, s as GrantScope)
    }
    scopeFrom = { arg: argPath(sf.arg, (m) => fail(`grants.scopeFrom.arg: ${m}`)), values }
  }
  if (g.default !== undefined && typeof g.default !== 'string') fail('grants.default must be a role id')
  if (g.optional !== undefined && typeof g.optional !== 'boolean') fail('grants.optional must be true or false')
  if (g.optional === true && g.default !== undefined) fail('grants.optional and grants.default contradict each other')
  const each = g.each === undefined ? undefined : argPath(g.each, (m) => fail(`grants.each: ${m}`))
  if (each !== undefined) {
    // every element names its own entity: the rule's entity or an argument chosen scope would be another's
    if (scope === undefined || scopeFrom !== undefined) fail('grants.each needs a fixed grants.scope (system, workspace or deployment)')
    if (scope !== 'system' && g.entity === undefined) fail('grants.each needs grants.entity: the path of the entity id inside each element')
  }
  if (g.within !== undefined && (each === undefined || scope !== 'deployment')) fail('grants.within goes with grants.each and scope: deployment')
  return {
    each,
    within: g.within === undefined ? undefined : argPath(g.within, (m) => fail(`grants.within: ${m}`)),
    role: argPath(g.role, (m) => fail(`grants.role: ${m}`)),
    scope: scope as GrantScope | undefined,
    scopeFrom,
    entity: g.entity === undefined ? undefined : argPath(g.entity, (m) => fail(`grants.entity: ${m}`)),
    default: g.default as string | undefined,
    optional: g.optional === true,
  }
}

/** `role` or `payload.role` -> ['payload', 'role']. */
function argPath(v: unknown, fail: (msg: string) => never): string[] {
  if (typeof v !== 'string') return fail('must be an argument path such as role or payload.role')
  const segments = v.split('.')
  if (!segments.every((s) => NAME.test(s))) fail(`malformed argument path "${v}"`)
  return segments
}

/** Reads `roleScopes: { system: [..], workspace: [..], deployment: [..] }` -> role -> scope. */
export function readRoleScopes(y: YamlFile, v: unknown): Map<string, GrantScope> {
  const out = new Map<string, GrantScope>()
  if (v === undefined || v === null) return out
  const place = placeOf(y, ['roleScopes'])
  if (!isRecord(v)) throw new PermgateError('PERMGATE_ERR_POLICY_SHAPE', 'roleScopes must map system/workspace/deployment to lists of roles', place)
  for (const [scope, roles] of Object.entries(v)) {
    if (!GRANT_SCOPES.includes(scope as GrantScope)) {
      throw new PermgateError('PERMGATE_ERR_POLICY_SHAPE', `roleScopes: unknown scope "${scope}" (known: ${GRANT_SCOPES.join(', ')})`, placeOf(y, ['roleScopes', scope]))
    }
    if (!Array.isArray(roles) || !roles.every((r) => typeof r === 'string')) {
      throw new PermgateError('PERMGATE_ERR_POLICY_SHAPE', `roleScopes.${scope} must be a list of role ids`, placeOf(y, ['roleScopes', scope]))
    }
    for (const r of roles as string[]) {
      const prior = out.get(r)
      if (prior !== undefined) {
        throw new PermgateError('PERMGATE_ERR_POLICY_SHAPE', `roleScopes: role ${r} is listed under ${prior} and ${scope}; a role is granted at one scope`, placeOf(y, ['roleScopes', scope]))
      }
      out.set(r, scope as GrantScope)
    }
  }
  return out
}
