import { hash } from 'node:crypto'
import type { BindingsStore } from '../bindings/types.js'
import { PermgateError } from '../errors.js'

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
  return id
}
