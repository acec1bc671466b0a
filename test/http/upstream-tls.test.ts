import { createServer, type Server } from 'node:https'
import type { AddressInfo } from 'node:net'
import { join } from 'node:path'
import { exportJWK, exportSPKI, generateKeyPair, SignJWT, type KeyLike } from 'jose'
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest'
import WebSocket, { WebSocketServer } from 'ws'
import { buildApp } from '../../src/app.js'
import { loadServeConfig } from '../../src/config/load.js'
import { prepare } from '../../src/serve.js'
import { BINDINGS, post } from '../helpers/proxy.js'
import { POLICY_HOUSTON } from '../helpers/shared.js'
import { tempFiles } from '../helpers/tmp.js'
import { testPki, type TestPki } from '../helpers/tls.js'
import { openWs } from '../helpers/ws.js'

// An https:// upstream (and a wss:// one, and an https:// JWK set) with a certificate from a
// private CA, on loopback: refused unless permgate is told to trust that CA.

interface TlsUpstream {
  readonly origin: string
  /** Requests that got past the TLS handshake: HTTP requests and WebSocket upgrades. */
  readonly seen: { method: string; url: string }[]
  close(): Promise<void>
}

let pki: TestPki
let upstream: TlsUpstream
let signing: KeyLike
let dir: string

