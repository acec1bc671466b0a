import { existsSync, readFileSync } from 'node:fs'
import { dirname, resolve } from 'node:path'
import { isIP } from 'node:net'
import { parseArgs } from 'node:util'
import { parse as parseYaml } from 'yaml'
import { PermgateError } from '../errors.js'
import { pemCertificates } from './pem.js'
import { isRecord } from './yaml.js'
import { compileCidrs } from './cidr.js'
import { readRoutes } from './routes.js'
import { DEFAULT_RELOAD_POLL_MS } from '../reload.js'
import { DEFAULT_ALLOWED_SAMPLE_RATE } from '../telemetry/decision-log.js'
import { DEFAULT_RETENTION_DAYS, DEFAULT_ROTATE_BYTES } from '../telemetry/rotating-file-sink.js'
import {
  CONFIG_KEYS, DEFAULT_ADMIN_PORT, DEFAULT_SHUTDOWN_GRACE_MS, DEFAULT_API_KEY_LENGTH, DEFAULT_GRAPHQL_PATH, DEFAULT_HOST, DEFAULT_MAX_BATCH_SIZE,
  DEFAULT_BINDINGS_CACHE_TTL_MS, DEFAULT_BINDINGS_MAX_STALENESS_MS, DEFAULT_MAX_JSON_DEPTH, DEFAULT_WS_MAX_CONNECTIONS, DEFAULT_WS_MAX_LIFETIME_MS, DEFAULT_WS_MAX_SOCKET_BYTES, DEFAULT_MAX_BODY_BYTES, DEFAULT_PORT, DEFAULT_REQUEST_TIMEOUT_MS, DEFAULT_UPSTREAM_TIMEOUT_MS, type ConfigKey, type JwtConfig, type ServeConfig,
} from './schema.js'

type Raw = Partial<Record<ConfigKey, unknown>>
/** Keys whose values are files: relative to the config file, or to the working directory for flags. */
const FILE_KEYS: readonly ConfigKey[] = ['policy', 'bindings', 'jwtPublicKey', 'jwtJwk', 'jwtSecretFile', 'shadowPolicy', 'adminTokenFile', 'upstreamCaFile', 'jwksCaFile']
const LIST_KEYS: readonly ConfigKey[] = ['overlays', 'stripHeaders', 'trustedProxies']
const BOOLEAN_KEYS: readonly ConfigKey[] = ['errorsAs200', 'dryRun', 'explorer', 'upstreamInsecureSkipVerify']

/** Reads `permgate serve` flags and the optional `--config` file; flags win. Validated, then frozen. */
export function loadServeConfig(argv: readonly string[], cwd = process.cwd()): ServeConfig {
  const { fromFlags, configFile } = readFlags(argv, cwd)
  const fromFile = configFile === undefined ? {} : readConfigFile(configFile)
  return validate({ ...fromFile, ...fromFlags })
}

function readFlags(argv: readonly string[], cwd: string): { fromFlags: Raw; configFile: string | undefined } {
  const options: Record<string, { type: 'string' | 'boolean'; multiple?: boolean }> = { config: { type: 'string' } }
  const keyOf = new Map<string, ConfigKey>()
  for (const [key, flag] of Object.entries(CONFIG_KEYS) as [ConfigKey, string | undefined][]) {
    if (flag === undefined) continue
    const name = flag.slice(2)
    keyOf.set(name, key)
    options[name] = BOOLEAN_KEYS.includes(key) ? { type: 'boolean' } : LIST_KEYS.includes(key) ? { type: 'string', multiple: true } : { type: 'string' }
  }
  let values: Record<string, unknown>
  try {
    values = parseArgs({ args: [...argv], options, strict: true, allowPositionals: false }).values as Record<string, unknown>
  } catch (e) {
    throw new PermgateError('PERMGATE_ERR_CLI_USAGE', (e as Error).message)
  }
  const fromFlags: Raw = {}
  for (const [name, v] of Object.entries(values)) {
    const key = keyOf.get(name)
    if (key === undefined) continue
    fromFlags[key] = FILE_KEYS.includes(key) && !isDatabaseUrl(v) ? resolve(cwd, v as string) : v
  }
  if (Array.isArray(fromFlags.overlays)) fromFlags.overlays = fromFlags.overlays.map((f: string) => resolve(cwd, f))
  const configFile = typeof values.config === 'string' ? resolve(cwd, values.config) : undefined
  return { fromFlags, configFile }
}

