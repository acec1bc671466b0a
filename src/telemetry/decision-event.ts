/**
 * One authorization decision as the audit log records it.
 *
 * There is deliberately no field for a token, an API key, a cookie or GraphQL variable
 * values: an audit log is read by more people than the API is, and is kept for days.
 */
export interface DecisionEvent {
  readonly decisionId: string
  /** When the decision was made, ISO 8601 (`2025-01-01T00:00:00.000Z`). */
  readonly time: string
  /** The principal's subject, or null for an anonymous request. */
  readonly subject: string | null
  /** What kind of principal decided the request: user, service account, API key, anonymous. */
  readonly kind: string
  readonly groups: readonly string[]
  readonly operationType: string
  readonly operationName: string | null
  readonly rootFields: readonly string[]
  /** Permissions the operation required. */
  readonly required: readonly string[]
  /**
   * The entity a denied field's scope argument names, as the client gave it, literally or in a
   * variable: the one value from the request's variables that is logged (who was denied where).
   */
  readonly scope: { readonly kind: string; readonly id: string } | null
  readonly allowed: boolean
  readonly reason: string
  readonly policyRevision: string
  /** Time spent deciding, in microseconds. */
  readonly latencyUs: number
}

/**
 * Key names never written to the log, whatever object they appear in. Matched anywhere in the
 * key and case-insensitively, so `Authorization`, `accessToken`, `x-api-key`, `client_secret`
 * and `variables` all match.
 */
export const REDACTED_KEY = /authorization|token|api[-_]?key|password|secret|variables|cookie|credential/i

/** How deep `redact` follows nested objects; anything deeper is dropped (no cycles, no bombs). */
export const MAX_REDACT_DEPTH = 8

/**
 * A copy of `value` without any key matching {@link REDACTED_KEY}, at any depth.
 * The type keeps secrets out at compile time; this keeps them out when a caller passes an
 * object carrying extra keys at runtime (a spread request context, a principal with its token).
 */
export function redact(value: unknown, depth = 0): unknown {
  if (value === null || typeof value !== 'object') return value
  if (depth >= MAX_REDACT_DEPTH) return undefined
  if (Array.isArray(value)) return value.map((v) => redact(v, depth + 1))
  const out: Record<string, unknown> = {}
  for (const [k, v] of Object.entries(value)) {
    if (REDACTED_KEY.test(k)) continue
    out[k] = redact(v, depth + 1)
  }
  return out
}
