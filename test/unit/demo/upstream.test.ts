import { connect } from 'node:net'
import { describe, expect, it, vi } from 'vitest'
import { DEFAULT_MAX_BODY_BYTES, startUpstream } from '../../../src/demo/upstream.js'
import { data, get, post, useUpstream } from './helpers.js'

describe('demo upstream over HTTP', () => {
  const upstream = useUpstream()

  it('listens on a free loopback port and answers application/json', async () => {
    const u = upstream()
    expect(u.port).toBeGreaterThan(0)
    expect(u.origin).toBe(`http://127.0.0.1:${u.port}`)
    expect(u.url).toBe(`${u.origin}/graphql`)
    const res = await post(u.url, { query: '{ workspaces }' })
    expect(res.status).toBe(200)
    expect(res.contentType).toMatch(/^application\/json/)
  })

  it('answers workspaces and workspaceDeployments from its data', async () => {
    const d = await data(upstream().url, '{ workspaces w1: workspaceDeployments(workspaceUuid: "w1") }')
    expect(d['workspaces']).toEqual([
      expect.objectContaining({ id: 'w1', label: 'Data Platform', deploymentCount: 2 }),
      expect.objectContaining({ id: 'w2', label: 'Analytics', deploymentCount: 1 }),
    ])
    expect(d['w1']).toEqual([
      expect.objectContaining({ id: 'd1', label: 'etl-prod', workspace: { id: 'w1', label: 'Data Platform' } }),
      expect.objectContaining({ id: 'd2', label: 'etl-dev', workspace: { id: 'w1', label: 'Data Platform' } }),
    ])
  })

  it('keeps what updateDeployment changed for later queries', async () => {
    const { url } = upstream()
    const updated = await data(
      url,
      'mutation($id: Uuid!, $payload: JSON, $config: JSON) { updateDeployment(deploymentUuid: $id, payload: $payload, config: $config) }',
      { id: 'd2', payload: { label: 'etl-staging' }, config: { workers: { replicas: 4 } } },
    )
    expect(updated['updateDeployment']).toMatchObject({ id: 'd2', label: 'etl-staging', config: { workers: { replicas: 4 } } })
    const later = await data(url, '{ workspaceDeployments(workspaceUuid: "w1") }')
    expect(later['workspaceDeployments']).toContainEqual(
      expect.objectContaining({ id: 'd2', label: 'etl-staging', config: expect.objectContaining({ workers: { replicas: 4 } }) }),
    )
  })

  it('answers a batch with one result per entry, in order', async () => {
    const res = await post(upstream().url, [
      { query: '{ workspaces }' },
      { query: 'query D($w: Uuid!) { workspaceDeployments(workspaceUuid: $w) }', variables: { w: 'w2' } },
    ])
    expect(res.status).toBe(200)
    const [first, second] = res.body as { data: Record<string, unknown[]> }[]
    expect(first?.data['workspaces']).toHaveLength(2)
    expect(second?.data['workspaceDeployments']).toEqual([expect.objectContaining({ id: 'd3', label: 'reports' })])
  })

  it('runs a query from GET parameters but refuses a mutation there', async () => {
    const { url } = upstream()
    const ok = await get(url, { query: 'query($w: Uuid!) { workspaceDeployments(workspaceUuid: $w) }', variables: '{"w":"w2"}' })
    expect(ok.status).toBe(200)
    expect(ok.body).toMatchObject({ data: { workspaceDeployments: [{ id: 'd3' }] } })
    const refused = await get(url, { query: 'mutation { createWorkspace(label: "x") }' })
    expect(refused.status).toBe(405)
    expect(refused.body).toMatchObject({ errors: [{ message: expect.any(String) }] })
  })

  it('answers self for the x-permgate-subject header, and null without it', async () => {
    const { url } = upstream()
    const as = await data(url, '{ self }', {}, { 'x-permgate-subject': 'u-1' })
    expect(as['self']).toMatchObject({
      id: 'u-1',
      username: 'jdoe',
      workspaces: [{ id: 'w1', label: 'Data Platform', role: 'WORKSPACE_ADMIN' }],
    })
    expect((await data(url, '{ self }'))['self']).toBeNull()
    expect((await data(url, '{ self }', {}, { 'x-permgate-subject': 'nobody' }))['self']).toBeNull()
  })

  it('answers 400 with errors for parse and validation errors, and for bad bodies', async () => {
    const { url } = upstream()
    const parse = await post(url, { query: '{ workspaces ' })
    expect(parse.status).toBe(400)
    expect(parse.body).toEqual({ errors: [expect.objectContaining({ message: expect.stringMatching(/Syntax Error/) })] })
    const invalid = await post(url, { query: '{ noSuchField }' })
    expect(invalid.status).toBe(400)
    expect(invalid.body).toMatchObject({ errors: [{ message: expect.stringMatching(/noSuchField/) }] })
    expect((await post(url, '{not json')).status).toBe(400)
    expect((await post(url, { variables: {} })).status).toBe(400)
    expect((await post(url, [])).status).toBe(400)
  })

  it('answers an execution error with status 200, data and errors', async () => {
    const res = await post(upstream().url, { query: '{ workspaceDeployments(workspaceUuid: "w404") }' })
    expect(res.status).toBe(200)
    expect(res.body).toMatchObject({
      data: { workspaceDeployments: null },
      errors: [{ message: 'Workspace w404 not found', path: ['workspaceDeployments'] }],
    })
  })

  it('does not serve subscriptions', async () => {
    const res = await post(upstream().url, { query: 'subscription { deploymentStatus(releaseName: "x") }' })
    expect(res.status).toBe(400)
    expect(res.body).toMatchObject({ errors: [{ message: expect.stringMatching(/Subscriptions/) }] })
  })

  it('answers 404 off /graphql and 413 over the body limit', async () => {
    const u = upstream()
    const missing = await fetch(`${u.origin}/other`)
    expect(missing.status).toBe(404)
    await missing.arrayBuffer()
    const big = await post(u.url, 'x'.repeat(DEFAULT_MAX_BODY_BYTES + 1))
    expect(big.status).toBe(413)
  })

  it('records every request with its method, url, headers and raw body', async () => {
    const u = upstream()
    const text = JSON.stringify({ query: '{ appConfig }' })
    await post(u.url, text, { 'x-permgate-subject': 'u-admin' })
    await get(u.url, { query: '{ authConfig }' })
    await (await fetch(`${u.origin}/nowhere`)).arrayBuffer()
    expect(u.count()).toBe(3)
    expect(u.requests.map((r) => [r.method, r.url])).toEqual([
      ['POST', '/graphql'],
      ['GET', `/graphql?${new URLSearchParams({ query: '{ authConfig }' }).toString()}`],
      ['GET', '/nowhere'],
    ])
    expect(u.requests[0]?.body).toBe(text)
    expect(u.requests[0]?.headers).toMatchObject({ 'x-permgate-subject': 'u-admin', 'content-type': 'application/json' })
    u.reset()
    expect(u.count()).toBe(0)
    expect(u.requests).toEqual([])
  })
})