/** Answers POST /graphql, GET /jwks.json, and graphql-transport-ws upgrades (connection_init -> ack). */
async function startTlsUpstream(jwks: unknown): Promise<TlsUpstream> {
  const seen: { method: string; url: string }[] = []
  const server: Server = createServer({ cert: pki.cert, key: pki.key }, (req, res) => {
    seen.push({ method: req.method ?? '', url: req.url ?? '' })
    req.resume()
    req.on('end', () => {
      const body = req.url === '/jwks.json' ? jwks : { data: { deployments: [] } }
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(body))
    })
  })
  const wss = new WebSocketServer({ noServer: true, handleProtocols: (p) => [...p][0] ?? false })
  server.on('upgrade', (req, socket, head) => {
    seen.push({ method: 'UPGRADE', url: req.url ?? '' })
    wss.handleUpgrade(req, socket, head, (ws) => {
      ws.on('message', (data) => {
        if ((JSON.parse(data.toString()) as { type: string }).type === 'connection_init') ws.send(JSON.stringify({ type: 'connection_ack' }))
      })
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return {
    origin: `https://127.0.0.1:${(server.address() as AddressInfo).port}`,
    seen,
    close: async () => {
      for (const c of wss.clients) c.terminate()
      server.closeAllConnections()
      await new Promise<void>((resolve) => server.close(() => resolve()))
    },
  }
}

interface Permgate {
  readonly url: string
  close(): Promise<void>
}
const open: Permgate[] = []

/** permgate (policies/houston, RS256 PEM key unless the args name a JWK set) in front of the TLS upstream. */
async function permgate(args: string[], logLevel = 'silent'): Promise<Permgate> {
  const key = args.includes('--jwks-url') ? [] : ['--jwt-public-key', join(dir, 'jwt.pem')]
  const config = loadServeConfig([
    '--policy', POLICY_HOUSTON,
    '--bindings', join(dir, 'bindings.yaml'),
    '--upstream', `${upstream.origin}/graphql`,
    '--port', '0',
    ...key,
    '--jwt-subject-claim', 'uuid',
    '--log-level', logLevel,
    '--decision-log', 'off',
    ...args,
  ])
  const app = buildApp(config, await prepare(config))
  const url = await app.listen({ host: '127.0.0.1', port: 0 })
  const p = { url, close: () => app.close() }
  open.push(p)
  return p
}

const adminToken = (kid?: string): Promise<string> =>
  new SignJWT({ uuid: 'u-admin' }).setProtectedHeader({ alg: 'RS256', ...(kid === undefined ? {} : { kid }) }).setExpirationTime('1h').sign(signing)

async function query(p: Permgate): Promise<{ status: number; reason: unknown }> {
  const r = await post(`${p.url}/graphql`, { query: '{ deployments }' }, { authorization: `Bearer ${await adminToken('k1')}` })
  const body = (await r.json()) as { errors?: { extensions: { code: string; reason: string } }[] }
  const e = body.errors?.[0]?.extensions
  return { status: r.status, reason: e === undefined ? undefined : { code: e.code, reason: e.reason } }
}

/** connection_init through permgate's relay: 'ack' when the wss:// upstream acknowledged, else the close code. */
async function init(p: Permgate): Promise<'ack' | number> {
  const c = await openWs(`${p.url}/graphql`, 'graphql-transport-ws')
  c.send({ type: 'connection_init' })
  const result = await Promise.race([c.next((m) => m.type === 'connection_ack', 5_000).then(() => 'ack' as const), c.closed.then((x) => x.code)])
  if (c.ws.readyState !== WebSocket.CLOSED) c.close()
  return result
}

beforeAll(async () => {
  pki = testPki()
  const { publicKey, privateKey } = await generateKeyPair('RS256', { extractable: true })
  signing = privateKey
  dir = tempFiles({ 'bindings.yaml': BINDINGS, 'jwt.pem': await exportSPKI(publicKey) })
  upstream = await startTlsUpstream({ keys: [{ ...(await exportJWK(publicKey)), alg: 'RS256', use: 'sig', kid: 'k1' }] })
})
afterEach(async () => {
  await Promise.all(open.splice(0).map((p) => p.close()))
  upstream.seen.length = 0
})
afterAll(async () => {
  await upstream?.close()
})

const REFUSED = { http: { status: 502, reason: { code: 'BAD_GATEWAY', reason: 'PERMGATE_ERR_UPSTREAM_TLS' } }, ws: 1011 } as const
const SERVED = { http: { status: 200, reason: undefined }, ws: 'ack' } as const

// Each row: the TLS flags, and what an HTTP query and a WebSocket connection_init get.
const CASES: { name: string; args: (p: TestPki) => string[]; expected: typeof REFUSED | typeof SERVED }[] = [
  { name: 'no CA given: Node\'s CA store does not know the private CA', args: () => [], expected: REFUSED },
  { name: '--upstream-ca-file with the CA that signed the certificate', args: (p) => ['--upstream-ca-file', p.caFile], expected: SERVED },
  { name: '--upstream-ca-file with another CA (the configured CA replaces, not widens, the roots)', args: (p) => ['--upstream-ca-file', p.otherCaFile], expected: REFUSED },
  { name: '--upstream-server-name that the certificate carries', args: (p) => ['--upstream-ca-file', p.caFile, '--upstream-server-name', 'upstream.internal'], expected: SERVED },
  { name: '--upstream-server-name that the certificate does not carry', args: (p) => ['--upstream-ca-file', p.caFile, '--upstream-server-name', 'other.example'], expected: REFUSED },
  { name: '--upstream-insecure-skip-verify', args: () => ['--upstream-insecure-skip-verify'], expected: SERVED },
]

describe.each(CASES)('$name', ({ args, expected }) => {
  it(`HTTP: ${expected.http.status}`, async () => {
    const p = await permgate(args(pki))
    expect(await query(p)).toEqual(expected.http)
    // a refused certificate: nothing was sent past the handshake
    expect(upstream.seen).toEqual(expected.ws !== 'ack' ? [] : [{ method: 'POST', url: '/graphql' }])
  })

  it(`wss://: ${expected.ws === 'ack' ? 'connection_ack' : `closed ${expected.ws}`}`, async () => {
    const p = await permgate(args(pki))
    expect(await init(p)).toBe(expected.ws)
    expect(upstream.seen).toEqual(expected.ws !== 'ack' ? [] : [{ method: 'UPGRADE', url: '/graphql' }])
  })
})

it('wss://: a legacy client hears why: connection_error with PERMGATE_ERR_UPSTREAM_TLS, then 1011', async () => {
  const p = await permgate([])
  const c = await openWs(`${p.url}/graphql`, 'graphql-ws')
  c.send({ type: 'connection_init' })
  expect((await c.closed).code).toBe(1011)
  const e = c.messages.find((m) => m.type === 'connection_error')
  expect((e?.payload as { extensions: Record<string, unknown> }).extensions.reason).toBe('PERMGATE_ERR_UPSTREAM_TLS')
  expect(upstream.seen).toEqual([])
})

/** The warn-level lines logged while `fn` runs (pino writes through process.stdout once its write is replaced). */
async function warnings(fn: () => Promise<unknown>): Promise<Record<string, unknown>[]> {
  const lines: string[] = []
  const spy = vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    lines.push(...chunk.toString().split('\n').filter(Boolean))
    return true
  })
  try {
    await fn()
  } finally {
    spy.mockRestore()
  }
  return lines.map((l) => JSON.parse(l) as Record<string, unknown>).filter((l) => l.level === 40)
}

describe('what is logged', () => {
  it('--upstream-insecure-skip-verify: one warning at start naming the option; none without it', async () => {
    const warned = await warnings(() => permgate(['--upstream-insecure-skip-verify'], 'warn'))
    expect(warned).toHaveLength(1)
    expect(warned[0]!.msg).toContain('upstreamInsecureSkipVerify')
    expect(await warnings(() => permgate(['--upstream-ca-file', pki.caFile], 'warn'))).toEqual([])
  })

  it('a refused certificate is logged at warn with its TLS reason', async () => {
    const warned = await warnings(async () => query(await permgate([], 'warn')))
    expect(warned).toContainEqual(expect.objectContaining({ tlsError: 'UNABLE_TO_VERIFY_LEAF_SIGNATURE', decisionId: expect.any(String) }))
  })
})

describe('an https:// JWK set is verified too', () => {
  const jwks = (): string[] => ['--upstream-ca-file', pki.caFile, '--jwks-url', `${upstream.origin}/jwks.json`, '--jwt-algorithms', 'RS256']

  it('without --jwks-ca-file the endpoint\'s certificate is refused: no key, 401 PERMGATE_ERR_AUTH_NO_KEY', async () => {
    const p = await permgate(jwks())
    expect(await query(p)).toEqual({ status: 401, reason: { code: 'UNAUTHENTICATED', reason: 'PERMGATE_ERR_AUTH_NO_KEY' } })
    expect(upstream.seen).toEqual([])
  })

  it('with --jwks-ca-file the set is fetched and the token verified: 200', async () => {
    const p = await permgate([...jwks(), '--jwks-ca-file', pki.caFile])
    expect(await query(p)).toEqual({ status: 200, reason: undefined })
    expect(upstream.seen).toEqual([{ method: 'GET', url: '/jwks.json' }, { method: 'POST', url: '/graphql' }])
  })

  it('--jwks-ca-file with another CA: refused', async () => {
    const p = await permgate([...jwks(), '--jwks-ca-file', pki.otherCaFile])
    expect((await query(p)).status).toBe(401)
    expect(upstream.seen).toEqual([])
  })
})
