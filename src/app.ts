import type { Readable } from 'node:stream'
import proxy from '@fastify/http-proxy'
import type { FastifyReplyFromHooks } from '@fastify/reply-from'
import Fastify, { LogController, type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify'
import { ANONYMOUS, type Principal } from './bindings/types.js'
import type { ServeConfig } from './config/schema.js'
import { rejectDecision, rejectError, sendErrors } from './egress/reject.js'
import { forwardHeaders, responseHeaders } from './egress/forward.js'
import { PermgateError } from './errors.js'
import type { IdentityResolver } from './identity/resolver.js'
import { readBody } from './ingress/body.js'
import { checkJsonContentType, hasGraphQLParams, readGetParams, readPostBody, serialize, serializeGet } from './ingress/graphql-request.js'
import { aliasesEndpoint, matchRoute, segmentAt, type CompiledRoute } from './ingress/routes.js'
import type { DocumentCache } from './operation/cache.js'
import type { Authorizer } from './policy/authorizer.js'
import { permits } from './policy/decide.js'

/** What the app decides with. `authorizer` is read per request, so a reload swaps it whole. */
export interface AppDeps {
  readonly authorizer: () => Authorizer
  readonly identity: IdentityResolver
  readonly documents: DocumentCache
  readonly routes: readonly CompiledRoute[]
}

/** Per-request state between the gate and the forwarder. */
interface Gate {
  decisionId: string
  principal: Principal
  /** The re-serialized, authorized body (POST on the GraphQL path). */
  body: string | undefined
  /** The forwarded query string: re-serialized for GraphQL GET, dropped for GraphQL POST. */
  queryString: string | undefined
  /** A request to the GraphQL endpoint (forwarded to the upstream's GraphQL path). */
  graphql: boolean
}

const kGate = Symbol('permgate.gate')
type GatedRequest = FastifyRequest & { [kGate]?: Gate }

/** Wires the stages into a fastify app; never listens (tests use inject or listen on port 0). */
export function buildApp(config: ServeConfig, deps: AppDeps): FastifyInstance {
  const app = Fastify({
    logger: {
      level: config.logLevel,
      // Never log credentials, and never the query string (GET variables may hold secrets).
      serializers: { req: (req) => ({ method: req.method, path: req.url.split('?', 1)[0], remoteAddress: req.ip }) },
      redact: ['req.headers.authorization', 'req.headers.cookie'],
    },
    // One line per decision comes with the decision log; fastify's own request lines would repeat it.
    logController: new LogController({ disableRequestLogging: true }),
    // Rejections are GraphQL error bodies; a request permgate cannot read is still answered.
    return503OnClosing: true,
  })
  const rejectOpts = { errorsAs200: config.errorsAs200 }
  // The upstream's GraphQL path, when requests reach it under another name: it is never routed.
  const upstreamGraphQL = config.upstream.graphqlPath !== config.graphqlPath ? config.upstream.graphqlPath : undefined
  let sequence = 0
  const boot = Date.now().toString(36)
  const nextId = (): string => `${boot}-${(++sequence).toString(36)}`

  app.get('/healthz', async () => {
    const p = deps.authorizer().policy
    return { status: 'ok', policy: p.name, revision: p.revision }
  })

  // GraphQL over WebSocket is not authorized yet: refuse every upgrade, never pass one through.
  app.server.on('upgrade', (_req, socket) => {
    const body = JSON.stringify({ errors: [{ message: 'WebSocket upgrades are refused: subscriptions over WebSocket are not authorized by this version', extensions: { code: 'NOT_IMPLEMENTED', reason: 'PERMGATE_ERR_WEBSOCKET_REFUSED' } }] })
    socket.end(`HTTP/1.1 501 Not Implemented\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`)
  })

  async function gate(request: GatedRequest, reply: FastifyReply): Promise<unknown> {
    const g: Gate = { decisionId: nextId(), principal: ANONYMOUS, body: undefined, queryString: undefined, graphql: false }
    request[kGate] = g
    const q = request.url.indexOf('?')
    const path = q < 0 ? request.url : request.url.slice(0, q)
    try {
      const resolved = deps.identity.resolve(request.headers)
      g.principal = resolved instanceof Promise ? await resolved : resolved
      if (path === config.graphqlPath) {
        g.graphql = true
        return await gateGraphQL(request, reply, g)
      }
      // Another spelling of a GraphQL endpoint would reach the upstream's GraphQL handler under
      // a route rule, undecided: refused.
      if (aliasesEndpoint(path, config.graphqlPath) || (upstreamGraphQL !== undefined && (path === upstreamGraphQL || aliasesEndpoint(path, upstreamGraphQL)))) {
        throw new PermgateError('PERMGATE_ERR_REQUEST_SHAPE', `the path names a GraphQL endpoint in another spelling; send GraphQL requests to exactly ${config.graphqlPath}`)
      }
      return gateRoute(request, reply, g, path)
    } catch (e) {
      if (!(e instanceof PermgateError)) request.log.error({ err: e, decisionId: g.decisionId }, 'error in the decision path: denied')
      return rejectError(request, reply, e, g.decisionId, rejectOpts)
    }
  }

  async function gateGraphQL(request: FastifyRequest, reply: FastifyReply, g: Gate): Promise<unknown> {
    const params = (request.query ?? {}) as Record<string, unknown>
    let read
    if (request.method === 'POST') {
      // GraphQL over HTTP: a POST carries its request in the body only, never a second one in the URL
      if (hasGraphQLParams(params)) throw new PermgateError('PERMGATE_ERR_REQUEST_SHAPE', 'a POST must not carry query, variables or operationName in the URL')
      const h = request.headers
      checkJsonContentType(h['content-type'])
      const raw = request.body as Readable | undefined
      const body = raw === undefined ? Buffer.alloc(0) : await readBody(raw, h['content-encoding'], h['content-length'], config.maxBodyBytes)
      read = readPostBody(body, config.maxBatchSize)
    } else if (request.method === 'GET') {
      read = readGetParams(params)
    } else {
      return sendErrors(request, reply, 405, [{ message: `${request.method} is not allowed on the GraphQL endpoint`, extensions: { code: 'METHOD_NOT_ALLOWED', reason: 'PERMGATE_ERR_METHOD_NOT_ALLOWED', decisionId: g.decisionId } }], rejectOpts, { allow: 'GET, POST' })
    }
    const authorizer = deps.authorizer()
    for (let i = 0; i < read.items.length; i++) {
      const item = read.items[i]!
      const op = deps.documents.get(item.query, item.operationName)
      // GraphQL over HTTP: a GET request must not run a mutation (or a subscription)
      if (request.method === 'GET' && op.type !== 'Query') {
        throw new PermgateError('PERMGATE_ERR_METHOD_NOT_ALLOWED', `a ${op.type.toLowerCase()} must be sent with POST`)
      }
      const d = authorizer.decide(g.principal, op, item.variables)
      if (!d.allowed) return rejectDecision(request, reply, d, g.decisionId, rejectOpts, read.batch ? i : undefined)
    }
    if (request.method === 'POST') {
      g.body = serialize(read)
      g.queryString = ''
    } else {
      g.queryString = serializeGet(read.items[0]!)
    }
    return undefined
  }

  function gateRoute(request: FastifyRequest, reply: FastifyReply, g: Gate, path: string): unknown {
    const route = matchRoute(deps.routes, request.method, path)
    if (route === undefined) throw new PermgateError('PERMGATE_ERR_NO_ROUTE', `no route rule allows ${request.method} ${path}`)
    if (route.rule.access === 'public') return undefined
    if (g.principal.kind === 'anonymous') {
      return sendErrors(request, reply, 401, [{ message: `${request.method} ${path} requires an authenticated caller`, extensions: { code: 'UNAUTHENTICATED', reason: 'unauthenticated', decisionId: g.decisionId } }], rejectOpts, { 'www-authenticate': 'Bearer' })
    }
    if (route.check === undefined) return undefined
    const scope = route.rule.scope
    const id = scope === undefined ? null : segmentAt(path, scope.segment)
    if (permits(deps.authorizer().masks(g.principal), route.check, scope?.kind, id)) return undefined
    throw new PermgateError('PERMGATE_ERR_FORBIDDEN', `${request.method} ${path} requires ${route.rule.permissions.join(route.rule.op === 'OR' ? ' or ' : ' and ')}${id ? ` on ${scope?.kind} ${id}` : ''}`)
  }

  void app.register(proxy, {
    upstream: config.upstream.origin,
    prefix: '/',
    websocket: false,
    // reply-from would log every forwarded request (and the upstream's errors with stacks)
    disableRequestLogging: true,
    // a request is forwarded once: reply-from would otherwise repeat a GET the upstream answers 503
    retryMethods: [],
    preHandler: gate,
    undici: { headersTimeout: config.upstreamTimeoutMs, bodyTimeout: config.upstreamTimeoutMs, connections: 128 },
    handler: (request: GatedRequest, reply: FastifyReply, dest: string, options: FastifyReplyFromHooks) => {
      const g = request[kGate]
      // Nothing the gate did not look at is forwarded.
      if (g === undefined) return rejectError(request, reply, new Error('request reached the forwarder without a decision'), 'none', rejectOpts)
      return reply.from(g.graphql ? (config.upstream.graphqlPath ?? dest) : dest, {
        ...options,
        ...(g.body !== undefined ? { body: g.body, contentType: 'application/json' } : {}),
        ...(g.queryString !== undefined ? { queryString: () => g.queryString as string } : {}),
        rewriteRequestHeaders: (_req, headers) => forwardHeaders(headers, config.stripHeaders, g.principal, g.decisionId, g.body !== undefined),
        rewriteHeaders: (headers) => responseHeaders(headers),
        onError: (r, { error }) => {
          const timeout = (error as { statusCode?: number }).statusCode === 504
          const e = new PermgateError(
            timeout ? 'PERMGATE_ERR_UPSTREAM_TIMEOUT' : 'PERMGATE_ERR_UPSTREAM_UNAVAILABLE',
            timeout ? `the upstream did not answer within ${config.upstreamTimeoutMs} ms` : 'the upstream could not be reached',
          )
          request.log.warn({ decisionId: g.decisionId, upstreamError: (error as Error).message }, 'upstream failure')
          rejectError(request, r as FastifyReply, e, g.decisionId, rejectOpts)
        },
      })
    },
  })
  return app
}
