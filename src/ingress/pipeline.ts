// The middle of every request, whatever its transport: identify -> prepare bindings -> decide ->
// record. HTTP GraphQL (gate.ts), route requests (gate.ts, route-decision.ts) and WebSocket
// operations (ws/) are adapters at the two ends: they read the request and answer it (forward or
// refuse); how a decision is made, counted and logged, and what a dry run does, is said here once.
import type { BindingsStore } from '../bindings/types.js'
import type { ServeConfig } from '../config/schema.js'
import { cidrsContain } from '../config/cidr.js'
import { PermgateError, type ErrorCode } from '../errors.js'
import type { IdentityResolver } from '../identity/resolver.js'
import type { Principal } from '../identity/types.js'
import type { DocumentCache } from '../operation/cache.js'
import type { ExtractedOperation, OperationType } from '../policy/operation.js'
import type { Authorizer } from '../policy/authorizer.js'
import { NO_CONTEXT, type RequestContext } from '../policy/context.js'
import type { Decision } from '../policy/decide.js'
import type { DecisionLog } from '../telemetry/decision-log.js'
import type { Metrics, OperationTypeLabel } from '../telemetry/metrics.js'
import { auditDecision } from './audit.js'
import { clientAddress } from './client-address.js'
import type { CompiledRoute } from './routes.js'

/**
 * What the pipeline decides with. `authorizer` and `routes` are read per step, synchronously, so
 * no reload falls inside one: a reload swaps both whole, and a step in flight finishes on the
 * version it started with.
 */
export interface PipelineDeps {
  readonly authorizer: () => Authorizer
  readonly identity: IdentityResolver
  readonly documents: DocumentCache
  readonly routes: () => readonly CompiledRoute[]
  /** Counts decisions when given. */
  readonly metrics?: Metrics
  /** Records decisions (every denial, sampled allowed ones) when given. */
  readonly decisionLog?: DecisionLog
  /** Hot reload of the policy and bindings, when serving: open WebSockets are re-checked on each change. */
  readonly reloader?: { onChange(listener: () => void): () => void }
  /** A candidate policy decided beside the active one; disagreements are counted, never enforced. */
  readonly shadow?: Authorizer
  /** A database bindings store, closed with the app. */
  readonly bindingsStore?: BindingsStore
}

/** One decision in the making: who asks, since when, with which request facts. */
export interface Exchange {
  readonly decisionId: string
  principal: Principal
  /** performance.now() when the request (or WebSocket message) was read. */
  readonly startedAt: number
  /** The request facts decisions may read (the client address when the policy has IP ranges). */
  ctx: RequestContext
}

/** Where the pipeline's warnings and internal errors go (fastify's request or app logger). */
export interface PipelineLog {
  warn(obj: object, msg: string): void
  error(obj: object, msg: string): void
}

export const OPERATION_LABELS: Readonly<Record<OperationType, OperationTypeLabel>> = { Query: 'query', Mutation: 'mutation', Subscription: 'subscription' }

/** The code a thrown value is recorded under: an error that is not permgate's is an internal one (a deny). */
export function codeOf(e: unknown): ErrorCode {
  return e instanceof PermgateError ? e.code : 'PERMGATE_ERR_INTERNAL'
}

export type Pipeline = ReturnType<typeof createPipeline>

