import type { IncomingHttpHeaders } from 'node:http'
import { SYSTEM_CLOCK, type Clock } from '../clock.js'
import { type BindingsStore, type SubjectKind } from '../bindings/types.js'
import { ANONYMOUS, type Principal } from '../identity/types.js'
import { PermgateError } from '../errors.js'
import { sha256Hex, subjectForApiKeyHash } from './api-key.js'
import { readCredential, type CredentialOptions } from './credential.js'
import { createJwtVerifier, type JwtVerifier } from './jwt.js'
import { resolveIdentityOptions } from './options.js'
import { TokenCache, type TokenCacheStats } from './token-cache.js'
import type { IdentityOptions } from './types.js'

const NO_GROUPS: readonly string[] = Object.freeze([])
/** Principals kept for reuse across tokens (the map is emptied when it reaches this). */
const DEFAULT_INTERNED_PRINCIPALS = 10_000

/** Request headers -> Principal: the identity stage. */
export class IdentityResolver {
  readonly #credential: CredentialOptions
  readonly #verify: JwtVerifier | undefined
  readonly #cache: TokenCache
  readonly #store: () => BindingsStore
  readonly #principals = new Map<string, Principal>()

  private constructor(credential: CredentialOptions, verify: JwtVerifier | undefined, cache: TokenCache, store: () => BindingsStore) {
    this.#credential = credential
    this.#verify = verify
    this.#cache = cache
    this.#store = store
  }

  /**
   * Checks `opts` and imports the JWT key (a bad configuration fails here, at start).
   * `store` is called per request, so a reloaded bindings store is used at once; `clock` is
   * what token expiry is checked against and what a remote JWK set's refetching runs on.
   */
  static async create(opts: IdentityOptions, store: () => BindingsStore, clock: Clock = SYSTEM_CLOCK): Promise<IdentityResolver> {
    const o = resolveIdentityOptions(opts)
    const verify = opts.jwt === undefined ? undefined : await createJwtVerifier(opts.jwt, clock)
    const credential = Object.freeze({ cookieName: o.cookieName, apiKeyLength: o.apiKeyLength })
    return new IdentityResolver(credential, verify, new TokenCache(o.tokenCacheSize, clock.now.bind(clock)), store)
  }

  /**
   * The principal a request presents. Synchronous for no credential (ANONYMOUS), an API key,
   * and a JWT verified before and not yet expired (the hot path: no await); a Promise only
   * when a JWT must be verified. A credential presented but not valid throws (or rejects)
   * a 401 PermgateError.
   */
  resolve(headers: IncomingHttpHeaders): Principal | Promise<Principal> {
    const credential = readCredential(headers, this.#credential)
    if (credential.kind === 'none') return ANONYMOUS
    if (credential.kind === 'apiKey') {
      const hex = sha256Hex(credential.token)
      // a database store may have to look the key up first
      const ready = this.#store().prepareApiKey?.(hex)
      if (ready !== undefined) return ready.then(() => this.#apiKeyPrincipal(hex))
      return this.#apiKeyPrincipal(hex)
    }
    if (this.#verify === undefined) {
      throw new PermgateError('PERMGATE_ERR_AUTH_NOT_CONFIGURED', 'a JWT was presented but identity.jwt is not configured; send an API key or no credential')
    }
    const hit = this.#cache.get(credential.token)
    if (hit === undefined) return this.#verifyAndCache(this.#verify, credential.token)
    const cached = hit.principal
    const id = cached.id ?? ''
    // The bindings store may have been reloaded since the token was verified.
    const kind = this.#store().subject(id)?.kind ?? 'user'
    if (kind === cached.kind) return cached
    const fresh = principal(kind, id, cached.groups)
    this.#cache.set(credential.token, { principal: fresh, expiresAtMs: hit.expiresAtMs })
    return fresh
  }

  /**
   * When the credential `headers` present stops being valid, epoch ms, asked right after
   * `resolve` accepted them (a long-lived connection is closed then): undefined when it does not
   * expire (no credential, an API key, a JWT without `exp`); 0, i.e. already expired, for a JWT
   * that is not in the token cache or a credential that cannot be read (deny on doubt).
   */
  expiryOf(headers: IncomingHttpHeaders): number | undefined {
    let credential
    try {
      credential = readCredential(headers, this.#credential)
    } catch {
      return 0
    }
    if (credential.kind !== 'jwt') return undefined
    const hit = this.#cache.peek(credential.token)
    return hit === undefined ? 0 : hit.expiresAtMs
  }

  #apiKeyPrincipal(hex: string): Principal {
    const store = this.#store()
    const id = subjectForApiKeyHash(store, hex)
    return principal(store.subject(id)?.kind ?? 'serviceAccount', id, NO_GROUPS)
  }

  stats(): TokenCacheStats {
    return this.#cache.stats()
  }

  /**
   * One principal object per subject without groups, shared by all its tokens: a new token of a
   * known subject then finds the principal's compiled masks by object, and allocates nothing.
   */
  #interned(kind: SubjectKind, id: string): Principal {
    const key = kind === 'user' ? id : `${kind}\u0000${id}`
    let p = this.#principals.get(key)
    if (p === undefined || p.kind !== kind) {
      if (this.#principals.size >= DEFAULT_INTERNED_PRINCIPALS) this.#principals.clear()
      p = principal(kind, id, NO_GROUPS)
      this.#principals.set(key, p)
    }
    return p
  }

  async #verifyAndCache(verify: JwtVerifier, token: string): Promise<Principal> {
    const { subject, groups, expiresAtMs } = await verify(token)
    const kind = this.#store().subject(subject)?.kind ?? 'user'
    const p = groups.length === 0 ? this.#interned(kind, subject) : principal(kind, subject, groups)
    this.#cache.set(token, { principal: p, expiresAtMs })
    return p
  }
}

/** Frozen: one cached principal is shared by every request presenting the same token. */
function principal(kind: SubjectKind, id: string, groups: readonly string[]): Principal {
  return Object.freeze({ kind, id, groups: Object.isFrozen(groups) ? groups : Object.freeze([...groups]) })
}
