import { describe, expect, it } from 'vitest'
import { denialEntries, denialMessage, denialStatus, errorEntryOf, GRAPHQL_CODES, graphqlCodeOf } from '../../../src/egress/graphql-errors.js'
import { ERRORS, PermgateError, type ErrorCode } from '../../../src/errors.js'
import type { Decision, FieldDecision } from '../../../src/policy/decide.js'

const field = (over: Partial<FieldDecision>): FieldDecision => ({
  type: 'Query', field: 'deployments', alias: undefined, allowed: false, reason: 'missing_permission',
  required: ['system.deployments.get'], op: 'AND', scope: null, ...over,
})
const denial = (reason: Decision['reason'], denied: FieldDecision[]): Decision => ({ allowed: false, reason, operationType: 'Query', operationName: undefined, denied })

describe('the GraphQL error entry of a coded error', () => {
  it.each(Object.keys(ERRORS) as ErrorCode[])('%s: extensions.code is the registry entry\'s', (code) => {
    const entry = errorEntryOf(new PermgateError(code, 'why'), 'd-1', 'internal')
    expect(entry).toEqual({ message: 'why', extensions: { code: ERRORS[code].graphqlCode ?? 'INTERNAL_SERVER_ERROR', reason: code, decisionId: 'd-1' } })
    expect(graphqlCodeOf(code)).toBe(entry.extensions.code)
  })

  it('an error that is not permgate\'s is an internal one: the client reads the given text, never its own', () => {
    expect(errorEntryOf(new Error('secret detail'), 'd-2', 'internal error')).toEqual({
      message: 'internal error',
      extensions: { code: 'INTERNAL_SERVER_ERROR', reason: 'PERMGATE_ERR_INTERNAL', decisionId: 'd-2' },
    })
  })

  it('a code only seen while loading is answered as an internal error, under its own reason', () => {
    const entry = errorEntryOf(new PermgateError('PERMGATE_ERR_BINDINGS_DATABASE', 'no tables'), undefined, 'internal')
    expect(entry.extensions).toEqual({ code: 'INTERNAL_SERVER_ERROR', reason: 'PERMGATE_ERR_BINDINGS_DATABASE' })
  })
})

describe('extensions.code by status', () => {
  it('is what each status answered before the registry carried the codes', () => {
    expect(GRAPHQL_CODES).toEqual({
      400: 'BAD_REQUEST', 401: 'UNAUTHENTICATED', 403: 'FORBIDDEN', 404: 'NOT_FOUND', 405: 'METHOD_NOT_ALLOWED',
      408: 'REQUEST_TIMEOUT', 409: 'CONFLICT', 413: 'PAYLOAD_TOO_LARGE', 415: 'UNSUPPORTED_MEDIA_TYPE',
      429: 'TOO_MANY_REQUESTS', 500: 'INTERNAL_SERVER_ERROR', 502: 'BAD_GATEWAY', 503: 'SERVICE_UNAVAILABLE', 504: 'GATEWAY_TIMEOUT',
    })
  })
})

describe('a denial as error entries', () => {
  it('401 UNAUTHENTICATED when a credential would help, else 403 FORBIDDEN', () => {
    const anon = denial('unauthenticated', [field({ reason: 'unauthenticated', required: [] })])
    expect(denialStatus(anon)).toBe(401)
    expect(denialEntries(anon, 'd')[0]?.extensions.code).toBe('UNAUTHENTICATED')
    const forbidden = denial('missing_permission', [field({})])
    expect(denialStatus(forbidden)).toBe(403)
    expect(denialEntries(forbidden, 'd')[0]?.extensions.code).toBe('FORBIDDEN')
  })

  it('one entry per denied root field, with what it requires', () => {
    const d = denial('missing_permission', [
      field({ alias: 'ds' }),
      field({ field: 'workspace', required: ['workspace.get', 'workspace.list'], op: 'OR', scope: { kind: 'workspace', id: 'w1' } }),
    ])
    expect(denialEntries(d, 'd-3', 2)).toEqual([
      {
        message: 'Query.deployments is not allowed: it requires system.deployments.get',
        extensions: { code: 'FORBIDDEN', reason: 'missing_permission', field: 'Query.deployments', alias: 'ds', required: ['system.deployments.get'], op: 'AND', batchIndex: 2, decisionId: 'd-3' },
      },
      {
        message: 'Query.workspace is not allowed: it requires workspace.get or workspace.list on workspace w1',
        extensions: { code: 'FORBIDDEN', reason: 'missing_permission', field: 'Query.workspace', required: ['workspace.get', 'workspace.list'], op: 'OR', scope: { kind: 'workspace', id: 'w1' }, batchIndex: 2, decisionId: 'd-3' },
      },
    ])
  })

  it('a denial with no denied field names the operation', () => {
    expect(denialEntries(denial('no_rule', []), 'd-4')).toEqual([{ message: 'the query is not allowed', extensions: { code: 'FORBIDDEN', reason: 'no_rule', decisionId: 'd-4' } }])
  })

  it('a failed condition is said in words', () => {
    expect(denialMessage(field({ reason: 'ip_denied' }))).toBe("Query.deployments is not allowed: the client's address is outside its allowed ranges")
    expect(denialMessage(field({ reason: 'unauthenticated' }))).toBe('Query.deployments requires an authenticated caller')
  })
})
