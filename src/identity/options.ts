import { pemCertificates } from '../config/pem.js'
import { PermgateError } from '../errors.js'
import {
  DEFAULT_API_KEY_LENGTH,
  DEFAULT_CLOCK_TOLERANCE_SEC,
  DEFAULT_JWKS_CACHE_MAX_AGE_MS,
  DEFAULT_JWKS_COOLDOWN_MS,
  DEFAULT_JWKS_TIMEOUT_MS,
  DEFAULT_MAX_TOKEN_BYTES,
  DEFAULT_SUBJECT_CLAIM,
  DEFAULT_TOKEN_CACHE_SIZE,
  type IdentityOptions,
  type JwtOptions,
} from './types.js'

export type KeySource =
  | { readonly kind: 'pem'; readonly pem: string }
  | { readonly kind: 'jwk'; readonly jwk: Readonly<Record<string, unknown>> }
  | { readonly kind: 'secret'; readonly secret: Uint8Array }
  | { readonly kind: 'jwks'; readonly url: URL; readonly cooldownMs: number; readonly cacheMaxAgeMs: number; readonly timeoutMs: number; readonly ca: string | undefined }

/** JwtOptions checked, with every default filled in. */
export interface ResolvedJwtOptions {
  readonly algorithms: readonly string[]
  readonly key: KeySource
  readonly issuer: string | readonly string[] | undefined
  readonly audience: string | readonly string[] | undefined
  readonly clockToleranceSec: number
  readonly subjectClaim: string
  readonly groupsClaim: string | undefined
  readonly requireExp: boolean
  readonly maxTokenBytes: number
}

/** IdentityOptions checked, with every default filled in; `jwt` is checked by resolveJwtOptions. */
export interface ResolvedIdentityOptions {
  readonly cookieName: string | undefined
  readonly apiKeyLength: number
  readonly tokenCacheSize: number
}

const IDENTITY_KEYS = new Set(['jwt', 'cookieName', 'apiKeyLength', 'tokenCacheSize'])
const JWT_KEYS = new Set([
  'algorithms', 'publicKeyPem', 'jwk', 'secret', 'jwksUrl', 'jwksCooldownMs', 'jwksCacheMaxAgeMs', 'jwksTimeoutMs', 'jwksCa',
  'issuer', 'audience', 'clockToleranceSec', 'subjectClaim', 'groupsClaim', 'requireExp', 'maxTokenBytes',
])
/** RFC 6265 §4.1.1: a cookie name is an RFC 7230 token. */
const COOKIE_NAME = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/

export function resolveIdentityOptions(opts: IdentityOptions): ResolvedIdentityOptions {
  rejectUnknownKeys(opts, IDENTITY_KEYS, 'identity')
  if (opts.cookieName !== undefined && (typeof opts.cookieName !== 'string' || !COOKIE_NAME.test(opts.cookieName))) {
    throw invalid('identity.cookieName must be a cookie name (RFC 6265: letters, digits and !#$%&\'*+-.^_`|~)')
  }
  const tokenCacheSize = integer('identity.tokenCacheSize', opts.tokenCacheSize, DEFAULT_TOKEN_CACHE_SIZE)
  if (tokenCacheSize < 1) throw invalid('identity.tokenCacheSize must be at least 1')
  return Object.freeze({
    cookieName: opts.cookieName,
    apiKeyLength: integer('identity.apiKeyLength', opts.apiKeyLength, DEFAULT_API_KEY_LENGTH),
    tokenCacheSize,
  })
}

export function resolveJwtOptions(opts: JwtOptions): ResolvedJwtOptions {
  rejectUnknownKeys(opts, JWT_KEYS, 'identity.jwt')
  const { algorithms } = opts
  if (!Array.isArray(algorithms) || algorithms.length === 0 || !algorithms.every((a) => typeof a === 'string' && a !== '')) {
    throw invalid('identity.jwt.algorithms must list the allowed algorithms, e.g. ["RS256"]; they are never taken from the token')
  }
  // RFC 8725 §3.2: an unsecured JWT must never be accepted.
  if (algorithms.some((a) => a.toLowerCase() === 'none')) throw invalid('identity.jwt.algorithms must not allow "none"')
  const subjectClaim = opts.subjectClaim ?? DEFAULT_SUBJECT_CLAIM
  if (typeof subjectClaim !== 'string' || subjectClaim === '') throw invalid('identity.jwt.subjectClaim must be a claim name')
  if (opts.groupsClaim !== undefined && (typeof opts.groupsClaim !== 'string' || opts.groupsClaim === '')) {
    throw invalid('identity.jwt.groupsClaim must be a claim name')
  }
  if (opts.requireExp !== undefined && typeof opts.requireExp !== 'boolean') throw invalid('identity.jwt.requireExp must be true or false')
  const maxTokenBytes = integer('identity.jwt.maxTokenBytes', opts.maxTokenBytes, DEFAULT_MAX_TOKEN_BYTES)
  if (maxTokenBytes < 1) throw invalid('identity.jwt.maxTokenBytes must be at least 1')
  return Object.freeze({
    algorithms: Object.freeze([...algorithms]),
    key: keySource(opts),
    issuer: stringOrList('identity.jwt.issuer', opts.issuer),
    audience: stringOrList('identity.jwt.audience', opts.audience),
    clockToleranceSec: integer('identity.jwt.clockToleranceSec', opts.clockToleranceSec, DEFAULT_CLOCK_TOLERANCE_SEC),
    subjectClaim,
    groupsClaim: opts.groupsClaim,
    requireExp: opts.requireExp ?? true,
    maxTokenBytes,
  })
}

