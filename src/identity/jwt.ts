import { jwtVerify, type JWTPayload, type JWTVerifyOptions } from 'jose'
import type { Clock } from '../clock.js'
import { PermgateError } from '../errors.js'
import { loadKey } from './jwt-key.js'
import { isForwardableSubject, MAX_SUBJECT_LENGTH } from '../bindings/subject.js'
import { fromJoseError } from './jwt-errors.js'
import { resolveJwtOptions, type ResolvedJwtOptions } from './options.js'
import type { JwtOptions } from './types.js'

export interface VerifiedToken {
  readonly subject: string
  readonly groups: readonly string[]
  /** The token's `exp` in epoch milliseconds; undefined when it has none (`requireExp: false`). */
  readonly expiresAtMs: number | undefined
}

/** Verifies one JWT; rejects with a 401 PermgateError. */
export type JwtVerifier = (token: string) => Promise<VerifiedToken>

const NO_GROUPS: readonly string[] = Object.freeze([])

/**
 * A JWT verifier for `opts`. The options are checked and a static key imported now, so a
 * bad configuration fails at start; `clock` is what `exp` and `nbf` are checked against, and
 * what a remote JWK set's age, cooldown and fetch timeout run on.
 */
export async function createJwtVerifier(opts: JwtOptions, clock: Clock): Promise<JwtVerifier> {
  const o = resolveJwtOptions(opts)
  const key = await loadKey(o.key, o.algorithms, clock)
  const base: JWTVerifyOptions = {
    algorithms: [...o.algorithms],
    clockTolerance: o.clockToleranceSec,
    requiredClaims: o.requireExp ? ['exp'] : [],
    ...(o.issuer !== undefined && { issuer: typeof o.issuer === 'string' ? o.issuer : [...o.issuer] }),
    ...(o.audience !== undefined && { audience: typeof o.audience === 'string' ? o.audience : [...o.audience] }),
  }
  // With the real clock jose reads it itself; an injected clock (tests) is passed per token.
  const realClock = clock.now === Date.now
  return async (token) => {
    // Parsing and crypto are work an attacker controls: bound the input before either.
    if (token.length > o.maxTokenBytes || Buffer.byteLength(token, 'utf8') > o.maxTokenBytes) {
      throw new PermgateError('PERMGATE_ERR_AUTH_TOKEN_TOO_LARGE', `the token is longer than ${o.maxTokenBytes} bytes`)
    }
    // jose decodes base64url leniently (padding, stray low bits): refuse every spelling but the
    // canonical one, so that a verified token has exactly one string form (one cache entry, one
    // value for an upstream or a revocation list to compare).
    if (!canonical(token)) throw new PermgateError('PERMGATE_ERR_AUTH_TOKEN_INVALID', 'the token is not in canonical base64url (padding or stray bits)')
    let payload: JWTPayload
    try {
      const options = realClock ? base : { ...base, currentDate: new Date(clock.now()) }
      ;({ payload } = await (typeof key === 'function' ? jwtVerify(token, key, options) : jwtVerify(token, key, options)))
    } catch (e) {
      throw fromJoseError(e)
    }
    return {
      subject: subjectOf(payload, o),
      groups: groupsOf(payload, o),
      expiresAtMs: typeof payload.exp === 'number' ? payload.exp * 1000 : undefined,
    }
  }
}

/** Every segment of a compact JWS is exactly base64url's own encoding of what it decodes to. */
function canonical(token: string): boolean {
  let start = 0
  for (;;) {
    const dot = token.indexOf('.', start)
    const segment = dot < 0 ? token.slice(start) : token.slice(start, dot)
    if (Buffer.from(segment, 'base64url').toString('base64url') !== segment) return false
    if (dot < 0) return true
    start = dot + 1
  }
}

function subjectOf(payload: JWTPayload, o: ResolvedJwtOptions): string {
  const sub = claim(payload, o.subjectClaim)
  if (typeof sub !== 'string' || sub === '') {
    throw new PermgateError('PERMGATE_ERR_AUTH_TOKEN_CLAIMS', `the token has no subject: claim "${o.subjectClaim}" must be a non-empty string`)
  }
  // the value is not repeated in the message: it is the part that cannot be shown safely
  if (!isForwardableSubject(sub)) {
    throw new PermgateError(
      'PERMGATE_ERR_AUTH_TOKEN_CLAIMS',
      `the token subject (claim "${o.subjectClaim}") must be at most ${MAX_SUBJECT_LENGTH} printable ASCII characters, without control characters or surrounding spaces`,
    )
  }
  return sub
}

function groupsOf(payload: JWTPayload, o: ResolvedJwtOptions): readonly string[] {
  if (o.groupsClaim === undefined) return NO_GROUPS
  const groups = claim(payload, o.groupsClaim)
  if (groups === undefined) return NO_GROUPS
  if (!Array.isArray(groups) || !groups.every((g) => typeof g === 'string')) {
    throw new PermgateError('PERMGATE_ERR_AUTH_TOKEN_CLAIMS', `the token claim "${o.groupsClaim}" must be a list of group names`)
  }
  return Object.freeze([...(groups as string[])])
}

/** Own claims only: a claim name such as `constructor` must not reach Object.prototype. */
function claim(payload: JWTPayload, name: string): unknown {
  return Object.hasOwn(payload, name) ? payload[name] : undefined
}
