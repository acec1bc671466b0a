import type { FastifyReply, FastifyRequest } from 'fastify'
import { type BindingsStore } from '../bindings/types.js'
import { ANONYMOUS, type Principal } from '../identity/types.js'
import type { ServeConfig } from '../config/schema.js'
import { rejectDecision, rejectError, sendErrors, type RejectOptions } from '../egress/reject.js'
import { PermgateError } from '../errors.js'
import type { IdentityResolver } from '../identity/resolver.js'
import type { DocumentCache } from '../operation/cache.js'
import type { Authorizer } from '../policy/authorizer.js'
import { NO_CONTEXT, type RequestContext } from '../policy/context.js'
import { permits } from '../policy/decide.js'
import { cidrsContain } from '../config/cidr.js'
import { clientAddress } from './client-address.js'
import { checkJsonContentType, hasGraphQLParams, readGetParams, readPostBody, serialize, serializeGet, type ReadRequests } from './graphql-request.js'
import type { Metrics, OperationTypeLabel } from '../telemetry/metrics.js'
import type { ExtractedOperation, OperationType } from '../operation/types.js'
import type { Decision } from '../policy/decide.js'
import type { DecisionLog } from '../telemetry/decision-log.js'
import type { Reloader } from '../reload.js'
import { auditDecision } from './audit.js'
import { aliasesEndpoint, matchRoute, segmentAt, type CompiledRoute } from './routes.js'

/**
 * What the gate decides with. `authorizer` and `routes` are read once per request, together
 * (synchronously, so no reload falls between them): a reload swaps both whole, and a request
 * in flight finishes on the version it started with.
 */
export interface GateDeps {
  readonly authorizer: () => Authorizer
  readonly identity: IdentityResolver
  readonly documents: DocumentCache
  readonly routes: () => readonly CompiledRoute[]
  /** Counts decisions when given. */
  readonly metrics?: Metrics
  /** Records decisions (every denial, sampled allowed ones) when given. */
  readonly decisionLog?: DecisionLog
  /** Hot reload of the policy and bindings, when serving. */
  readonly reloader?: Reloader
  /** A candidate policy decided beside the active one; disagreements are counted, never enforced. */
  readonly shadow?: Authorizer
  /** A database bindings store, closed with the app. */
  readonly bindingsStore?: BindingsStore
}

/** Per-request state between the gate and the forwarder. */
export interface Gate {
  decisionId: string
  principal: Principal
  /** The re-serialized, authorized body (POST on the GraphQL path). */
  body: string | undefined
  /** The forwarded query string: re-serialized for GraphQL GET, dropped for GraphQL POST. */
  queryString: string | undefined
  /** A request to the GraphQL endpoint (forwarded to the upstream's GraphQL path). */
  graphql: boolean
  /** performance.now() when the gate saw the request, and when it was forwarded (0: not yet). */
  startedAt: number
  forwardedAt: number
  /** The request facts decisions may read (the client address when the policy has IP ranges). */
  ctx: RequestContext
}

const OPERATION_LABELS: Readonly<Record<OperationType, OperationTypeLabel>> = { Query: 'query', Mutation: 'mutation', Subscription: 'subscription' }

export const kGate = Symbol('permgate.gate')
export type GatedRequest = FastifyRequest & { [kGate]?: Gate }

/** The path of a raw request URL (no query string). */
export function pathOf(url: string): string {
  const q = url.indexOf('?')
  return q < 0 ? url : url.slice(0, q)
}

/**
 * The preHandler that decides every request before anything is forwarded. Callback style and
 * synchronous when the credential is cached: the body was buffered by the content-type parser,
 * documents, principals and decisions come from caches, so a warm request never awaits.
 */
