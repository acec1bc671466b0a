import type { IncomingHttpHeaders, IncomingMessage } from 'node:http'
import type { Duplex, Readable } from 'node:stream'
import proxy from '@fastify/http-proxy'
import type { FastifyReplyFromHooks } from '@fastify/reply-from'
import Fastify, { LogController, type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify'
import type { ServeConfig } from './config/schema.js'
import { forwardHeaders, headerHygiene, isLocalForwardingError, responseHeaders } from './egress/forward.js'
import { rejectError } from './egress/reject.js'
import { tlsClientOptions, tlsFailure } from './egress/tls.js'
import { PermgateError } from './errors.js'
import { readBody } from './ingress/body.js'
import { createGate, kGate, pathOf, type GatedRequest, type GateDeps } from './ingress/gate.js'
import { declineUpgrade, isWebSocketUpgrade } from './ingress/upgrade.js'
import { createWebSocketRelay } from './ingress/ws/relay.js'

export type AppDeps = GateDeps & {
  /** Where log lines go (stdout when not given): a test reads what was logged. */
  readonly logStream?: { write(line: string): void }
}

type ReplyOptions = FastifyReplyFromHooks & Record<string, unknown>

/** Wires the stages into a fastify app; never listens (tests use inject or listen on port 0). */
export function buildApp(config: ServeConfig, deps: AppDeps): FastifyInstance {
  const app = Fastify({
    logger: {
      level: config.logLevel,
      ...(deps.logStream !== undefined ? { stream: deps.logStream } : {}),
      // Never log credentials, and never the query string (GET variables may hold secrets).
      serializers: { req: (req) => ({ method: req.method, path: pathOf(req.url), remoteAddress: req.ip }) },
      redact: ['req.headers.authorization', 'req.headers.cookie'],
    },
    // One line per decision comes with the decision log; fastify's own request lines would repeat it.
    logController: new LogController({ disableRequestLogging: true }),
    return503OnClosing: true,
    // a URL fastify cannot route (a malformed percent-encoding): the same coded 400 as any other
    frameworkErrors: (error, request, reply) => {
      const e = frameworkError(error)
      deps.metrics?.refusedEarly(e instanceof PermgateError ? e.code : 'PERMGATE_ERR_INTERNAL')
      rejectError(request, reply, e, nextId(), { errorsAs200: config.errorsAs200 })
    },
    // a client that trickles its request in (slowloris) is cut off; 0 lifts the limit. Node checks
    // the deadline on an interval (30 s by default): checked often enough to hold it closely.
    requestTimeout: config.requestTimeoutMs,
    ...(config.requestTimeoutMs > 0
      ? { http: { headersTimeout: config.requestTimeoutMs, connectionsCheckingInterval: Math.max(50, Math.min(1000, Math.floor(config.requestTimeoutMs / 4))) } }
      : {}),
  })
  const rejectOpts = { errorsAs200: config.errorsAs200 }
  let sequence = 0
  const boot = Date.now().toString(36)
  const nextId = (): string => `${boot}-${(++sequence).toString(36)}`

  // Bodies: on the GraphQL path a JSON body is read here, decompressed and bounded, so the gate
  // that decides is synchronous; everywhere else the body stays a stream, forwarded untouched.
  app.removeAllContentTypeParsers()
  app.addContentTypeParser('application/json', (request: FastifyRequest, payload: IncomingMessage, done: (err: Error | null, body?: unknown) => void) => {
    if (pathOf(request.url) !== config.graphqlPath) return done(null, payload)
    const h = request.headers
    readBody(payload as Readable, h['content-encoding'], h['content-length'], config.maxBodyBytes).then(
      (body) => done(null, body),
      (e: Error) => done(e),
    )
  })
  app.addContentTypeParser('*', (_request: FastifyRequest, payload: IncomingMessage, done: (err: Error | null, body?: unknown) => void) => done(null, payload))
  app.setErrorHandler((err, request, reply) => {
    const error = frameworkError(err)
    deps.metrics?.refusedEarly(error instanceof PermgateError ? error.code : 'PERMGATE_ERR_INTERNAL')
    if (!(error instanceof PermgateError)) request.log.error({ err: error }, 'request failed before a decision: denied')
    return rejectError(request, reply, error, (request as GatedRequest)[kGate]?.decisionId ?? nextId(), rejectOpts)
  })

  const decisionLog = deps.decisionLog
  if (decisionLog !== undefined) app.addHook('onClose', async () => decisionLog.close())
  const store = deps.bindingsStore
  if (store?.close !== undefined) app.addHook('onClose', async () => store.close?.())
  const metrics = deps.metrics
  if (metrics !== undefined) {
    app.addHook('onResponse', (request, reply, done) => {
      const g = (request as GatedRequest)[kGate]
      if (g !== undefined && g.forwardedAt !== 0) metrics.upstream(reply.statusCode, (performance.now() - g.forwardedAt) / 1000)
      done()
    })
  }

  app.get('/healthz', async () => {
    const p = deps.authorizer().policy
    return { status: 'ok', policy: p.name, revision: p.revision }
  })

  // GraphQL over WebSocket (graphql-transport-ws and legacy graphql-ws) on the GraphQL path only:
  // connection_init authenticated before anything opens upstream, every subscribe decided.
  const relay = createWebSocketRelay(config, deps, nextId, app.log)
  // Node gives the 'upgrade' listeners every request with `Connection: upgrade`; only WebSocket is the relay's.
  // A throw in this listener would reach no handler and end the process: the one socket goes instead.
  app.server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    try {
      if (isWebSocketUpgrade(req.headers.upgrade)) relay.handleUpgrade(req, socket, head)
      else declineUpgrade(app.server, req, socket, head)
    } catch (e) {
      app.log.error({ err: e }, 'error handling an upgrade request: the connection is closed')
      socket.destroy()
    }
  })
  // before the server stops listening: open sockets would otherwise keep close() waiting
  app.addHook('preClose', async () => relay.close())

  const trustedProxies = config.trustedProxyRanges
  const hygiene = headerHygiene(config.stripHeaders, config.cookieName)
  // reply.from hooks, created once: each reads the request's gate state.
  const hooks = {
    queryString: (_search: string, url: string, request: FastifyRequest): string => {
      const g = (request as GatedRequest)[kGate]
      if (g?.queryString !== undefined) return g.queryString
      const q = url.indexOf('?')
      return q < 0 ? '' : url.slice(q + 1)
    },
    rewriteRequestHeaders: (request: FastifyRequest, headers: IncomingHttpHeaders) => {
      const g = (request as GatedRequest)[kGate]!
      return forwardHeaders(headers, hygiene, g.principal, g.decisionId, g.body !== undefined, request.socket.remoteAddress, trustedProxies)
    },
    onError: (reply: FastifyReply, { error }: { error: Error }) => {
      const g = (reply.request as GatedRequest)[kGate]
      const tls = tlsFailure(error)
      if (tls !== undefined) {
        reply.request.log.warn({ decisionId: g?.decisionId, tlsError: tls, upstreamError: (error.cause as Error | undefined)?.message ?? error.message }, 'upstream TLS failure: certificate refused or handshake failed')
        return rejectError(reply.request, reply, new PermgateError('PERMGATE_ERR_UPSTREAM_TLS', "the upstream's TLS certificate was refused, or its TLS handshake failed"), g?.decisionId ?? nextId(), rejectOpts)
      }
      if (isLocalForwardingError(error)) {
        reply.request.log.error({ decisionId: g?.decisionId, err: error.cause ?? error }, 'the request could not be forwarded: refused by permgate\'s HTTP client')
        return rejectError(reply.request, reply, new PermgateError('PERMGATE_ERR_FORWARDING', 'internal error: permgate could not forward the request (the upstream was not contacted)'), g?.decisionId ?? nextId(), rejectOpts)
      }
      const timeout = (error as { statusCode?: number }).statusCode === 504
      const e = new PermgateError(
        timeout ? 'PERMGATE_ERR_UPSTREAM_TIMEOUT' : 'PERMGATE_ERR_UPSTREAM_UNAVAILABLE',
        timeout ? `the upstream did not answer within ${config.upstreamTimeoutMs} ms` : 'the upstream could not be reached',
      )
      reply.request.log.warn({ decisionId: g?.decisionId, upstreamError: error.message }, 'upstream failure')
      rejectError(reply.request, reply, e, g?.decisionId ?? nextId(), rejectOpts)
    },
  }
  // The options handed to reply.from: two fixed shapes, built once where the request allows
  // (a fresh spread of a large object per request cost more than the decision itself).
  let withoutBody: ReplyOptions | undefined
  let rewriteHeaders: FastifyReplyFromHooks['rewriteHeaders']

  if (config.upstreamTls.insecureSkipVerify) {
    app.log.warn("upstreamInsecureSkipVerify is set: the upstream's TLS certificate is not verified, anyone on the path can pose as the upstream (trust a private CA with upstreamCaFile instead)")
  }
  void app.register(proxy, {
    upstream: config.upstream.origin,
    prefix: '/',
    websocket: false,
    // bodies are read by the parsers above, not passed through by the proxy's own
    proxyPayloads: false,
    // reply-from would log every forwarded request (and the upstream's errors with stacks)
    disableRequestLogging: true,
    // a request is forwarded once: reply-from would otherwise repeat a GET the upstream answers 503
    retryMethods: [],
    replyOptions: { rewriteHeaders: responseHeaders },
    preHandler: createGate(config, deps, rejectOpts, nextId),
    // `connect` is spread last into undici's connector: it overrides reply-from's tls.rejectUnauthorized: false
    undici: { headersTimeout: config.upstreamTimeoutMs, bodyTimeout: config.upstreamTimeoutMs, connections: 128, connect: tlsClientOptions(config.upstreamTls) },
    handler: (request: GatedRequest, reply: FastifyReply, dest: string, options: FastifyReplyFromHooks) => {
      const g = request[kGate]
      // Nothing the gate did not look at is forwarded.
      if (g === undefined) return rejectError(request, reply, new Error('request reached the forwarder without a decision'), nextId(), rejectOpts)
      if (withoutBody === undefined) {
        rewriteHeaders = options.rewriteHeaders
        withoutBody = { ...options, ...hooks } as ReplyOptions
      }
      g.forwardedAt = performance.now()
      const target = g.graphql ? (config.upstream.graphqlPath ?? dest) : dest
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
  return app
}

/**
 * fastify's own refusals (a Content-Type it cannot parse, a body shorter than its Content-Length,
 * a malformed percent-encoding) as permgate's coded errors, with the status fastify gave them;
 * other errors as they are.
 */
function frameworkError(error: unknown): unknown {
  if (error instanceof PermgateError || !(error instanceof Error)) return error
  const { code, statusCode } = error as { code?: unknown; statusCode?: unknown }
  if (typeof code !== 'string' || !code.startsWith('FST_') || typeof statusCode !== 'number' || statusCode < 400 || statusCode > 499) return error
  if (code === 'FST_ERR_BAD_URL') return new PermgateError('PERMGATE_ERR_REQUEST_SHAPE', 'the path has a malformed percent-encoding')
  if (statusCode === 415) return new PermgateError('PERMGATE_ERR_UNSUPPORTED_MEDIA_TYPE', 'the Content-Type header is not one media type permgate can read; send application/json')
  if (statusCode === 413) return new PermgateError('PERMGATE_ERR_BODY_TOO_LARGE', 'the request body is too large')
  return new PermgateError('PERMGATE_ERR_REQUEST_SHAPE', `the request is malformed: ${error.message}`)
}
