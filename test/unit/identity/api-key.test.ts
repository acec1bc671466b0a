import { createHash } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { sha256Hex, subjectForApiKey } from '../../../src/identity/api-key.js'
import { storeOf, thrown } from './helpers.js'

const KEY = '0123456789abcdef0123456789abcdef'

describe('API keys', () => {
  it('hashes with SHA-256, hex', () => {
    expect(sha256Hex('abc')).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad')
  })

  it('finds the subject by the hash of its key', () => {
    const store = storeOf({ robot: { kind: 'serviceAccount', apiKeySha256: createHash('sha256').update(KEY).digest('hex') } })
    expect(subjectForApiKey(store, KEY)).toBe('robot')
  })

  it('is 401 for an unknown key, without the key in the message', () => {
    const e = thrown(() => subjectForApiKey(storeOf({}), KEY))
    expect(e.code).toBe('PERMGATE_ERR_AUTH_UNKNOWN_API_KEY')
    expect(e.status).toBe(401)
    expect(e.message).not.toContain(KEY)
  })
})