/** `postgres://` or `postgresql://`: the bindings come from the database store. */
export function isDatabaseUrl(v: unknown): v is string {
  return typeof v === 'string' && /^postgres(?:ql)?:\/\//i.test(v)
}

function readConfigFile(file: string): Raw {
  let v: unknown
  try {
    v = parseYaml(readFileSync(file, 'utf8'))
  } catch (e) {
    throw new PermgateError('PERMGATE_ERR_CONFIG_FILE', `cannot read the config file: ${(e as Error).message}`, { file })
  }
  if (v === null || v === undefined) return {}
  if (!isRecord(v)) throw new PermgateError('PERMGATE_ERR_CONFIG_FILE', 'the config file must be a map of keys', { file })
  const dir = dirname(file)
  const out: Raw = {}
  for (const [k, value] of Object.entries(v)) {
    // own keys only: `constructor` or `toString` must not pass as known keys
    if (!Object.hasOwn(CONFIG_KEYS, k)) {
      throw new PermgateError('PERMGATE_ERR_CONFIG_UNKNOWN_KEY', `unknown key "${k}" (known: ${Object.keys(CONFIG_KEYS).join(', ')})`, { file, path: k })
    }
    const key = k as ConfigKey
    out[key] = FILE_KEYS.includes(key) && typeof value === 'string' && !isDatabaseUrl(value) ? resolve(dir, value) : value
  }
  if (Array.isArray(out.overlays)) out.overlays = out.overlays.map((f) => (typeof f === 'string' ? resolve(dir, f) : f))
  return out
}