export function createGate(config: ServeConfig, deps: GateDeps, rejectOpts: RejectOptions, nextId: () => string) {
  // The upstream's GraphQL path, when requests reach it under another name: it is never routed.
  const upstreamGraphQL = config.upstream.graphqlPath !== config.graphqlPath ? config.upstream.graphqlPath : undefined
  const trustedProxies = config.trustedProxyRanges

  const metrics = deps.metrics
  const count = (g: Gate, allowed: boolean, reason: string, type: OperationTypeLabel): void => {
    metrics?.decision(allowed ? 'allow' : 'deny', reason, type, (performance.now() - g.startedAt) / 1000)
  }
  const audit = (g: Gate, allowed: boolean, reason: string, op: ExtractedOperation | undefined, d: Decision | undefined): void =>
    auditDecision(deps.decisionLog, deps.authorizer().policy, g.decisionId, g.principal, allowed, reason, op, d, g.startedAt)

  return function gate(request: GatedRequest, reply: FastifyReply, done: (err?: Error) => void): void {
    // known before identity: a bad credential on the GraphQL path is counted as GraphQL, not as a route
    const graphql = pathOf(request.url) === config.graphqlPath
    const g: Gate = { decisionId: nextId(), principal: ANONYMOUS, body: undefined, queryString: undefined, graphql, startedAt: performance.now(), forwardedAt: 0, ctx: NO_CONTEXT }
    request[kGate] = g
    let resolved: Principal | Promise<Principal>
    try {
      resolved = deps.identity.resolve(request.headers)
    } catch (e) {
      // dry run: the bad credential is a would-deny, and the request is decided as anonymous
      if (reject(request, reply, g, e) && decide(request, reply, g)) done()
      return
    }
    if (resolved instanceof Promise) {
      resolved.then(
        (p) => {
          g.principal = p
          proceed(request, reply, g, done)
        },
        (e: unknown) => {
          if (reject(request, reply, g, e) && decide(request, reply, g)) done()
        },
      )
      return
    }
    g.principal = resolved
    proceed(request, reply, g, done)
  }

  /**
   * Decides once the principal's bindings are in memory: at once with the file store (and a
   * warm database store), after the fetch otherwise. A store that cannot answer is a 503.
   */
  function proceed(request: FastifyRequest, reply: FastifyReply, g: Gate, done: (err?: Error) => void): void {
    let ready: Promise<void> | undefined
    try {
      ready = deps.authorizer().prepare(g.principal)
    } catch (e) {
      if (reject(request, reply, g, e) && decide(request, reply, g)) done()
      return
    }
    if (ready === undefined) {
      if (decide(request, reply, g)) done()
      return
    }
    ready.then(
      () => {
        if (decide(request, reply, g)) done()
      },
      (e: unknown) => {
        if (reject(request, reply, g, e) && decide(request, reply, g)) done()
      },
    )
  }

  /** True when the request may go on to the forwarder; otherwise it has been answered. */
  function decide(request: FastifyRequest, reply: FastifyReply, g: Gate): boolean {
    try {
      const policy = deps.authorizer().policy
      if (policy.ipAllow !== undefined || policy.ipRules) {
        g.ctx = { clientIp: clientAddress(request.socket.remoteAddress, request.headers['x-forwarded-for'], trustedProxies) }
        if (policy.ipAllow !== undefined && !cidrsContain(policy.ipAllow, g.ctx.clientIp)) {
          throw new PermgateError('PERMGATE_ERR_IP_DENIED', "the client's address is outside the policy's ipAllow ranges")
        }
      }
      const path = pathOf(request.url)
      if (path === config.graphqlPath) {
        g.graphql = true
        return gateGraphQL(request, reply, g)
      }
      // Another spelling of a GraphQL endpoint would reach the upstream's GraphQL handler under
      // a route rule, undecided: refused.
      if (aliasesEndpoint(path, config.graphqlPath) || (upstreamGraphQL !== undefined && (path === upstreamGraphQL || aliasesEndpoint(path, upstreamGraphQL)))) {
        throw new PermgateError('PERMGATE_ERR_REQUEST_SHAPE', `the path names a GraphQL endpoint in another spelling; send GraphQL requests to exactly ${config.graphqlPath}`)
      }
      return gateRoute(request, reply, g, path)
    } catch (e) {
      return reject(request, reply, g, e)
    }
  }

  /** Answers a refusal; in dry run counts it as a would-deny and returns true: forward anyway. */
  function reject(request: FastifyRequest, reply: FastifyReply, g: Gate, e: unknown): boolean {
    const code = e instanceof PermgateError ? e.code : 'PERMGATE_ERR_INTERNAL'
    count(g, false, code, g.graphql ? 'none' : 'route')
    audit(g, false, code, undefined, undefined)
    if (config.dryRun) {
      metrics?.wouldDeny(code)
      // forwarded as received: a body that could not be read as GraphQL goes on unchanged
      if (g.graphql && g.body === undefined && Buffer.isBuffer(request.body)) g.body = request.body.toString('utf8')
      return true
    }
    if (!(e instanceof PermgateError)) request.log.error({ err: e, decisionId: g.decisionId }, 'error in the decision path: denied')
    rejectError(request, reply, e, g.decisionId, rejectOpts)
    return false
  }

  function gateGraphQL(request: FastifyRequest, reply: FastifyReply, g: Gate): boolean {
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
      count(g, false, 'PERMGATE_ERR_METHOD_NOT_ALLOWED', 'none')
      audit(g, false, 'PERMGATE_ERR_METHOD_NOT_ALLOWED', undefined, undefined)
      sendErrors(request, reply, 405, [{ message: `${request.method} is not allowed on the GraphQL endpoint`, extensions: { code: 'METHOD_NOT_ALLOWED', reason: 'PERMGATE_ERR_METHOD_NOT_ALLOWED', decisionId: g.decisionId } }], rejectOpts, { allow: 'GET, POST' })
      return false
    }
    const authorizer = deps.authorizer()
    for (let i = 0; i < read.items.length; i++) {
      const item = read.items[i]!
      const op = deps.documents.get(item.query, item.operationName)
      // GraphQL over HTTP: a GET request must not run a mutation (or a subscription)
      if (request.method === 'GET' && op.type !== 'Query') {
        throw new PermgateError('PERMGATE_ERR_METHOD_NOT_ALLOWED', `a ${op.type.toLowerCase()} must be sent with POST`)
      }
      const d = authorizer.decide(g.principal, op, item.variables, g.ctx)
      count(g, d.allowed, d.reason, OPERATION_LABELS[op.type])
      audit(g, d.allowed, d.reason, op, d)
      if (deps.shadow !== undefined) {
        const sd = deps.shadow.decide(g.principal, op, item.variables, g.ctx)
        if (sd.allowed !== d.allowed) {
          metrics?.shadowDisagreement(d.allowed, sd.allowed)
          request.log.warn({ decisionId: g.decisionId, operationType: op.type, active: d.reason, shadow: sd.reason }, 'shadow policy disagrees')
        }
      }
      if (!d.allowed && config.dryRun) {
        metrics?.wouldDeny(d.reason)
        continue
      }
      if (!d.allowed) {
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

  function gateRoute(request: FastifyRequest, reply: FastifyReply, g: Gate, path: string): boolean {
    const authorizer = deps.authorizer()
    const route = matchRoute(deps.routes(), request.method, path)
    if (route === undefined) return reject(request, reply, g, new PermgateError('PERMGATE_ERR_NO_ROUTE', `no route rule allows ${request.method} ${path}`))
    if (route.rule.access === 'public') {
      count(g, true, 'public', 'route')
      return true
    }
    if (g.principal.kind === 'anonymous') {
      count(g, false, 'unauthenticated', 'route')
      audit(g, false, 'unauthenticated', undefined, undefined)
      if (config.dryRun) {
        metrics?.wouldDeny('unauthenticated')
        return true
      }
      sendErrors(request, reply, 401, [{ message: `${request.method} ${path} requires an authenticated caller`, extensions: { code: 'UNAUTHENTICATED', reason: 'unauthenticated', decisionId: g.decisionId } }], rejectOpts, { 'www-authenticate': 'Bearer' })
      return false
    }
    const kinds = route.rule.principals
    if (kinds !== undefined && !kinds.includes(g.principal.kind as 'user' | 'serviceAccount')) {
      return reject(request, reply, g, new PermgateError('PERMGATE_ERR_FORBIDDEN', `${request.method} ${path} is open to ${kinds.join(' and ')} principals only`))
    }
    if (route.check === undefined) {
      count(g, true, 'authenticated', 'route')
      return true
    }
    const scope = route.rule.scope
    const id = scope === undefined ? null : segmentAt(path, scope.segment)
    if (permits(authorizer.masks(g.principal), route.check, scope?.kind, id)) {
      count(g, true, 'permission', 'route')
      return true
    }
    return reject(request, reply, g, new PermgateError('PERMGATE_ERR_FORBIDDEN', `${request.method} ${path} requires ${route.rule.permissions.join(route.rule.op === 'OR' ? ' or ' : ' and ')}${id ? ` on ${scope?.kind} ${id}` : ''}`))
  }
}
