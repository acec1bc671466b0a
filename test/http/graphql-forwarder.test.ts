// An authorized GraphQL POST goes to the upstream on permgate's own undici Pool: the answer is
// streamed back as it arrives (never buffered whole), and a slow upstream is still answered 504.
import { createHash, randomBytes } from 'node:crypto'
import { once } from 'node:events'
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { join } from 'node:path'
import { SignJWT } from 'jose'
import { afterEach, describe, expect, it } from 'vitest'
import { buildApp } from '../../src/app.js'
import { loadServeConfig } from '../../src/config/load.js'
import { prepare } from '../../src/serve.js'
import { BINDINGS, post } from '../helpers/proxy.js'
import { POLICY_HOUSTON } from '../helpers/shared.js'
import { tempFiles } from '../helpers/tmp.js'

const MiB = 1024 * 1024
const CHUNK = 64 * 1024

interface Received {
  readonly headers: IncomingMessage['headers']
  readonly body: string
}

/** A loopback upstream whose answer the test writes: `answer` gets each request, once its body was read. */
async function customUpstream(answer: (res: ServerResponse) => void) {
  const received: Received[] = []
  const server = createServer((req, res) => {
    const chunks: Buffer[] = []
    req.on('data', (c: Buffer) => chunks.push(c))
    req.on('end', () => {
      received.push({ headers: req.headers, body: Buffer.concat(chunks).toString('utf8') })
      answer(res)
    })
  })
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  const { port } = server.address() as AddressInfo
  return {
    url: `http://127.0.0.1:${port}/graphql`,
    received,
    close: async () => {
      server.closeAllConnections()
      server.close()
      await once(server, 'close')
    },
  }
}

/** permgate (policies/houston, HS256) in front of `upstreamUrl`, on loopback port 0. */
async function permgate(upstreamUrl: string, extraArgs: string[] = []) {
  const secret = randomBytes(32).toString('hex')
  const dir = tempFiles({ 'bindings.yaml': BINDINGS, 'jwt.secret': secret })
  const config = loadServeConfig([
    '--policy', POLICY_HOUSTON,
    '--bindings', join(dir, 'bindings.yaml'),
    '--upstream', upstreamUrl,
    '--port', '0',
    '--jwt-secret-file', join(dir, 'jwt.secret'),
    '--jwt-algorithms', 'HS256',
    '--jwt-subject-claim', 'uuid',
    '--log-level', 'silent',
    '--decision-log', 'off',
    ...extraArgs,
  ])
  const app = buildApp(config, await prepare(config))
  const url = await app.listen({ host: '127.0.0.1', port: 0 })
  const token = await new SignJWT({ uuid: 'u-admin' }).setProtectedHeader({ alg: 'HS256' }).setIssuedAt().setExpirationTime('1h').sign(new TextEncoder().encode(secret))
  return { graphql: `${url}/graphql`, authorization: `Bearer ${token}`, close: () => app.close() }
}

const open: (() => Promise<void>)[] = []
afterEach(async () => {
  // the upstream first: it drops whatever it still holds, so permgate's pool has nothing to wait for
  for (const close of open.splice(0)) await close()
})

const sha256 = (b: Buffer | string) => createHash('sha256').update(b).digest('hex')

