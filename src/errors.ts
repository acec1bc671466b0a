import type { WarningCode } from './warnings.js'

/**
 * The one registry of permgate's coded errors, and how each one reaches a client.
 *
 * Code matches on `.code`, never on the message. Each entry says:
 * - `status`: the HTTP status of an answer (or of a refused WebSocket upgrade); `undefined` for
 *   errors that only happen while loading configuration, policies or bindings, or in the CLI.
 * - `graphqlCode`: `extensions.code` of its GraphQL error entry, over every transport (an HTTP
 *   body, a WebSocket `error` or `connection_error` message, a refused upgrade); `undefined`
 *   exactly where `status` is.
 * - `closeCode`: the WebSocket close code when the error ends a GraphQL WebSocket (graphql-ws's
 *   numbers); `undefined` for errors that never close one (over WebSocket they are an error for
 *   one operation id, a refused upgrade, or not seen at all).
 * - `description`: what it means and what to do; docs/errors.md is generated from it.
 *
 * One concept, the registry, at one or two lines an entry: hence its length.
 */
export const ERRORS = {
  // --- policy loading and validation --------------------------------------------------
  PERMGATE_ERR_POLICY_NOT_FOUND: { code: 'PERMGATE_ERR_POLICY_NOT_FOUND', status: undefined, graphqlCode: undefined, closeCode: undefined,
    description: 'A policy file (policy.yaml, a rules, conditions or overlay file, the SDL schema) cannot be read: check the path given to --policy, --overlay or in policy.yaml.' },
  PERMGATE_ERR_POLICY_YAML: { code: 'PERMGATE_ERR_POLICY_YAML', status: undefined, graphqlCode: undefined, closeCode: undefined,
    description: 'A policy, overlay or bindings file is not valid YAML, or a map gives one key twice: fix the file at the line named.' },
  PERMGATE_ERR_POLICY_SHAPE: { code: 'PERMGATE_ERR_POLICY_SHAPE', status: undefined, graphqlCode: undefined, closeCode: undefined,
    description: 'A policy document has the wrong shape (a key of the wrong type, an unknown key or scope): fix the place named.' },
  PERMGATE_ERR_POLICY_PERMISSION_NAME: { code: 'PERMGATE_ERR_POLICY_PERMISSION_NAME', status: undefined, graphqlCode: undefined, closeCode: undefined,
    description: 'A permission is not scope.entity.action of a declared scope: rename it, or list it under permissions.legacy in policy.yaml.' },
  PERMGATE_ERR_POLICY_UNKNOWN_PERMISSION: { code: 'PERMGATE_ERR_POLICY_UNKNOWN_PERMISSION', status: undefined, graphqlCode: undefined, closeCode: undefined,
    description: 'A role or rule names a permission no base role grants: fix the spelling, or declare it under permissions.declared in policy.yaml.' },
  PERMGATE_ERR_POLICY_UNKNOWN_ROLE: { code: 'PERMGATE_ERR_POLICY_UNKNOWN_ROLE', status: undefined, graphqlCode: undefined, closeCode: undefined,
    description: 'A role inherits, or syntheticRoles, cascade or roleScopes names, a role the policy does not define: define it or fix the name.' },
  PERMGATE_ERR_POLICY_INHERITANCE_CYCLE: { code: 'PERMGATE_ERR_POLICY_INHERITANCE_CYCLE', status: undefined, graphqlCode: undefined, closeCode: undefined,
    description: 'Roles inherit from each other in a cycle (the message shows it): break the cycle.' },
  PERMGATE_ERR_POLICY_DUPLICATE_ROLE: { code: 'PERMGATE_ERR_POLICY_DUPLICATE_ROLE', status: undefined, graphqlCode: undefined, closeCode: undefined,
    description: 'A role is defined twice: keep one definition.' },
  PERMGATE_ERR_POLICY_DUPLICATE_RULE: { code: 'PERMGATE_ERR_POLICY_DUPLICATE_RULE', status: undefined, graphqlCode: undefined, closeCode: undefined,
    description: 'Two operation rules cover the same root field (the message names both places): keep one.' },
  PERMGATE_ERR_POLICY_RULE: { code: 'PERMGATE_ERR_POLICY_RULE', status: undefined, graphqlCode: undefined, closeCode: undefined,
    description: 'An operation rule is malformed (not a map, an unknown key, a bad scope argument list): fix the rule named.' },
  PERMGATE_ERR_POLICY_CONDITION: { code: 'PERMGATE_ERR_POLICY_CONDITION', status: undefined, graphqlCode: undefined, closeCode: undefined,
    description: 'A condition (grants, invite, principals, ipAllow) is malformed or is on a field with no rule: fix conditions.yaml at the place named.' },
  PERMGATE_ERR_POLICY_SCHEMA: { code: 'PERMGATE_ERR_POLICY_SCHEMA', status: undefined, graphqlCode: undefined, closeCode: undefined,
    description: 'The SDL schema does not parse, or an @auth directive is malformed or scopes on an argument its field lacks: fix the schema.' },
  PERMGATE_ERR_POLICY_UNMAPPED_FIELD: { code: 'PERMGATE_ERR_POLICY_UNMAPPED_FIELD', status: undefined, graphqlCode: undefined, closeCode: undefined,
    description: 'permgate check --strict: root fields of the schema have no rule (they are denied to everyone): add rules, or drop --strict.' },
  // --- bindings ------------------------------------------------------------------------
  PERMGATE_ERR_BINDINGS_NOT_FOUND: { code: 'PERMGATE_ERR_BINDINGS_NOT_FOUND', status: undefined, graphqlCode: undefined, closeCode: undefined,
    description: 'The bindings file cannot be read: check the path given to --bindings.' },
  PERMGATE_ERR_BINDINGS_SHAPE: { code: 'PERMGATE_ERR_BINDINGS_SHAPE', status: undefined, graphqlCode: undefined, closeCode: undefined,
    description: 'The bindings file has the wrong shape (an unknown key, a binding that is not { role, workspace? | deployment? }, a release name given twice): fix the place named.' },
  PERMGATE_ERR_BINDINGS_UNKNOWN_ROLE: { code: 'PERMGATE_ERR_BINDINGS_UNKNOWN_ROLE', status: undefined, graphqlCode: undefined, closeCode: undefined,
    description: 'A binding grants a role the policy does not define: fix the role, or load the policy that defines it.' },
  PERMGATE_ERR_BINDINGS_UNAVAILABLE: { code: 'PERMGATE_ERR_BINDINGS_UNAVAILABLE', status: 503, graphqlCode: 'SERVICE_UNAVAILABLE', closeCode: 4403,
    description: 'The bindings database cannot answer and the cached bindings are too stale (bindingsMaxStalenessMs): denied, fail closed; retry once the database is back.' },
  PERMGATE_ERR_BINDINGS_DATABASE: { code: 'PERMGATE_ERR_BINDINGS_DATABASE', status: undefined, graphqlCode: undefined, closeCode: undefined,
    description: 'The bindings database cannot be used (unreachable at start, permgate tables or columns missing, a migration failed): run `permgate bindings migrate`, check the URL.' },
  // --- GraphQL request and operation extraction ---------------------------------------
  PERMGATE_ERR_REQUEST_SHAPE: { code: 'PERMGATE_ERR_REQUEST_SHAPE', status: 400, graphqlCode: 'BAD_REQUEST', closeCode: undefined,
    description: 'The request is not a GraphQL request (no query string, a field of the wrong type, a body that is not UTF-8, a malformed path): send { query, variables?, operationName?, extensions? }.' },
  PERMGATE_ERR_JSON_TOO_DEEP: { code: 'PERMGATE_ERR_JSON_TOO_DEEP', status: 400, graphqlCode: 'BAD_REQUEST', closeCode: 4400,
    description: 'A client JSON document (a body, GET variables or extensions, a WebSocket message) nests deeper than maxJsonDepth; refused before it is parsed.' },
  PERMGATE_ERR_GRAPHQL_SYNTAX: { code: 'PERMGATE_ERR_GRAPHQL_SYNTAX', status: 400, graphqlCode: 'BAD_REQUEST', closeCode: undefined,
    description: 'The query is not a valid GraphQL document: fix the syntax error the message names.' },
  PERMGATE_ERR_GRAPHQL_TOO_MANY_TOKENS: { code: 'PERMGATE_ERR_GRAPHQL_TOO_MANY_TOKENS', status: 400, graphqlCode: 'BAD_REQUEST', closeCode: undefined,
    description: 'The document has more tokens than the parser reads (parsing is work a client controls): send a smaller document.' },
  PERMGATE_ERR_GRAPHQL_TOO_DEEP: { code: 'PERMGATE_ERR_GRAPHQL_TOO_DEEP', status: 400, graphqlCode: 'BAD_REQUEST', closeCode: undefined,
    description: 'Selections nest deeper than the depth limit (or too deep to parse at all): flatten the query.' },
  PERMGATE_ERR_GRAPHQL_TOO_MANY_ALIASES: { code: 'PERMGATE_ERR_GRAPHQL_TOO_MANY_ALIASES', status: 400, graphqlCode: 'BAD_REQUEST', closeCode: undefined,
    description: 'The operation has more aliased fields than the alias limit: send fewer aliases, or several requests.' },
  PERMGATE_ERR_GRAPHQL_TOO_MANY_ROOT_FIELDS: { code: 'PERMGATE_ERR_GRAPHQL_TOO_MANY_ROOT_FIELDS', status: 400, graphqlCode: 'BAD_REQUEST', closeCode: undefined,
    description: 'The operation selects more root fields than the root-field limit: split it.' },
  PERMGATE_ERR_GRAPHQL_NO_OPERATION: { code: 'PERMGATE_ERR_GRAPHQL_NO_OPERATION', status: 400, graphqlCode: 'BAD_REQUEST', closeCode: undefined,
    description: 'The document contains no operation (only fragments): send a query, mutation or subscription.' },
  PERMGATE_ERR_GRAPHQL_OPERATION_NAME_REQUIRED: { code: 'PERMGATE_ERR_GRAPHQL_OPERATION_NAME_REQUIRED', status: 400, graphqlCode: 'BAD_REQUEST', closeCode: undefined,
    description: 'The document contains several operations and no operationName: say which one to run.' },
  PERMGATE_ERR_GRAPHQL_UNKNOWN_OPERATION: { code: 'PERMGATE_ERR_GRAPHQL_UNKNOWN_OPERATION', status: 400, graphqlCode: 'BAD_REQUEST', closeCode: undefined,
    description: 'operationName names no operation of the document: fix the name.' },
  PERMGATE_ERR_GRAPHQL_UNKNOWN_FRAGMENT: { code: 'PERMGATE_ERR_GRAPHQL_UNKNOWN_FRAGMENT', status: 400, graphqlCode: 'BAD_REQUEST', closeCode: undefined,
    description: 'A fragment spread names a fragment the document does not define: define it.' },
  PERMGATE_ERR_GRAPHQL_FRAGMENT_CYCLE: { code: 'PERMGATE_ERR_GRAPHQL_FRAGMENT_CYCLE', status: 400, graphqlCode: 'BAD_REQUEST', closeCode: undefined,
    description: 'A fragment spreads itself, directly or through others: break the cycle.' },
  PERMGATE_ERR_GRAPHQL_FRAGMENT_TYPE: { code: 'PERMGATE_ERR_GRAPHQL_FRAGMENT_TYPE', status: 400, graphqlCode: 'BAD_REQUEST', closeCode: undefined,
    description: 'A fragment on another type is spread at the root of an operation: spread it where its type applies.' },
  PERMGATE_ERR_GRAPHQL_UNDECLARED_VARIABLE: { code: 'PERMGATE_ERR_GRAPHQL_UNDECLARED_VARIABLE', status: 400, graphqlCode: 'BAD_REQUEST', closeCode: undefined,
    description: 'The operation uses a variable it does not declare: declare it in the operation\'s variable list.' },
  PERMGATE_ERR_GRAPHQL_VARIABLES: { code: 'PERMGATE_ERR_GRAPHQL_VARIABLES', status: 400, graphqlCode: 'BAD_REQUEST', closeCode: undefined,
    description: 'variables is not a JSON object (or, over GET, not JSON): send an object of variable values.' },
  PERMGATE_ERR_GRAPHQL_NOT_EXECUTABLE: { code: 'PERMGATE_ERR_GRAPHQL_NOT_EXECUTABLE', status: 400, graphqlCode: 'BAD_REQUEST', closeCode: undefined,
    description: 'The document contains a type system definition: send only operations and fragments.' },
  PERMGATE_ERR_GRAPHQL_DUPLICATE_NAME: { code: 'PERMGATE_ERR_GRAPHQL_DUPLICATE_NAME', status: 400, graphqlCode: 'BAD_REQUEST', closeCode: undefined,
    description: 'An operation, variable or argument is given twice (an ambiguity the upstream could read otherwise than permgate): give it once.' },
  // --- configuration (permgate serve) -------------------------------------------------
  PERMGATE_ERR_CONFIG_UNKNOWN_KEY: { code: 'PERMGATE_ERR_CONFIG_UNKNOWN_KEY', status: undefined, graphqlCode: undefined, closeCode: undefined,
    description: 'The configuration has a key permgate does not know (misspelt, or from another version): fix or remove it.' },
  PERMGATE_ERR_CONFIG_INVALID: { code: 'PERMGATE_ERR_CONFIG_INVALID', status: undefined, graphqlCode: undefined, closeCode: undefined,
    description: 'A configuration value is of the wrong type or out of its range: fix the key named.' },
  PERMGATE_ERR_CONFIG_CONTRADICTION: { code: 'PERMGATE_ERR_CONFIG_CONTRADICTION', status: undefined, graphqlCode: undefined, closeCode: undefined,
    description: 'Two configuration keys contradict each other, or a key cannot do what another asks (a JWT key that cannot verify the allowed algorithms): drop one.' },
  PERMGATE_ERR_CONFIG_MISSING: { code: 'PERMGATE_ERR_CONFIG_MISSING', status: undefined, graphqlCode: undefined, closeCode: undefined,
    description: 'A required configuration key is not given (policy, bindings, upstream, a JWT key source): give it as a flag or in --config.' },
  PERMGATE_ERR_CONFIG_FILE: { code: 'PERMGATE_ERR_CONFIG_FILE', status: undefined, graphqlCode: undefined, closeCode: undefined,
    description: 'The config file, or a file a key names (a key, a CA bundle, a token file), cannot be read or is not a map: check the path.' },
  // --- identity: a credential presented but not valid is 401, even for public fields ----
  PERMGATE_ERR_AUTH_TOKEN_INVALID: { code: 'PERMGATE_ERR_AUTH_TOKEN_INVALID', status: 401, graphqlCode: 'UNAUTHENTICATED', closeCode: 4403,
    description: 'The token is malformed, not canonical base64url, or its signature does not verify (or connection_init carries two different credentials): send a valid token.' },
  PERMGATE_ERR_AUTH_TOKEN_EXPIRED: { code: 'PERMGATE_ERR_AUTH_TOKEN_EXPIRED', status: 401, graphqlCode: 'UNAUTHENTICATED', closeCode: 4403,
    description: 'The token has expired (exp, beyond jwtClockToleranceSec), also when it expires on an open WebSocket: get a fresh token and reconnect.' },
  PERMGATE_ERR_AUTH_TOKEN_NOT_YET_VALID: { code: 'PERMGATE_ERR_AUTH_TOKEN_NOT_YET_VALID', status: 401, graphqlCode: 'UNAUTHENTICATED', closeCode: 4403,
    description: 'The token is not valid yet (nbf): check the clocks of the issuer and of permgate.' },
  PERMGATE_ERR_AUTH_TOKEN_ALGORITHM: { code: 'PERMGATE_ERR_AUTH_TOKEN_ALGORITHM', status: 401, graphqlCode: 'UNAUTHENTICATED', closeCode: 4403,
    description: 'The token is signed with an algorithm outside jwtAlgorithms (never taken from the token), or one the key cannot verify: sign with an allowed one.' },
  PERMGATE_ERR_AUTH_TOKEN_CLAIMS: { code: 'PERMGATE_ERR_AUTH_TOKEN_CLAIMS', status: 401, graphqlCode: 'UNAUTHENTICATED', closeCode: 4403,
    description: 'A claim is missing or not what is expected (iss, aud, the subject claim, a subject id that cannot be forwarded): check jwtIssuer, jwtAudience, jwtSubjectClaim.' },
  PERMGATE_ERR_AUTH_TOKEN_TOO_LARGE: { code: 'PERMGATE_ERR_AUTH_TOKEN_TOO_LARGE', status: 401, graphqlCode: 'UNAUTHENTICATED', closeCode: 4403,
    description: 'The token is longer than permgate reads before verifying it: send a smaller token.' },
  PERMGATE_ERR_AUTH_NO_KEY: { code: 'PERMGATE_ERR_AUTH_NO_KEY', status: 401, graphqlCode: 'UNAUTHENTICATED', closeCode: 4403,
    description: 'No key verifies the token (an unknown kid, or the JWK set could not be fetched): check jwksUrl and the issuer\'s keys.' },
  PERMGATE_ERR_AUTH_UNKNOWN_API_KEY: { code: 'PERMGATE_ERR_AUTH_UNKNOWN_API_KEY', status: 401, graphqlCode: 'UNAUTHENTICATED', closeCode: 4403,
    description: 'The API key matches no service account (unknown, or deleted: an open WebSocket using it is closed): use a current key.' },
  PERMGATE_ERR_AUTH_NOT_CONFIGURED: { code: 'PERMGATE_ERR_AUTH_NOT_CONFIGURED', status: 401, graphqlCode: 'UNAUTHENTICATED', closeCode: 4403,
    description: 'A JWT was presented but no JWT verification is configured: configure a jwt key source, or send an API key or no credential.' },
  // --- HTTP ingress and egress ----------------------------------------------------------
  PERMGATE_ERR_FORBIDDEN: { code: 'PERMGATE_ERR_FORBIDDEN', status: 403, graphqlCode: 'FORBIDDEN', closeCode: undefined,
    description: 'A route rule denies the caller (a principal kind it is not open to, a permission it lacks): grant the permission, or call as an allowed principal.' },
  PERMGATE_ERR_IP_DENIED: { code: 'PERMGATE_ERR_IP_DENIED', status: 403, graphqlCode: 'FORBIDDEN', closeCode: undefined,
    description: 'The client\'s address is outside the policy\'s ipAllow ranges (behind a proxy: list it in trustedProxies so X-Forwarded-For is believed).' },
  PERMGATE_ERR_NO_ROUTE: { code: 'PERMGATE_ERR_NO_ROUTE', status: 403, graphqlCode: 'FORBIDDEN', closeCode: undefined,
    description: 'No route rule allows this method and path (a path without a rule is denied): add a route rule.' },
  PERMGATE_ERR_ROUTE_SECRET: { code: 'PERMGATE_ERR_ROUTE_SECRET', status: 401, graphqlCode: 'UNAUTHENTICATED', closeCode: undefined,
    description: 'A route rule with a shared secret (a webhook) was called without exactly that secret in its header: send the secret the rule\'s secret.file holds.' },
  PERMGATE_ERR_METHOD_NOT_ALLOWED: { code: 'PERMGATE_ERR_METHOD_NOT_ALLOWED', status: 405, graphqlCode: 'METHOD_NOT_ALLOWED', closeCode: undefined,
    description: 'A mutation (or subscription) over GET, or a method other than GET and POST on the GraphQL path: use POST.' },
  PERMGATE_ERR_BODY_TOO_LARGE: { code: 'PERMGATE_ERR_BODY_TOO_LARGE', status: 413, graphqlCode: 'PAYLOAD_TOO_LARGE', closeCode: undefined,
    description: 'The request body, after decompression, is larger than maxBodyBytes: send less, or raise the limit.' },
  PERMGATE_ERR_BATCH_TOO_LARGE: { code: 'PERMGATE_ERR_BATCH_TOO_LARGE', status: 413, graphqlCode: 'PAYLOAD_TOO_LARGE', closeCode: undefined,
    description: 'A batched request holds more operations than maxBatchSize: send smaller batches.' },
  PERMGATE_ERR_UNSUPPORTED_MEDIA_TYPE: { code: 'PERMGATE_ERR_UNSUPPORTED_MEDIA_TYPE', status: 415, graphqlCode: 'UNSUPPORTED_MEDIA_TYPE', closeCode: undefined,
    description: 'Content-Type is not application/json, or its charset is not UTF-8: send application/json.' },
  PERMGATE_ERR_UNSUPPORTED_ENCODING: { code: 'PERMGATE_ERR_UNSUPPORTED_ENCODING', status: 415, graphqlCode: 'UNSUPPORTED_MEDIA_TYPE', closeCode: undefined,
    description: 'Content-Encoding is not gzip, deflate, br or none: send one of those.' },
  PERMGATE_ERR_BAD_ENCODING: { code: 'PERMGATE_ERR_BAD_ENCODING', status: 400, graphqlCode: 'BAD_REQUEST', closeCode: undefined,
    description: 'The body is not valid in its Content-Encoding (a corrupt gzip, deflate or br stream): send it encoded correctly.' },
  PERMGATE_ERR_REQUEST_ABORTED: { code: 'PERMGATE_ERR_REQUEST_ABORTED', status: 400, graphqlCode: 'BAD_REQUEST', closeCode: undefined,
    description: 'The client closed the connection before its request was complete; nothing was forwarded.' },
  // --- GraphQL over WebSocket (graphql-transport-ws, legacy graphql-ws) ------------------
  PERMGATE_ERR_WEBSOCKET_PROTOCOL: { code: 'PERMGATE_ERR_WEBSOCKET_PROTOCOL', status: 400, graphqlCode: 'BAD_REQUEST', closeCode: undefined,
    description: 'A WebSocket upgrade asks for neither subprotocol graphql-transport-ws nor graphql-ws: the upgrade is refused; ask for one.' },
  PERMGATE_ERR_WEBSOCKET_PATH: { code: 'PERMGATE_ERR_WEBSOCKET_PATH', status: 404, graphqlCode: 'NOT_FOUND', closeCode: undefined,
    description: 'A WebSocket upgrade on a path other than graphqlPath: the upgrade is refused; connect to the GraphQL path.' },
  PERMGATE_ERR_WEBSOCKET_ORIGIN: { code: 'PERMGATE_ERR_WEBSOCKET_ORIGIN', status: 403, graphqlCode: 'FORBIDDEN', closeCode: undefined,
    description: 'With a cors section, a WebSocket upgrade whose Origin it does not allow (a page on another site, which the browser sends the cookies of): the upgrade is refused.' },
  PERMGATE_ERR_WEBSOCKET_MESSAGE: { code: 'PERMGATE_ERR_WEBSOCKET_MESSAGE', status: 400, graphqlCode: 'BAD_REQUEST', closeCode: 4400,
    description: 'A WebSocket message is not JSON, not an object, binary, of an unknown or unexpected type, or malformed (an id over 256 characters, a subscribe payload that is not an operation).' },
  PERMGATE_ERR_WEBSOCKET_UNAUTHENTICATED: { code: 'PERMGATE_ERR_WEBSOCKET_UNAUTHENTICATED', status: 401, graphqlCode: 'UNAUTHENTICATED', closeCode: 4403,
    description: 'With wsRequireCredential, a connection_init (and its upgrade request) carried no credential: the socket is closed, as Houston closes it; send a token in the payload.' },
  PERMGATE_ERR_WEBSOCKET_NOT_ACKNOWLEDGED: { code: 'PERMGATE_ERR_WEBSOCKET_NOT_ACKNOWLEDGED', status: 401, graphqlCode: 'UNAUTHENTICATED', closeCode: 4401,
    description: 'A subscribe (start) before connection_init, or before its connection_ack: send connection_init and wait for the ack.' },
  PERMGATE_ERR_WEBSOCKET_INIT_TIMEOUT: { code: 'PERMGATE_ERR_WEBSOCKET_INIT_TIMEOUT', status: 408, graphqlCode: 'REQUEST_TIMEOUT', closeCode: 4408,
    description: 'No connection_init was sent and acknowledged within the init timeout (5 s by default): send connection_init first.' },
  PERMGATE_ERR_WEBSOCKET_DUPLICATE_ID: { code: 'PERMGATE_ERR_WEBSOCKET_DUPLICATE_ID', status: 409, graphqlCode: 'CONFLICT', closeCode: 4409,
    description: 'A subscribe (start) whose id is already running on the socket: use a new id per operation.' },
  PERMGATE_ERR_WEBSOCKET_DUPLICATE_INIT: { code: 'PERMGATE_ERR_WEBSOCKET_DUPLICATE_INIT', status: 429, graphqlCode: 'TOO_MANY_REQUESTS', closeCode: 4429,
    description: 'A second connection_init on one socket: send it once.' },
  PERMGATE_ERR_WEBSOCKET_TOO_MANY_SUBSCRIPTIONS: { code: 'PERMGATE_ERR_WEBSOCKET_TOO_MANY_SUBSCRIPTIONS', status: 429, graphqlCode: 'TOO_MANY_REQUESTS', closeCode: undefined,
    description: 'One more operation than may run at once on one socket (100 by default): an error for its id; stop some, or open another socket.' },
  PERMGATE_ERR_WEBSOCKET_TOO_MUCH_HELD: { code: 'PERMGATE_ERR_WEBSOCKET_TOO_MUCH_HELD', status: 429, graphqlCode: 'TOO_MANY_REQUESTS', closeCode: undefined,
    description: 'The operations on one socket would hold more than wsMaxSocketBytes (their ids, documents and variables): an error for its id; stop some.' },
  PERMGATE_ERR_WEBSOCKET_TOO_MANY_CONNECTIONS: { code: 'PERMGATE_ERR_WEBSOCKET_TOO_MANY_CONNECTIONS', status: 503, graphqlCode: 'SERVICE_UNAVAILABLE', closeCode: undefined,
    description: 'wsMaxConnections WebSockets are open: the upgrade is refused; try again later.' },
  PERMGATE_ERR_WEBSOCKET_REVOKED: { code: 'PERMGATE_ERR_WEBSOCKET_REVOKED', status: 403, graphqlCode: 'FORBIDDEN', closeCode: 4403,
    description: 'An open socket\'s credential no longer resolves after a policy or bindings change (key deleted, subject removed): reconnect with a valid credential.' },
  PERMGATE_ERR_WEBSOCKET_LIFETIME: { code: 'PERMGATE_ERR_WEBSOCKET_LIFETIME', status: 403, graphqlCode: 'FORBIDDEN', closeCode: 4403,
    description: 'The socket was open for wsMaxLifetimeMs since it was authenticated: reconnect (graphql-ws clients do, and are authenticated again).' },
  PERMGATE_ERR_UPSTREAM_UNAVAILABLE: { code: 'PERMGATE_ERR_UPSTREAM_UNAVAILABLE', status: 502, graphqlCode: 'BAD_GATEWAY', closeCode: 1011,
    description: 'The upstream could not be reached, closed the connection or answered connection_init with something else than connection_ack: check the upstream.' },
  PERMGATE_ERR_UPSTREAM_TLS: { code: 'PERMGATE_ERR_UPSTREAM_TLS', status: 502, graphqlCode: 'BAD_GATEWAY', closeCode: 1011,
    description: 'The upstream\'s TLS certificate was refused (untrusted issuer, wrong name, expired) or its TLS handshake failed: check upstreamCaFile and upstreamServerName.' },
  PERMGATE_ERR_UPSTREAM_TIMEOUT: { code: 'PERMGATE_ERR_UPSTREAM_TIMEOUT', status: 504, graphqlCode: 'GATEWAY_TIMEOUT', closeCode: 1011,
    description: 'The upstream did not answer within upstreamTimeoutMs: check the upstream, or raise the timeout.' },
  PERMGATE_ERR_FORWARDING: { code: 'PERMGATE_ERR_FORWARDING', status: 500, graphqlCode: 'INTERNAL_SERVER_ERROR', closeCode: undefined,
    description: 'permgate\'s HTTP client refused to send the request (a header it cannot forward): a local fault, not the upstream\'s; the upstream was not contacted.' },
  // --- the decision path itself: an error there is a deny ----------------------------
  PERMGATE_ERR_INTERNAL: { code: 'PERMGATE_ERR_INTERNAL', status: 500, graphqlCode: 'INTERNAL_SERVER_ERROR', closeCode: 1011,
    description: 'An unexpected error in the decision path: denied (fail closed); the client reads a generic message, the log the error.' },
  // --- CLI -----------------------------------------------------------------------------
  PERMGATE_ERR_CLI_USAGE: { code: 'PERMGATE_ERR_CLI_USAGE', status: undefined, graphqlCode: undefined, closeCode: undefined,
    description: 'The command line is wrong (an unknown command or flag, a missing argument): see the usage printed with it.' },
} as const satisfies Record<string, ErrorSpec>

/** One entry of {@link ERRORS}. */
export interface ErrorSpec {
  readonly code: string
  /** HTTP status of an answer; undefined: never answered to a client. */
  readonly status: number | undefined
  /** `extensions.code` of its GraphQL error entry; undefined exactly where `status` is. */
  readonly graphqlCode: string | undefined
  /** WebSocket close code when it ends a GraphQL WebSocket; undefined: it never does. */
  readonly closeCode: number | undefined
  /** What it means and what to do, in one line. */
  readonly description: string
}

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
  code: WarningCode
  message: string
  place?: ErrorPlace
}
