import { createHmac, randomBytes } from 'node:crypto'

/** Houston signs its tokens with a passphrase: HS256, which also makes many tokens cheap to make. */
export const JWT_ALGORITHM = 'HS256'
/** The claim naming the subject, as in Houston's tokens. */
export const SUBJECT_CLAIM = 'uuid'
/** Lifetime of every benchmark token: the whole run, with room to spare. */
export const TOKEN_LIFETIME_S = 3600 // 1 h
/** Tokens signed at once by a stream; a batch of 10,000 takes about 30 ms. */
export const DEFAULT_TOKEN_BATCH = 10_000 // tokens
/** Bytes of the HMAC secret written for the run. */
export const SECRET_BYTES = 32

const HEADER = Buffer.from(JSON.stringify({ alg: JWT_ALGORITHM, typ: 'JWT' })).toString('base64url')

/** A fresh secret for one run, as text (permgate reads the secret file as UTF-8). */
export function newSecret(): string {
  return randomBytes(SECRET_BYTES).toString('base64url')
}

/**
 * An HS256 JWT signed with node:crypto directly: base64url(header).base64url(payload).
 * base64url(HMAC-SHA256). A few microseconds, against tens for a general-purpose signer.
 */
export function signToken(secret: string, subject: string, expSec: number, jti?: string): string {
  const claims = jti === undefined ? { [SUBJECT_CLAIM]: subject, exp: expSec } : { [SUBJECT_CLAIM]: subject, exp: expSec, jti }
  const head = `${HEADER}.${Buffer.from(JSON.stringify(claims)).toString('base64url')}`
  return `${head}.${createHmac('sha256', secret).update(head).digest('base64url')}`
}

/**
 * Tokens that never repeat: token n carries `jti: <prefix><n>` and the subject `subjectOf(n)`.
 * Signed in batches ahead of use, so a request takes a ready token; the batch is refilled
 * when it runs out, and only the current batch is held in memory.
 */
export class TokenStream {
  readonly #secret: string
  readonly #expSec: number
  readonly #prefix: string
  readonly #subjectOf: (n: number) => string
  readonly #batchSize: number
  #batch: string[] = []
  #at = 0
  #next: number
  #taken = 0

  constructor(opts: { secret: string; expSec: number; prefix: string; start: number; subjectOf: (n: number) => string; batchSize?: number }) {
    this.#secret = opts.secret
    this.#expSec = opts.expSec
    this.#prefix = opts.prefix
    this.#subjectOf = opts.subjectOf
    this.#batchSize = opts.batchSize ?? DEFAULT_TOKEN_BATCH
    this.#next = opts.start
    this.#fill()
  }

  next(): string {
    if (this.#at === this.#batch.length) this.#fill()
    this.#taken += 1
    return this.#batch[this.#at++] as string
  }

  /** Tokens handed out: the next run starts after them. */
  get taken(): number {
    return this.#taken
  }

  #fill(): void {
    const batch = new Array<string>(this.#batchSize)
    for (let i = 0; i < this.#batchSize; i++) {
      const n = this.#next++
      batch[i] = signToken(this.#secret, this.#subjectOf(n), this.#expSec, `${this.#prefix}${n}`)
    }
    this.#batch = batch
    this.#at = 0
  }
}