describe('an allowed GraphQL POST on the undici forwarder', () => {
  it('a 5 MiB answer is streamed: the client reads its start before the upstream writes its end, and gets every byte', async () => {
    // {"data":{"blob":"<5 MiB of hex>"}} in 64 KiB chunks; the last one waits for `release`
    const blob = randomBytes((5 * MiB) / 2).toString('hex')
    const answer = Buffer.from(`{"data":{"blob":"${blob}"}}`)
    let release!: () => void
    const released = new Promise<void>((resolve) => (release = resolve))
    let lastWritten = false
    const upstream = await customUpstream((res) => {
      res.writeHead(200, { 'content-type': 'application/json', 'x-upstream': 'custom', connection: 'x-hop', 'x-hop': 'upstream', 'keep-alive': 'timeout=5' })
      const last = answer.length - CHUNK
      let at = 0
      const more = (): void => {
        while (at < last) {
          const ok = res.write(answer.subarray(at, Math.min(at + CHUNK, last)))
          at = Math.min(at + CHUNK, last)
          if (!ok) return void res.once('drain', more)
        }
        void released.then(() => {
          lastWritten = true
          res.end(answer.subarray(last))
        })
      }
      more()
    })
    open.push(upstream.close)
    const p = await permgate(upstream.url)
    open.push(p.close)

    const r = await post(p.graphql, { query: '{ deployments }' }, { authorization: p.authorization })
    expect(r.status).toBe(200)
    expect(r.headers.get('x-upstream')).toBe('custom')
    // the upstream's own hop-by-hop headers are not relayed (permgate's server sends its own keep-alive)
    expect(r.headers.get('x-hop')).toBeNull()
    expect(r.headers.get('keep-alive')).not.toBe('timeout=5')
    const reader = r.body!.getReader()
    const chunks: Uint8Array[] = []
    let first = true
    for (;;) {
      const { done, value } = await reader.read()
      if (done) break
      if (first) {
        // permgate relayed the answer's start while the upstream still held its end
        expect(lastWritten).toBe(false)
        first = false
        release()
      }
      chunks.push(value)
    }
    const got = Buffer.concat(chunks)
    expect(got.length).toBe(answer.length)
    expect(sha256(got)).toBe(sha256(answer))

    // what the upstream received: the authorized body, framed and labelled for it
    expect(upstream.received).toHaveLength(1)
    const [req] = upstream.received
    expect(JSON.parse(req!.body)).toMatchObject({ query: '{ deployments }' })
    expect(req!.headers['content-length']).toBe(String(Buffer.byteLength(req!.body)))
    expect(req!.headers['content-type']).toBe('application/json')
    expect(req!.headers.host).toBe(new URL(upstream.url).host)
    expect(req!.headers['x-permgate-subject']).toBe('u-admin')
    expect(req!.headers['x-permgate-decision-id']).toEqual(expect.any(String))
  })

  it('an upstream slower than --upstream-timeout-ms: 504 GATEWAY_TIMEOUT / PERMGATE_ERR_UPSTREAM_TIMEOUT', async () => {
    // the upstream holds its answer until permgate has given up on it
    const held: ServerResponse[] = []
    const upstream = await customUpstream((res) => void held.push(res))
    open.push(upstream.close)
    const p = await permgate(upstream.url, ['--upstream-timeout-ms', '200'])
    open.push(p.close)

    const r = await post(p.graphql, { query: '{ deployments }' }, { authorization: p.authorization })
    expect(r.status).toBe(504)
    const { errors } = (await r.json()) as { errors: { extensions: Record<string, unknown> }[] }
    expect(errors[0]!.extensions).toMatchObject({ code: 'GATEWAY_TIMEOUT', reason: 'PERMGATE_ERR_UPSTREAM_TIMEOUT', decisionId: expect.any(String) })
    // it was forwarded, then given up on
    expect(upstream.received).toHaveLength(1)
    for (const res of held) res.end('{"data":null}')
  })

  it('an upstream that stalls after its headers: the answer is cut off (too late for a 504)', async () => {
    const upstream = await customUpstream((res) => {
      res.writeHead(200, { 'content-type': 'application/json' })
      res.write('{"data":{"blob":"')
    })
    open.push(upstream.close)
    const p = await permgate(upstream.url, ['--upstream-timeout-ms', '200'])
    open.push(p.close)

    const r = await post(p.graphql, { query: '{ deployments }' }, { authorization: p.authorization })
    expect(r.status).toBe(200)
    await expect(r.text()).rejects.toThrow()
  })
})
