import { readFileSync } from 'node:fs'
import { dirname, resolve } from 'node:path'
import { parseArgs } from 'node:util'
import { parse as parseYaml } from 'yaml'
import { PermgateError } from '../errors.js'
import { CONFIG_KEY_NAMES, KEYS, rowOf, type ConfigKey } from './keys.js'
import { invalid, readKeys, resolvePaths, type KeyValues, type Raw } from './kinds.js'
import type { JwtConfig, ServeConfig } from './schema.js'
import { isRecord } from './yaml.js'

export { isDatabaseUrl } from './kinds.js'

/** Reads `permgate serve` flags and the optional `--config` file; flags win. Validated, then frozen. */
export function loadServeConfig(argv: readonly string[], cwd = process.cwd()): ServeConfig {
  const { fromFlags, configFile } = readFlags(argv, cwd)
  const fromFile = configFile === undefined ? {} : readConfigFile(configFile)
  return validate({ ...fromFile, ...fromFlags })
}

type FlagOption = { type: 'string' | 'boolean'; multiple?: boolean }

/** The parseArgs options of `permgate serve`, from the table: `--config` and one per key with a flag. */
export function serveFlagOptions(): Record<string, FlagOption> {
  const options: Record<string, FlagOption> = { config: { type: 'string' } }
  for (const key of CONFIG_KEY_NAMES) {
    const row = rowOf(key)
    if (row.flag === undefined) continue
    options[row.flag.slice(2)] = row.kind === 'boolean' ? { type: 'boolean' } : 'repeatable' in row && row.repeatable ? { type: 'string', multiple: true } : { type: 'string' }
  }
  return options
}

function readFlags(argv: readonly string[], cwd: string): { fromFlags: Raw; configFile: string | undefined } {
  let values: Record<string, unknown>
  try {
    values = parseArgs({ args: [...argv], options: serveFlagOptions(), strict: true, allowPositionals: false }).values as Record<string, unknown>
  } catch (e) {
    throw new PermgateError('PERMGATE_ERR_CLI_USAGE', (e as Error).message)
  }
  const fromFlags: Raw = {}
  for (const key of CONFIG_KEY_NAMES) {
    const flag = rowOf(key).flag
    const v = flag === undefined ? undefined : values[flag.slice(2)]
    if (v !== undefined) fromFlags[key] = resolvePaths(key, v, cwd)
  }
  const configFile = typeof values.config === 'string' ? resolve(cwd, values.config) : undefined
  return { fromFlags, configFile }
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
  const out: Raw = {}
  for (const [k, value] of Object.entries(v)) {
    // own keys only: `constructor` or `toString` must not pass as known keys
    if (!Object.hasOwn(KEYS, k)) {
      throw new PermgateError('PERMGATE_ERR_CONFIG_UNKNOWN_KEY', `unknown key "${k}" (known: ${CONFIG_KEY_NAMES.join(', ')})`, { file, path: k })
    }
    out[k as ConfigKey] = resolvePaths(k as ConfigKey, value, dirname(file))
  }
  return out
}

function contradiction(path: ConfigKey, msg: string): never {
  throw new PermgateError('PERMGATE_ERR_CONFIG_CONTRADICTION', msg, { path })
}

/** Each key on its own (its row: type, range, file), then the keys together (contradictions, by name). */
function validate(raw: Raw): ServeConfig {
  const v = readKeys(raw)
  // the explorer shows the whole policy and evaluates requests: never without a token
  if (v.explorer && v.adminTokenFile === undefined) {
    contradiction('adminTokenFile', 'explorer is enabled but adminTokenFile is not set (the explorer requires an admin token)')
  }
  if (v.adminTokenFile !== undefined && readFileSync(v.adminTokenFile, 'utf8').trim().length < 16) {
    invalid('adminTokenFile', 'the admin token must be at least 16 characters')
  }
  const upstream = readUpstream(v.upstream)
  return Object.freeze({
    policy: v.policy,
    overlays: v.overlays,
    bindings: v.bindings,
    bindingsCacheTtlMs: v.bindingsCacheTtlMs,
    bindingsMaxStalenessMs: v.bindingsMaxStalenessMs,
    upstream,
    host: v.host,
    port: v.port,
    admin: Object.freeze({ host: v.adminHost ?? v.host, port: v.adminPort }),
    graphqlPath: v.graphqlPath,
    subscriptionsPath: v.subscriptionsPath ?? v.graphqlPath,
    // today's relay target when neither is set: the upstream's GraphQL endpoint
    upstreamSubscriptionsPath: v.upstreamSubscriptionsPath ?? v.subscriptionsPath ?? upstream.graphqlPath ?? v.graphqlPath,
    jwt: readJwt(raw, v),
    cookieName: v.cookieName,
    apiKeyLength: v.apiKeyLength,
    maxBodyBytes: v.maxBodyBytes,
    maxBatchSize: v.maxBatchSize,
    maxJsonDepth: v.maxJsonDepth,
    wsMaxLifetimeMs: v.wsMaxLifetimeMs,
    wsRequireCredential: v.wsRequireCredential,
    wsMaxConnections: v.wsMaxConnections,
    wsMaxSocketBytes: v.wsMaxSocketBytes,
    upstreamTimeoutMs: v.upstreamTimeoutMs,
    upstreamTls: readUpstreamTls(raw, v, upstream),
    requestTimeoutMs: v.requestTimeoutMs,
    routes: v.routes,
    cors: v.cors,
    stripHeaders: Object.freeze(v.stripHeaders.map((h) => h.toLowerCase())),
    errorsAs200: v.errorsAs200,
    trustedProxies: v.trustedProxies?.ranges ?? Object.freeze([]),
    trustedProxyRanges: v.trustedProxies,
    logLevel: v.logLevel,
    reloadPollMs: v.reloadPollMs,
    dryRun: v.dryRun,
    shadowPolicy: v.shadowPolicy,
    shutdownGraceMs: v.shutdownGraceMs,
    explorer: v.explorer,
    adminTokenFile: v.adminTokenFile,
    decisionLog: Object.freeze({
      sink: v.decisionLog,
      sampleRate: v.decisionLogSampleRate,
      retentionDays: v.decisionLogRetentionDays,
      rotateBytes: v.decisionLogRotateBytes,
    }),
  })
}

