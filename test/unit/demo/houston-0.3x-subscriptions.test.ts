import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { houston03xSchema, SUBJECT_HEADER, startUpstream, type DemoUpstream } from '../../../src/demo/upstream.js'
import { collect, openWs, type WsClient, type WsMessage } from '../../helpers/ws.js'
import { SUBSCRIPTIONS } from './houston-0.3x-cases.js'

// The 0.3x demo's Subscription fields over WebSocket, in both subprotocols, with selection sets.

const DIALECTS = [
  { protocol: 'graphql-transport-ws', subscribe: 'subscribe', data: 'next' },
  { protocol: 'graphql-ws', subscribe: 'start', data: 'data' },
] as const

let upstream: DemoUpstream
beforeAll(async () => {
  upstream = await startUpstream({ houston: '0.3x' })
})
afterAll(async () => {
  await upstream?.close()
})

async function connected(protocol: string): Promise<WsClient> {
  const c = await openWs(upstream.url, protocol, { [SUBJECT_HEADER]: 'u-admin' })
  c.send({ type: 'connection_init' })
  await c.next((m) => m.type === 'connection_ack')
  return c
}


const EXPECTED: Readonly<Record<string, (i: number) => unknown>> = {
  log: () => ({ id: expect.stringMatching(/^d1-log-\d$/), createdAt: expect.any(String), log: expect.any(String) }),
  metrics: (i) => [
    { label: 'DEPLOYMENT_STATUS', result: expect.objectContaining({ deploymentUuid: 'd1', step: i }) },
    { label: 'DEPLOYMENT_TASKS', result: expect.objectContaining({ deploymentUuid: 'd1', step: i }) },
  ],
  deploymentStatus: (i) => ({ result: { releaseName: 'stellar-galaxy-1234', deploymentUuid: 'd1', sequence: i, status: i < 2 ? 'DEPLOYING' : 'HEALTHY' } }),
}

describe.each(DIALECTS)('Houston 0.3x subscriptions over $protocol', (d) => {
  it('covers every Subscription field of the schema', () => {
    expect(SUBSCRIPTIONS.map((s) => s.field).sort()).toEqual(Object.keys(houston03xSchema().getSubscriptionType()?.getFields() ?? {}).sort())
  })

  it.each(SUBSCRIPTIONS.map((s) => [s.field, s] as const))('%s streams events with its selection set, then completes', async (field, s) => {
    const c = await connected(d.protocol)
    c.send({ id: field, type: d.subscribe, payload: { query: s.query, variables: s.variables } })
    const messages = await collect(c, field)
    c.close()
    expect(messages.map((m) => m.type)).toEqual([d.data, d.data, d.data, 'complete'])
    messages.slice(0, 3).forEach((m, i) => expect(m.payload).toEqual({ data: { [field]: EXPECTED[field]?.(i) } }))
  })

  it('the log of the scheduler holds only scheduler lines', async () => {
    const c = await connected(d.protocol)
    const log = SUBSCRIPTIONS.find((s) => s.field === 'log')
    c.send({ id: 'l', type: d.subscribe, payload: { query: log?.query, variables: log?.variables } })
    const lines = (await collect(c, 'l')).flatMap((m) => (m.type === d.data ? [(m.payload as { data: { log: { log: string } } }).data.log.log] : []))
    c.close()
    expect(lines).toEqual(['Starting the scheduler', 'Filling up the DagBag from /usr/local/airflow/dags', 'Starting the scheduler'])
  })

  it('an unknown release ends the stream with an error', async () => {
    const c = await connected(d.protocol)
    c.send({ id: 'x', type: d.subscribe, payload: { query: 'subscription { deploymentStatus(releaseName: "no-such-release") { result } }' } })
    const messages = await collect(c, 'x')
    c.close()
    expect(messages.map((m) => m.type)).toEqual(['error'])
    expect(JSON.stringify(messages[0]?.payload)).toContain('Deployment with release name no-such-release not found')
  })

  it('refuses a subscription without a selection set', async () => {
    const c = await connected(d.protocol)
    c.send({ id: 'v', type: d.subscribe, payload: { query: 'subscription { log(deploymentUuid: "d1") }' } })
    const [m] = await collect(c, 'v')
    c.close()
    expect(m?.type).toBe('error')
    expect(JSON.stringify(m?.payload)).toMatch(/must have a selection of subfields/)
  })
})
