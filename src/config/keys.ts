/**
 * The one table of `permgate serve` keys: name, flag, type, default with its unit, range and
 * doc line. Validation (kinds.ts, load.ts), the flags (load.ts), `serve --help` and the README's
 * configuration table (doc.ts) are all read from it: a key is added here, once.
 */

/**
 * How a key's value is read and checked:
 * - `string`: a non-empty string; `path`: an absolute URL path such as /graphql
 * - `file`: an existing file or directory, relative to the config file (or, for a flag, to the
 *   working directory); `files`: a list of them; `pem`: a file of PEM CA certificates, read at load
 * - `bindings`: a bindings file, or a `postgres://` URL (the PostgreSQL store)
 * - `url`: an http: or https: URL; `dnsName`: a DNS name (never an IP address)
 * - `list`: strings (a YAML list, or comma-separated); `cidrs`: IP ranges, compiled at load
 * - `boolean`; `integer` (with `min`, `max` and a unit); `fraction`: a number from 0 to 1
 * - `sink`: `off`, `stdout` or a file path; `routes`: rules for other paths (config file only)
 * - `cors`: the CORS section, a map (config file only; src/config/cors.ts)
 */
export type KeyKind =
  | 'string' | 'path' | 'file' | 'files' | 'pem' | 'bindings' | 'url' | 'dnsName'
  | 'list' | 'cidrs' | 'boolean' | 'integer' | 'fraction' | 'sink' | 'routes' | 'cors'

/** What an integer counts; `ms`, `s`, `days` and `bytes` are also written in larger units in the docs. */
export type KeyUnit = 'ms' | 's' | 'days' | 'bytes' | 'levels' | 'characters' | 'operations' | 'connections'

interface RowBase {
  /** The flag that sets it (flags win over the config file); undefined: config file only. */
  readonly flag: `--${string}` | undefined
  /** Where its value lands in ServeConfig (dotted); a compiled value adds its own place. */
  readonly at: string | readonly string[]
  /** One line for the README and `--help` (Markdown code spans allowed). */
  readonly doc: string
  /** The flag's value, as `--help` shows it (default: from the kind). */
  readonly arg?: string
  /** Start fails without it (PERMGATE_ERR_CONFIG_MISSING). */
  readonly required?: true
  /** The default column when it is not a plain value (taken from another key, or decided at load). */
  readonly defaultDoc?: string
}

export type KeyRow = RowBase & (
  | { readonly kind: 'integer'; readonly default: number; readonly min: number; readonly max: number; readonly unit?: KeyUnit }
  | { readonly kind: 'fraction'; readonly default: number }
  | { readonly kind: 'boolean'; readonly default: false }
  | { readonly kind: 'list' | 'files' | 'cidrs'; readonly repeatable: boolean; readonly default?: never }
  | { readonly kind: 'string' | 'path' | 'sink'; readonly default?: string }
  | { readonly kind: 'file' | 'pem' | 'bindings' | 'url' | 'dnsName' | 'routes' | 'cors'; readonly default?: never }
)

const KiB = 1024
const MiB = 1024 * KiB
const GiB = 1024 * MiB
const S = 1000
const HOUR = 3600 * S
const DAY = 24 * HOUR

