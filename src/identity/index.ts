export {
  DEFAULT_API_KEY_LENGTH,
  DEFAULT_CLOCK_TOLERANCE_SEC,
  DEFAULT_JWKS_CACHE_MAX_AGE_MS,
  DEFAULT_JWKS_COOLDOWN_MS,
  DEFAULT_JWKS_TIMEOUT_MS,
  DEFAULT_MAX_TOKEN_BYTES,
  DEFAULT_SUBJECT_CLAIM,
  DEFAULT_TOKEN_CACHE_MAX_TTL_MS,
  DEFAULT_TOKEN_CACHE_SIZE,
  type IdentityOptions,
  type JwtOptions,
} from './types.js'
export { houstonCookieName, snakeCase } from './houston-cookie.js'
export { cookieValues } from './cookie.js'
export { readCredential, type Credential, type CredentialOptions } from './credential.js'
export { sha256Hex, subjectForApiKey } from './api-key.js'
export { createJwtVerifier, type JwtVerifier, type VerifiedToken } from './jwt.js'
export { resolveIdentityOptions, resolveJwtOptions, type ResolvedIdentityOptions, type ResolvedJwtOptions } from './options.js'
export { TokenCache, type CachedIdentity, type TokenCacheStats } from './token-cache.js'
export { IdentityResolver } from './resolver.js'
