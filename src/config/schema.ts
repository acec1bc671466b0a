
import type { CidrList } from './cidr.js'

// The defaults and the key -> flag map live in the table of keys (keys.ts); named here too for
// the code and tests that import them with the schema.
export {
  CONFIG_KEYS, DEFAULT_ADMIN_PORT, DEFAULT_API_KEY_LENGTH, DEFAULT_BINDINGS_CACHE_TTL_MS, DEFAULT_BINDINGS_MAX_STALENESS_MS,
  DEFAULT_GRAPHQL_PATH, DEFAULT_HOST, DEFAULT_MAX_BATCH_SIZE, DEFAULT_MAX_BODY_BYTES, DEFAULT_MAX_JSON_DEPTH, DEFAULT_PORT,
  DEFAULT_REQUEST_TIMEOUT_MS, DEFAULT_SHUTDOWN_GRACE_MS, DEFAULT_UPSTREAM_TIMEOUT_MS, DEFAULT_WS_MAX_CONNECTIONS,
  DEFAULT_WS_MAX_LIFETIME_MS, DEFAULT_WS_MAX_SOCKET_BYTES, type ConfigKey,
} from './keys.js'

/** How permgate verifies the upstream's certificate, for HTTP and wss:// alike. */
export interface UpstreamTls {
  /** PEM CA certificates that replace Node's default roots for the upstream; undefined: Node's CA store. */
  readonly ca: string | undefined
  /** The DNS name the certificate must carry, also sent as SNI; undefined: the upstream URL's host. */
  readonly serverName: string | undefined
  /** No verification at all; a warning is logged at start. */
  readonly insecureSkipVerify: boolean
}

export type RouteAccess = 'public' | 'authenticated' | 'permission'

/**
 * One condition of a route rule's `when` (docs/route-rules.md). Patterns were compiled at load,
 * anchored (`^(?:...)$`: the whole value must match); their named groups are the rule's captures.
 */
export interface RouteCondition {
  /** Where the value is read: a request header (lower case name) or a query parameter (every value). */
  readonly from: 'header' | 'query'
  readonly name: string
  readonly test:
    | { readonly kind: 'pattern'; readonly pattern: RegExp }
    /** The value is an absolute http(s) URL (nginx auth_request's X-Original-Url); host (lower case, no port) and path each matched. */
    | { readonly kind: 'url'; readonly host: RegExp | undefined; readonly path: RegExp | undefined }
    /** The header or parameter is not sent at all. */
    | { readonly kind: 'absent' }
}

/** Where a route's scoped permissions are checked: a path segment, or a capture of `when`. */
export interface RouteScope {
  readonly kind: 'workspace' | 'deployment'
  /** The path segment at this index (0 = first after `/`); undefined when `from` is given. */
  readonly segment: number | undefined
  /** The named capture of `when` holding the id (each value of a repeated parameter is checked). */
  readonly from: string | undefined
  /** `releaseName`: the value is a release name, resolved to its deployment by the bindings store. */
  readonly lookup: 'releaseName' | undefined
}

/** A rule for a path other than the GraphQL endpoint. No matching rule: 403. */
export interface RouteRule {
  readonly methods: readonly string[]
  /** Path prefix, matched segment-wise on the raw path (`/v1/registry` matches `/v1/registry/x`). */
  readonly prefix: string
  /** Conditions that must all hold for the rule to apply (else the next rule is tried); undefined: none. */
  readonly when: readonly RouteCondition[] | undefined
  readonly access: RouteAccess
  readonly permissions: readonly string[]
  readonly op: 'AND' | 'OR'
  /** Where a scoped permission is checked (undefined: nowhere, scoped permissions fail). */
  readonly scope: RouteScope | undefined
  /** CI/CD enforcement: the principal kinds the route is open to (undefined: any). */
  readonly principals: readonly ('user' | 'serviceAccount')[] | undefined
  /** The client's address (trustedProxies as elsewhere) must be in these ranges, else 403 PERMGATE_ERR_IP_DENIED. */
  readonly ipAllow: CidrList | undefined
  /**
   * A shared secret the request must carry in `header` (else 401 PERMGATE_ERR_ROUTE_SECRET): only
   * its SHA-256 is kept, compared in constant time. The header is still forwarded.
   */
  readonly secret: { readonly header: string; readonly sha256: Buffer } | undefined
  /**
   * `basic`: the credential is HTTP Basic's password (the user name ignored), as Docker clients
   * send it. `none` (public rules only): permgate reads no credential on this route (the caller
   * is anonymous), so credentials meant for the upstream (Houston's Elasticsearch Basic, a stale
   * cookie at the OAuth callback) are forwarded untouched instead of refused 401.
   */
  readonly credentials: 'basic' | 'none' | undefined
  /**
   * `pull`: a Basic user that is a release name known to the bindings store presents that
   * deployment's image-pull secret (checked by the upstream, not by permgate): allowed only when
   * every value of the scope's capture is that same release name.
   */
  readonly deploymentCredentials: 'pull' | undefined
}

/**
 * CORS for browsers on other origins (`cors:` of the config file, src/config/cors.ts); absent: off,
 * no Access-Control-* header is added or removed and OPTIONS is decided like any method.
 */
