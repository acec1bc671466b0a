// Scope resolution: the workspace and deployment a field's scope arguments name, read from its
// arguments and variables (release names through the bindings store), or the reason to deny.
import { resolveArgPath } from './args.js'
import type { RootField } from './operation.js'
import type { PrincipalMasks } from './principal.js'
import type { CompiledRule } from './types.js'

/** The entities a field's scope resolved to, read right after the field's decision. */
export interface ResolvedScope {
  workspace: string | undefined
  deployment: string | undefined
  /** A release name the store does not know (reported as the denial's scope). */
  release: string | undefined
}

export function emptyScope(): ResolvedScope {
  return { workspace: undefined, deployment: undefined, release: undefined }
}

export function clearScope(s: ResolvedScope): void {
  s.workspace = undefined
  s.deployment = undefined
  s.release = undefined
}

/** An entity id as a scope or grant argument may give it: a non-empty string or a safe integer; else null. */
export function idOf(v: unknown): string | null {
  if (typeof v === 'string') return v === '' ? null : v
  if (typeof v === 'number' && Number.isSafeInteger(v)) return String(v)
  return null
}

/**
 * The entities a field's scope arguments name, per kind, into `s`; undefined when they do, else
 * the reason to deny. Null and absent arguments are skipped; every present argument of a kind must
 * name the same entity (an upstream could act on either); a value that is no id is
 * invalid_scope, a release name the store does not know unknown_release; with a workspace and a
 * deployment named, the deployment must be the workspace's: deny on doubt rather than guess.
 */
export function resolveScope(
  pm: PrincipalMasks,
  rule: CompiledRule,
  f: RootField,
  variables: Readonly<Record<string, unknown>> | undefined,
  defaults: Readonly<Record<string, unknown>>,
  s: ResolvedScope,
): 'invalid_scope' | 'unknown_release' | undefined {
  const args = rule.scope
  for (let i = 0; i < args.length; i++) {
    const arg = args[i] as CompiledRule['scope'][number]
    const v = resolveArgPath(f, arg.path, variables, defaults)
    if (v === undefined || v === null) continue
    let id: string | null
    if (arg.lookup === 'releaseName') {
      if (typeof v !== 'string' || v === '') return 'invalid_scope'
      id = pm.releases.deploymentByReleaseName(v) ?? null
      if (id === null) {
        s.release = v
        return 'unknown_release'
      }
    } else {
      id = idOf(v)
      if (id === null) return 'invalid_scope'
    }
    if (arg.kind === 'workspace') {
      if (s.workspace !== undefined && s.workspace !== id) return 'invalid_scope'
      s.workspace = id
    } else {
      if (s.deployment !== undefined && s.deployment !== id) return 'invalid_scope'
      s.deployment = id
    }
  }
  if (s.workspace !== undefined && s.deployment !== undefined && pm.parentOf.get(s.deployment) !== s.workspace) return 'invalid_scope'
  return undefined
}
