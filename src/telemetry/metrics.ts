import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client'

/** Label values are bounded sets: never a raw field name or a subject. */
export type DecisionLabel = 'allow' | 'deny'
export type OperationTypeLabel = 'query' | 'mutation' | 'subscription' | 'route' | 'none'
export type StatusClassLabel = '1xx' | '2xx' | '3xx' | '4xx' | '5xx' | 'error'
export type CacheLabel = 'documents' | 'tokens' | 'principals' | 'decisions'

export interface CacheCounts {
  readonly hits: number
  readonly misses: number
  readonly evictions: number
  readonly size?: number
}

/** Decision latency buckets, seconds: 5 µs to 10 ms. */
export const DECISION_BUCKETS_S = [0.000005, 0.00001, 0.000025, 0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.01]
/** Upstream latency buckets, seconds: 1 ms to 30 s. */
export const UPSTREAM_BUCKETS_S = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 10, 30]

/**
 * permgate's metrics, in their own Registry (never the global one): decisions, their latency,
 * the caches, the upstream, the policy. Labelled children are created once and reused.
 */
export class Metrics {
  readonly registry = new Registry()
  readonly #decisions: Counter<'decision' | 'reason' | 'operation_type'>
  readonly #decisionSeconds: Histogram<never>
  readonly #upstream: Counter<'status_class'>
  readonly #upstreamSeconds: Histogram<never>
  readonly reloads: Counter<'result'>
  readonly #wouldDeny: Counter<'reason'>
  readonly #shadow: Counter<'active' | 'shadow'>
  readonly #children = new Map<string, Counter.Internal>()
  #websockets = false
  #database: (() => { readonly connected: boolean; readonly staleSinceMs: number | undefined }) | undefined

  constructor(
    caches: () => Partial<Record<CacheLabel, CacheCounts>>,
    policyRevision: () => string,
    decisionLog: () => { readonly recorded: number; readonly dropped: number } | undefined = () => undefined,
  ) {
    const registers = [this.registry]
    collectDefaultMetrics({ register: this.registry })
    this.#decisions = new Counter({
      name: 'permgate_decisions_total',
      help: 'Decisions, by outcome, reason (a fixed set: allowed, a deny reason, or a PERMGATE_ERR_* code) and operation type',
      labelNames: ['decision', 'reason', 'operation_type'],
      registers,
    })
    this.#decisionSeconds = new Histogram({ name: 'permgate_decision_duration_seconds', help: 'Time from a request reaching the gate to its decision', buckets: DECISION_BUCKETS_S, registers })
    this.#upstream = new Counter({ name: 'permgate_upstream_requests_total', help: 'Requests forwarded to the upstream, by the class of its status', labelNames: ['status_class'], registers })
    this.#upstreamSeconds = new Histogram({ name: 'permgate_upstream_duration_seconds', help: 'Time from forwarding to the end of the response', buckets: UPSTREAM_BUCKETS_S, registers })
    this.#wouldDeny = new Counter({ name: 'permgate_dry_run_would_deny_total', help: 'Dry run: requests forwarded that would have been refused, by reason', labelNames: ['reason'], registers })
    this.#shadow = new Counter({ name: 'permgate_shadow_disagreements_total', help: 'Decisions where the shadow policy disagrees with the active one (never enforced)', labelNames: ['active', 'shadow'], registers })
    this.reloads = new Counter({ name: 'permgate_policy_reloads_total', help: 'Policy and bindings reloads, by result', labelNames: ['result'], registers })
    new Gauge({
      name: 'permgate_policy_info',
      help: 'The active policy revision (value 1)',
      labelNames: ['revision'],
      registers,
      collect() {
        this.reset()
        this.set({ revision: policyRevision() }, 1)
      },
    })
    new Gauge({
      name: 'permgate_decision_log_events_total',
      help: 'Decision-log events since start: recorded, or dropped because the buffer was full (or the sink failed)',
      labelNames: ['result'],
      registers,
      collect() {
        this.reset()
        const stats = decisionLog()
        if (stats === undefined) return
        this.set({ result: 'recorded' }, stats.recorded)
        this.set({ result: 'dropped' }, stats.dropped)
      },
    })
    const cacheMetric = (name: string, help: string, field: keyof CacheCounts) =>
      new Gauge({
        name,
        help,
        labelNames: ['cache'],
        registers,
        collect() {
          this.reset()
          for (const [cache, counts] of Object.entries(caches())) {
            const v = counts?.[field]
            if (v !== undefined) this.set({ cache }, v)
          }
        },
      })
    // Counts since start, read from the caches when scraped.
    cacheMetric('permgate_cache_hits_total', 'Cache hits since start', 'hits')
    cacheMetric('permgate_cache_misses_total', 'Cache misses since start', 'misses')
    cacheMetric('permgate_cache_evictions_total', 'Cache evictions since start', 'evictions')
    cacheMetric('permgate_cache_entries', 'Entries held now', 'size')
  }

  /** One decision; `reason` must come from a fixed set (never request data). */
  /** The PostgreSQL bindings store's connection, when bindings come from one. */
  bindingsDatabase(stats: () => { readonly connected: boolean; readonly staleSinceMs: number | undefined }): void {
    if (this.#database !== undefined) return
    this.#database = stats
    new Gauge({
      name: 'permgate_bindings_database_up',
      help: 'PostgreSQL bindings store: 1 while its change listener is connected, else 0 (cached bindings then age towards bindingsMaxStalenessMs)',
      registers: [this.registry],
      collect() {
        this.set(stats().connected ? 1 : 0)
      },
    })
    new Gauge({
      name: 'permgate_bindings_database_stale_seconds',
      help: 'PostgreSQL bindings store: seconds since the connection was lost (0 while connected)',
      registers: [this.registry],
      collect() {
        this.set((stats().staleSinceMs ?? 0) / 1000)
      },
    })
  }

  decision(decision: DecisionLabel, reason: string, operationType: OperationTypeLabel, seconds: number): void {
    const key = `${decision}|${reason}|${operationType}`
    let child = this.#children.get(key)
    if (child === undefined) {
      child = this.#decisions.labels(decision, reason, operationType)
      this.#children.set(key, child)
    }
    child.inc()
    this.#decisionSeconds.observe(seconds)
  }

  wouldDeny(reason: string): void {
    this.#wouldDeny.inc({ reason })
  }

  shadowDisagreement(active: boolean, shadow: boolean): void {
    this.#shadow.inc({ active: active ? 'allow' : 'deny', shadow: shadow ? 'allow' : 'deny' })
  }

  /** Open GraphQL WebSockets (refusals over wsMaxConnections are counted in permgate_decisions_total). */
  websockets(open: () => number): void {
    if (this.#websockets) return
    this.#websockets = true
    new Gauge({
      name: 'permgate_websocket_connections',
      help: 'GraphQL WebSockets open (at most wsMaxConnections; one more upgrade is refused 503, reason PERMGATE_ERR_WEBSOCKET_TOO_MANY_CONNECTIONS)',
      registers: [this.registry],
      collect() {
        this.set(open())
      },
    })
  }

  /** A request refused before the gate could decide (e.g. its body was over the limit). */
  refusedEarly(reason: string): void {
    this.#decisions.inc({ decision: 'deny', reason, operation_type: 'none' })
  }

  upstream(status: number, seconds: number): void {
    this.#upstream.inc({ status_class: statusClass(status) })
    this.#upstreamSeconds.observe(seconds)
  }
}

export function statusClass(status: number): StatusClassLabel {
  if (status >= 100 && status < 600) return `${Math.floor(status / 100)}xx` as StatusClassLabel
  return 'error'
}
