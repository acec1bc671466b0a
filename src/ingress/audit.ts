import type { Principal } from '../bindings/types.js'
import type { ExtractedOperation } from '../operation/types.js'
import type { Decision } from '../policy/decide.js'
import type { CompiledPolicy } from '../policy/types.js'
import type { DecisionLog } from '../telemetry/decision-log.js'

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
    scope: d?.denied[0]?.scope ?? null,
    allowed,
    reason,
    policyRevision: policy.revision,
    latencyUs: Math.round((performance.now() - startedAt) * 1000),
  })
}
