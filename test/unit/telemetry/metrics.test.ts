import { describe, expect, it } from 'vitest'
import { Metrics, statusClass } from '../../../src/telemetry/metrics.js'

describe('Metrics', () => {
  it('reads cache counts and the decision log at scrape time', async () => {
    let dropped = 0
    const m = new Metrics(() => ({ tokens: { hits: 5, misses: 2, evictions: 1, size: 3 } }), () => 'r1', () => ({ recorded: 10, dropped }))
    dropped = 4
    const text = await m.registry.metrics()
    expect(text).toContain('permgate_decision_log_events_total{result="dropped"} 4')
    expect(text).toContain('permgate_decision_log_events_total{result="recorded"} 10')
    expect(text).toContain('permgate_cache_hits_total{cache="tokens"} 5')
    expect(text).toContain('permgate_cache_entries{cache="tokens"} 3')
    expect(text).toContain('permgate_policy_info{revision="r1"} 1')
  })

  it('counts decisions by label and status classes', async () => {
    const m = new Metrics(() => ({}), () => 'r1')
    m.decision('deny', 'no_rule', 'query', 0.00001)
    m.decision('deny', 'no_rule', 'query', 0.00001)
    m.upstream(503, 0.01)
    const text = await m.registry.metrics()
    expect(text).toContain('permgate_decisions_total{decision="deny",reason="no_rule",operation_type="query"} 2')
    expect(text).toContain('permgate_upstream_requests_total{status_class="5xx"} 1')
    expect(text).not.toContain('permgate_decision_log_events_total{')
    expect([statusClass(204), statusClass(0)]).toEqual(['2xx', 'error'])
  })
})
