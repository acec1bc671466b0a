/**
 * The upstream fails while load flows through permgate, then recovers: permgate answers every
 * request meanwhile (502 or 504 with its coded reason, never a hang, never another 5xx), keeps
 * deciding denials, and forwards again once the upstream is back, without a restart.
 * (A single request to an upstream that is down or slow: test/http/upstream-faults.test.ts.)
 */
import { afterEach, describe, expect, it } from 'vitest'
import { startUpstream, type DemoUpstream } from '../../src/demo/upstream.js'
import { postJson, startGate, underLoad, until, type Gate, type Probe } from './helpers.js'

const open: Gate[] = []
const restarted: DemoUpstream[] = []
afterEach(async () => {
  await Promise.all(open.splice(0).map((g) => g.close()))
  await Promise.all(restarted.splice(0).map((u) => u.close()))
})

/** Forwarded requests (admin POST, anonymous GET) and one decided before forwarding (a denial). */
async function probes(g: Gate, upstreamDown: readonly number[], reasons: Readonly<Record<number, string>>): Promise<Probe[]> {
  const admin = { authorization: `Bearer ${await g.token('u-admin')}` }
  const viewer = { authorization: `Bearer ${await g.token('u-viewer')}` }
  const get = `${g.graphql}?query=${encodeURIComponent('{ authConfig }')}`
  return [
    { name: 'admin POST', expect: [200, ...upstreamDown], bodyHas: reasons, send: (signal) => postJson(g.graphql, { query: '{ deployments }' }, admin, signal) },
    { name: 'anonymous GET', expect: [200, ...upstreamDown], bodyHas: reasons, send: (signal) => fetch(get, { signal }) },
    { name: 'viewer denied', expect: [403], bodyHas: { 403: 'missing_permission' }, send: (signal) => postJson(g.graphql, { query: '{ deployments }' }, viewer, signal) },
  ]
}

/** Few enough that the stalled requests the demo upstream holds stay under node's 10 abort listeners per signal. */
const STALL_WORKERS = 3

const ready = async (g: Gate): Promise<number> => (await fetch(`${g.server.adminUrl}/readyz`)).status
const answersOk = async (g: Gate): Promise<boolean> => (await postJson(g.graphql, { query: '{ authConfig }' }, {})).status === 200
const count = (seen: ReadonlyMap<string, number>, key: string): number => seen.get(key) ?? 0

describe('the upstream goes down under load and comes back', () => {
  it('502 PERMGATE_ERR_UPSTREAM_UNAVAILABLE while it is down, 200 again once it listens again', async () => {
    const g = await startGate()
    open.push(g)
    const port = g.upstream.port
    const report = await underLoad(await probes(g, [502], { 502: 'PERMGATE_ERR_UPSTREAM_UNAVAILABLE' }), async () => {
      await until('the upstream served requests', () => g.upstream.count() >= 30)
      await g.upstream.close()
      await until('answers from permgate while the upstream is down', async () => (await g.metric('permgate_upstream_requests_total{status_class="5xx"}')) >= 20)
      expect(await ready(g)).toBe(503)
      // the same address again, a new process for all permgate knows
      restarted.push(await startUpstream({ host: '127.0.0.1', port }))
      await until('forwarding again', () => answersOk(g))
    })
    expect(report.wrong).toEqual([])
    expect(count(report.seen, 'admin POST: 502') + count(report.seen, 'anonymous GET: 502')).toBeGreaterThan(0)
    expect(count(report.seen, 'viewer denied: 403')).toBeGreaterThan(0)
    expect(await ready(g)).toBe(200)
    const after = await underLoad(await probes(g, [], {}), async () => {}, 8, 60)
    expect(after.wrong).toEqual([])
  })

  it('504 PERMGATE_ERR_UPSTREAM_TIMEOUT while it stalls past --upstream-timeout-ms, 200 again once it answers', async () => {
    const g = await startGate(['--upstream-timeout-ms', '300'])
    open.push(g)
    const report = await underLoad(await probes(g, [504], { 504: 'PERMGATE_ERR_UPSTREAM_TIMEOUT' }), async () => {
      await until('the upstream served requests', () => g.upstream.count() >= 30)
      g.upstream.setDelay(1_500)
      await until('timeouts under load', async () => (await g.metric('permgate_upstream_requests_total{status_class="5xx"}')) >= 9)
      g.upstream.setDelay(0)
      // the connections the timeouts gave up on are not reused: new requests are answered
      await until('forwarding again', () => answersOk(g))
    }, STALL_WORKERS)
    expect(report.wrong).toEqual([])
    expect(count(report.seen, 'admin POST: 504') + count(report.seen, 'anonymous GET: 504')).toBeGreaterThan(0)
    const after = await underLoad(await probes(g, [], {}), async () => {}, 8, 60)
    expect(after.wrong).toEqual([])
  })
})