export interface CorsConfig {
  /** Origins allowed, compared exactly (`https://app.example.com`); empty when `anyOrigin`. */
  readonly origins: readonly string[]
  /** `origins: ["*"]`: every origin, answered `Access-Control-Allow-Origin: *` (never with credentials). */
  readonly anyOrigin: boolean
  /** The patterns as written. */
  readonly originPatterns: readonly string[]
  /** `originPatterns` compiled once, each anchored as `^(?:pattern)$`: matched against the whole origin. */
  readonly originMatchers: readonly RegExp[]
  /** `Access-Control-Allow-Credentials: true` (cookies, Authorization) for the origins allowed. @default false */
  readonly credentials: boolean
  /** `Access-Control-Allow-Methods` of a preflight's answer. @default GET, POST, OPTIONS */
  readonly methods: readonly string[]
  /** `Access-Control-Allow-Headers` of a preflight's answer. @default Content-Type, Authorization, Content-Length, X-Requested-With, X-Apollo-Tracing */
  readonly allowHeaders: readonly string[]
  /** `Access-Control-Expose-Headers` of other answers. @default none */
  readonly exposeHeaders: readonly string[]
  /** `Access-Control-Max-Age` of a preflight's answer, s. @default 600 */
  readonly maxAgeSec: number
}

export interface JwtConfig {
  readonly algorithms: readonly string[]
  readonly publicKeyFile: string | undefined
  readonly jwkFile: string | undefined
  readonly secretFile: string | undefined
  readonly jwksUrl: string | undefined
  /** PEM CA certificates (from jwksCaFile) that replace Node's default roots for the JWK set endpoint. */
  readonly jwksCa: string | undefined
  readonly issuer: string | undefined
  readonly audience: string | undefined
  readonly clockToleranceSec: number
  readonly subjectClaim: string
  readonly groupsClaim: string | undefined
}

/** The validated, frozen configuration of `permgate serve`. */
export interface ServeConfig {
  readonly policy: string
  readonly overlays: readonly string[]
  /** A bindings file, or a `postgres://` URL: the PostgreSQL store. */
  readonly bindings: string
  /** PostgreSQL store: refetch a cached subject older than this, ms. */
  readonly bindingsCacheTtlMs: number
  /** PostgreSQL store: with the database lost, how long cached bindings keep deciding, ms; then 503. */
  readonly bindingsMaxStalenessMs: number
  /**
   * From `--upstream URL`, the upstream's GraphQL endpoint: requests to `graphqlPath` are
   * forwarded to its path (or the same path when the URL has none); other paths keep theirs.
   */
  readonly upstream: { readonly origin: string; readonly graphqlPath: string | undefined }
  readonly host: string
  readonly port: number
  /** The admin server (metrics and probes); its host defaults to `host`. */
  readonly admin: { readonly host: string; readonly port: number }
  readonly graphqlPath: string
  /** Where WebSocket upgrades are accepted (default: graphqlPath). */
  readonly subscriptionsPath: string
  /** The upstream path WebSocket upgrades are relayed to (default: subscriptionsPath when set, else the upstream's GraphQL path). */
  readonly upstreamSubscriptionsPath: string
  readonly jwt: JwtConfig | undefined
  readonly cookieName: string | undefined
  readonly apiKeyLength: number
  readonly maxBodyBytes: number
  readonly maxBatchSize: number
  /** Nesting of arrays and objects in a client's JSON document, levels. */
  readonly maxJsonDepth: number
  /** A WebSocket is closed this long after it was authenticated (4403), ms; a token's `exp` may close it sooner. */
  readonly wsMaxLifetimeMs: number
  /** connection_init without a credential: closed 4403 (true), or anonymous (false). */
  readonly wsRequireCredential: boolean
  /** WebSockets open at once. */
  readonly wsMaxConnections: number
  /** Bytes one WebSocket may hold for its running and waiting operations. */
  readonly wsMaxSocketBytes: number
  readonly upstreamTimeoutMs: number
  /** An https:// upstream's certificate: verified against Node's CA store unless upstreamCaFile replaces it. */
  readonly upstreamTls: UpstreamTls
  /** Time for a client to send its whole request, ms (0: no limit). */
  readonly requestTimeoutMs: number
  readonly routes: readonly RouteRule[]
  /** CORS (off when undefined): preflights answered by permgate, its Access-Control-* headers on every answer. */
  readonly cors: CorsConfig | undefined
  /** Request headers a client could use to pass as someone: stripped before forwarding. */
  readonly stripHeaders: readonly string[]
  /** Legacy clients: answer rejections with 200 (the body still carries the error). */
  readonly errorsAs200: boolean
  /**
   * Peers whose X-Forwarded-For is believed (CIDR ranges), for IP allow-lists. Empty (the
   * default): the client is the socket's peer and X-Forwarded-For is ignored.
   */
  readonly trustedProxies: readonly string[]
  /** `trustedProxies` compiled once, here (undefined when empty): every stage reads this one. */
  readonly trustedProxyRanges: CidrList | undefined
  readonly logLevel: string
  /** How often the policy, overlay and bindings files are checked for a change, ms. */
  readonly reloadPollMs: number
  /** Decide and log everything, forward everything, count would-denies. Never enforcing. */
  readonly dryRun: boolean
  /** A candidate policy decided beside the active one (same bindings); disagreements counted. */
  readonly shadowPolicy: string | undefined
  /** How long SIGTERM waits for in-flight requests before exiting, ms. */
  readonly shutdownGraceMs: number
  /** The policy explorer page on the admin port (/explorer); off unless enabled. */
  readonly explorer: boolean
  /** The file holding the admin token the explorer requires (Bearer header or its login form). */
  readonly adminTokenFile: string | undefined
  /** The decision log (audit): off, stdout, or a file with rotation and retention. */
  readonly decisionLog: {
    readonly sink: 'off' | 'stdout' | { readonly file: string }
    readonly sampleRate: number
    readonly retentionDays: number
    readonly rotateBytes: number
  }
}
