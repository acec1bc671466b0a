// The HTTP answer to a refusal: status, headers and a GraphQL error body. The error entries
// themselves are built for every transport by graphql-errors.ts.
import type { FastifyReply, FastifyRequest } from 'fastify'
import { ERRORS, isPermgateError, type ErrorCode } from '../errors.js'
import type { Decision } from '../policy/decide.js'
import { denialEntries, denialStatus, errorEntryOf, type ErrorEntry } from './graphql-errors.js'

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

/** A denial: one error per denied root field, with what it requires. 401 when a credential would help. */
export function rejectDecision(
  request: FastifyRequest,
  reply: FastifyReply,
  d: Decision,
  decisionId: string,
  opts: RejectOptions,
  batchIndex: number | undefined,
): FastifyReply {
  const status = denialStatus(d)
  return sendErrors(request, reply, status, denialEntries(d, decisionId, batchIndex), opts, status === 401 ? { 'www-authenticate': 'Bearer' } : {})
}