function validate(raw: Raw): ServeConfig {
  const bad = (key: ConfigKey, msg: string): never => {
    throw new PermgateError('PERMGATE_ERR_CONFIG_INVALID', `${key} (${CONFIG_KEYS[key] ?? 'config file only'}): ${msg}`, { path: key })
  }
  const str = (key: ConfigKey): string | undefined => {
    const v = raw[key]
    if (v === undefined) return undefined
    if (typeof v !== 'string' || v === '') return bad(key, 'must be a non-empty string')
    return v
  }
  const required = (key: ConfigKey): string => {
    const v = str(key)
    if (v === undefined) throw new PermgateError('PERMGATE_ERR_CONFIG_MISSING', `${key} is required (${CONFIG_KEYS[key]} or "${key}:" in --config)`, { path: key })
    return v
  }
  const int = (key: ConfigKey, dflt: number, min: number, max: number): number => {
    const v = raw[key]
    if (v === undefined) return dflt
    const n = typeof v === 'number' ? v : typeof v === 'string' && /^\d+$/.test(v) ? Number(v) : NaN
    if (!Number.isSafeInteger(n) || n < min || n > max) return bad(key, `must be an integer from ${min} to ${max}`)
    return n
  }
  const list = (key: ConfigKey): string[] => {
    const v = raw[key]
    if (v === undefined) return []
    const items = typeof v === 'string' ? v.split(',').map((s) => s.trim()).filter(Boolean) : v
    if (!Array.isArray(items) || !items.every((s) => typeof s === 'string' && s !== '')) return bad(key, 'must be a list of strings')
    return items as string[]
  }
  const file = (key: ConfigKey): string | undefined => {
    const f = str(key)
    if (f !== undefined && !existsSync(f)) throw new PermgateError('PERMGATE_ERR_CONFIG_FILE', `${key}: no such file or directory: ${f}`, { path: key })
    return f
  }
  // a CA bundle is read now: a file that is not PEM certificates stops the start (and `permgate check`)
  const certificates = (key: ConfigKey): string | undefined => {
    const f = file(key)
    if (f === undefined) return undefined
    let text: string
    try {
      text = readFileSync(f, 'utf8')
    } catch (e) {
      throw new PermgateError('PERMGATE_ERR_CONFIG_FILE', `${key}: cannot read ${f}: ${(e as Error).message}`, { path: key })
    }
    return pemCertificates(text) ?? bad(key, `${f} must hold PEM certificates (-----BEGIN CERTIFICATE-----) and nothing else`)
  }

  const rate = (key: ConfigKey, dflt: number): number => {
    const v = raw[key]
    if (v === undefined) return dflt
    const n = typeof v === 'number' ? v : typeof v === 'string' ? Number(v) : NaN
    if (!(n >= 0 && n <= 1)) return bad(key, 'must be a number from 0 to 1')
    return n
  }
  // 'off', 'stdout', or a file path (relative ones resolve against the working directory)
  const decisionSink = (v: string): ServeConfig['decisionLog']['sink'] => (v === 'off' || v === 'stdout' ? v : Object.freeze({ file: resolve(v) }))

  const policy = file('policy') ?? required('policy')
  // a bindings file, or the PostgreSQL store: postgres://user@host:port/db
  const bindings = isDatabaseUrl(raw.bindings) ? (raw.bindings as string) : (file('bindings') ?? required('bindings'))
  if (isDatabaseUrl(bindings)) {
    try {
      new URL(bindings)
    } catch {
      bad('bindings', 'not a valid postgres:// URL')
    }
  }
  for (const o of list('overlays')) if (!existsSync(o)) throw new PermgateError('PERMGATE_ERR_CONFIG_FILE', `overlays: no such file: ${o}`, { path: 'overlays' })
  const graphqlPath = str('graphqlPath') ?? DEFAULT_GRAPHQL_PATH
  if (!/^\/[A-Za-z0-9._~\-/]*$/.test(graphqlPath) || graphqlPath.includes('//')) bad('graphqlPath', 'must be an absolute path such as /graphql')
  const bool = (key: ConfigKey): boolean => {
    const v = raw[key] ?? false
    if (typeof v !== 'boolean') return bad(key, 'must be true or false')
    return v
  }
  const errorsAs200 = bool('errorsAs200')
  const explorer = bool('explorer')
  const adminTokenFile = file('adminTokenFile')
  // the explorer shows the whole policy and evaluates requests: never without a token
  if (explorer && adminTokenFile === undefined) {
    throw new PermgateError('PERMGATE_ERR_CONFIG_CONTRADICTION', 'explorer is enabled but adminTokenFile is not set (the explorer requires an admin token)', { path: 'adminTokenFile' })
  }
  if (adminTokenFile !== undefined && readFileSync(adminTokenFile, 'utf8').trim().length < 16) {
    bad('adminTokenFile', 'the admin token must be at least 16 characters')
  }
  const trustedProxies = list('trustedProxies')
  // compiled here, once: a typo fails at start, and every stage uses these ranges
  const trustedProxyRanges = trustedProxies.length === 0 ? undefined : compileCidrs(trustedProxies, 'PERMGATE_ERR_CONFIG_INVALID', { path: 'trustedProxies' })

  return Object.freeze({
    policy,
    overlays: Object.freeze(list('overlays')),
    bindings,
    upstream: readUpstream(required('upstream'), bad),
    host: str('host') ?? DEFAULT_HOST,
    port: int('port', DEFAULT_PORT, 0, 65535),
    admin: Object.freeze({ host: str('adminHost') ?? str('host') ?? DEFAULT_HOST, port: int('adminPort', DEFAULT_ADMIN_PORT, 0, 65535) }),
    graphqlPath,
    jwt: readJwt(raw, str, list, file, certificates, int, bad),
    cookieName: str('cookieName'),
    apiKeyLength: int('apiKeyLength', DEFAULT_API_KEY_LENGTH, 0, 1024),
    maxBodyBytes: int('maxBodyBytes', DEFAULT_MAX_BODY_BYTES, 1, 64 * 1024 * 1024),
    maxBatchSize: int('maxBatchSize', DEFAULT_MAX_BATCH_SIZE, 1, 1000),
    maxJsonDepth: int('maxJsonDepth', DEFAULT_MAX_JSON_DEPTH, 2, 1000),
    wsMaxLifetimeMs: int('wsMaxLifetimeMs', DEFAULT_WS_MAX_LIFETIME_MS, 1000, 7 * 86_400_000),
    wsMaxConnections: int('wsMaxConnections', DEFAULT_WS_MAX_CONNECTIONS, 1, 1_000_000),
    wsMaxSocketBytes: int('wsMaxSocketBytes', DEFAULT_WS_MAX_SOCKET_BYTES, 64 * 1024, 1024 * 1024 * 1024),
    upstreamTimeoutMs: int('upstreamTimeoutMs', DEFAULT_UPSTREAM_TIMEOUT_MS, 1, 3_600_000),
    upstreamTls: readUpstreamTls(raw, str, bool, certificates, bad),
    requestTimeoutMs: int('requestTimeoutMs', DEFAULT_REQUEST_TIMEOUT_MS, 0, 3_600_000),
    bindingsCacheTtlMs: int('bindingsCacheTtlMs', DEFAULT_BINDINGS_CACHE_TTL_MS, 0, 86_400_000),
    bindingsMaxStalenessMs: int('bindingsMaxStalenessMs', DEFAULT_BINDINGS_MAX_STALENESS_MS, 0, 86_400_000),
    routes: Object.freeze(readRoutes(raw.routes ?? [])),
    stripHeaders: Object.freeze(list('stripHeaders').map((h) => h.toLowerCase())),
    errorsAs200: errorsAs200 as boolean,
    trustedProxies: Object.freeze(trustedProxies),
    trustedProxyRanges,
    logLevel: str('logLevel') ?? 'info',
    reloadPollMs: int('reloadPollMs', DEFAULT_RELOAD_POLL_MS, 10, 3_600_000),
    dryRun: bool('dryRun'),
    shadowPolicy: file('shadowPolicy'),
    shutdownGraceMs: int('shutdownGraceMs', DEFAULT_SHUTDOWN_GRACE_MS, 0, 3_600_000),
    explorer,
    adminTokenFile,
    decisionLog: Object.freeze({
      sink: decisionSink(str('decisionLog') ?? 'stdout'),
      sampleRate: rate('decisionLogSampleRate', DEFAULT_ALLOWED_SAMPLE_RATE),
      retentionDays: int('decisionLogRetentionDays', DEFAULT_RETENTION_DAYS, 1, 3650),
      rotateBytes: int('decisionLogRotateBytes', DEFAULT_ROTATE_BYTES, 1024, 1024 * 1024 * 1024),
    }),
  })
}

