// answer, HTTP: what the gate allowed is forwarded to the upstream (an authorized GraphQL POST
// straight on undici by graphql-forwarder.ts, anything else by @fastify/http-proxy), with the
// authorized body, the header hygiene and who permgate decided for; an upstream failure is
// answered with its coded error, and the upstream's latency is counted.
import type { IncomingHttpHeaders } from 'node:http'
import proxy, { type FastifyHttpProxyOptions } from '@fastify/http-proxy'
import type { FastifyReplyFromHooks } from '@fastify/reply-from'
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import type { ServeConfig } from '../config/schema.js'
import { PermgateError } from '../errors.js'
import type { Principal } from '../identity/types.js'
import type { Metrics } from '../telemetry/metrics.js'
import { forwardHeaders, headerHygiene, isLocalForwardingError, responseHeaders } from './forward.js'
import { createGraphQLForwarder, UPSTREAM_CONNECTIONS } from './graphql-forwarder.js'
import { rejectError, type RejectOptions } from './reject.js'
import { tlsClientOptions, tlsFailure } from './tls.js'

/** What the gate hands the forwarder, per request. */
export interface Forwarding {
  readonly decisionId: string
  principal: Principal
  /** The re-serialized, authorized body (POST on the GraphQL path); undefined: the body stream as received. */
  body: string | undefined
  /** The forwarded query string: re-serialized for GraphQL GET, dropped for GraphQL POST; undefined: as received. */
  queryString: string | undefined
  /** A request to the GraphQL endpoint (forwarded to the upstream's GraphQL path). */
  graphql: boolean
  /** performance.now() when it was forwarded (0: not yet). */
  forwardedAt: number
}

export const kGate = Symbol('permgate.gate')
export type ForwardedRequest = FastifyRequest & { [kGate]?: Forwarding }

type ReplyOptions = FastifyReplyFromHooks & Record<string, unknown>

/** undici's timeouts, as the GraphQL forwarder receives them (reply-from wraps them in a 504 error). */
const TIMEOUT_CODES = new Set(['UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT', 'UND_ERR_CONNECT_TIMEOUT'])

/** An upstream failure as the coded error the client reads, with the warning it is logged under. */
function upstreamError(error: Error, config: ServeConfig): PermgateError {
  if (tlsFailure(error) !== undefined) return new PermgateError('PERMGATE_ERR_UPSTREAM_TLS', "the upstream's TLS certificate was refused, or its TLS handshake failed")
  if (isLocalForwardingError(error)) return new PermgateError('PERMGATE_ERR_FORWARDING', 'internal error: permgate could not forward the request (the upstream was not contacted)')
  const code = (error as { code?: unknown }).code
  return (error as { statusCode?: number }).statusCode === 504 || (typeof code === 'string' && TIMEOUT_CODES.has(code))
    ? new PermgateError('PERMGATE_ERR_UPSTREAM_TIMEOUT', `the upstream did not answer within ${config.upstreamTimeoutMs} ms`)
    : new PermgateError('PERMGATE_ERR_UPSTREAM_UNAVAILABLE', 'the upstream could not be reached')
}

/**
 * Registers the forwarder on every path, behind `gate` (its preHandler): nothing the gate did not
 * decide is forwarded.
 */
