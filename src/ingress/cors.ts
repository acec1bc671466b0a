// CORS (Fetch standard §3.2), as Apollo Router's `cors` section does it: permgate's config is the
// one truth about which origins a browser may read answers from. A preflight is answered here,
// before the gate, and never forwarded; every other answer (permgate's own refusals, 401 and 403
// included, and the upstream's) carries the same Access-Control-* headers, and whatever
// Access-Control-* headers the upstream sent are removed first (Houston's own unanchored patterns
// must not decide). Off without a `cors` section: nothing is registered.
import type { IncomingHttpHeaders } from 'node:http'
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import type { CorsConfig } from '../config/schema.js'

/** An Origin header longer than this is ignored (no CORS headers): a serialized origin is short. */
export const MAX_ORIGIN_LENGTH = 2048

/**
 * A serialized origin (RFC 6454 §6.2): scheme `://` host[:port], printable ASCII, no path, query,
 * userinfo, comma or space. Two Origin fields arrive joined by `, ` and fit no such shape.
 */
const ORIGIN_SHAPE = /^[a-z][a-z0-9+.-]*:\/\/[a-z0-9\-._~%!$&'()*+;=:[\]]+$/i

const ACCESS_CONTROL = 'access-control-'

/** What answers carry, prepared once from the config. */
export interface CorsPolicy {
  readonly config: CorsConfig
  readonly origins: ReadonlySet<string>
  readonly methods: string
  readonly allowHeaders: string
  readonly exposeHeaders: string | undefined
  readonly maxAge: string
}

/** The CORS policy of a config; undefined: CORS off. */
export function corsOf(config: CorsConfig | undefined): CorsPolicy | undefined {
  return config === undefined ? undefined : corsPolicy(config)
}

export function corsPolicy(config: CorsConfig): CorsPolicy {
  return {
    config,
    origins: new Set(config.origins),
    methods: config.methods.join(', '),
    allowHeaders: config.allowHeaders.join(', '),
    exposeHeaders: config.exposeHeaders.length > 0 ? config.exposeHeaders.join(', ') : undefined,
    maxAge: String(config.maxAgeSec),
  }
}

/** The Origin header when it can be an origin at all; otherwise undefined (and no CORS headers). */
export function originOf(header: string | string[] | undefined): string | undefined {
  if (typeof header !== 'string' || header.length > MAX_ORIGIN_LENGTH) return undefined
  return header === 'null' || ORIGIN_SHAPE.test(header) ? header : undefined
}

/**
 * The `Access-Control-Allow-Origin` value for this Origin header, or undefined: not allowed.
 * Exact origins first, then the patterns, each matched against the whole origin. `null` (sandboxed
 * frames, `file:`) is allowed only by `origins: ["*"]`, as in Apollo Router.
 */
export function allowedOrigin(policy: CorsPolicy, header: string | string[] | undefined): string | undefined {
  const origin = originOf(header)
  if (origin === undefined) return undefined
  if (policy.config.anyOrigin) return '*'
  if (origin === 'null') return undefined
  if (policy.origins.has(origin)) return origin
  const matchers = policy.config.originMatchers
  for (let i = 0; i < matchers.length; i++) if (matchers[i]!.test(origin)) return origin
  return undefined
}

/** A CORS preflight: OPTIONS with Origin and Access-Control-Request-Method (Fetch standard §3.2.2). */
export function isPreflight(method: string, headers: IncomingHttpHeaders): boolean {
  return method === 'OPTIONS' && headers.origin !== undefined && headers['access-control-request-method'] !== undefined
}

/** `Vary` with `Origin` in it: the Access-Control-* headers depend on the request's Origin. */
function varyWithOrigin(vary: string | number | string[] | undefined): string {
  if (vary === undefined) return 'Origin'
  const v = Array.isArray(vary) ? vary.join(', ') : String(vary)
  const names = v.split(',').map((n) => n.trim().toLowerCase())
  return names.includes('*') || names.includes('origin') ? v : `${v}, Origin`
}

/**
 * The one place Access-Control-* headers are written, for a preflight's answer and for every
 * other: the reply's own (the upstream's, relayed) removed, then permgate's decision.
 */
export function applyCors(policy: CorsPolicy, request: FastifyRequest, reply: FastifyReply): FastifyReply {
  const headers = reply.getHeaders()
  for (const name in headers) if (name.toLowerCase().startsWith(ACCESS_CONTROL)) reply.removeHeader(name)
  reply.header('vary', varyWithOrigin(headers.vary))
  const allowed = allowedOrigin(policy, request.headers.origin)
  if (allowed === undefined) return reply
  reply.header('access-control-allow-origin', allowed)
  if (policy.config.credentials) reply.header('access-control-allow-credentials', 'true')
  if (isPreflight(request.method, request.headers)) {
    reply.header('access-control-allow-methods', policy.methods)
    if (policy.allowHeaders !== '') reply.header('access-control-allow-headers', policy.allowHeaders)
    reply.header('access-control-max-age', policy.maxAge)
  } else if (policy.exposeHeaders !== undefined) {
    reply.header('access-control-expose-headers', policy.exposeHeaders)
  }
  return reply
}

/**
 * applyCors for an answer no fastify hook sees: fastify's `frameworkErrors` (a malformed
 * percent-encoding in the URL) runs outside every route, onSend included. Off: the reply as it is.
 */
export function withCors(policy: CorsPolicy | undefined, request: FastifyRequest, reply: FastifyReply): FastifyReply {
  return policy === undefined ? reply : applyCors(policy, request, reply)
}

/**
 * With a `cors` section: preflights on any path answered 204 before the gate (from a disallowed
 * origin too, then without Access-Control-* headers, as Apollo Router answers them), and every
 * answer's Access-Control-* headers written by applyCors in one onSend hook. Without one: nothing.
 */
export function registerCors(app: FastifyInstance, policy: CorsPolicy | undefined): void {
  if (policy === undefined) return
  app.addHook('onRequest', (request, reply, done) => {
    // the browser asks before it sends; the request it then sends is decided like any other
    if (isPreflight(request.method, request.headers)) return void reply.code(204).send()
    done()
  })
  app.addHook('onSend', (request, reply, payload, done) => {
    applyCors(policy, request, reply)
    done(null, payload)
  })
}
