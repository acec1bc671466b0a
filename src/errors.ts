/**
 * The one registry of permgate's coded errors.
 *
 * Code matches on `.code`, never on the message. Each entry carries the HTTP status the
 * proxy answers with when the error reaches a client (`undefined` for errors that only
 * happen while loading configuration or policies).
 */
export const ERRORS = {
  // --- policy loading and validation --------------------------------------------------
  PERMGATE_ERR_POLICY_NOT_FOUND: { code: 'PERMGATE_ERR_POLICY_NOT_FOUND', status: undefined },
  PERMGATE_ERR_POLICY_YAML: { code: 'PERMGATE_ERR_POLICY_YAML', status: undefined },
  PERMGATE_ERR_POLICY_SHAPE: { code: 'PERMGATE_ERR_POLICY_SHAPE', status: undefined },
  PERMGATE_ERR_POLICY_PERMISSION_NAME: { code: 'PERMGATE_ERR_POLICY_PERMISSION_NAME', status: undefined },
  PERMGATE_ERR_POLICY_UNKNOWN_PERMISSION: { code: 'PERMGATE_ERR_POLICY_UNKNOWN_PERMISSION', status: undefined },
  PERMGATE_ERR_POLICY_UNKNOWN_ROLE: { code: 'PERMGATE_ERR_POLICY_UNKNOWN_ROLE', status: undefined },
  PERMGATE_ERR_POLICY_INHERITANCE_CYCLE: { code: 'PERMGATE_ERR_POLICY_INHERITANCE_CYCLE', status: undefined },
  PERMGATE_ERR_POLICY_DUPLICATE_ROLE: { code: 'PERMGATE_ERR_POLICY_DUPLICATE_ROLE', status: undefined },
  PERMGATE_ERR_POLICY_DUPLICATE_RULE: { code: 'PERMGATE_ERR_POLICY_DUPLICATE_RULE', status: undefined },
  PERMGATE_ERR_POLICY_RULE: { code: 'PERMGATE_ERR_POLICY_RULE', status: undefined },
  PERMGATE_ERR_POLICY_CONDITION: { code: 'PERMGATE_ERR_POLICY_CONDITION', status: undefined },
  PERMGATE_ERR_POLICY_SCHEMA: { code: 'PERMGATE_ERR_POLICY_SCHEMA', status: undefined },
  PERMGATE_ERR_POLICY_UNMAPPED_FIELD: { code: 'PERMGATE_ERR_POLICY_UNMAPPED_FIELD', status: undefined },
  // --- bindings ------------------------------------------------------------------------
  PERMGATE_ERR_BINDINGS_NOT_FOUND: { code: 'PERMGATE_ERR_BINDINGS_NOT_FOUND', status: undefined },
  PERMGATE_ERR_BINDINGS_SHAPE: { code: 'PERMGATE_ERR_BINDINGS_SHAPE', status: undefined },
  PERMGATE_ERR_BINDINGS_UNKNOWN_ROLE: { code: 'PERMGATE_ERR_BINDINGS_UNKNOWN_ROLE', status: undefined },
  /** The bindings database cannot answer and the cached bindings are too stale: fail closed. */
  PERMGATE_ERR_BINDINGS_UNAVAILABLE: { code: 'PERMGATE_ERR_BINDINGS_UNAVAILABLE', status: 503 },
  PERMGATE_ERR_BINDINGS_DATABASE: { code: 'PERMGATE_ERR_BINDINGS_DATABASE', status: undefined },
  // --- GraphQL request and operation extraction ---------------------------------------
  PERMGATE_ERR_REQUEST_SHAPE: { code: 'PERMGATE_ERR_REQUEST_SHAPE', status: 400 },
  /** A client JSON document nested deeper than maxJsonDepth (refused before it is parsed). */
  PERMGATE_ERR_JSON_TOO_DEEP: { code: 'PERMGATE_ERR_JSON_TOO_DEEP', status: 400 },
  PERMGATE_ERR_GRAPHQL_SYNTAX: { code: 'PERMGATE_ERR_GRAPHQL_SYNTAX', status: 400 },
  PERMGATE_ERR_GRAPHQL_TOO_MANY_TOKENS: { code: 'PERMGATE_ERR_GRAPHQL_TOO_MANY_TOKENS', status: 400 },
  PERMGATE_ERR_GRAPHQL_TOO_DEEP: { code: 'PERMGATE_ERR_GRAPHQL_TOO_DEEP', status: 400 },
  PERMGATE_ERR_GRAPHQL_TOO_MANY_ALIASES: { code: 'PERMGATE_ERR_GRAPHQL_TOO_MANY_ALIASES', status: 400 },
  PERMGATE_ERR_GRAPHQL_TOO_MANY_ROOT_FIELDS: { code: 'PERMGATE_ERR_GRAPHQL_TOO_MANY_ROOT_FIELDS', status: 400 },
  PERMGATE_ERR_GRAPHQL_NO_OPERATION: { code: 'PERMGATE_ERR_GRAPHQL_NO_OPERATION', status: 400 },
  PERMGATE_ERR_GRAPHQL_OPERATION_NAME_REQUIRED: { code: 'PERMGATE_ERR_GRAPHQL_OPERATION_NAME_REQUIRED', status: 400 },
  PERMGATE_ERR_GRAPHQL_UNKNOWN_OPERATION: { code: 'PERMGATE_ERR_GRAPHQL_UNKNOWN_OPERATION', status: 400 },
  PERMGATE_ERR_GRAPHQL_UNKNOWN_FRAGMENT: { code: 'PERMGATE_ERR_GRAPHQL_UNKNOWN_FRAGMENT', status: 400 },
  PERMGATE_ERR_GRAPHQL_FRAGMENT_CYCLE: { code: 'PERMGATE_ERR_GRAPHQL_FRAGMENT_CYCLE', status: 400 },
  PERMGATE_ERR_GRAPHQL_FRAGMENT_TYPE: { code: 'PERMGATE_ERR_GRAPHQL_FRAGMENT_TYPE', status: 400 },
  PERMGATE_ERR_GRAPHQL_UNDECLARED_VARIABLE: { code: 'PERMGATE_ERR_GRAPHQL_UNDECLARED_VARIABLE', status: 400 },
  PERMGATE_ERR_GRAPHQL_VARIABLES: { code: 'PERMGATE_ERR_GRAPHQL_VARIABLES', status: 400 },
  PERMGATE_ERR_GRAPHQL_NOT_EXECUTABLE: { code: 'PERMGATE_ERR_GRAPHQL_NOT_EXECUTABLE', status: 400 },
  PERMGATE_ERR_GRAPHQL_DUPLICATE_NAME: { code: 'PERMGATE_ERR_GRAPHQL_DUPLICATE_NAME', status: 400 },
  // --- configuration (permgate serve) -------------------------------------------------
  PERMGATE_ERR_CONFIG_UNKNOWN_KEY: { code: 'PERMGATE_ERR_CONFIG_UNKNOWN_KEY', status: undefined },
  PERMGATE_ERR_CONFIG_INVALID: { code: 'PERMGATE_ERR_CONFIG_INVALID', status: undefined },
  PERMGATE_ERR_CONFIG_CONTRADICTION: { code: 'PERMGATE_ERR_CONFIG_CONTRADICTION', status: undefined },
  PERMGATE_ERR_CONFIG_MISSING: { code: 'PERMGATE_ERR_CONFIG_MISSING', status: undefined },
  PERMGATE_ERR_CONFIG_FILE: { code: 'PERMGATE_ERR_CONFIG_FILE', status: undefined },
  // --- identity: a credential presented but not valid is 401, even for public fields ----
  PERMGATE_ERR_AUTH_TOKEN_INVALID: { code: 'PERMGATE_ERR_AUTH_TOKEN_INVALID', status: 401 },
  PERMGATE_ERR_AUTH_TOKEN_EXPIRED: { code: 'PERMGATE_ERR_AUTH_TOKEN_EXPIRED', status: 401 },
  PERMGATE_ERR_AUTH_TOKEN_NOT_YET_VALID: { code: 'PERMGATE_ERR_AUTH_TOKEN_NOT_YET_VALID', status: 401 },
  PERMGATE_ERR_AUTH_TOKEN_ALGORITHM: { code: 'PERMGATE_ERR_AUTH_TOKEN_ALGORITHM', status: 401 },
  PERMGATE_ERR_AUTH_TOKEN_CLAIMS: { code: 'PERMGATE_ERR_AUTH_TOKEN_CLAIMS', status: 401 },
  PERMGATE_ERR_AUTH_TOKEN_TOO_LARGE: { code: 'PERMGATE_ERR_AUTH_TOKEN_TOO_LARGE', status: 401 },
  PERMGATE_ERR_AUTH_NO_KEY: { code: 'PERMGATE_ERR_AUTH_NO_KEY', status: 401 },
  PERMGATE_ERR_AUTH_UNKNOWN_API_KEY: { code: 'PERMGATE_ERR_AUTH_UNKNOWN_API_KEY', status: 401 },
  PERMGATE_ERR_AUTH_NOT_CONFIGURED: { code: 'PERMGATE_ERR_AUTH_NOT_CONFIGURED', status: 401 },
  // --- HTTP ingress and egress ----------------------------------------------------------
  PERMGATE_ERR_FORBIDDEN: { code: 'PERMGATE_ERR_FORBIDDEN', status: 403 },
  PERMGATE_ERR_IP_DENIED: { code: 'PERMGATE_ERR_IP_DENIED', status: 403 },
  PERMGATE_ERR_NO_ROUTE: { code: 'PERMGATE_ERR_NO_ROUTE', status: 403 },
  PERMGATE_ERR_METHOD_NOT_ALLOWED: { code: 'PERMGATE_ERR_METHOD_NOT_ALLOWED', status: 405 },
  PERMGATE_ERR_BODY_TOO_LARGE: { code: 'PERMGATE_ERR_BODY_TOO_LARGE', status: 413 },
  PERMGATE_ERR_BATCH_TOO_LARGE: { code: 'PERMGATE_ERR_BATCH_TOO_LARGE', status: 413 },
  PERMGATE_ERR_UNSUPPORTED_MEDIA_TYPE: { code: 'PERMGATE_ERR_UNSUPPORTED_MEDIA_TYPE', status: 415 },
  PERMGATE_ERR_UNSUPPORTED_ENCODING: { code: 'PERMGATE_ERR_UNSUPPORTED_ENCODING', status: 415 },
  PERMGATE_ERR_BAD_ENCODING: { code: 'PERMGATE_ERR_BAD_ENCODING', status: 400 },
  PERMGATE_ERR_REQUEST_ABORTED: { code: 'PERMGATE_ERR_REQUEST_ABORTED', status: 400 },
  // --- GraphQL over WebSocket (graphql-transport-ws, legacy graphql-ws) ------------------
  PERMGATE_ERR_WEBSOCKET_PROTOCOL: { code: 'PERMGATE_ERR_WEBSOCKET_PROTOCOL', status: 400 },
  PERMGATE_ERR_WEBSOCKET_PATH: { code: 'PERMGATE_ERR_WEBSOCKET_PATH', status: 404 },
  PERMGATE_ERR_WEBSOCKET_MESSAGE: { code: 'PERMGATE_ERR_WEBSOCKET_MESSAGE', status: 400 },
  PERMGATE_ERR_WEBSOCKET_NOT_ACKNOWLEDGED: { code: 'PERMGATE_ERR_WEBSOCKET_NOT_ACKNOWLEDGED', status: 401 },
  PERMGATE_ERR_WEBSOCKET_INIT_TIMEOUT: { code: 'PERMGATE_ERR_WEBSOCKET_INIT_TIMEOUT', status: 408 },
  PERMGATE_ERR_WEBSOCKET_DUPLICATE_ID: { code: 'PERMGATE_ERR_WEBSOCKET_DUPLICATE_ID', status: 409 },
  PERMGATE_ERR_WEBSOCKET_DUPLICATE_INIT: { code: 'PERMGATE_ERR_WEBSOCKET_DUPLICATE_INIT', status: 429 },
  PERMGATE_ERR_WEBSOCKET_TOO_MANY_SUBSCRIPTIONS: { code: 'PERMGATE_ERR_WEBSOCKET_TOO_MANY_SUBSCRIPTIONS', status: 429 },
  /** Operations on one socket would hold more than wsMaxSocketBytes (their ids, documents and variables). */
  PERMGATE_ERR_WEBSOCKET_TOO_MUCH_HELD: { code: 'PERMGATE_ERR_WEBSOCKET_TOO_MUCH_HELD', status: 429 },
  /** wsMaxConnections sockets are open: the upgrade is refused. */
  PERMGATE_ERR_WEBSOCKET_TOO_MANY_CONNECTIONS: { code: 'PERMGATE_ERR_WEBSOCKET_TOO_MANY_CONNECTIONS', status: 503 },
  /** An open socket's credential no longer resolves (key deleted, subject removed) or its lifetime ended. */
  PERMGATE_ERR_WEBSOCKET_REVOKED: { code: 'PERMGATE_ERR_WEBSOCKET_REVOKED', status: 403 },
  PERMGATE_ERR_WEBSOCKET_LIFETIME: { code: 'PERMGATE_ERR_WEBSOCKET_LIFETIME', status: 403 },
  PERMGATE_ERR_UPSTREAM_UNAVAILABLE: { code: 'PERMGATE_ERR_UPSTREAM_UNAVAILABLE', status: 502 },
  /** The upstream's TLS certificate was refused (untrusted issuer, wrong name, expired), or its TLS handshake failed. */
  PERMGATE_ERR_UPSTREAM_TLS: { code: 'PERMGATE_ERR_UPSTREAM_TLS', status: 502 },
  PERMGATE_ERR_UPSTREAM_TIMEOUT: { code: 'PERMGATE_ERR_UPSTREAM_TIMEOUT', status: 504 },
  /** permgate's HTTP client refused to send the request (a header it cannot forward): a local fault, not the upstream's. */
  PERMGATE_ERR_FORWARDING: { code: 'PERMGATE_ERR_FORWARDING', status: 500 },
  // --- the decision path itself: an error there is a deny ----------------------------
  PERMGATE_ERR_INTERNAL: { code: 'PERMGATE_ERR_INTERNAL', status: 500 },
  // --- CLI -----------------------------------------------------------------------------
  PERMGATE_ERR_CLI_USAGE: { code: 'PERMGATE_ERR_CLI_USAGE', status: undefined },
} as const satisfies Record<string, { code: string; status: number | undefined }>

export type ErrorCode = keyof typeof ERRORS

/** Where in a file an error was found. */
export interface ErrorPlace {
  file?: string
  line?: number
  /** A path inside the document, e.g. `roles.SYSTEM_EDITOR.permissions`. */
  path?: string
}

export class PermgateError extends Error {
  readonly code: ErrorCode
  readonly status: number | undefined
  readonly place: ErrorPlace | undefined

  constructor(code: ErrorCode, message: string, place?: ErrorPlace) {
    super(place ? `${formatPlace(place)}: ${message}` : message)
    this.name = 'PermgateError'
    this.code = code
    this.status = ERRORS[code].status
    this.place = place
  }
}

export function formatPlace(place: ErrorPlace): string {
  let s = place.file ?? '<input>'
  if (place.line !== undefined) s += `:${place.line}`
  if (place.path !== undefined) s += ` (${place.path})`
  return s
}

export function isPermgateError(e: unknown): e is PermgateError {
  return e instanceof PermgateError
}

/** A problem that does not stop a policy from loading, reported by `permgate check`. */
export interface Warning {
  code: string
  message: string
  place?: ErrorPlace
}
