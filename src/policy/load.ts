import { statSync } from 'node:fs'
import { dirname, join, resolve } from 'node:path'
import { PermgateError, type ErrorPlace } from '../errors.js'
import { applyOverlay } from './overlay.js'
import { readRoles } from './roles.js'
import { readRulesFile } from './rules.js'
import { readConditions, readRoleScopes } from './conditions.js'
import { readScopeArgs } from './scope-args.js'
import { rulesFromSchema } from './sdl.js'
import { type CascadeDef, type EntityKind, type IntrospectionMode, type PolicySource } from './types.js'
import { isRecord, placeOf, readYamlFile, type YamlFile } from '../config/yaml.js'

export const POLICY_MANIFEST = 'policy.yaml'
const MANIFEST_KEYS = new Set([
  'name', 'revision', 'scopes', 'roles', 'rules', 'overlays', 'syntheticRoles', 'cascades',
  'defaultScope', 'introspection', 'permissions', 'conditions', 'publicSignups', 'roleScopes', 'ipAllow',
])
const INTROSPECTION: readonly IntrospectionMode[] = ['public', 'authenticated', 'denied']

export interface LoadOptions {
  /** Overlay files applied after the policy's own, in order. */
  overlays?: readonly string[]
}

/** Reads a policy directory (or its policy.yaml): manifest, roles, overlays, rules. */
export function loadPolicy(path: string, opts: LoadOptions = {}): PolicySource {
  const manifestFile = isDirectory(path) ? join(path, POLICY_MANIFEST) : path
  const dir = dirname(resolve(manifestFile))
  const y = readYamlFile(manifestFile, 'PERMGATE_ERR_POLICY_NOT_FOUND')
  const m = y.value
  if (!isRecord(m)) throw new PermgateError('PERMGATE_ERR_POLICY_SHAPE', 'policy.yaml must be a map', { file: manifestFile })
  for (const k of Object.keys(m)) {
    if (!MANIFEST_KEYS.has(k)) {
      throw new PermgateError('PERMGATE_ERR_POLICY_SHAPE', `unknown key "${k}" (known: ${[...MANIFEST_KEYS].join(', ')})`, placeOf(y, [k]))
    }
  }
  const str = (k: string, dflt?: string): string => {
    const v = m[k] ?? dflt
    if (typeof v !== 'string' || v === '') throw new PermgateError('PERMGATE_ERR_POLICY_SHAPE', `${k} must be a non-empty string`, placeOf(y, [k]))
    return v
  }
  const list = (v: unknown, at: string[]): string[] => {
    if (v === undefined || v === null) return []
    if (!Array.isArray(v) || !v.every((s) => typeof s === 'string')) {
      throw new PermgateError('PERMGATE_ERR_POLICY_SHAPE', `${at.join('.')} must be a list of strings`, placeOf(y, at))
    }
    return v
  }

  const scopes = new Set(list(m.scopes ?? ['system', 'workspace', 'deployment'], ['scopes']))
  if (!scopes.has('system')) throw new PermgateError('PERMGATE_ERR_POLICY_SHAPE', 'scopes must include system', placeOf(y, ['scopes']))
  const perms = m.permissions ?? {}
  if (!isRecord(perms) || Object.keys(perms).some((k) => k !== 'legacy' && k !== 'declared')) {
    throw new PermgateError('PERMGATE_ERR_POLICY_SHAPE', 'permissions takes only legacy and declared lists', placeOf(y, ['permissions']))
  }

  const rolesFrom = resolve(dir, str('roles'))
  const rolesDoc = readRoles(readYamlFile(rolesFrom, 'PERMGATE_ERR_POLICY_NOT_FOUND'), true)
  const basePermissions = new Set<string>()
  for (const r of rolesDoc.roles.values()) for (const [p, granted] of r.permissions) if (granted) basePermissions.add(p)

  const manifestOverlays = list(m.overlays, ['overlays']).map((f) => resolve(dir, f))
  const overlays = [...manifestOverlays, ...(opts.overlays ?? []).map((f) => resolve(f))]
  let roles = rolesDoc.roles
  for (const file of overlays) roles = applyOverlay(roles, file)

  const defaultScope = readScopeArgs(m.defaultScope, placeOf(y, ['defaultScope']))
  const { rules, rulesFrom } = readRulesOf(y, m.rules, dir, defaultScope)

  const introspection = str('introspection', 'authenticated') as IntrospectionMode
  if (!INTROSPECTION.includes(introspection)) {
    throw new PermgateError('PERMGATE_ERR_POLICY_SHAPE', `introspection must be one of ${INTROSPECTION.join(', ')}`, placeOf(y, ['introspection']))
  }

  const publicSignups = m.publicSignups ?? false
  if (typeof publicSignups !== 'boolean') throw new PermgateError('PERMGATE_ERR_POLICY_SHAPE', 'publicSignups must be true or false', placeOf(y, ['publicSignups']))

  return {
    name: str('name'),
    revision: str('revision', 'unversioned'),
    dir,
    scopes,
    legacyPermissions: new Set(list(perms.legacy, ['permissions', 'legacy'])),
    declaredPermissions: new Set(list(perms.declared, ['permissions', 'declared'])),
    basePermissions,
    roles,
    rules,
    rulesFrom,
    rolesFrom,
    syntheticRoles: list(m.syntheticRoles, ['syntheticRoles']),
    cascades: readCascades(y, m.cascades),
    defaultScope,
    introspection,
    overlays,
    manifestPlace: { file: manifestFile },
    conditions: readConditions(y, m.conditions, (f) => resolve(dir, f)),
    publicSignups,
    roleScopes: readRoleScopes(y, m.roleScopes),
    ipAllow: list(m.ipAllow, ['ipAllow']),
  }
}

function readRulesOf(y: YamlFile, v: unknown, dir: string, defaultScope: PolicySource['defaultScope']) {
  if (typeof v === 'string') {
    const file = resolve(dir, v)
    return { rules: readRulesFile(file), rulesFrom: file }
  }
  if (isRecord(v) && typeof v.sdl === 'string' && Object.keys(v).length === 1) {
    const file = resolve(dir, v.sdl)
    return { rules: rulesFromSchema(file, defaultScope), rulesFrom: file }
  }
  throw new PermgateError('PERMGATE_ERR_POLICY_SHAPE', 'rules must be a rules file path, or { sdl: <schema file> }', placeOf(y, ['rules']))
}

function readCascades(y: YamlFile, v: unknown): CascadeDef[] {
  if (v === undefined || v === null) return []
  if (!Array.isArray(v)) throw new PermgateError('PERMGATE_ERR_POLICY_SHAPE', 'cascades must be a list', placeOf(y, ['cascades']))
  return v.map((c, i) => {
    const place: ErrorPlace = placeOf(y, ['cascades', i])
    if (!isRecord(c) || c.from !== 'workspace' || c.to !== 'deployment' || !isRecord(c.roles)) {
      throw new PermgateError(
        'PERMGATE_ERR_POLICY_SHAPE',
        'a cascade is { from: workspace, to: deployment, roles: { <workspace role>: <deployment role> } }',
        place,
      )
    }
    const roles = new Map<string, string>()
    for (const [from, to] of Object.entries(c.roles)) {
      if (typeof to !== 'string') throw new PermgateError('PERMGATE_ERR_POLICY_SHAPE', `cascade of ${from} must name one role`, place)
      roles.set(from, to)
    }
    return { from: c.from as EntityKind, to: c.to as EntityKind, roles, place }
  })
}

function isDirectory(p: string): boolean {
  try {
    return statSync(p).isDirectory()
  } catch {
    return false
  }
}

