// GraphQL error entries, for every transport: an HTTP body (reject.ts), a WebSocket `error` or
// `connection_error` message (ingress/ws/protocols.ts), a refused upgrade (ingress/ws/handshake.ts).
// `extensions.code` is read off the registry (src/errors.ts), so a code is answered alike whatever
// carries it.
import { ERRORS, isPermgateError, type ErrorCode, type ErrorSpec } from '../errors.js'
import type { Decision, FieldDecision } from '../policy/decide.js'

export interface ErrorEntry {
  readonly message: string
  readonly extensions: Record<string, unknown>
}

/** The code a thrown value is answered with: an error that is not permgate's is an internal one (a deny). */
function codeOf(e: unknown): ErrorCode {
  return isPermgateError(e) ? e.code : 'PERMGATE_ERR_INTERNAL'
}

/** `extensions.code` of a coded error (one never answered to a client, should it be, is an internal error). */
export function graphqlCodeOf(code: ErrorCode): string {
  return ERRORS[code].graphqlCode ?? ERRORS.PERMGATE_ERR_INTERNAL.graphqlCode
}

/**
 * `extensions.code` by HTTP status, as the registry answers them (a test holds every status to one
 * code): for answers that are not a coded error, such as a policy denial.
 */
export const GRAPHQL_CODES: Readonly<Record<number, string>> = byStatus()

function byStatus(): Readonly<Record<number, string>> {
  const out: Record<number, string> = {}
  for (const e of Object.values(ERRORS) as ErrorSpec[]) if (e.status !== undefined && e.graphqlCode !== undefined) out[e.status] ??= e.graphqlCode
  return Object.freeze(out)
}

/**
 * The error entry of a coded error, for every transport. An error that is not permgate's is an
 * internal one: its text is for the log, and the client reads `internal`.
 */
export function errorEntryOf(e: unknown, decisionId: string | undefined, internal: string): ErrorEntry {
  const code = codeOf(e)
  const message = isPermgateError(e) ? e.message : internal
  return { message, extensions: { code: graphqlCodeOf(code), reason: code, ...(decisionId !== undefined ? { decisionId } : {}) } }
}

/** A denial's status: 401 when a credential would help, else 403. */
export function denialStatus(d: Pick<Decision, 'reason'>): 401 | 403 {
  return d.reason === 'unauthenticated' ? 401 : 403
}

const CONDITION_MESSAGES: Partial<Record<FieldDecision['reason'], string>> = {
  no_rule: 'no rule covers it',
  escalation: 'the role it grants must be of its scope and hold nothing the caller lacks there',
  invite_required: 'public signups are off: it needs an invite token',
  principal_kind: 'it is open to other kinds of principal',
  ip_denied: "the client's address is outside its allowed ranges",
  invalid_scope: 'its scope arguments are not ids, or name different entities (two of a kind, or a deployment outside the workspace named)',
  unknown_release: 'its release name names no deployment known to permgate',
  introspection_denied: 'introspection is denied by the policy',
}

/** The message of one denied root field (HTTP and WebSocket answers). */
export function denialMessage(f: FieldDecision): string {
  const name = `${f.type}.${f.field}`
  if (f.reason === 'unauthenticated') return `${name} requires an authenticated caller`
  const why = CONDITION_MESSAGES[f.reason]
  if (why !== undefined) return `${name} is not allowed: ${why}`
  return `${name} is not allowed${f.required.length ? `: it requires ${f.required.join(f.op === 'OR' ? ' or ' : ' and ')}` : ''}${f.scope ? ` on ${f.scope.kind} ${f.scope.id}` : ''}`
}

/**
 * A denial as error entries, for every transport: one per denied root field, with what it
 * requires. Its `extensions.code` is the one coded errors of its status carry.
 */
export function denialEntries(d: Decision, decisionId: string, batchIndex?: number): ErrorEntry[] {
  const code = GRAPHQL_CODES[denialStatus(d)]
  if (d.denied.length === 0) return [{ message: `the ${d.operationType.toLowerCase()} is not allowed`, extensions: { code, reason: d.reason, decisionId } }]
  return d.denied.map((f) => ({
    message: denialMessage(f),
    extensions: {
      code,
      reason: f.reason,
      field: `${f.type}.${f.field}`,
      ...(f.alias !== undefined ? { alias: f.alias } : {}),
      required: f.required,
      ...(f.op !== undefined ? { op: f.op } : {}),
      ...(f.scope ? { scope: f.scope } : {}),
      ...(batchIndex !== undefined ? { batchIndex } : {}),
      decisionId,
    },
  }))
}
