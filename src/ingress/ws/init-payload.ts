import type { IncomingHttpHeaders } from 'node:http'
import { dashed, PERMGATE_HEADER_PREFIX } from '../../egress/forward.js'
import { PermgateError } from '../../errors.js'

/**
 * Keys of connection_init's payload that carry a credential, as Houston's clients send it
 * (compared without regard to case), and the `headers` object Apollo-style clients nest an
 * Authorization header in.
 */
export const PAYLOAD_CREDENTIAL_KEYS = ['authorization', 'token', 'authtoken'] as const
const CREDENTIAL_KEYS: ReadonlySet<string> = new Set(PAYLOAD_CREDENTIAL_KEYS)

/** The credential the headers are built from: connection_init's payload, else the upgrade request. */
export type CredentialSource = 'payload' | 'upgrade'

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v)
const BEARER = /^bearer[ \t]+/i
const tokenOf = (v: string): string => v.trim().replace(BEARER, '').trim()

/**
 * Every credential connection_init's payload carries: its credential keys in any case, and an
 * `authorization` key of its `headers` object. null counts as none; anything but a string is
 * refused as a credential that is not valid.
 */
function payloadCredentials(payload: Record<string, unknown>): string[] {
  const found: string[] = []
  const read = (where: Record<string, unknown>, key: string, at: string): void => {
    const v = where[key]
    if (v === undefined || v === null) return
    if (typeof v !== 'string') throw new PermgateError('PERMGATE_ERR_AUTH_TOKEN_INVALID', `connection_init's ${at} must be a string`)
    found.push(v)
  }
  for (const key of Object.keys(payload)) if (CREDENTIAL_KEYS.has(key.toLowerCase())) read(payload, key, key)
  const headers = Object.hasOwn(payload, 'headers') ? payload.headers : undefined
  if (isObject(headers)) for (const key of Object.keys(headers)) if (key.toLowerCase() === 'authorization') read(headers, key, `headers.${key}`)
  return found
}

/**
 * The headers the identity stage reads for a connection: the credential in connection_init's
 * payload as an Authorization header when there is one, else the upgrade request's
 * Authorization header and cookie. A payload carrying two credentials that differ (other than
 * by a `Bearer ` prefix) is refused: the upstream might read the one permgate did not decide.
 */
export function credentialHeaders(payload: Record<string, unknown> | undefined, upgrade: IncomingHttpHeaders): { headers: IncomingHttpHeaders; source: CredentialSource } {
  const found = payload === undefined ? [] : payloadCredentials(payload)
  if (found.length > 0) {
    const first = found[0] as string
    const token = tokenOf(first)
    for (let i = 1; i < found.length; i++) {
      if (tokenOf(found[i] as string) !== token) throw new PermgateError('PERMGATE_ERR_AUTH_TOKEN_INVALID', 'connection_init carries two different credentials')
    }
    return { headers: { authorization: first }, source: 'payload' }
  }
  const headers: IncomingHttpHeaders = {}
  if (upgrade.authorization !== undefined) headers.authorization = upgrade.authorization
  if (upgrade.cookie !== undefined) headers.cookie = upgrade.cookie
  return { headers, source: 'upgrade' }
}

/**
 * connection_init as forwarded upstream, built before anything opens there: the payload without
 * keys an upstream could take for permgate's own headers (`x-permgate-*`, and `reserved` names,
 * `_` and `.` read as `-`, as CGI, WSGI and Rack servers read them), at its top level and in its `headers` object. Its depth was bounded
 * when the message was read, so serializing it cannot overflow the stack.
 */
export function initMessage(payload: Record<string, unknown> | undefined, reserved: (name: string) => boolean): string {
  if (payload === undefined) return '{"type":"connection_init"}'
  const clean = without(payload, reserved)
  const headers = Object.hasOwn(clean, 'headers') ? clean.headers : undefined
  if (isObject(headers)) clean.headers = without(headers, reserved)
  return JSON.stringify({ type: 'connection_init', payload: clean })
}

function without(o: Record<string, unknown>, reserved: (name: string) => boolean): Record<string, unknown> {
  const out: Record<string, unknown> = {}
  for (const key of Object.keys(o)) {
    const name = dashed(key.toLowerCase())
    if (name.startsWith(PERMGATE_HEADER_PREFIX) || reserved(name)) continue
    // defineProperty: a `__proto__` key stays an own key (as JSON.parse made it), never a prototype
    Object.defineProperty(out, key, { value: o[key], enumerable: true, writable: true, configurable: true })
  }
  return out
}
