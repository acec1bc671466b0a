// HTTP Basic credentials (RFC 7617), as Docker clients send them to a registry's token realm:
// `Authorization: Basic base64(user:password)`. Read strictly: a header another reader could
// decode differently is refused, never guessed at.
import { PermgateError } from '../errors.js'

export interface BasicCredentials {
  readonly user: string
  readonly password: string
}

const BASIC = /^basic[ \t]+([A-Za-z0-9+/]+={0,2})[ \t]*$/i
/** An Authorization header longer than this is not read. @default 8 KiB (characters) */
export const DEFAULT_MAX_BASIC_LENGTH = 8 * 1024

/**
 * The user and password of an `Authorization: Basic` header. Not Basic, not canonical base64,
 * not UTF-8, without a `:` or with an empty password: 401 PERMGATE_ERR_AUTH_TOKEN_INVALID. The
 * user is what comes before the first `:` (RFC 7617 §2: a user-id cannot contain one).
 */
export function readBasic(header: string | string[]): BasicCredentials {
  // two Authorization fields could be read differently here and upstream
  if (typeof header !== 'string') throw invalid('more than one Authorization header was sent')
  if (header.length > DEFAULT_MAX_BASIC_LENGTH) throw invalid('the Authorization header is too long')
  const m = BASIC.exec(header.trim())
  if (m === null) throw invalid('this route takes HTTP Basic credentials: Authorization: Basic base64(user:password)')
  const b64 = m[1] as string
  const bytes = Buffer.from(b64, 'base64')
  // Node decodes base64 leniently: only the canonical spelling of the bytes is read
  if (bytes.toString('base64') !== b64) throw invalid('the Basic credentials are not canonical base64')
  const text = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true })
  let decoded: string
  try {
    decoded = text.decode(bytes)
  } catch {
    throw invalid('the Basic credentials are not UTF-8')
  }
  const colon = decoded.indexOf(':')
  if (colon < 0) throw invalid('the Basic credentials hold no user:password')
  const password = decoded.slice(colon + 1)
  if (password === '') throw invalid('the Basic credentials hold no password')
  return { user: decoded.slice(0, colon), password }
}

function invalid(message: string): PermgateError {
  return new PermgateError('PERMGATE_ERR_AUTH_TOKEN_INVALID', message)
}