export const KEYS = {
  policy: { flag: '--policy', kind: 'file', required: true, arg: 'DIR', at: 'policy', doc: 'policy directory (or its policy.yaml)' },
  overlays: { flag: '--overlay', kind: 'files', repeatable: true, at: 'overlays', doc: 'Helm-style overlays, applied after the policy\'s own' },
  bindings: { flag: '--bindings', kind: 'bindings', required: true, arg: 'FILE|URL', at: 'bindings', doc: 'bindings file, or `postgres://...`: the PostgreSQL store' },
  bindingsCacheTtlMs: {
    flag: '--bindings-cache-ttl-ms', kind: 'integer', unit: 'ms', default: 60 * S, min: 0, max: DAY, at: 'bindingsCacheTtlMs',
    doc: 'PostgreSQL: a cached subject\'s bindings are refetched when older than this (changes arrive sooner, by NOTIFY)',
  },
  bindingsMaxStalenessMs: {
    flag: '--bindings-max-staleness-ms', kind: 'integer', unit: 'ms', default: 30 * S, min: 0, max: DAY, at: 'bindingsMaxStalenessMs',
    doc: 'PostgreSQL: with the database lost, cached bindings keep deciding this long; then 503',
  },
  upstream: {
    flag: '--upstream', kind: 'url', required: true, at: 'upstream',
    doc: 'the upstream\'s GraphQL URL (no query, fragment or credentials); the GraphQL path is forwarded to its path, other paths keep theirs',
  },
  host: { flag: '--host', kind: 'string', default: '127.0.0.1', arg: 'HOST', at: 'host', doc: 'the address permgate listens on' },
  port: { flag: '--port', kind: 'integer', default: 8080, min: 0, max: 65535, at: 'port', doc: 'the port permgate listens on (0: one the system picks)' },
  graphqlPath: { flag: '--graphql-path', kind: 'path', default: '/graphql', at: 'graphqlPath', doc: 'permgate\'s GraphQL endpoint' },
  subscriptionsPath: {
    flag: '--subscriptions-path', kind: 'path', defaultDoc: '`graphqlPath`', at: 'subscriptionsPath',
    doc: 'where WebSocket upgrades (GraphQL subscriptions, both protocols) are accepted; Houston: `/ws`',
  },
  upstreamSubscriptionsPath: {
    flag: '--upstream-subscriptions-path', kind: 'path', defaultDoc: '`subscriptionsPath`; with neither set, the upstream\'s GraphQL path', at: 'upstreamSubscriptionsPath',
    doc: 'the upstream path WebSocket upgrades are relayed to',
  },
  adminHost: { flag: '--admin-host', kind: 'string', defaultDoc: '`host`', arg: 'HOST', at: 'admin.host', doc: 'the admin server\'s address: `/metrics`, `/healthz`, `/readyz` (and `/explorer` when enabled)' },
  // never the proxied port: the probes and metrics must not be reachable through the proxy
  adminPort: { flag: '--admin-port', kind: 'integer', default: 9090, min: 0, max: 65535, at: 'admin.port', doc: 'the admin server\'s port' },
  jwtPublicKey: { flag: '--jwt-public-key', kind: 'file', arg: 'PEM', at: 'jwt.publicKeyFile', doc: 'SPKI PEM public key or X.509 certificate file' },
  jwtJwk: { flag: '--jwt-jwk', kind: 'file', at: 'jwt.jwkFile', doc: 'JWK file' },
  jwtSecretFile: { flag: '--jwt-secret-file', kind: 'file', at: 'jwt.secretFile', doc: 'HMAC secret file (a trailing newline is not part of it)' },
  jwksUrl: {
    flag: '--jwks-url', kind: 'url', at: 'jwt.jwksUrl',
    doc: 'remote JWK set, https: (or http: on a trusted network); refetched on an unknown `kid`, at most every 30 s, and in the background every 10 min; while it cannot be fetched the last set fetched keeps verifying',
  },
  jwksCaFile: {
    flag: '--jwks-ca-file', kind: 'pem', defaultDoc: 'Node\'s CA store', at: 'jwt.jwksCa',
    doc: 'PEM CA certificates an `https://` `jwksUrl` must chain to; they replace the default roots (its certificate is always verified)',
  },
  jwtAlgorithms: { flag: '--jwt-algorithms', kind: 'list', repeatable: false, defaultDoc: 'RS256 (HS256 for a secret)', at: 'jwt.algorithms', doc: 'the allow-list; never taken from the token' },
  jwtIssuer: { flag: '--jwt-issuer', kind: 'string', defaultDoc: 'not checked', arg: 'ISS', at: 'jwt.issuer', doc: 'expected `iss`' },
  jwtAudience: { flag: '--jwt-audience', kind: 'string', defaultDoc: 'not checked', arg: 'AUD', at: 'jwt.audience', doc: 'expected `aud`' },
  jwtClockToleranceSec: { flag: '--jwt-clock-tolerance', kind: 'integer', unit: 's', default: 30, min: 0, max: HOUR / S, at: 'jwt.clockToleranceSec', doc: 'skew allowed on `exp`/`nbf`' },
  jwtSubjectClaim: {
    flag: '--jwt-subject-claim', kind: 'string', default: 'sub', arg: 'NAME', at: 'jwt.subjectClaim',
    doc: 'claim holding the subject (Houston: `uuid`); at most 256 printable ASCII characters, spaces only inside, else 401 `PERMGATE_ERR_AUTH_TOKEN_CLAIMS` (it is sent as `x-permgate-subject`)',
  },
  jwtGroupsClaim: { flag: '--jwt-groups-claim', kind: 'string', arg: 'NAME', at: 'jwt.groupsClaim', doc: 'claim holding the caller\'s groups (teams)' },
  cookieName: {
    flag: '--cookie-name', kind: 'string', arg: 'NAME', at: 'cookieName',
    doc: 'cookie read when there is no Authorization header (Houston: `astronomer_<snake_case(baseDomain)>_auth`)',
  },
  // Houston service-account API keys are 32 characters
  apiKeyLength: { flag: '--api-key-length', kind: 'integer', unit: 'characters', default: 32, min: 0, max: 1024, at: 'apiKeyLength', doc: 'a token this long without a dot is a service-account API key (0: none)' },
  maxBodyBytes: { flag: '--max-body-bytes', kind: 'integer', unit: 'bytes', default: 1 * MiB, min: 1, max: 64 * MiB, at: 'maxBodyBytes', doc: 'request body after decompression' },
  maxBatchSize: { flag: '--max-batch-size', kind: 'integer', unit: 'operations', default: 10, min: 1, max: 1000, at: 'maxBatchSize', doc: 'operations in a batched request' },
  // JSON.parse has no depth limit, and every recursive walk after it (JSON.stringify when
  // forwarding, the variable coercion) overflows the stack on a few thousand levels that fit in
  // 16 KB: a deeper document is refused before it is parsed
  maxJsonDepth: {
    flag: '--max-json-depth', kind: 'integer', unit: 'levels', default: 64, min: 2, max: 1000, at: 'maxJsonDepth',
    doc: 'nesting of arrays and objects in a client\'s JSON (bodies, GET `variables`/`extensions`, WebSocket messages), checked before parsing: 400 `PERMGATE_ERR_JSON_TOO_DEEP`, or close 4400',
  },
  // Houston refuses a connection_init that names nobody (connection_error, then close)
  wsRequireCredential: {
    flag: '--ws-require-credential', kind: 'boolean', default: false, at: 'wsRequireCredential',
    doc: 'a WebSocket whose `connection_init` (and upgrade request) carry no credential is closed 4403 (`PERMGATE_ERR_WEBSOCKET_UNAUTHENTICATED`), as Houston closes it; off: it stays open as anonymous, each operation decided as such',
  },
  // API keys do not expire: without this a socket authenticated once would live for ever
  wsMaxLifetimeMs: {
    flag: '--ws-max-lifetime-ms', kind: 'integer', unit: 'ms', default: HOUR, min: S, max: 7 * DAY, at: 'wsMaxLifetimeMs',
    doc: 'a WebSocket is closed (4403, `Connection lifetime ended`) this long after it was authenticated, or at its token\'s `exp` if sooner',
  },
  wsMaxConnections: {
    flag: '--ws-max-connections', kind: 'integer', unit: 'connections', default: 10_000, min: 1, max: 1_000_000, at: 'wsMaxConnections',
    doc: 'WebSockets open at once; one more upgrade is refused 503 `PERMGATE_ERR_WEBSOCKET_TOO_MANY_CONNECTIONS`',
  },
  wsMaxSocketBytes: {
    flag: '--ws-max-socket-bytes', kind: 'integer', unit: 'bytes', default: 4 * MiB, min: 64 * KiB, max: 1 * GiB, at: 'wsMaxSocketBytes',
    doc: 'bytes one WebSocket may hold for its running and waiting operations (ids, documents, variables, messages held before the ack); an operation over it gets an error for its id (`PERMGATE_ERR_WEBSOCKET_TOO_MUCH_HELD`)',
  },
  upstreamTimeoutMs: { flag: '--upstream-timeout-ms', kind: 'integer', unit: 'ms', default: 30 * S, min: 1, max: HOUR, at: 'upstreamTimeoutMs', doc: 'time to the upstream\'s answer (enforced with a resolution of about 0.5 s)' },
  upstreamCaFile: {
    flag: '--upstream-ca-file', kind: 'pem', defaultDoc: 'Node\'s CA store', at: 'upstreamTls.ca',
    doc: 'PEM CA certificates an `https://` upstream (HTTP and `wss://`) must chain to; they replace the default roots, as a private CA\'s should',
  },
  upstreamServerName: { flag: '--upstream-server-name', kind: 'dnsName', defaultDoc: 'the upstream URL\'s host', at: 'upstreamTls.serverName', doc: 'the DNS name the upstream\'s certificate must carry, also sent as SNI' },
  upstreamInsecureSkipVerify: {
    flag: '--upstream-insecure-skip-verify', kind: 'boolean', default: false, at: 'upstreamTls.insecureSkipVerify',
    doc: 'do not verify the upstream\'s certificate at all (logged as a warning at start); not with `upstreamCaFile`',
  },
  requestTimeoutMs: { flag: '--request-timeout-ms', kind: 'integer', unit: 'ms', default: 30 * S, min: 0, max: HOUR, at: 'requestTimeoutMs', doc: 'time for a client to send its whole request (a slow sender gets 408; 0: no limit)' },
  stripHeaders: { flag: '--strip-header', kind: 'list', repeatable: true, arg: 'NAME', at: 'stripHeaders', doc: 'identity headers a client could spoof, removed before forwarding' },
  trustedProxies: {
    flag: '--trusted-proxy', kind: 'cidrs', repeatable: true, at: ['trustedProxies', 'trustedProxyRanges'],
    doc: 'CIDR ranges of proxies whose `X-Forwarded-For` is believed (for IP ranges); none: the socket\'s peer is the client',
  },
  routes: { flag: undefined, kind: 'routes', at: 'routes', doc: 'rules for paths other than the GraphQL endpoint' },
  cors: {
    flag: undefined, kind: 'cors', defaultDoc: 'off', at: 'cors',
    doc: 'CORS for browsers on other origins: `origins` (exact), `originPatterns` (regular expressions matched against the whole origin), `credentials`, `methods`, `allowHeaders`, `exposeHeaders`, `maxAgeSec` (see "CORS")',
  },
  errorsAs200: { flag: '--errors-as-200', kind: 'boolean', default: false, at: 'errorsAs200', doc: 'legacy clients: rejections answered 200, same body' },
  logLevel: { flag: '--log-level', kind: 'string', default: 'info', arg: 'LEVEL', at: 'logLevel', doc: 'pino level' },
  // polling, not fs.watch: it survives editors' rename-replace
  reloadPollMs: { flag: '--reload-poll-ms', kind: 'integer', unit: 'ms', default: 1 * S, min: 10, max: HOUR, at: 'reloadPollMs', doc: 'how often the policy, overlay and bindings files are checked for a change' },
  dryRun: { flag: '--dry-run', kind: 'boolean', default: false, at: 'dryRun', doc: 'decide and log every request, forward every request, count would-denies' },
  shadowPolicy: { flag: '--shadow-policy', kind: 'file', arg: 'DIR', at: 'shadowPolicy', doc: 'a candidate policy decided beside the active one; disagreements counted, never enforced' },
  shutdownGraceMs: { flag: '--shutdown-grace-ms', kind: 'integer', unit: 'ms', default: 10 * S, min: 0, max: HOUR, at: 'shutdownGraceMs', doc: 'on SIGTERM, how long in-flight requests may take before the process exits' },
  explorer: { flag: '--explorer', kind: 'boolean', default: false, at: 'explorer', doc: 'the policy explorer on the admin port (`/explorer`); requires `adminTokenFile`' },
  adminTokenFile: {
    flag: '--admin-token-file', kind: 'file', at: 'adminTokenFile',
    doc: 'file holding the admin token the explorer requires (at least 16 characters; a trailing newline is not part of it)',
  },
  decisionLog: { flag: '--decision-log', kind: 'sink', default: 'stdout', arg: 'off|stdout|FILE', at: 'decisionLog.sink', doc: 'the decision log: `off`, `stdout`, or a file path' },
  decisionLogSampleRate: { flag: '--decision-log-sample-rate', kind: 'fraction', default: 0.01, at: 'decisionLog.sampleRate', doc: 'share of allowed decisions logged (denials: all)' },
  decisionLogRetentionDays: {
    flag: '--decision-log-retention-days', kind: 'integer', unit: 'days', default: 7, min: 1, max: 3650, at: 'decisionLog.retentionDays',
    doc: 'rotated files older than this are deleted (Astronomer keeps audit logs 7 or 90 days)',
  },
  decisionLogRotateBytes: { flag: '--decision-log-rotate-bytes', kind: 'integer', unit: 'bytes', default: 64 * MiB, min: 1 * KiB, max: 1 * GiB, at: 'decisionLog.rotateBytes', doc: 'the file is rotated past this size' },
} as const satisfies Record<string, KeyRow>