export function createPipeline(config: ServeConfig, deps: PipelineDeps) {
  const metrics = deps.metrics
  const dryRun = config.dryRun
  const trustedProxies = config.trustedProxyRanges

  /** The decision counted and logged, once. */
  function recordOnce(x: Exchange, allowed: boolean, reason: string, type: OperationTypeLabel, op?: ExtractedOperation, d?: Decision): void {
    metrics?.decision(allowed ? 'allow' : 'deny', reason, type, (performance.now() - x.startedAt) / 1000)
    auditDecision(deps.decisionLog, deps.authorizer().policy, x.decisionId, x.principal, allowed, reason, op, d, x.startedAt)
  }

  /** record: the decision counted and logged, once; a dry-run denial is also counted as a would-deny. */
  function record(x: Exchange, allowed: boolean, reason: string, type: OperationTypeLabel, op?: ExtractedOperation, d?: Decision): void {
    recordOnce(x, allowed, reason, type, op, d)
    if (!allowed && dryRun) metrics?.wouldDeny(reason)
  }

  function logInternal(x: Exchange, e: unknown, log: PipelineLog): void {
    if (!(e instanceof PermgateError)) log.error({ err: e, decisionId: x.decisionId }, 'error in the decision path: denied')
  }

  function prepare<S>(p: Principal, s: S, ok: (s: S, p: Principal) => void, fail: (s: S, e: unknown) => void): void {
    let ready: Promise<void> | undefined
    try {
      ready = deps.authorizer().prepare(p)
    } catch (e) {
      return fail(s, e)
    }
    if (ready === undefined) return ok(s, p)
    ready.then(() => ok(s, p), (e: unknown) => fail(s, e))
  }

  return {
    dryRun,
    record,

    /**
     * A refusal by a coded error (a bad credential, a malformed request, a store that cannot
     * answer), recorded. True when a dry run lets the request go on; an internal error is logged.
     */
    refused(x: Exchange, e: unknown, type: OperationTypeLabel, log: PipelineLog): boolean {
      record(x, false, codeOf(e), type)
      logInternal(x, e, log)
      return dryRun
    },

    /**
     * A refusal no dry run lets through (a limit; an operation that cannot be read, so cannot be
     * forwarded as decided): recorded as a denial, not as a would-deny.
     */
    enforced(x: Exchange, e: unknown, type: OperationTypeLabel, log: PipelineLog): void {
      recordOnce(x, false, codeOf(e), type)
      logInternal(x, e, log)
    },

    /**
     * identify: the request's credential as a principal (synchronously when the token is cached),
     * then prepare: its bindings in memory (at once with the file store and a warm database store).
     * `ok` or `fail` is called once; `s` is handed back so callers need no closure per request.
     */
    identify<S>(headers: Readonly<Record<string, string | string[] | undefined>>, s: S, ok: (s: S, p: Principal) => void, fail: (s: S, e: unknown) => void): void {
      let resolved: Principal | Promise<Principal>
      try {
        resolved = deps.identity.resolve(headers)
      } catch (e) {
        return fail(s, e)
      }
      if (resolved instanceof Promise) {
        resolved.then((p) => prepare(p, s, ok, fail), (e: unknown) => fail(s, e))
        return
      }
      prepare(resolved, s, ok, fail)
    },

    /** prepare alone (a WebSocket operation of a principal identified at connection_init); a store that cannot answer fails with its 503. */
    prepare,

    /** The request facts the policy reads: the client address, only when the policy has IP ranges. */
    contextOf(remote: string | undefined, forwardedFor: string | string[] | undefined): RequestContext {
      const policy = deps.authorizer().policy
      if (policy.ipAllow === undefined && !policy.ipRules) return NO_CONTEXT
      return { clientIp: clientAddress(remote, forwardedFor, trustedProxies) }
    },

    /** The request facts of a long-lived connection: always the client address (a reload may add IP ranges). */
    connectionContext(remote: string | undefined, forwardedFor: string | string[] | undefined): RequestContext {
      return { clientIp: clientAddress(remote, forwardedFor, trustedProxies) }
    },

    /** The policy-wide ipAllow, checked before anything else is decided. */
    ipDenied(ctx: RequestContext): PermgateError | undefined {
      const allow = deps.authorizer().policy.ipAllow
      if (allow === undefined || cidrsContain(allow, ctx.clientIp)) return undefined
      return new PermgateError('PERMGATE_ERR_IP_DENIED', "the client's address is outside the policy's ipAllow ranges")
    },

    /** The operation a document selects (document cache; limits and shape errors are thrown, coded). */
    operation(query: string, operationName: string | undefined): ExtractedOperation {
      return deps.documents.get(query, operationName)
    },

    /**
     * decide one GraphQL operation, and record it; the shadow policy decides beside it. The
     * adapter answers: forward when `d.allowed` or in a dry run, else refuse with the denial.
     */
    decide(x: Exchange, op: ExtractedOperation, variables: Readonly<Record<string, unknown>> | undefined, log: PipelineLog): Decision {
      const d = deps.authorizer().decide(x.principal, op, variables, x.ctx)
      record(x, d.allowed, d.reason, OPERATION_LABELS[op.type], op, d)
      if (deps.shadow !== undefined) {
        const sd = deps.shadow.decide(x.principal, op, variables, x.ctx)
        if (sd.allowed !== d.allowed) {
          metrics?.shadowDisagreement(d.allowed, sd.allowed)
          log.warn({ warning: 'PERMGATE_WARN_SHADOW_DISAGREES', decisionId: x.decisionId, operationType: op.type, active: d.reason, shadow: sd.reason }, 'shadow policy disagrees')
        }
      }
      return d
    },

    /** decide again after a policy or bindings change (a running WebSocket operation): only a denial is recorded. */
    recheck(x: Exchange, op: ExtractedOperation, variables: Readonly<Record<string, unknown>> | undefined): Decision {
      const d = deps.authorizer().decide(x.principal, op, variables, x.ctx)
      if (!d.allowed) record(x, false, d.reason, OPERATION_LABELS[op.type], op, d)
      return d
    },
  }
}
