import { createSecretKey, KeyObject } from 'node:crypto'
import { createLocalJWKSet, importJWK, importSPKI, importX509, type FlattenedJWSInput, type JSONWebKeySet, type JWK, type JWTHeaderParameters, type JWTVerifyGetKey, type KeyLike } from 'jose'
import { Agent, fetch as fetchWith } from 'undici'
import type { Clock } from '../clock.js'
import { PermgateError } from '../errors.js'
import type { KeySource } from './options.js'

type Key = KeyLike | Uint8Array

/**
 * The key lookup handed to `jwtVerify`. A static key is imported once here, one key object
 * per allowed algorithm, so a key that cannot
 * serve an allowed algorithm fails at start, not per request. A remote JWK set is selected
 * by `alg` and `kid` only: `jku`, `x5u`, `x5c` and `kid` are never used as URLs or paths
 * (RFC 8725 §3.10; letting the token name its key's location lets an attacker pick the key).
 */
export async function loadKey(source: KeySource, algorithms: readonly string[], clock: Clock): Promise<JWTVerifyGetKey | Key> {
  if (source.kind === 'jwks') return remoteKey(source, clock)
  const keys = new Map<string, Key>()
  for (const alg of algorithms) {
    try {
      const key = await importStatic(source, alg)
      if (!keyFits(key, alg)) throw new Error('key type')
      keys.set(alg, key)
    } catch {
      throw new PermgateError('PERMGATE_ERR_CONFIG_CONTRADICTION', `identity.jwt.${sourceName(source)} cannot verify ${alg} tokens (wrong key type, or not a key)`)
    }
  }
  return keyLookup(keys)
}

/**
 * One key per allowed algorithm. jose checks `alg` against the allow-list before it asks for a
 * key, so with a single algorithm the key itself is handed over (no lookup call per token).
 */
export function keyLookup(keys: ReadonlyMap<string, Key>): JWTVerifyGetKey | Key {
  if (keys.size === 1) return keys.values().next().value as Key
  return async (header) => {
    const key = keys.get(header.alg)
    if (key === undefined) throw new PermgateError('PERMGATE_ERR_AUTH_TOKEN_ALGORITHM', 'the token algorithm is not allowed')
    return key
  }
}

async function importStatic(source: Exclude<KeySource, { kind: 'jwks' }>, alg: string): Promise<Key> {
  switch (source.kind) {
    case 'secret':
      // a node KeyObject: jose's Node runtime verifies HMAC with node:crypto, without WebCrypto's async hop
      return createSecretKey(source.secret)
    case 'jwk':
      return importJWK(source.jwk as unknown as JWK, alg)
    case 'pem':
      return source.pem.includes('-----BEGIN CERTIFICATE-----') ? importX509(source.pem, alg) : importSPKI(source.pem, alg)
  }
}

const CURVES: Readonly<Record<string, string>> = { ES256: 'prime256v1', ES384: 'secp384r1', ES512: 'secp521r1' }

/**
 * Whether a key can verify `alg`, checked at start: jose's Node runtime imports a PEM without
 * binding it to an algorithm, so an RSA key listed for ES256 or HS256 would otherwise only
 * fail per request (and an RSA public key must never be usable as an HMAC secret).
 */
function keyFits(key: Key, alg: string): boolean {
  if (!(key instanceof KeyObject)) return alg.startsWith('HS')
  if (alg.startsWith('HS')) return key.type === 'secret'
  if (key.type !== 'public') return false
  const type = key.asymmetricKeyType
  if (alg.startsWith('RS')) return type === 'rsa'
  if (alg.startsWith('PS')) return type === 'rsa' || type === 'rsa-pss'
  if (alg.startsWith('ES')) return type === 'ec' && key.asymmetricKeyDetails?.namedCurve === CURVES[alg]
  if (alg === 'EdDSA' || alg === 'Ed25519') return type === 'ed25519' || (alg === 'EdDSA' && type === 'ed448')
  return false
}

/**
 * A remote JWK set. Keys are looked up in the last set fetched; the set is fetched on first
 * use, again in the background once older than `cacheMaxAgeMs`, and at once for an unknown
 * `kid` (a rotation), never more than once per `cooldownMs` once a set is held. While the
 * endpoint is down or hung the last set fetched keeps verifying: a key already known never
 * waits for the endpoint, and an unknown kid waits at most one fetch (`timeoutMs`). Ages,
 * cooldown and timeout run on `clock`.
 * (jose's createRemoteJWKSet refetches a set past its max age before every lookup and fails
 * the lookup when that fetch fails: an outage longer than the max age rejected every token.)
 */
