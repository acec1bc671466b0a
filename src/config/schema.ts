
import type { CidrList } from './cidr.js'

/** Defaults of `permgate serve`, with their units. */
export const DEFAULT_HOST = '127.0.0.1'
export const DEFAULT_PORT = 8080
export const DEFAULT_GRAPHQL_PATH = '/graphql'
/** The admin port: /metrics, /healthz, /readyz (never the proxied port). */
export const DEFAULT_ADMIN_PORT = 9090
/** SIGTERM: time for in-flight requests to finish before exit, 10 s. */
export const DEFAULT_SHUTDOWN_GRACE_MS = 10_000
/** Request body after decompression: 1 MiB. */
export const DEFAULT_MAX_BODY_BYTES = 1024 * 1024
/** Operations in one batched request. */
export const DEFAULT_MAX_BATCH_SIZE = 10
/** Time to the upstream's response headers: 30 s. */
export const DEFAULT_UPSTREAM_TIMEOUT_MS = 30_000
/** PostgreSQL store: a cached subject's bindings are refetched when older than this, 60 s (changes arrive sooner, by NOTIFY). */
export const DEFAULT_BINDINGS_CACHE_TTL_MS = 60_000
/** PostgreSQL store: with the database lost, cached bindings keep deciding this long, 30 s; then 503. */
export const DEFAULT_BINDINGS_MAX_STALENESS_MS = 30_000
/** Time for a client to send its whole request (headers and body): 30 s; a slow sender is cut off (408). */
export const DEFAULT_REQUEST_TIMEOUT_MS = 30_000
/** Nesting of arrays and objects in a client's JSON (bodies, GET variables, WebSocket messages): 64 levels. */
export { DEFAULT_MAX_JSON_DEPTH } from '../ingress/json.js'
/** A WebSocket is closed this long after it was authenticated, whatever its credential (API keys do not expire): 1 h. */
export const DEFAULT_WS_MAX_LIFETIME_MS = 3_600_000
/** WebSockets open at once; one more upgrade is refused with 503: 10,000. */
export const DEFAULT_WS_MAX_CONNECTIONS = 10_000
/** What one WebSocket may hold for its operations (ids, documents, variables, messages held before the ack): 4 MiB. */
export const DEFAULT_WS_MAX_SOCKET_BYTES = 4 * 1024 * 1024
export { DEFAULT_API_KEY_LENGTH } from '../identity/types.js'

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

/** A rule for a path other than the GraphQL endpoint. No matching rule: 403. */
export interface RouteRule {
  readonly methods: readonly string[]
  /** Path prefix, matched segment-wise on the raw path (`/v1/registry` matches `/v1/registry/x`). */
  readonly prefix: string
  readonly access: RouteAccess
  readonly permissions: readonly string[]
  readonly op: 'AND' | 'OR'
  /** Where a scoped permission is checked: the path segment at `segment` (0 = first after `/`). */
  readonly scope: { readonly kind: 'workspace' | 'deployment'; readonly segment: number } | undefined
  /** CI/CD enforcement: the principal kinds the route is open to (undefined: any). */
  readonly principals: readonly ('user' | 'serviceAccount')[] | undefined
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
  readonly jwt: JwtConfig | undefined
  readonly cookieName: string | undefined
  readonly apiKeyLength: number
  readonly maxBodyBytes: number
  readonly maxBatchSize: number
  /** Nesting of arrays and objects in a client's JSON document, levels. */
  readonly maxJsonDepth: number
  /** A WebSocket is closed this long after it was authenticated (4403), ms; a token's `exp` may close it sooner. */
  readonly wsMaxLifetimeMs: number
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

/**
 * Every config-file key, and the flag that sets it (flags win). A key not listed here is an
 * error, never silently ignored.
 */
export const CONFIG_KEYS = {
  policy: '--policy',
  overlays: '--overlay',
  bindings: '--bindings',
  bindingsCacheTtlMs: '--bindings-cache-ttl-ms',
  bindingsMaxStalenessMs: '--bindings-max-staleness-ms',
  upstream: '--upstream',
  host: '--host',
  port: '--port',
  adminHost: '--admin-host',
  adminPort: '--admin-port',
  graphqlPath: '--graphql-path',
  jwtPublicKey: '--jwt-public-key',
  jwtJwk: '--jwt-jwk',
  jwtSecretFile: '--jwt-secret-file',
  jwksUrl: '--jwks-url',
  jwksCaFile: '--jwks-ca-file',
  jwtAlgorithms: '--jwt-algorithms',
  jwtIssuer: '--jwt-issuer',
  jwtAudience: '--jwt-audience',
  jwtClockToleranceSec: '--jwt-clock-tolerance',
  jwtSubjectClaim: '--jwt-subject-claim',
  jwtGroupsClaim: '--jwt-groups-claim',
  cookieName: '--cookie-name',
  apiKeyLength: '--api-key-length',
  maxBodyBytes: '--max-body-bytes',
  maxBatchSize: '--max-batch-size',
  maxJsonDepth: '--max-json-depth',
  wsMaxLifetimeMs: '--ws-max-lifetime-ms',
  wsMaxConnections: '--ws-max-connections',
  wsMaxSocketBytes: '--ws-max-socket-bytes',
  upstreamTimeoutMs: '--upstream-timeout-ms',
  upstreamCaFile: '--upstream-ca-file',
  upstreamServerName: '--upstream-server-name',
  upstreamInsecureSkipVerify: '--upstream-insecure-skip-verify',
  requestTimeoutMs: '--request-timeout-ms',
  routes: undefined,
  stripHeaders: '--strip-header',
  errorsAs200: '--errors-as-200',
  trustedProxies: '--trusted-proxy',
  logLevel: '--log-level',
  reloadPollMs: '--reload-poll-ms',
  dryRun: '--dry-run',
  shadowPolicy: '--shadow-policy',
  shutdownGraceMs: '--shutdown-grace-ms',
  explorer: '--explorer',
  adminTokenFile: '--admin-token-file',
  decisionLog: '--decision-log',
  decisionLogSampleRate: '--decision-log-sample-rate',
  decisionLogRetentionDays: '--decision-log-retention-days',
  decisionLogRotateBytes: '--decision-log-rotate-bytes',
} as const satisfies Record<string, string | undefined>

export type ConfigKey = keyof typeof CONFIG_KEYS
