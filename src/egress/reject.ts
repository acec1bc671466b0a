import type { FastifyReply, FastifyRequest } from 'fastify'
import { ERRORS, isPermgateError, type ErrorCode } from '../errors.js'
import type { Decision, FieldDecision } from '../policy/decide.js'

/**
 * GraphQL-style codes in `extensions.code`, by HTTP status: the one map for every transport (an
 * HTTP body, a WebSocket error or connection_error, a refused upgrade).
 */
export const GRAPHQL_CODES: Readonly<Record<number, string>> = {
  400: 'BAD_REQUEST',
  401: 'UNAUTHENTICATED',
  403: 'FORBIDDEN',
  404: 'NOT_FOUND',
  405: 'METHOD_NOT_ALLOWED',
  408: 'REQUEST_TIMEOUT',
  409: 'CONFLICT',
  413: 'PAYLOAD_TOO_LARGE',
  415: 'UNSUPPORTED_MEDIA_TYPE',
  429: 'TOO_MANY_REQUESTS',
  500: 'INTERNAL_SERVER_ERROR',
  501: 'NOT_IMPLEMENTED',
  502: 'BAD_GATEWAY',
  503: 'SERVICE_UNAVAILABLE',
  504: 'GATEWAY_TIMEOUT',
}

export interface ErrorEntry {
  readonly message: string
  readonly extensions: Record<string, unknown>
}

/** `extensions.code` of a status (a status without its own code is an internal error). */
export function graphqlCodeOf(status: number | undefined): string {
  return (status === undefined ? undefined : GRAPHQL_CODES[status]) ?? 'INTERNAL_SERVER_ERROR'
}

/**
 * The error entry of a coded error, for every transport. An error that is not permgate's is an
 * internal one: its text is for the log, and the client reads `internal`.
 */
export function errorEntryOf(e: unknown, decisionId: string | undefined, internal: string): ErrorEntry {
  const code: ErrorCode = isPermgateError(e) ? e.code : 'PERMGATE_ERR_INTERNAL'
  const message = isPermgateError(e) ? e.message : internal
  return { message, extensions: { code: graphqlCodeOf(ERRORS[code].status), reason: code, ...(decisionId !== undefined ? { decisionId } : {}) } }
}

export interface RejectOptions {
  /** Legacy clients: status 200, same body. */
  readonly errorsAs200: boolean
}

/** `application/graphql-response+json` when the client accepts it, else `application/json`. */
export function responseType(accept: string | undefined): string {
  return accept !== undefined && accept.includes('application/graphql-response+json')
    ? 'application/graphql-response+json; charset=utf-8'
    : 'application/json; charset=utf-8'
}

export function sendErrors(
  request: FastifyRequest,
  reply: FastifyReply,
  status: number,
  errors: readonly ErrorEntry[],
  opts: RejectOptions,
  headers: Record<string, string> = {},
): FastifyReply {
  return reply
    .code(opts.errorsAs200 ? 200 : status)
    .headers(headers)
    .header('content-type', responseType(request.headers.accept))
    .header('cache-control', 'no-store')
    .send(JSON.stringify({ errors }))
}

/** A coded error (bad request, bad credential, limits, upstream failures) as a GraphQL error body. */
export function rejectError(request: FastifyRequest, reply: FastifyReply, e: unknown, decisionId: string, opts: RejectOptions): FastifyReply {
  const code: ErrorCode = isPermgateError(e) ? e.code : 'PERMGATE_ERR_INTERNAL'
  const status = ERRORS[code].status ?? 500
  const headers: Record<string, string> = code === 'PERMGATE_ERR_METHOD_NOT_ALLOWED' ? { allow: 'POST' } : {}
  if (status === 401) headers['www-authenticate'] = 'Bearer'
  // Internal errors are a deny with a generic message: their text is for the log, not the client.
  return sendErrors(request, reply, status, [errorEntryOf(e, decisionId, 'internal error: the request was not forwarded')], opts, headers)
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

/** A denial: one error per denied root field, with what it requires. 401 when a credential would help. */
export function rejectDecision(
  request: FastifyRequest,
  reply: FastifyReply,
  d: Decision,
  decisionId: string,
  opts: RejectOptions,
  batchIndex: number | undefined,
): FastifyReply {
  const status = d.reason === 'unauthenticated' ? 401 : 403
  return sendErrors(request, reply, status, denialEntries(d, decisionId, batchIndex), opts, status === 401 ? { 'www-authenticate': 'Bearer' } : {})
}

/** A denial as error entries, for every transport: one per denied root field, with what it requires. */
export function denialEntries(d: Decision, decisionId: string, batchIndex?: number): ErrorEntry[] {
  const code = GRAPHQL_CODES[d.reason === 'unauthenticated' ? 401 : 403]
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
