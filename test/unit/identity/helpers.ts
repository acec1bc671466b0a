import { KeyObject, sign as nodeSign } from 'node:crypto'
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { exportJWK, exportSPKI, generateKeyPair, SignJWT, type KeyLike, type JWK, type JWTPayload } from 'jose'
import { expect } from 'vitest'
import { FileBindingsStore } from '../../../src/bindings/file.js'
import type { SubjectEntry } from '../../../src/bindings/types.js'
import { PermgateError } from '../../../src/errors.js'

/** The fixed clock: 2025-01-01T00:00:00Z. */
export const NOW_MS = Date.UTC(2025, 0, 1)
export const NOW_SEC = NOW_MS / 1000

export interface TestKey {
  readonly alg: string
  readonly privateKey: KeyLike
  readonly publicKeyPem: string
  readonly publicJwk: JWK
}

export async function testKey(alg: 'RS256' | 'ES256', kid?: string): Promise<TestKey> {
  const { privateKey, publicKey } = await generateKeyPair(alg, { extractable: true })
  const publicJwk = { ...(await exportJWK(publicKey)), alg, use: 'sig', ...(kid !== undefined && { kid }) }
  return { alg, privateKey, publicKeyPem: await exportSPKI(publicKey), publicJwk }
}

/** A token valid at NOW: `sub` alice, expiring in an hour, unless `claims` say otherwise (undefined drops a claim). */
export function sign(key: KeyLike | Uint8Array, alg: string, claims: Record<string, unknown> = {}, header: Record<string, unknown> = {}): Promise<string> {
  return new SignJWT({ sub: 'alice', iat: NOW_SEC, exp: NOW_SEC + 3600, ...claims } as JWTPayload)
    .setProtectedHeader({ ...header, alg })
    .sign(key)
}

/** A JWT with `alg: none` and an empty signature (RFC 7519 §6), written by hand. */
export function unsecuredToken(claims: Record<string, unknown>): string {
  const part = (o: object): string => Buffer.from(JSON.stringify(o)).toString('base64url')
  return `${part({ alg: 'none', typ: 'JWT' })}.${part({ sub: 'alice', exp: NOW_SEC + 3600, ...claims })}.`
}

export { thrown } from '../../helpers/errors.js'

/** The error `p` rejects with. */
export async function rejected(p: unknown): Promise<PermgateError> {
  try {
    await p
  } catch (e) {
    expect(e).toBeInstanceOf(PermgateError)
    return e as PermgateError
  }
  throw new Error('expected a rejection')
}

/** A bindings store holding only these subjects. */
export function storeOf(subjects: Record<string, Omit<SubjectEntry, 'bindings'>>): FileBindingsStore {
  const entries = Object.entries(subjects).map(([id, s]): [string, SubjectEntry] => [id, { ...s, bindings: [] }])
  return new FileBindingsStore(new Map(), new Map(entries), new Map())
}

export interface JwksServer {
  readonly url: string
  /** Requests received so far. */
  readonly requests: () => number
  setKeys(keys: JWK[]): void
  /** While on, requests are taken and never answered (a stuck identity provider); off drops the held ones. */
  hang(on: boolean): void
  close(): Promise<void>
}

/** A JWK set served on 127.0.0.1, port 0. */
export async function startJwksServer(keys: JWK[]): Promise<JwksServer> {
  let served = keys
  let count = 0
  let hanging = false
  const held = new Set<ServerResponse>()
  const server: Server = createServer((_req: IncomingMessage, res: ServerResponse) => {
    count += 1
    if (hanging) return void held.add(res)
    res.writeHead(200, { 'content-type': 'application/jwk-set+json' })
    res.end(JSON.stringify({ keys: served }))
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  return {
    url: `http://127.0.0.1:${port}/.well-known/jwks.json`,
    requests: () => count,
    setKeys: (k) => {
      served = k
    },
    hang: (on) => {
      hanging = on
      for (const res of held) res.destroy()
      held.clear()
    },
    close: () =>
      new Promise<void>((resolve, reject) => {
        for (const res of held) res.destroy()
        server.closeAllConnections()
        server.close((e) => (e ? reject(e) : resolve()))
      }),
  }
}

/**
 * A self-signed X.509 certificate PEM for `key`'s public key (ECDSA P-256), built as DER
 * here (RFC 5280 §4.1) so the tests need no openssl and no key fixture.
 */
export async function selfSignedCertPem(key: TestKey): Promise<string> {
  const tlv = (tag: number, ...parts: Buffer[]): Buffer => {
    const body = Buffer.concat(parts)
    const n = body.length
    const len = n < 0x80 ? [n] : n < 0x100 ? [0x81, n] : [0x82, n >> 8, n & 0xff]
    return Buffer.concat([Buffer.from([tag, ...len]), body])
  }
  const seq = (...p: Buffer[]): Buffer => tlv(0x30, ...p)
  const ecdsaWithSha256 = seq(Buffer.from('06082a8648ce3d040302', 'hex'))
  const name = seq(tlv(0x31, seq(Buffer.from('0603550403', 'hex'), tlv(0x0c, Buffer.from('permgate test')))))
  const validity = seq(tlv(0x17, Buffer.from('250101000000Z')), tlv(0x17, Buffer.from('491231235959Z')))
  const spki = Buffer.from(key.publicKeyPem.replace(/-----[^-]+-----|\s/g, ''), 'base64')
  const tbs = seq(Buffer.from('a003020102', 'hex'), Buffer.from('020101', 'hex'), ecdsaWithSha256, name, validity, name, spki)
  const signature = nodeSign('sha256', tbs, key.privateKey as KeyObject)
  const cert = seq(tbs, ecdsaWithSha256, tlv(0x03, Buffer.from([0]), signature))
  const b64 = (cert.toString('base64').match(/.{1,64}/g) ?? []).join('\n')
  return `-----BEGIN CERTIFICATE-----\n${b64}\n-----END CERTIFICATE-----\n`
}
