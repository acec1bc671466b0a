// Requests to Houston's REST routes through permgate (../shared/houston/endpoints.md §5), and the
// three outcomes a test asserts about each: forwarded whole, refused with a reason, or selected by
// no rule. Each asserts what the stand-in upstream received: exactly the request, or nothing.
import { expect } from 'vitest'
import type { DemoUpstream } from '../../src/demo/upstream.js'
import { raw } from './http.js'

export type Headers = Record<string, string>

/** permgate's address and the stand-in behind it (a Harness, a started profile). */
export interface Gateway {
  readonly url: string
  readonly upstream: DemoUpstream
}

/** HTTP Basic, as Docker clients send it to the registry's token realm. */
export const basic = (user: string, password: string): Headers => ({ authorization: `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}` })
/** nginx auth_request's header: the URL the browser asked for. */
export const originalUrl = (url: string): Headers => ({ 'x-original-url': url })
/** The registry's token request for these scopes. */
export const scopes = (...s: string[]): string => `/v1/registry/authorization?service=docker-registry${s.map((x) => `&scope=${encodeURIComponent(x)}`).join('')}`
/** A Docker scope on `<name>/airflow`. */
export const repo = (name: string, actions: string): string => `repository:${name}/airflow:${actions}`

/** The reason of permgate's refusal body. */
export function reasonOf(body: string): string {
  return (JSON.parse(body) as { errors: { extensions: { reason: string } }[] }).errors[0]!.extensions.reason
}

/** Forwarded: the stand-in received this one request, at the path as sent. */
export async function forwarded(g: Gateway, method: string, path: string, headers: Headers, body?: string): Promise<void> {
  g.upstream.reset()
  const r = await raw(g.url, method, path, headers, body)
  expect(g.upstream.count(), `${method} ${path}: ${r.status} ${r.body.slice(0, 200)}`).toBe(1)
  expect(g.upstream.requests[0]!.url).toBe(path)
}

/** Refused by permgate with `status` and `reason`; the stand-in received nothing. */
export async function refused(g: Gateway, method: string, path: string, headers: Headers, status: number, reason: string): Promise<void> {
  g.upstream.reset()
  const r = await raw(g.url, method, path, headers)
  expect(r.status, `${method} ${path}: ${r.body.slice(0, 200)}`).toBe(status)
  expect(reasonOf(r.body)).toBe(reason)
  expect(g.upstream.count(), `${method} ${path} reached the stand-in`).toBe(0)
}

/**
 * No rule selects the request. Below the GraphQL path that is another spelling of the endpoint
 * (400) as the gate reads it, elsewhere no route (403): refused either way, never forwarded.
 */
export async function unrouted(g: Gateway, method: string, path: string, headers: Headers): Promise<void> {
  g.upstream.reset()
  const r = await raw(g.url, method, path, headers)
  expect([`400 PERMGATE_ERR_REQUEST_SHAPE`, `403 PERMGATE_ERR_NO_ROUTE`], `${method} ${path}`).toContain(`${r.status} ${reasonOf(r.body)}`)
  expect(g.upstream.count(), `${method} ${path} reached the stand-in`).toBe(0)
}