function keySource(opts: JwtOptions): KeySource {
  const given = (['publicKeyPem', 'jwk', 'secret', 'jwksUrl'] as const).filter((k) => opts[k] !== undefined)
  if (given.length === 0) {
    throw new PermgateError('PERMGATE_ERR_CONFIG_MISSING', 'identity.jwt needs a key: one of publicKeyPem, jwk, secret, jwksUrl')
  }
  if (given.length > 1) {
    throw new PermgateError('PERMGATE_ERR_CONFIG_CONTRADICTION', `identity.jwt takes one key source, not ${given.join(' and ')}`)
  }
  if (opts.jwksCa !== undefined && opts.jwksUrl === undefined) throw contradiction('identity.jwt.jwksCa verifies the JWK set endpoint; jwksUrl is not set')
  const hmac = opts.algorithms.filter((a) => a.startsWith('HS'))
  if (opts.secret !== undefined) {
    if (!(opts.secret instanceof Uint8Array) || opts.secret.length === 0) throw invalid('identity.jwt.secret must be non-empty bytes')
    const other = opts.algorithms.filter((a) => !a.startsWith('HS'))
    if (other.length > 0) throw contradiction(`identity.jwt.secret is an HMAC key; it cannot verify ${other.join(', ')}`)
    // A copy: the caller's buffer may be reused or zeroed later.
    return { kind: 'secret', secret: new Uint8Array(opts.secret) }
  }
  if (opts.jwksUrl !== undefined) {
    // A JWK set holds public keys; HMAC there would mean publishing the secret.
    if (hmac.length > 0) throw contradiction(`identity.jwt.jwksUrl serves public keys; it cannot verify ${hmac.join(', ')}`)
    let url: URL
    try {
      url = new URL(opts.jwksUrl)
    } catch {
      throw invalid('identity.jwt.jwksUrl must be an absolute http(s) URL')
    }
    if (url.protocol !== 'https:' && url.protocol !== 'http:') throw invalid('identity.jwt.jwksUrl must be an http(s) URL')
    let ca: string | undefined
    if (opts.jwksCa !== undefined) {
      ca = typeof opts.jwksCa === 'string' ? pemCertificates(opts.jwksCa) : undefined
      if (ca === undefined) throw invalid('identity.jwt.jwksCa must be PEM certificates (-----BEGIN CERTIFICATE-----) and nothing else')
      if (url.protocol !== 'https:') throw contradiction('identity.jwt.jwksCa is set but jwksUrl is not an https:// URL')
    }
    return {
      kind: 'jwks',
      url,
      cooldownMs: integer('identity.jwt.jwksCooldownMs', opts.jwksCooldownMs, DEFAULT_JWKS_COOLDOWN_MS),
      cacheMaxAgeMs: integer('identity.jwt.jwksCacheMaxAgeMs', opts.jwksCacheMaxAgeMs, DEFAULT_JWKS_CACHE_MAX_AGE_MS),
      timeoutMs: integer('identity.jwt.jwksTimeoutMs', opts.jwksTimeoutMs, DEFAULT_JWKS_TIMEOUT_MS),
      ca,
    }
  }
  if (opts.jwk !== undefined) {
    const jwk = opts.jwk
    if (typeof jwk !== 'object' || jwk === null || Array.isArray(jwk)) throw invalid('identity.jwt.jwk must be a JWK object')
    // Verification needs only the public half; a private JWK in configuration is a leak waiting to happen.
    if (jwk.kty !== 'oct' && jwk.d !== undefined) throw invalid('identity.jwt.jwk is a private key; give its public JWK')
    if (typeof jwk.alg === 'string' && opts.algorithms.some((a) => a !== jwk.alg)) {
      throw contradiction(`identity.jwt.jwk is for ${jwk.alg}; algorithms lists ${opts.algorithms.join(', ')}`)
    }
    return { kind: 'jwk', jwk: Object.freeze({ ...jwk }) }
  }
  if (typeof opts.publicKeyPem !== 'string') throw invalid('identity.jwt.publicKeyPem must be PEM text')
  return { kind: 'pem', pem: opts.publicKeyPem }
}

function integer(name: string, v: unknown, dflt: number): number {
  if (v === undefined) return dflt
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0) throw invalid(`${name} must be a whole number, 0 or more`)
  return v
}

function stringOrList(name: string, v: unknown): string | readonly string[] | undefined {
  if (v === undefined) return undefined
  if (typeof v === 'string' && v !== '') return v
  if (Array.isArray(v) && v.length > 0 && v.every((x) => typeof x === 'string' && x !== '')) return Object.freeze([...(v as string[])])
  throw invalid(`${name} must be a string or a non-empty list of strings`)
}

function rejectUnknownKeys(opts: object, known: ReadonlySet<string>, where: string): void {
  for (const k of Object.keys(opts)) {
    if (!known.has(k)) throw new PermgateError('PERMGATE_ERR_CONFIG_UNKNOWN_KEY', `${where}: unknown key "${k}" (known: ${[...known].join(', ')})`)
  }
}

function invalid(message: string): PermgateError {
  return new PermgateError('PERMGATE_ERR_CONFIG_INVALID', message)
}

function contradiction(message: string): PermgateError {
  return new PermgateError('PERMGATE_ERR_CONFIG_CONTRADICTION', message)
}
