import type { SubjectKind } from '../bindings/types.js'

// Defaults of config keys (clock tolerance, subject claim, API key length): the table of keys holds them.
export { DEFAULT_API_KEY_LENGTH, DEFAULT_CLOCK_TOLERANCE_SEC, DEFAULT_SUBJECT_CLAIM } from '../config/keys.js'

/** Remote JWK set: least time between two fetches, so unknown `kid`s cannot make permgate hammer the issuer. */
export const DEFAULT_JWKS_COOLDOWN_MS = 30_000 // 30 s
/** Remote JWK set: age after which the set is fetched again before use. */
export const DEFAULT_JWKS_CACHE_MAX_AGE_MS = 600_000 // 10 min
/** Remote JWK set: time allowed for one fetch. */
export const DEFAULT_JWKS_TIMEOUT_MS = 5_000 // 5 s
/** Longest token verified; a longer one is rejected before any parsing or crypto. */
export const DEFAULT_MAX_TOKEN_BYTES = 8192 // 8 KiB
/** Verified tokens kept. */
export const DEFAULT_TOKEN_CACHE_SIZE = 10_000 // entries
/**
 * Longest a verified token is trusted without verifying it again, whatever its `exp`:
 * a key withdrawn from the JWK set stops being honoured within this.
 */
export const DEFAULT_TOKEN_CACHE_MAX_TTL_MS = 300_000 // 5 min

export interface JwtOptions {
  /**
   * Allowed `alg` values, e.g. `['RS256']`. Required: never inferred from the token
   * (RFC 8725 §3.1), so `alg: none` and RS256/HS256 confusion are rejected before any key is used.
   */
  algorithms: string[]
  /** SPKI PEM public key (`BEGIN PUBLIC KEY`) or X.509 certificate PEM. One key source only. */
  publicKeyPem?: string
  /** A public JWK, or an `oct` JWK for HMAC. One key source only. */
  jwk?: Record<string, unknown>
  /** HMAC secret bytes (Houston signs with its `jwtPassphrase`, HS256). One key source only. */
  secret?: Uint8Array
  /** URL of a remote JWK set, fetched on first use and again for an unknown `kid`. One key source only. */
  jwksUrl?: string
  /** Least time between two fetches of the JWK set. @default DEFAULT_JWKS_COOLDOWN_MS (30 s) */
  jwksCooldownMs?: number
  /** Age after which the JWK set is fetched again. @default DEFAULT_JWKS_CACHE_MAX_AGE_MS (10 min) */
  jwksCacheMaxAgeMs?: number
  /** Time allowed for one JWK set fetch. @default DEFAULT_JWKS_TIMEOUT_MS (5 s) */
  jwksTimeoutMs?: number
  /**
   * PEM CA certificates the JWK set endpoint's certificate must chain to; they replace Node's
   * default roots for that endpoint (https:// only). Verification is never turned off.
   * @default undefined (Node's CA store)
   */
  jwksCa?: string
  /** Expected `iss`; any one of a list. @default undefined (not checked) */
  issuer?: string | string[]
  /** Expected `aud`; any one of a list. @default undefined (not checked) */
  audience?: string | string[]
  /** Clock skew allowed on `exp` and `nbf`, in seconds. @default DEFAULT_CLOCK_TOLERANCE_SEC (30) */
  clockToleranceSec?: number
  /** Claim holding the subject id. @default 'sub' (Houston tokens use 'uuid') */
  subjectClaim?: string
  /** Claim holding a string[] of groups (teams). @default undefined (no groups from tokens) */
  groupsClaim?: string
  /** Reject a token without `exp`. @default true */
  requireExp?: boolean
  /** Longest token accepted, in bytes. @default DEFAULT_MAX_TOKEN_BYTES (8 KiB) */
  maxTokenBytes?: number
}

export interface IdentityOptions {
  /** How JWTs are verified. Absent: a JWT presented is 401 PERMGATE_ERR_AUTH_NOT_CONFIGURED. @default undefined */
  jwt?: JwtOptions
  /**
   * Cookie read when there is no Authorization header (Houston: `houstonCookieName(baseDomain)`).
   * @default undefined (cookies are not read)
   */
  cookieName?: string
  /** A token of exactly this many characters and no `.` is a service-account API key; 0 disables API keys. @default DEFAULT_API_KEY_LENGTH (32) */
  apiKeyLength?: number
  /** Verified tokens kept. @default DEFAULT_TOKEN_CACHE_SIZE (10,000) */
  tokenCacheSize?: number
}

/** Who is asking, as identity resolved the request's credential. `anonymous` presented none. */
export interface Principal {
  readonly kind: 'anonymous' | SubjectKind
  readonly id: string | null
  /** Groups (teams) from the token or the caller; each adds the group's bindings. */
  readonly groups: readonly string[]
}

export const ANONYMOUS: Principal = Object.freeze({ kind: 'anonymous', id: null, groups: Object.freeze([]) as readonly string[] })
