import { PermgateError, type ErrorCode } from '../errors.js'

const NO_KEY = new Set(['ERR_JWKS_NO_MATCHING_KEY', 'ERR_JWKS_MULTIPLE_MATCHING_KEYS', 'ERR_JWKS_TIMEOUT', 'ERR_JWKS_INVALID'])
const ALGORITHM = new Set(['ERR_JOSE_ALG_NOT_ALLOWED', 'ERR_JOSE_NOT_SUPPORTED'])
const CLAIM_NAME = /^[a-z_]{1,32}$/i

/**
 * A jose verification failure as a 401 PermgateError, matched on jose's `.code` (never its
 * message). The message names the failed check only: never the token, nor claim values.
 */
export function fromJoseError(e: unknown): PermgateError {
  if (e instanceof PermgateError) return e
  const { code, claim } = (typeof e === 'object' && e !== null ? e : {}) as { code?: unknown; claim?: unknown }
  if (code === 'ERR_JWT_EXPIRED') return fail('PERMGATE_ERR_AUTH_TOKEN_EXPIRED', 'the token has expired')
  if (code === 'ERR_JWT_CLAIM_VALIDATION_FAILED') {
    if (claim === 'nbf') return fail('PERMGATE_ERR_AUTH_TOKEN_NOT_YET_VALID', 'the token is not valid yet (nbf)')
    const name = typeof claim === 'string' && CLAIM_NAME.test(claim) ? ` "${claim}"` : ''
    return fail('PERMGATE_ERR_AUTH_TOKEN_CLAIMS', `the token claim${name} is missing or not what this server expects`)
  }
  if (typeof code === 'string' && ALGORITHM.has(code)) return fail('PERMGATE_ERR_AUTH_TOKEN_ALGORITHM', 'the token algorithm is not allowed')
  if (typeof code === 'string' && NO_KEY.has(code)) return fail('PERMGATE_ERR_AUTH_NO_KEY', 'no key verifies this token')
  return fail('PERMGATE_ERR_AUTH_TOKEN_INVALID', 'the token is malformed or its signature does not verify')
}

function fail(code: ErrorCode, message: string): PermgateError {
  return new PermgateError(code, message)
}
