import { cpSync, readFileSync, writeFileSync } from 'node:fs'
import { connect } from 'node:net'
import { join } from 'node:path'
import { expect } from 'vitest'
import { raw, type Answer } from '../helpers/http.js'
import { GRAPHQL_CODES } from '../../src/egress/graphql-errors.js'
import type { Harness } from '../helpers/proxy.js'
import { POLICY_HOUSTON } from '../helpers/shared.js'
import { tempFiles } from '../helpers/tmp.js'

/** One answer from permgate, read whole. */
export { raw }
export type { Answer }

export interface GraphQLErrorEntry {
  message: string
  extensions: Record<string, unknown>
}

/** `extensions.code` by status, as permgate answers them. */
const CODES = GRAPHQL_CODES

export async function answerOf(r: Response): Promise<Answer> {
  const headers: Record<string, string> = {}
  r.headers.forEach((v, k) => (headers[k] = v))
  return { status: r.status, headers, body: await r.text() }
}

/** fetch, read whole. */
export async function send(url: string, init: RequestInit = {}): Promise<Answer> {
  return answerOf(await fetch(url, init))
}

/** POST a JSON body (a string is sent as is) to the GraphQL endpoint. */
export function gql(h: Harness, body: unknown, headers: Record<string, string> = {}): Promise<Answer> {
  return send(h.graphql, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  })
}


/**
 * Raw bytes on a new TCP connection; resolves with everything answered once the connection
 * closes. `end` half-closes the connection after writing (the client sends nothing more).
 */
export function socket(base: string, bytes: string | Buffer, end = false): Promise<string> {
  const u = new URL(base)
  return new Promise((resolve, reject) => {
    const s = connect(Number(u.port), u.hostname, () => {
      s.write(bytes)
      if (end) s.end()
    })
    let data = ''
    s.setEncoding('latin1')
    s.on('data', (d: string) => (data += d))
    s.on('close', () => resolve(data))
    s.on('error', (e: NodeJS.ErrnoException) => (e.code === 'ECONNRESET' ? resolve(data) : reject(e)))
  })
}

/** The HTTP responses in a raw answer: status and body of each. */
export function responsesIn(text: string): { status: number; body: string }[] {
  const out: { status: number; body: string }[] = []
  for (const m of text.matchAll(/HTTP\/1\.1 (\d{3}) [^\r]*\r\n((?:[^\r]+\r\n)*)\r\n/g)) {
    const length = /content-length: *(\d+)/i.exec(m[2] ?? '')
    const start = (m.index ?? 0) + m[0].length
    out.push({ status: Number(m[1]), body: length ? text.slice(start, start + Number(length[1])) : '' })
  }
  return out
}

export function errorsIn(a: Pick<Answer, 'body'>): GraphQLErrorEntry[] {
  return (JSON.parse(a.body) as { errors: GraphQLErrorEntry[] }).errors
}

/**
 * A refusal answered by permgate itself: the status, its GraphQL code, the coded reason (a
 * PERMGATE_ERR_* code or a deny reason) and a decision id; and the upstream received nothing.
 */
export function expectRefused(h: Harness, a: Answer, status: number, reason: string, what = ''): void {
  expect(a.status, `${what} ${a.body.slice(0, 300)}`).toBe(status)
  const errors = errorsIn(a)
  expect(errors.length, what).toBeGreaterThan(0)
  expect(errors[0]!.extensions.code, what).toBe(CODES[status])
  expect(errors[0]!.extensions.reason, what).toBe(reason)
  expect(errors[0]!.extensions.decisionId, what).toEqual(expect.any(String))
  expect(h.upstream.count(), `${what}: the upstream received a request`).toBe(0)
}

/** An answer the upstream gave: forwarded exactly once. Returns what the upstream received. */
export function expectForwarded(h: Harness, a: Answer, status = 200, what = ''): NonNullable<Harness['upstream']['requests'][number]> {
  expect(a.status, `${what} ${a.body.slice(0, 300)}`).toBe(status)
  expect(h.upstream.count(), what).toBe(1)
  return h.upstream.requests[0]!
}

/** A copy of policies/houston whose policy.yaml says `introspection: <mode>`. */
export function houstonWithIntrospection(mode: 'public' | 'authenticated' | 'denied'): string {
  const dir = join(tempFiles({}), 'houston')
  cpSync(POLICY_HOUSTON, dir, { recursive: true })
  const file = join(dir, 'policy.yaml')
  const text = readFileSync(file, 'utf8')
  const line = `introspection: ${mode}`
  writeFileSync(file, /^introspection:.*$/m.test(text) ? text.replace(/^introspection:.*$/m, line) : `${text}\n${line}\n`)
  return dir
}

/** `alg: none` (or another spelling), no signature, written by hand: no library signs these. */
export function unsecured(claims: Record<string, unknown>, alg = 'none', signature = ''): string {
  const part = (o: object): string => Buffer.from(JSON.stringify(o)).toString('base64url')
  return `${part({ alg, typ: 'JWT' })}.${part(claims)}.${signature}`
}

export const nowSec = (): number => Math.floor(Date.now() / 1000)