/** The upstream URL, split once: its origin, and the path the GraphQL endpoint is forwarded to. */
function readUpstream(url: string): ServeConfig['upstream'] {
  const u = new URL(url)
  if (u.search || u.hash || u.username || u.password) invalid('upstream', 'must not carry a query, fragment or credentials')
  const path = u.pathname.replace(/\/+$/, '')
  return Object.freeze({ origin: u.origin, graphqlPath: path === '' ? undefined : path })
}

function readUpstreamTls(raw: Raw, v: KeyValues, upstream: ServeConfig['upstream']): ServeConfig['upstreamTls'] {
  const given = (['upstreamCaFile', 'upstreamServerName', 'upstreamInsecureSkipVerify'] as const).filter((k) => raw[k] !== undefined && raw[k] !== false)
  // TLS settings beside a plaintext upstream would read as a protection that is not there
  if (given[0] !== undefined && !upstream.origin.startsWith('https:')) contradiction(given[0], `${given[0]} is set but upstream is not an https:// URL`)
  if (v.upstreamInsecureSkipVerify && v.upstreamCaFile !== undefined) {
    contradiction('upstreamInsecureSkipVerify', 'upstreamInsecureSkipVerify and upstreamCaFile are both set: a CA is only used to verify the certificate; give one')
  }
  return Object.freeze({ ca: v.upstreamCaFile, serverName: v.upstreamServerName, insecureSkipVerify: v.upstreamInsecureSkipVerify })
}

const JWT_SOURCES = ['jwtPublicKey', 'jwtJwk', 'jwtSecretFile', 'jwksUrl'] as const
/** JWT settings that mean nothing without a key to verify with. */
const JWT_DEPENDENT = ['jwtAlgorithms', 'jwtIssuer', 'jwtAudience', 'jwtGroupsClaim'] as const

function readJwt(raw: Raw, v: KeyValues): JwtConfig | undefined {
  // the CA verifies the JWK set endpoint's certificate: with no https:// jwksUrl it would verify nothing
  if (v.jwksCaFile !== undefined && !(v.jwksUrl !== undefined && /^https:\/\//i.test(v.jwksUrl))) {
    contradiction('jwksCaFile', 'jwksCaFile is set but jwksUrl is not an https:// URL (the CA verifies the JWK set endpoint)')
  }
  const sources = JWT_SOURCES.filter((k) => raw[k] !== undefined)
  if (sources.length > 1) contradiction(sources[1]!, `give one JWT key source, not ${sources.join(' and ')}`)
  if (sources[0] === undefined) {
    const dependent = JWT_DEPENDENT.filter((k) => raw[k] !== undefined)
    if (dependent[0] !== undefined) contradiction(dependent[0], `${dependent[0]} is set but no JWT key is (jwtPublicKey, jwtJwk, jwtSecretFile or jwksUrl)`)
    return undefined
  }
  const symmetric = sources[0] === 'jwtSecretFile'
  const algorithms = v.jwtAlgorithms.length > 0 ? v.jwtAlgorithms : [symmetric ? 'HS256' : 'RS256']
  for (const a of algorithms) {
    if (!/^(HS|RS|PS|ES)(256|384|512)$|^EdDSA$|^Ed25519$/.test(a)) invalid('jwtAlgorithms', `unsupported algorithm ${a}`)
    // an HMAC algorithm with a public key is the RS256 -> HS256 confusion attack
    if (a.startsWith('HS') !== symmetric) {
      contradiction('jwtAlgorithms', `algorithm ${a} does not fit the key from ${sources[0]} (${symmetric ? 'an HMAC secret takes HS*' : 'a public key takes RS*/PS*/ES*/EdDSA'})`)
    }
  }
  return Object.freeze({
    algorithms: Object.freeze([...algorithms]),
    publicKeyFile: v.jwtPublicKey,
    jwkFile: v.jwtJwk,
    secretFile: v.jwtSecretFile,
    jwksUrl: v.jwksUrl,
    jwksCa: v.jwksCaFile,
    issuer: v.jwtIssuer,
    audience: v.jwtAudience,
    clockToleranceSec: v.jwtClockToleranceSec,
    subjectClaim: v.jwtSubjectClaim,
    groupsClaim: v.jwtGroupsClaim,
  })
}