function remoteKey(source: Extract<KeySource, { kind: 'jwks' }>, clock: Clock): JWTVerifyGetKey {
  let local: ReturnType<typeof createLocalJWKSet> | undefined
  let fetchedAt = Number.NEGATIVE_INFINITY
  let triedAt = Number.NEGATIVE_INFINITY
  let pending: Promise<void> | undefined
  const get = jwksFetch(source.ca)
  const fetchSet = (): Promise<void> =>
    (pending ??= (async () => {
      triedAt = clock.now()
      // the timeout covers the whole fetch, body included
      const abort = new AbortController()
      const timer = clock.setTimeout(() => abort.abort(new DOMException(`the JWK set fetch took over ${source.timeoutMs} ms`, 'TimeoutError')), source.timeoutMs)
      try {
        const r = await get(source.url, { redirect: 'manual', headers: { accept: 'application/jwk-set+json, application/json' }, signal: abort.signal })
        if (r.status !== 200) throw new Error(`the JWK set endpoint answered ${r.status}`)
        local = createLocalJWKSet(JSON.parse(await boundedText(r, MAX_JWKS_BYTES)) as JSONWebKeySet)
        fetchedAt = clock.now()
      } finally {
        clock.clearTimeout(timer)
        pending = undefined
      }
    })())
  const lookup = async (header: JWTHeaderParameters, token: FlattenedJWSInput): Promise<KeyLike> => {
    if (local === undefined) await fetchSet()
    else if (clock.now() - fetchedAt >= source.cacheMaxAgeMs && clock.now() - triedAt >= source.cooldownMs) void fetchSet().catch(() => undefined)
    try {
      return await local!(header, token)
    } catch (e) {
      if ((e as { code?: unknown } | null)?.code !== 'ERR_JWKS_NO_MATCHING_KEY') throw e
      if (pending === undefined && clock.now() - triedAt < source.cooldownMs) throw e
      await fetchSet()
      return local!(header, token)
    }
  }
  return async (header, token) => {
    try {
      return await lookup(header, token)
    } catch (e) {
      // The set cannot do this alg (e.g. HS256): an algorithm problem, not a missing key.
      if ((e as { code?: unknown } | null)?.code === 'ERR_JOSE_NOT_SUPPORTED') {
        throw new PermgateError('PERMGATE_ERR_AUTH_TOKEN_ALGORITHM', 'the token algorithm cannot be verified with a JWK set')
      }
      // No matching kid, several, a timeout, a malformed set, or the fetch itself failing
      // (undici reports a refused connection as a TypeError): no key to trust.
      throw new PermgateError('PERMGATE_ERR_AUTH_NO_KEY', 'no key in the JWK set verifies this token (unknown kid, or the JWK set could not be fetched)')
    }
  }
}

interface JwksResponse {
  readonly status: number
  readonly headers: { get(name: string): string | null }
  readonly body: ReadableStream<Uint8Array> | null
}
type JwksFetch = (url: URL, init: { redirect: 'manual'; headers: Record<string, string>; signal: AbortSignal }) => Promise<JwksResponse>

/** A JWK set is a few keys: 1 MiB is far beyond any real one, and bounds what a broken or hostile endpoint can make permgate hold. */
export const MAX_JWKS_BYTES = 1024 * 1024

/** The response body as UTF-8, refused (and the download cancelled) past `max` bytes. */
async function boundedText(r: JwksResponse, max: number): Promise<string> {
  const declared = Number(r.headers.get('content-length') ?? NaN)
  if (declared > max) throw new Error(`the JWK set is larger than ${max} bytes`)
  if (r.body === null) return ''
  const chunks: Uint8Array[] = []
  let total = 0
  const reader = r.body.getReader()
  for (;;) {
    const { done, value } = await reader.read()
    if (done) break
    total += value.byteLength
    if (total > max) {
      await reader.cancel()
      throw new Error(`the JWK set is larger than ${max} bytes`)
    }
    chunks.push(value)
  }
  return Buffer.concat(chunks, total).toString('utf8')
}

/**
 * Node's fetch (which verifies against Node's CA store), or, with a private CA, undici's fetch
 * through an agent trusting only that CA: Node's own fetch takes no CA option, and a dispatcher
 * of another undici version is not safe to hand to it. Verification is never turned off.
 */
function jwksFetch(ca: string | undefined): JwksFetch {
  if (ca === undefined) return fetch
  const dispatcher = new Agent({ connect: { ca, rejectUnauthorized: true } })
  return (url, init) => fetchWith(url, { ...init, dispatcher })
}

function sourceName(source: KeySource): string {
  return source.kind === 'pem' ? 'publicKeyPem' : source.kind
}