export type ConfigKey = keyof typeof KEYS

/** The table's keys, in its order. */
export const CONFIG_KEY_NAMES = Object.freeze(Object.keys(KEYS) as ConfigKey[])

/** The row of a key (typed as a row, for code that reads any key). */
export function rowOf(key: ConfigKey): KeyRow {
  return KEYS[key]
}

/** Every config-file key and the flag that sets it (undefined: config file only). */
export const CONFIG_KEYS: { readonly [K in ConfigKey]: (typeof KEYS)[K]['flag'] } = Object.freeze(
  Object.fromEntries(CONFIG_KEY_NAMES.map((k) => [k, KEYS[k].flag])) as { [K in ConfigKey]: (typeof KEYS)[K]['flag'] },
)

// The defaults, by name, for the stages that use them as their own (each is its row's value).
export const DEFAULT_HOST: string = KEYS.host.default
export const DEFAULT_PORT: number = KEYS.port.default
export const DEFAULT_GRAPHQL_PATH: string = KEYS.graphqlPath.default
/** The admin port: /metrics, /healthz, /readyz (never the proxied port). */
export const DEFAULT_ADMIN_PORT: number = KEYS.adminPort.default
/** 10 s */
export const DEFAULT_SHUTDOWN_GRACE_MS: number = KEYS.shutdownGraceMs.default
/** 1 MiB */
export const DEFAULT_MAX_BODY_BYTES: number = KEYS.maxBodyBytes.default
/** operations */
export const DEFAULT_MAX_BATCH_SIZE: number = KEYS.maxBatchSize.default
/** 30 s */
export const DEFAULT_UPSTREAM_TIMEOUT_MS: number = KEYS.upstreamTimeoutMs.default
/** 60 s */
export const DEFAULT_BINDINGS_CACHE_TTL_MS: number = KEYS.bindingsCacheTtlMs.default
/** 30 s */
export const DEFAULT_BINDINGS_MAX_STALENESS_MS: number = KEYS.bindingsMaxStalenessMs.default
/** 30 s */
export const DEFAULT_REQUEST_TIMEOUT_MS: number = KEYS.requestTimeoutMs.default
/** 64 levels */
export const DEFAULT_MAX_JSON_DEPTH: number = KEYS.maxJsonDepth.default
/** 1 h */
export const DEFAULT_WS_MAX_LIFETIME_MS: number = KEYS.wsMaxLifetimeMs.default
/** connections */
export const DEFAULT_WS_MAX_CONNECTIONS: number = KEYS.wsMaxConnections.default
/** 4 MiB */
export const DEFAULT_WS_MAX_SOCKET_BYTES: number = KEYS.wsMaxSocketBytes.default
/** 32 characters */
export const DEFAULT_API_KEY_LENGTH: number = KEYS.apiKeyLength.default
/** 30 s */
export const DEFAULT_CLOCK_TOLERANCE_SEC: number = KEYS.jwtClockToleranceSec.default
export const DEFAULT_SUBJECT_CLAIM: string = KEYS.jwtSubjectClaim.default
export const DEFAULT_LOG_LEVEL: string = KEYS.logLevel.default
/** 1 s */
export const DEFAULT_RELOAD_POLL_MS: number = KEYS.reloadPollMs.default
export const DEFAULT_DECISION_LOG: string = KEYS.decisionLog.default
/** 1 in 100 allowed decisions */
export const DEFAULT_ALLOWED_SAMPLE_RATE: number = KEYS.decisionLogSampleRate.default
/** 7 days */
export const DEFAULT_RETENTION_DAYS: number = KEYS.decisionLogRetentionDays.default
/** 64 MiB */
export const DEFAULT_ROTATE_BYTES: number = KEYS.decisionLogRotateBytes.default