function readUpstream(url: string, bad: (key: ConfigKey, msg: string) => never): ServeConfig['upstream'] {
  let u: URL
  try {
    u = new URL(url)
  } catch {
    return bad('upstream', `not a URL: ${url}`)
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') bad('upstream', 'must be an http: or https: URL')
  if (u.search || u.hash || u.username || u.password) bad('upstream', 'must not carry a query, fragment or credentials')
  const path = u.pathname.replace(/\/+$/, '')
  return Object.freeze({ origin: u.origin, graphqlPath: path === '' ? undefined : path })
}

const DNS_NAME = /^(?=.{1,253}$)(?!-)[A-Za-z0-9-]{1,63}(?<!-)(?:\.(?!-)[A-Za-z0-9-]{1,63}(?<!-))*$/

function readUpstreamTls(
  raw: Raw,
  str: (k: ConfigKey) => string | undefined,
  bool: (k: ConfigKey) => boolean,
  certificates: (k: ConfigKey) => string | undefined,
  bad: (key: ConfigKey, msg: string) => never,
): ServeConfig['upstreamTls'] {
  const contradiction = (path: ConfigKey, msg: string): never => {
    throw new PermgateError('PERMGATE_ERR_CONFIG_CONTRADICTION', msg, { path })
  }
  const insecureSkipVerify = bool('upstreamInsecureSkipVerify')
  const given = (['upstreamCaFile', 'upstreamServerName', 'upstreamInsecureSkipVerify'] as const).filter((k) => raw[k] !== undefined && raw[k] !== false)
  // TLS settings beside a plaintext upstream would read as a protection that is not there
  if (given[0] !== undefined && new URL(raw.upstream as string).protocol !== 'https:') contradiction(given[0], `${given[0]} is set but upstream is not an https:// URL`)
  if (insecureSkipVerify && raw.upstreamCaFile !== undefined) {
    contradiction('upstreamInsecureSkipVerify', 'upstreamInsecureSkipVerify and upstreamCaFile are both set: a CA is only used to verify the certificate; give one')
  }
  const serverName = str('upstreamServerName')
  // RFC 6066 §3: SNI carries a DNS name, never an IP address (an IP upstream is checked against its URL's address)
  if (serverName !== undefined && (isIP(serverName) !== 0 || !DNS_NAME.test(serverName))) bad('upstreamServerName', 'must be a DNS name such as upstream.internal')
  return Object.freeze({ ca: certificates('upstreamCaFile'), serverName, insecureSkipVerify })
}

function readJwt(
  raw: Raw,
  str: (k: ConfigKey) => string | undefined,
  list: (k: ConfigKey) => string[],
  file: (k: ConfigKey) => string | undefined,
  certificates: (k: ConfigKey) => string | undefined,
  int: (k: ConfigKey, d: number, min: number, max: number) => number,
  bad: (key: ConfigKey, msg: string) => never,
): JwtConfig | undefined {
  // the CA verifies the JWK set endpoint's certificate: with no https:// jwksUrl it would verify nothing
  if (raw.jwksCaFile !== undefined && !(typeof raw.jwksUrl === 'string' && /^https:\/\//i.test(raw.jwksUrl))) {
    throw new PermgateError('PERMGATE_ERR_CONFIG_CONTRADICTION', 'jwksCaFile is set but jwksUrl is not an https:// URL (the CA verifies the JWK set endpoint)', { path: 'jwksCaFile' })
  }
  const sources = (['jwtPublicKey', 'jwtJwk', 'jwtSecretFile', 'jwksUrl'] as const).filter((k) => raw[k] !== undefined)
  if (sources.length > 1) {
    throw new PermgateError('PERMGATE_ERR_CONFIG_CONTRADICTION', `give one JWT key source, not ${sources.join(' and ')}`, { path: sources[1] as string })
  }
  const dependent = (['jwtAlgorithms', 'jwtIssuer', 'jwtAudience', 'jwtGroupsClaim'] as const).filter((k) => raw[k] !== undefined)
  if (sources.length === 0) {
    if (dependent.length > 0) {
      throw new PermgateError('PERMGATE_ERR_CONFIG_CONTRADICTION', `${dependent[0]} is set but no JWT key is (jwtPublicKey, jwtJwk, jwtSecretFile or jwksUrl)`, { path: dependent[0] as string })
    }
    return undefined
  }
  const symmetric = sources[0] === 'jwtSecretFile'
  const algorithms = list('jwtAlgorithms')
  if (algorithms.length === 0) algorithms.push(symmetric ? 'HS256' : 'RS256')
  for (const a of algorithms) {
    if (!/^(HS|RS|PS|ES)(256|384|512)$|^EdDSA$|^Ed25519$/.test(a)) bad('jwtAlgorithms', `unsupported algorithm ${a}`)
    // an HMAC algorithm with a public key is the RS256 -> HS256 confusion attack
    if (a.startsWith('HS') !== symmetric) {
      throw new PermgateError(
        'PERMGATE_ERR_CONFIG_CONTRADICTION',
        `algorithm ${a} does not fit the key from ${sources[0]} (${symmetric ? 'an HMAC secret takes HS*' : 'a public key takes RS*/PS*/ES*/EdDSA'})`,
        { path: 'jwtAlgorithms' },
      )
    }
  }
  const jwksUrl = str('jwksUrl')
  if (jwksUrl !== undefined) {
    let u: URL | undefined
    try {
      u = new URL(jwksUrl)
    } catch {
      bad('jwksUrl', 'not a URL')
    }
    if (u && u.protocol !== 'https:' && u.protocol !== 'http:') bad('jwksUrl', 'must be an https: (or http: on a trusted network) URL')
  }
  return Object.freeze({
    algorithms: Object.freeze(algorithms),
    publicKeyFile: file('jwtPublicKey'),
    jwkFile: file('jwtJwk'),
    secretFile: file('jwtSecretFile'),
    jwksUrl,
    jwksCa: certificates('jwksCaFile'),
    issuer: str('jwtIssuer'),
    audience: str('jwtAudience'),
    clockToleranceSec: int('jwtClockToleranceSec', 30, 0, 3600),
    subjectClaim: str('jwtSubjectClaim') ?? 'sub',
    groupsClaim: str('jwtGroupsClaim'),
  })
}