export function registerForwarder(app: FastifyInstance, config: ServeConfig, gate: NonNullable<FastifyHttpProxyOptions['preHandler']>, rejectOpts: RejectOptions, nextId: () => string, metrics: Metrics | undefined): void {
  if (metrics !== undefined) {
    app.addHook('onResponse', (request, reply, done) => {
      const g = (request as ForwardedRequest)[kGate]
      if (g !== undefined && g.forwardedAt !== 0) metrics.upstream(reply.statusCode, (performance.now() - g.forwardedAt) / 1000)
      done()
    })
  }
  const trustedProxies = config.trustedProxyRanges
  const hygiene = headerHygiene(config.stripHeaders, config.cookieName)
  /** Answers an upstream failure with its coded error, logged as it was always logged. */
  const failed = (reply: FastifyReply, error: Error): void => {
    const g = (reply.request as ForwardedRequest)[kGate]
    const e = upstreamError(error, config)
    if (e.code === 'PERMGATE_ERR_FORWARDING') {
      reply.request.log.error({ decisionId: g?.decisionId, err: error.cause ?? error }, "the request could not be forwarded: refused by permgate's HTTP client")
    } else {
      const tls = tlsFailure(error)
      const upstream = tls !== undefined ? ((error.cause as Error | undefined)?.message ?? error.message) : error.message
      reply.request.log.warn(
        { warning: tls !== undefined ? 'PERMGATE_WARN_UPSTREAM_TLS' : 'PERMGATE_WARN_UPSTREAM_FAILURE', decisionId: g?.decisionId, upstreamError: upstream, ...(tls !== undefined ? { tlsError: tls } : {}) },
        tls !== undefined ? 'upstream TLS failure: certificate refused or handshake failed' : 'upstream failure',
      )
    }
    rejectError(reply.request, reply, e, g?.decisionId ?? nextId(), rejectOpts)
  }
  const graphql = createGraphQLForwarder(config, hygiene, failed)
  app.addHook('onClose', () => graphql.close())
  // reply.from hooks, created once: each reads the request's gate state.
  const hooks = {
    queryString: (_search: string, url: string, request: FastifyRequest): string => {
      const g = (request as ForwardedRequest)[kGate]
      if (g?.queryString !== undefined) return g.queryString
      const q = url.indexOf('?')
      return q < 0 ? '' : url.slice(q + 1)
    },
    rewriteRequestHeaders: (request: FastifyRequest, headers: IncomingHttpHeaders) => {
      const g = (request as ForwardedRequest)[kGate]!
      return forwardHeaders(headers, hygiene, g.principal, g.decisionId, g.body !== undefined, request.socket.remoteAddress, trustedProxies)
    },
    onError: (reply: FastifyReply, { error }: { error: Error }) => failed(reply, error),
  }
  // The options handed to reply.from: two fixed shapes, built once where the request allows
  // (a fresh spread of a large object per request cost more than the decision itself).
  let withoutBody: ReplyOptions | undefined
  let rewriteHeaders: FastifyReplyFromHooks['rewriteHeaders']

  if (config.upstreamTls.insecureSkipVerify) {
    app.log.warn({ warning: 'PERMGATE_WARN_TLS_VERIFY_OFF' }, "upstreamInsecureSkipVerify is set: the upstream's TLS certificate is not verified, anyone on the path can pose as the upstream (trust a private CA with upstreamCaFile instead)")
  }
  void app.register(proxy, {
    upstream: config.upstream.origin,
    prefix: '/',
    websocket: false,
    // bodies are read by the content-type parsers, not passed through by the proxy's own
    proxyPayloads: false,
    // reply-from would log every forwarded request (and the upstream's errors with stacks)
    disableRequestLogging: true,
    // a request is forwarded once: reply-from would otherwise repeat a GET the upstream answers 503
    retryMethods: [],
    replyOptions: { rewriteHeaders: responseHeaders },
    preHandler: gate,
    // `connect` is spread last into undici's connector: it overrides reply-from's tls.rejectUnauthorized: false
    undici: { headersTimeout: config.upstreamTimeoutMs, bodyTimeout: config.upstreamTimeoutMs, connections: UPSTREAM_CONNECTIONS, connect: tlsClientOptions(config.upstreamTls) },
    handler: (request: ForwardedRequest, reply: FastifyReply, dest: string, options: FastifyReplyFromHooks) => {
      const g = request[kGate]
      // Nothing the gate did not look at is forwarded.
      if (g === undefined) return rejectError(request, reply, new Error('request reached the forwarder without a decision'), nextId(), rejectOpts)
      if (withoutBody === undefined) {
        rewriteHeaders = options.rewriteHeaders
        withoutBody = { ...options, ...hooks } as ReplyOptions
      }
      g.forwardedAt = performance.now()
      const target = g.graphql ? (config.upstream.graphqlPath ?? dest) : dest
      // the authorized GraphQL POST: its body is a string permgate wrote, sent straight on undici
      if (g.graphql && g.body !== undefined && request.method === 'POST') return graphql.forward(request, reply, g, target)
      if (g.body === undefined) return reply.from(target, withoutBody)
      return reply.from(target, {
        rewriteHeaders,
        queryString: hooks.queryString,
        rewriteRequestHeaders: hooks.rewriteRequestHeaders,
        onError: hooks.onError,
        body: g.body,
        contentType: 'application/json',
      } as ReplyOptions)
    },
  })
}
