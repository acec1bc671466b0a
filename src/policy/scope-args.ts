import { PermgateError, type ErrorPlace } from '../errors.js'
import { ENTITY_KINDS, type EntityKind, type ScopeArg } from './types.js'
import { isRecord } from './yaml.js'

const NAME = /^[_A-Za-z][_0-9A-Za-z]*$/

/** Reads `[{ workspace: workspaceUuid }, { deployment: input.deploymentId }]`. */
export function readScopeArgs(v: unknown, place: ErrorPlace): ScopeArg[] {
  if (v === undefined || v === null) return []
  if (!Array.isArray(v)) {
    throw new PermgateError('PERMGATE_ERR_POLICY_RULE', 'scope must be a list of { <kind>: <argument path> }', place)
  }
  return v.map((entry) => {
    const pairs = isRecord(entry) ? Object.entries(entry) : []
    const [kind, path] = pairs[0] ?? []
    if (pairs.length !== 1 || typeof path !== 'string' || !ENTITY_KINDS.includes(kind as EntityKind)) {
      throw new PermgateError(
        'PERMGATE_ERR_POLICY_RULE',
        `scope entry ${JSON.stringify(entry)} must be one { <kind>: <argument path> } with kind one of ${ENTITY_KINDS.join(', ')}`,
        place,
      )
    }
    const segments = path.split('.')
    if (!segments.every((s) => NAME.test(s))) {
      throw new PermgateError('PERMGATE_ERR_POLICY_RULE', `malformed argument path "${path}"`, place)
    }
    return { kind: kind as EntityKind, path: segments }
  })
}
