import { PermgateError, type ErrorPlace } from '../errors.js'
import { ENTITY_KINDS, SCOPE_LOOKUPS, type EntityKind, type ScopeArg, type ScopeLookup } from './types.js'
import { isRecord } from '../config/yaml.js'

const NAME = /^[_A-Za-z][_0-9A-Za-z]*$/
const SHAPE = `{ <kind>: <argument path>, lookup?: ${SCOPE_LOOKUPS.join(' | ')} } with kind one of ${ENTITY_KINDS.join(', ')}`

/**
 * Reads `[{ workspace: workspaceUuid }, { deployment: where.id }, { deployment: where.releaseName,
 * lookup: releaseName }]`; `{ workspace: [workspaceUuid, workspaceId] }` is short for one entry per path.
 */
export function readScopeArgs(v: unknown, place: ErrorPlace): ScopeArg[] {
  if (v === undefined || v === null) return []
  if (!Array.isArray(v)) {
    throw new PermgateError('PERMGATE_ERR_POLICY_RULE', `scope must be a list of ${SHAPE}`, place)
  }
  return v.flatMap((entry) => readEntry(entry, place))
}

function readEntry(entry: unknown, place: ErrorPlace): ScopeArg[] {
  const fail = (why: string): never => {
    throw new PermgateError('PERMGATE_ERR_POLICY_RULE', `scope entry ${JSON.stringify(entry)}: ${why}`, place)
  }
  if (!isRecord(entry)) return fail(`must be ${SHAPE}`)
  const keys = Object.keys(entry).filter((k) => k !== 'lookup')
  const kind = keys[0] as EntityKind
  if (keys.length !== 1 || !ENTITY_KINDS.includes(kind)) return fail(`must be ${SHAPE}`)
  const lookup = entry.lookup as ScopeLookup | undefined
  if (lookup !== undefined && !SCOPE_LOOKUPS.includes(lookup)) fail(`lookup must be one of ${SCOPE_LOOKUPS.join(', ')}`)
  // a release name names a deployment, never a workspace
  if (lookup === 'releaseName' && kind !== 'deployment') fail('lookup: releaseName names a deployment: give it with kind deployment')
  const raw = entry[kind]
  const paths = Array.isArray(raw) ? raw : [raw]
  if (paths.length === 0) fail('names no argument path')
  return paths.map((path: unknown) => {
    if (typeof path !== 'string') return fail(`must be ${SHAPE}`)
    const segments = path.split('.')
    if (!segments.every((s) => NAME.test(s))) fail(`malformed argument path "${path}"`)
    return lookup === undefined ? { kind, path: segments } : { kind, path: segments, lookup }
  })
}
