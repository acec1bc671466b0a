import { readdirSync, readFileSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'
import { ERRORS, PermgateError, type ErrorCode } from '../../src/errors.js'
import { CLOSE, closeCodeOf } from '../../src/ingress/ws/protocols.js'
import { WARNINGS } from '../../src/warnings.js'

/**
 * Every code's wire mapping, written out so a change to one is deliberate: HTTP status, GraphQL
 * `extensions.code` (the values the status gave before the registry carried them) and WebSocket
 * close code (the ones the relay closed with).
 */
const WIRE: readonly (readonly [ErrorCode, number | undefined, string | undefined, number | undefined])[] = [
  ['PERMGATE_ERR_POLICY_NOT_FOUND', undefined, undefined, undefined],
  ['PERMGATE_ERR_POLICY_YAML', undefined, undefined, undefined],
  ['PERMGATE_ERR_POLICY_SHAPE', undefined, undefined, undefined],
  ['PERMGATE_ERR_POLICY_PERMISSION_NAME', undefined, undefined, undefined],
  ['PERMGATE_ERR_POLICY_UNKNOWN_PERMISSION', undefined, undefined, undefined],
  ['PERMGATE_ERR_POLICY_UNKNOWN_ROLE', undefined, undefined, undefined],
  ['PERMGATE_ERR_POLICY_INHERITANCE_CYCLE', undefined, undefined, undefined],
  ['PERMGATE_ERR_POLICY_DUPLICATE_ROLE', undefined, undefined, undefined],
  ['PERMGATE_ERR_POLICY_DUPLICATE_RULE', undefined, undefined, undefined],
  ['PERMGATE_ERR_POLICY_RULE', undefined, undefined, undefined],
  ['PERMGATE_ERR_POLICY_CONDITION', undefined, undefined, undefined],
  ['PERMGATE_ERR_POLICY_SCHEMA', undefined, undefined, undefined],
  ['PERMGATE_ERR_POLICY_UNMAPPED_FIELD', undefined, undefined, undefined],
  ['PERMGATE_ERR_BINDINGS_NOT_FOUND', undefined, undefined, undefined],
  ['PERMGATE_ERR_BINDINGS_SHAPE', undefined, undefined, undefined],
  ['PERMGATE_ERR_BINDINGS_UNKNOWN_ROLE', undefined, undefined, undefined],
  ['PERMGATE_ERR_BINDINGS_UNAVAILABLE', 503, 'SERVICE_UNAVAILABLE', 4403],
  ['PERMGATE_ERR_BINDINGS_DATABASE', undefined, undefined, undefined],
  ['PERMGATE_ERR_REQUEST_SHAPE', 400, 'BAD_REQUEST', undefined],
  ['PERMGATE_ERR_JSON_TOO_DEEP', 400, 'BAD_REQUEST', 4400],
  ['PERMGATE_ERR_GRAPHQL_SYNTAX', 400, 'BAD_REQUEST', undefined],
  ['PERMGATE_ERR_GRAPHQL_TOO_MANY_TOKENS', 400, 'BAD_REQUEST', undefined],
  ['PERMGATE_ERR_GRAPHQL_TOO_DEEP', 400, 'BAD_REQUEST', undefined],
  ['PERMGATE_ERR_GRAPHQL_TOO_MANY_ALIASES', 400, 'BAD_REQUEST', undefined],
  ['PERMGATE_ERR_GRAPHQL_TOO_MANY_ROOT_FIELDS', 400, 'BAD_REQUEST', undefined],
  ['PERMGATE_ERR_GRAPHQL_NO_OPERATION', 400, 'BAD_REQUEST', undefined],
  ['PERMGATE_ERR_GRAPHQL_OPERATION_NAME_REQUIRED', 400, 'BAD_REQUEST', undefined],
  ['PERMGATE_ERR_GRAPHQL_UNKNOWN_OPERATION', 400, 'BAD_REQUEST', undefined],
  ['PERMGATE_ERR_GRAPHQL_UNKNOWN_FRAGMENT', 400, 'BAD_REQUEST', undefined],
  ['PERMGATE_ERR_GRAPHQL_FRAGMENT_CYCLE', 400, 'BAD_REQUEST', undefined],
  ['PERMGATE_ERR_GRAPHQL_FRAGMENT_TYPE', 400, 'BAD_REQUEST', undefined],
  ['PERMGATE_ERR_GRAPHQL_UNDECLARED_VARIABLE', 400, 'BAD_REQUEST', undefined],
  ['PERMGATE_ERR_GRAPHQL_VARIABLES', 400, 'BAD_REQUEST', undefined],
  ['PERMGATE_ERR_GRAPHQL_NOT_EXECUTABLE', 400, 'BAD_REQUEST', undefined],
  ['PERMGATE_ERR_GRAPHQL_DUPLICATE_NAME', 400, 'BAD_REQUEST', undefined],
  ['PERMGATE_ERR_CONFIG_UNKNOWN_KEY', undefined, undefined, undefined],
  ['PERMGATE_ERR_CONFIG_INVALID', undefined, undefined, undefined],
  ['PERMGATE_ERR_CONFIG_CONTRADICTION', undefined, undefined, undefined],
  ['PERMGATE_ERR_CONFIG_MISSING', undefined, undefined, undefined],
  ['PERMGATE_ERR_CONFIG_FILE', undefined, undefined, undefined],
  ['PERMGATE_ERR_AUTH_TOKEN_INVALID', 401, 'UNAUTHENTICATED', 4403],
  ['PERMGATE_ERR_AUTH_TOKEN_EXPIRED', 401, 'UNAUTHENTICATED', 4403],
  ['PERMGATE_ERR_AUTH_TOKEN_NOT_YET_VALID', 401, 'UNAUTHENTICATED', 4403],
  ['PERMGATE_ERR_AUTH_TOKEN_ALGORITHM', 401, 'UNAUTHENTICATED', 4403],
  ['PERMGATE_ERR_AUTH_TOKEN_CLAIMS', 401, 'UNAUTHENTICATED', 4403],
  ['PERMGATE_ERR_AUTH_TOKEN_TOO_LARGE', 401, 'UNAUTHENTICATED', 4403],
  ['PERMGATE_ERR_AUTH_NO_KEY', 401, 'UNAUTHENTICATED', 4403],
  ['PERMGATE_ERR_AUTH_UNKNOWN_API_KEY', 401, 'UNAUTHENTICATED', 4403],
  ['PERMGATE_ERR_AUTH_NOT_CONFIGURED', 401, 'UNAUTHENTICATED', 4403],
  ['PERMGATE_ERR_FORBIDDEN', 403, 'FORBIDDEN', undefined],
  ['PERMGATE_ERR_IP_DENIED', 403, 'FORBIDDEN', undefined],
  ['PERMGATE_ERR_NO_ROUTE', 403, 'FORBIDDEN', undefined],
  ['PERMGATE_ERR_ROUTE_SECRET', 401, 'UNAUTHENTICATED', undefined],
  ['PERMGATE_ERR_METHOD_NOT_ALLOWED', 405, 'METHOD_NOT_ALLOWED', undefined],
  ['PERMGATE_ERR_BODY_TOO_LARGE', 413, 'PAYLOAD_TOO_LARGE', undefined],
  ['PERMGATE_ERR_BATCH_TOO_LARGE', 413, 'PAYLOAD_TOO_LARGE', undefined],
  ['PERMGATE_ERR_UNSUPPORTED_MEDIA_TYPE', 415, 'UNSUPPORTED_MEDIA_TYPE', undefined],
  ['PERMGATE_ERR_UNSUPPORTED_ENCODING', 415, 'UNSUPPORTED_MEDIA_TYPE', undefined],
  ['PERMGATE_ERR_BAD_ENCODING', 400, 'BAD_REQUEST', undefined],
  ['PERMGATE_ERR_REQUEST_ABORTED', 400, 'BAD_REQUEST', undefined],
  ['PERMGATE_ERR_WEBSOCKET_PROTOCOL', 400, 'BAD_REQUEST', undefined],
  ['PERMGATE_ERR_WEBSOCKET_PATH', 404, 'NOT_FOUND', undefined],
  ['PERMGATE_ERR_WEBSOCKET_ORIGIN', 403, 'FORBIDDEN', undefined],
  ['PERMGATE_ERR_WEBSOCKET_MESSAGE', 400, 'BAD_REQUEST', 4400],
  ['PERMGATE_ERR_WEBSOCKET_UNAUTHENTICATED', 401, 'UNAUTHENTICATED', 4403],
  ['PERMGATE_ERR_WEBSOCKET_NOT_ACKNOWLEDGED', 401, 'UNAUTHENTICATED', 4401],
  ['PERMGATE_ERR_WEBSOCKET_INIT_TIMEOUT', 408, 'REQUEST_TIMEOUT', 4408],
  ['PERMGATE_ERR_WEBSOCKET_DUPLICATE_ID', 409, 'CONFLICT', 4409],
  ['PERMGATE_ERR_WEBSOCKET_DUPLICATE_INIT', 429, 'TOO_MANY_REQUESTS', 4429],
  ['PERMGATE_ERR_WEBSOCKET_TOO_MANY_SUBSCRIPTIONS', 429, 'TOO_MANY_REQUESTS', undefined],
  ['PERMGATE_ERR_WEBSOCKET_TOO_MUCH_HELD', 429, 'TOO_MANY_REQUESTS', undefined],
  ['PERMGATE_ERR_WEBSOCKET_TOO_MANY_CONNECTIONS', 503, 'SERVICE_UNAVAILABLE', undefined],
  ['PERMGATE_ERR_WEBSOCKET_REVOKED', 403, 'FORBIDDEN', 4403],
  ['PERMGATE_ERR_WEBSOCKET_LIFETIME', 403, 'FORBIDDEN', 4403],
  ['PERMGATE_ERR_UPSTREAM_UNAVAILABLE', 502, 'BAD_GATEWAY', 1011],
  ['PERMGATE_ERR_UPSTREAM_TLS', 502, 'BAD_GATEWAY', 1011],
  ['PERMGATE_ERR_UPSTREAM_TIMEOUT', 504, 'GATEWAY_TIMEOUT', 1011],
  ['PERMGATE_ERR_FORWARDING', 500, 'INTERNAL_SERVER_ERROR', undefined],
  ['PERMGATE_ERR_INTERNAL', 500, 'INTERNAL_SERVER_ERROR', 1011],
  ['PERMGATE_ERR_CLI_USAGE', undefined, undefined, undefined],
]

describe('error registry', () => {
  it.each(Object.entries(ERRORS))('%s: key equals its code, which has a one-line description', (key, entry) => {
    expect(entry.code).toBe(key)
    expect(key).toMatch(/^PERMGATE_ERR_[A-Z_]+$/)
    expect(entry.description).toMatch(/^\S.*\S$/)
    expect(entry.description).not.toContain('\n')
  })

  it.each(Object.values(ERRORS))('$code: a GraphQL code exactly where there is a status', (entry) => {
    if (entry.status === undefined) expect(entry.graphqlCode).toBeUndefined()
    else expect(entry.graphqlCode).toMatch(/^[A-Z_]+$/)
  })

  it('every code answers as the table says: status, GraphQL code, WebSocket close code', () => {
    const actual = Object.values(ERRORS).map((e) => [e.code, e.status, e.graphqlCode, e.closeCode])
    expect(actual).toEqual(WIRE)
  })

  it('one GraphQL code per status, whatever the error', () => {
    const byStatus = new Map<number, Set<string | undefined>>()
    for (const e of Object.values(ERRORS)) if (e.status !== undefined) byStatus.set(e.status, (byStatus.get(e.status) ?? new Set()).add(e.graphqlCode))
    for (const [status, codes] of byStatus) expect([...codes], `status ${status}`).toHaveLength(1)
  })

  it('a close code is one of the relay\'s, and only an error that can reach a client has one', () => {
    const known = new Set<number>(Object.values(CLOSE))
    for (const e of Object.values(ERRORS)) {
      if (e.closeCode === undefined) continue
      expect(known.has(e.closeCode), e.code).toBe(true)
      expect(e.status, e.code).not.toBeUndefined()
    }
  })

  it('closeCodeOf reads the registry; a code with no close code of its own closes as an internal error', () => {
    expect(closeCodeOf('PERMGATE_ERR_WEBSOCKET_DUPLICATE_ID')).toBe(4409)
    expect(closeCodeOf('PERMGATE_ERR_AUTH_TOKEN_EXPIRED')).toBe(4403)
    expect(closeCodeOf('PERMGATE_ERR_JSON_TOO_DEEP')).toBe(4400)
    expect(closeCodeOf('PERMGATE_ERR_REQUEST_SHAPE')).toBe(CLOSE.INTERNAL)
  })

  it('carries code, status and place', () => {
    const e = new PermgateError('PERMGATE_ERR_GRAPHQL_SYNTAX', 'bad', { file: 'a.yaml', line: 3, path: 'roles.X' })
    expect(e.code).toBe('PERMGATE_ERR_GRAPHQL_SYNTAX')
    expect(e.status).toBe(400)
    expect(e.message).toBe('a.yaml:3 (roles.X): bad')
  })
})

describe('warning registry', () => {
  it.each(Object.entries(WARNINGS))('%s: key equals its code, which has a one-line description', (key, entry) => {
    expect(entry.code).toBe(key)
    expect(key).toMatch(/^PERMGATE_WARN_[A-Z_]+$/)
    expect(entry.description).toMatch(/^\S.*\S$/)
    expect(entry.description).not.toContain('\n')
  })
})

describe('codes named outside the registries', () => {
  const root = fileURLToPath(new URL('../../', import.meta.url))
  const sources = (dir: string): string[] =>
    readdirSync(dir).flatMap((n) => (statSync(join(dir, n)).isDirectory() ? sources(join(dir, n)) : n.endsWith('.ts') ? [join(dir, n)] : []))

  // a code written as a plain string (a log line's `warning` field, a comparison, the README) is
  // not checked by the compiler: a misspelt one would never match what is emitted
  it('every PERMGATE_ERR_* and PERMGATE_WARN_* code in src/ and the README is a registry key', () => {
    const known = new Set<string>([...Object.keys(ERRORS), ...Object.keys(WARNINGS)])
    const unknown: string[] = []
    for (const file of [...sources(join(root, 'src')), join(root, 'README.md')]) {
      for (const m of readFileSync(file, 'utf8').matchAll(/PERMGATE_(?:ERR|WARN)_[A-Z][A-Z0-9_]*/g)) {
        if (!known.has(m[0])) unknown.push(`${file.slice(root.length)}: ${m[0]}`)
      }
    }
    expect(unknown).toEqual([])
  })
})