describe('demo upstream lifecycle', () => {
  it('closes with a keep-alive connection idle and a slow request in flight', async () => {
    const u = await startUpstream()
    await post(u.url, { query: '{ workspaces }' })
    u.setDelay(60_000)
    const pending = post(u.url, { query: '{ workspaces }' })
    await vi.waitFor(() => expect(u.count()).toBe(2))
    await expect(u.close()).resolves.toBeUndefined()
    await expect(pending).rejects.toThrow()
    await expect(u.close()).resolves.toBeUndefined()
  })

  it('closes while a client is still sending a request body', async () => {
    const u = await startUpstream()
    const socket = connect(u.port, '127.0.0.1')
    socket.on('error', () => {})
    const ended = new Promise((resolve) => socket.once('close', resolve))
    // The server's 100 Continue shows it has the request's headers: the connection is busy, not idle.
    const continued = new Promise((resolve) => socket.once('data', resolve))
    socket.write('POST /graphql HTTP/1.1\r\nhost: x\r\nexpect: 100-continue\r\ncontent-length: 100\r\n\r\n')
    expect(String(await continued)).toMatch(/^HTTP\/1.1 100/)
    socket.write('{"qu')
    await expect(u.close()).resolves.toBeUndefined()
    await ended
  })

  it('rejects a negative delay', async () => {
    await expect(startUpstream({ delayMs: -1 })).rejects.toThrow(RangeError)
  })
})
