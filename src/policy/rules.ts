import { PermgateError, type ErrorPlace } from '../errors.js'
import type { OperationType } from './operation.js'
import { readScopeArgs } from './scope-args.js'
import type { Access, RuleDef } from './types.js'
import { isRecord, placeOf, readYamlFile } from '../config/yaml.js'

export const OPERATION_TYPES: readonly OperationType[] = ['Query', 'Mutation', 'Subscription']
const ACCESS: readonly Access[] = ['public', 'authenticated', 'permission']
const RULE_KEYS = new Set(['field', 'access', 'permissions', 'op', 'scope', 'description'])
const FIELD = /^(Query|Mutation|Subscription)\.([_A-Za-z][_0-9A-Za-z]*)$/

/** Reads a rules file: `rules: [{ field: Query.x, access?, permissions?, op?, scope? }]`. */
export function readRulesFile(file: string): RuleDef[] {
  const y = readYamlFile(file, 'PERMGATE_ERR_POLICY_NOT_FOUND')
  const list = isRecord(y.value) ? y.value.rules : undefined
  if (!Array.isArray(list)) {
    throw new PermgateError('PERMGATE_ERR_POLICY_SHAPE', 'a rules file needs `rules:`, a list of rules', { file })
  }
  return list.map((entry, i) => readRule(entry, (key) => placeOf(y, key === undefined ? ['rules', i] : ['rules', i, key])))
}

function readRule(entry: unknown, at: (key?: string) => ErrorPlace): RuleDef {
  if (!isRecord(entry)) throw new PermgateError('PERMGATE_ERR_POLICY_RULE', 'a rule must be a map', at())
  for (const k of Object.keys(entry)) {
    if (!RULE_KEYS.has(k)) {
      throw new PermgateError('PERMGATE_ERR_POLICY_RULE', `unknown key "${k}" in rule (known: ${[...RULE_KEYS].join(', ')})`, at(k))
    }
  }
  const m = typeof entry.field === 'string' ? FIELD.exec(entry.field) : null
  if (!m) {
    throw new PermgateError('PERMGATE_ERR_POLICY_RULE', `field must be Query.<name>, Mutation.<name> or Subscription.<name>, got ${JSON.stringify(entry.field)}`, at('field'))
  }
  const permissions = entry.permissions ?? []
  if (!Array.isArray(permissions) || !permissions.every((p) => typeof p === 'string')) {
    throw new PermgateError('PERMGATE_ERR_POLICY_RULE', 'permissions must be a list of permission names', at('permissions'))
  }
  const access = entry.access ?? (permissions.length > 0 ? 'permission' : undefined)
  if (!ACCESS.includes(access as Access)) {
    throw new PermgateError('PERMGATE_ERR_POLICY_RULE', `${entry.field}: access must be one of ${ACCESS.join(', ')} (or give permissions)`, at('access'))
  }
  if (access === 'permission' && permissions.length === 0) {
    throw new PermgateError('PERMGATE_ERR_POLICY_RULE', `${entry.field}: access permission needs a non-empty permissions list`, at('permissions'))
  }
  if (access !== 'permission' && permissions.length > 0) {
    throw new PermgateError('PERMGATE_ERR_POLICY_RULE', `${entry.field}: access ${String(access)} contradicts the permissions listed`, at('access'))
  }
  const op = entry.op ?? 'AND'
  if (op !== 'AND' && op !== 'OR') {
    throw new PermgateError('PERMGATE_ERR_POLICY_RULE', `${entry.field}: op must be AND or OR`, at('op'))
  }
  return {
    type: m[1] as OperationType,
    field: m[2] as string,
    access: access as Access,
    permissions,
    op,
    scope: readScopeArgs(entry.scope, at('scope')),
    place: at('field'),
  }
}
