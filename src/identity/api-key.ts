import { hash } from 'node:crypto'
import type { BindingsStore } from '../bindings/types.js'
import { PermgateError } from '../errors.js'
import { isForwardableSubject } from '../bindings/subject.js'

/** Hex SHA-256 of a string's UTF-8 bytes. */
export function sha256Hex(s: string): string {
  return hash('sha256', s, 'hex')
}

/**
 * The subject id owning a service-account API key. Only the key's SHA-256 is looked up
 * and stored, so neither the bindings file nor a heap dump holds a usable key; a map lookup
 * by hash leaks at most timing about the hash, not the key.
 */
export function subjectForApiKey(store: BindingsStore, key: string): string {
  return subjectForApiKeyHash(store, sha256Hex(key))
}

/** The same, from the key's hex SHA-256. */
export function subjectForApiKeyHash(store: BindingsStore, hex: string): string {
  const id = store.subjectByApiKeySha256(hex)
  if (id === undefined) throw new PermgateError('PERMGATE_ERR_AUTH_UNKNOWN_API_KEY', 'the API key matches no service account')
  // a database row is not checked when it is written: a subject that cannot be sent upstream is refused here
  if (!isForwardableSubject(id)) throw new PermgateError('PERMGATE_ERR_AUTH_TOKEN_CLAIMS', 'the service account of this API key has a subject id that cannot be forwarded (control or non-ASCII characters, surrounding spaces, over 256 characters)')
  return id
}
