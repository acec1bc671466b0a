// The HTTP adapter of the pipeline (pipeline.ts): reads a request on the GraphQL path (POST, GET,
// batches) or on a route, runs it through identify -> prepare -> decide -> record, and answers a
// refusal; what is allowed goes on to the forwarder (egress/http-forwarder.ts) with its state.
import type { FastifyReply, FastifyRequest } from 'fastify'
import type { ServeConfig } from '../config/schema.js'
import { errorEntryOf } from '../egress/graphql-errors.js'
import { kGate, type Forwarding } from '../egress/http-forwarder.js'
import { rejectDecision, rejectError, sendErrors, type RejectOptions } from '../egress/reject.js'
import { PermgateError } from '../errors.js'
import { ANONYMOUS, type Principal } from '../identity/types.js'
import { NO_CONTEXT } from '../policy/context.js'
import { checkJsonContentType, hasGraphQLParams, readGetParams, readPostBody, serialize, serializeGet, type ReadRequests } from './graphql-request.js'
import type { Exchange, Pipeline, PipelineDeps } from './pipeline.js'
import { credentialHeaders, decideRoute } from './route-decision.js'
import { routeFacts, type RouteFacts } from './route-request.js'
import { aliasesEndpoint, matchRoute } from './routes.js'

/** Per-request state: the decision in the making, then what the forwarder reads. */
export interface Gate extends Exchange, Forwarding {
  /** fastify's continuation: called once the request may be forwarded. */
  done: (err?: Error) => void
  /** A route request's headers, query and client address (undefined on the GraphQL path). */
  route: RouteFacts | undefined
}

export type GatedRequest = FastifyRequest & { [kGate]?: Gate }

/** The path of a raw request URL (no query string). */
export function pathOf(url: string): string {
  const q = url.indexOf('?')
  return q < 0 ? url : url.slice(0, q)
}

const METHOD_NOT_ALLOWED_HEADERS = Object.freeze({ allow: 'GET, POST' })
const UNAUTHENTICATED_HEADERS = Object.freeze({ 'www-authenticate': 'Bearer' })

/**
 * The preHandler that decides every request before anything is forwarded. Callback style and
 * synchronous when the credential is cached: the body was buffered by the content-type parser,
 * documents, principals and decisions come from caches, so a warm request never awaits.
 */
