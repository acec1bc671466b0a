import { createHash, randomBytes, timingSafeEqual } from 'node:crypto'

/** How long a login lasts: 8 h. */
export const SESSION_TTL_MS = 8 * 60 * 60 * 1000
/** Sessions held at once; the oldest goes first. */
export const MAX_SESSIONS = 1000
/** The session cookie (HttpOnly, SameSite=Strict, Path=/explorer). */
export const SESSION_COOKIE = 'permgate_admin'

export interface Session {
  readonly id: string
  /** Every POST of the session carries it (hidden field `csrf`). */
  readonly csrf: string
  readonly expires: number
}

const digest = (s: string): Buffer => createHash('sha256').update(s, 'utf8').digest()

/** Equal strings, compared in constant time over their SHA-256 digests (lengths never leak). */
export function sameSecret(a: string, b: string): boolean {
  return timingSafeEqual(digest(a), digest(b))
}

/** The admin token and the explorer's login sessions, in memory (bounded, expiring). */
/** Failed admin-token attempts (login form or Bearer) allowed per minute; then 429 until the minute ends. */
export const MAX_FAILED_LOGINS_PER_MINUTE = 10

export class Sessions {
  readonly #token: string
  #failures = 0
  #windowStart = 0
  readonly #sessions = new Map<string, Session>()
  readonly #now: () => number

  constructor(token: string, now: () => number = Date.now) {
    this.#token = token
    this.#now = now
  }

  /** Whether `given` is the admin token. */
  tokenMatches(given: string): boolean {
    return sameSecret(given, this.#token)
  }

  /**
   * Guessing the token is throttled: after MAX_FAILED_LOGINS_PER_MINUTE wrong attempts in a
   * minute, every attempt (right or wrong) is refused until the minute ends.
   */
  throttled(): boolean {
    const now = this.#now()
    if (now - this.#windowStart >= 60_000) {
      this.#windowStart = now
      this.#failures = 0
    }
    return this.#failures >= MAX_FAILED_LOGINS_PER_MINUTE
  }

  failed(): void {
    this.#failures++
  }

  create(): Session {
    const now = this.#now()
    for (const [id, s] of this.#sessions) if (s.expires <= now) this.#sessions.delete(id)
    while (this.#sessions.size >= MAX_SESSIONS) {
      const oldest = this.#sessions.keys().next().value
      if (oldest === undefined) break
      this.#sessions.delete(oldest)
    }
    const s: Session = { id: randomBytes(32).toString('base64url'), csrf: randomBytes(32).toString('base64url'), expires: now + SESSION_TTL_MS }
    this.#sessions.set(s.id, s)
    return s
  }

  get(id: string | undefined): Session | undefined {
    if (id === undefined || id === '') return undefined
    const s = this.#sessions.get(id)
    if (s === undefined) return undefined
    if (s.expires <= this.#now()) {
      this.#sessions.delete(id)
      return undefined
    }
    return s
  }

  delete(id: string): void {
    this.#sessions.delete(id)
  }

  get size(): number {
    return this.#sessions.size
  }
}

/** One cookie's value from a Cookie header. */
export function cookieValue(header: string | undefined, name: string): string | undefined {
  if (header === undefined) return undefined
  for (const part of header.split(';')) {
    const eq = part.indexOf('=')
    if (eq < 0) continue
    if (part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim()
  }
  return undefined
}
