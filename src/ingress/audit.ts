import type { Principal } from '../identity/types.js'
import type { ExtractedOperation } from '../policy/operation.js'
import type { Decision } from '../policy/decide.js'
import type { CompiledPolicy } from '../policy/types.js'
import type { DecisionLog } from '../telemetry/decision-log.js'

/** A scope id the client wrote is logged up to this many characters (the rest is counted, not kept). */
export const MAX_LOGGED_SCOPE_ID = 256

function loggedScope(scope: { readonly kind: string; readonly id: string } | null | undefined): { readonly kind: string; readonly id: string } | null {
  if (scope === undefined || scope === null) return null
  if (scope.id.length <= MAX_LOGGED_SCOPE_ID) return scope
  return { kind: scope.kind, id: `${scope.id.slice(0, MAX_LOGGED_SCOPE_ID)}...(${scope.id.length} characters)` }
}

/**
 * Records the audit event of one decision (over HTTP or a WebSocket): who, what, what it needed,
 * the outcome. Never a credential, nor a variable value but the scope id of a denial (see
 * DecisionEvent.scope). Every denial; allowed ones as sampled.
 */
export function auditDecision(
  log: DecisionLog | undefined,
  policy: CompiledPolicy,
  decisionId: string,
  principal: Principal,
  allowed: boolean,
  reason: string,
  op: ExtractedOperation | undefined,
  d: Decision | undefined,
  startedAt: number,
): void {
  if (log === undefined || !log.wants(allowed)) return
  const rules = op === undefined ? undefined : policy.rulesByType[op.type]
  const required = new Set<string>()
  if (op !== undefined) for (const f of op.fields) for (const p of rules?.get(f.name)?.permissions ?? []) required.add(p)
  log.recordSampled({
    decisionId,
    time: new Date().toISOString(),
    subject: principal.id,
    kind: principal.kind,
    groups: principal.groups,
    operationType: op?.type ?? 'none',
    operationName: op?.name ?? null,
    rootFields: op === undefined ? [] : op.fields.map((f) => `${op.type}.${f.name}`),
    required: [...required],
    scope: loggedScope(d?.denied[0]?.scope),
    allowed,
    reason,
    policyRevision: policy.revision,
    latencyUs: Math.round((performance.now() - startedAt) * 1000),
  })
}