export function createGate(config: ServeConfig, pipeline: Pipeline, deps: Pick<PipelineDeps, 'routes' | 'authorizer'>, rejectOpts: RejectOptions, nextId: () => string) {
  // The upstream's GraphQL path, when requests reach it under another name: it is never routed.
  const upstreamGraphQL = config.upstream.graphqlPath !== config.graphqlPath ? config.upstream.graphqlPath : undefined
  const endpoints = [config.graphqlPath, ...(upstreamGraphQL !== undefined ? [upstreamGraphQL] : [])].map((e) => e.replace(/\/+$/, ''))

  const gateOf = (reply: FastifyReply): Gate => (reply.request as GatedRequest)[kGate]!

  const identified = (reply: FastifyReply, p: Principal): void => {
    const g = gateOf(reply)
    g.principal = p
    if (decide(reply.request, reply, g)) g.done()
  }
  // dry run: a bad credential (or a store that cannot answer) is a would-deny, and the request is
  // decided as anonymous
  const unidentified = (reply: FastifyReply, e: unknown): void => {
    const g = gateOf(reply)
    g.principal = ANONYMOUS
    if (refuse(reply.request, reply, g, e) && decide(reply.request, reply, g)) g.done()
  }

  return function gate(request: GatedRequest, reply: FastifyReply, done: (err?: Error) => void): void {
    const g: Gate = {
      decisionId: nextId(),
      principal: ANONYMOUS,
      startedAt: performance.now(),
      ctx: NO_CONTEXT,
      body: undefined,
      queryString: undefined,
      // known before identity: a bad credential on the GraphQL path is counted as GraphQL, not as a route
      graphql: pathOf(request.url) === config.graphqlPath,
      forwardedAt: 0,
      done,
      route: undefined,
    }
    request[kGate] = g
    let headers = request.headers
    if (!g.graphql) {
      // a route may read its credential elsewhere (HTTP Basic's password, for Docker clients)
      g.route = routeFacts(request.url, request.headers, request.socket.remoteAddress, config.trustedProxyRanges)
      try {
        headers = credentialHeaders(deps.routes(), deps.authorizer().store, request.method, pathOf(request.url), g.route)
      } catch (e) {
        return unidentified(reply, e)
      }
    }
    pipeline.identify(headers, reply, identified, unidentified)
  }

  /** True when the request may go on to the forwarder; otherwise it has been answered. */
  function decide(request: FastifyRequest, reply: FastifyReply, g: Gate): boolean {
    try {
      g.ctx = pipeline.contextOf(request.socket.remoteAddress, request.headers['x-forwarded-for'])
      const ip = pipeline.ipDenied(g.ctx)
      if (ip !== undefined) throw ip
      if (g.graphql) return decideGraphQL(request, reply, g)
      const path = pathOf(request.url)
      // Another spelling of a GraphQL endpoint would reach the upstream's GraphQL handler under
      // a route rule, undecided: refused; unless a rule names the path below the endpoint itself
      // (Houston mounts its REST routes under /v1, before its GraphQL handler).
      if (aliasesEndpoint(path, config.graphqlPath) || (upstreamGraphQL !== undefined && (path === upstreamGraphQL || aliasesEndpoint(path, upstreamGraphQL)))) {
        if (!routedBelowEndpoint(request.method, path, g.route)) throw new PermgateError('PERMGATE_ERR_REQUEST_SHAPE', `the path names a GraphQL endpoint in another spelling; send GraphQL requests to exactly ${config.graphqlPath}`)
      }
      return decideRouteRequest(request, reply, g, path)
    } catch (e) {
      return refuse(request, reply, g, e)
    }
  }

  /**
   * Whether a route rule written for a path below a GraphQL endpoint (`/v1/healthz` under `/v1`)
   * selects this path, read exactly as written (matchRoute refuses a path that another reading,
   * decoded or case-folded, would put under another rule). A catch-all or the endpoint's own
   * prefix is no such rule: `/v1/x` under a `/` rule stays refused.
   */
  function routedBelowEndpoint(method: string, path: string, facts: RouteFacts | undefined): boolean {
    const rule = matchRoute(deps.routes(), method, path, facts)?.rule
    if (rule === undefined) return false
    return endpoints.some((e) => rule.prefix.startsWith(`${e}/`) && (path === rule.prefix || path.startsWith(`${rule.prefix}/`)))
  }

  /** Answers a refusal; in dry run it was counted as a would-deny, and true says: forward anyway. */
  function refuse(request: FastifyRequest, reply: FastifyReply, g: Gate, e: unknown): boolean {
    if (pipeline.refused(g, e, g.graphql ? 'none' : 'route', request.log)) {
      // forwarded as received: a body that could not be read as GraphQL goes on unchanged
      if (g.graphql && g.body === undefined && Buffer.isBuffer(request.body)) g.body = request.body.toString('utf8')
      return true
    }
    rejectError(request, reply, e, g.decisionId, rejectOpts)
    return false
  }

  function decideGraphQL(request: FastifyRequest, reply: FastifyReply, g: Gate): boolean {
    const params = request.query as Record<string, unknown>
    let read: ReadRequests
    if (request.method === 'POST') {
      // GraphQL over HTTP: a POST carries its request in the body only, never a second one in the URL
      if (hasGraphQLParams(params)) throw new PermgateError('PERMGATE_ERR_REQUEST_SHAPE', 'a POST must not carry query, variables or operationName in the URL')
      checkJsonContentType(request.headers['content-type'])
      const body = request.body
      read = readPostBody(Buffer.isBuffer(body) ? body : Buffer.alloc(0), config.maxBatchSize, config.maxJsonDepth)
    } else if (request.method === 'GET') {
      read = readGetParams(params, config.maxJsonDepth)
    } else {
      // recorded like any refusal, but never forwarded, not even in a dry run: no GraphQL server takes it
      const e = new PermgateError('PERMGATE_ERR_METHOD_NOT_ALLOWED', `${request.method} is not allowed on the GraphQL endpoint`)
      pipeline.record(g, false, e.code, 'none')
      sendErrors(request, reply, 405, [errorEntryOf(e, g.decisionId, '')], rejectOpts, METHOD_NOT_ALLOWED_HEADERS)
      return false
    }
    for (let i = 0; i < read.items.length; i++) {
      const item = read.items[i]!
      const op = pipeline.operation(item.query, item.operationName)
      // GraphQL over HTTP: a GET request must not run a mutation (or a subscription)
      if (request.method === 'GET' && op.type !== 'Query') {
        throw new PermgateError('PERMGATE_ERR_METHOD_NOT_ALLOWED', `a ${op.type.toLowerCase()} must be sent with POST`)
      }
      const d = pipeline.decide(g, op, item.variables, request.log)
      if (!d.allowed && !pipeline.dryRun) {
        rejectDecision(request, reply, d, g.decisionId, rejectOpts, read.batch ? i : undefined)
        return false
      }
    }
    if (request.method === 'POST') {
      g.body = serialize(read)
      g.queryString = ''
    } else {
      g.queryString = serializeGet(read.items[0]!)
    }
    return true
  }

  function decideRouteRequest(request: FastifyRequest, reply: FastifyReply, g: Gate, path: string): boolean {
    const d = decideRoute(deps.routes(), deps.authorizer(), g.principal, request.method, path, g.route)
    pipeline.record(g, d.allowed, d.reason, 'route')
    if (d.allowed || pipeline.dryRun) return true
    sendErrors(request, reply, 401, [{ message: `${request.method} ${path} requires an authenticated caller`, extensions: { code: 'UNAUTHENTICATED', reason: 'unauthenticated', decisionId: g.decisionId } }], rejectOpts, UNAUTHENTICATED_HEADERS)
    return false
  }
}
