import { exec } from 'node:child_process'
import { promisify } from 'node:util'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { isForwarded } from '../../src/demo/examples.js'
import { startDemo, type Demo } from '../../src/demo/start.js'

// The README's quick start: `npm start` prints curl commands; each must do what it says, in
// both modes (HOUSTON=0.3x, the default, and HOUSTON=v0.12.1).
describe.each(['0.3x', 'v0.12.1'] as const)('the embedded default (npm start), Houston %s', (houston) => {
  let demo: Demo
  beforeAll(async () => {
    demo = await startDemo({ port: 0, adminPort: 0, decisionLog: 'off', houston })
  })
  afterAll(() => demo.close())

  it('serves the policy of its Houston', () => {
    expect(demo.policy).toBe(houston === '0.3x' ? 'policies/houston-0.35' : 'policies/houston')
    expect(demo.upstream.houston).toBe(houston)
  })

  it('prints curl commands for allowed and denied requests', () => {
    const statuses = demo.examples.map((e) => e.expectStatus)
    expect(statuses).toContain(200)
    expect(statuses).toContain(401)
    expect(statuses).toContain(403)
  })

  it('every printed curl command gets the status it announces, and denials never reach the upstream', async () => {
    // async: the server runs in this process, a synchronous child would block it
    const run = promisify(exec)
    for (const e of demo.examples) {
      const before = demo.upstream.count()
      const { stdout: out } = await run(e.curl, { encoding: 'utf8', shell: '/bin/sh', timeout: 10_000 })
      expect(out.trim().endsWith(`-> ${e.expectStatus}`), `${e.title}\n${out}`).toBe(true)
      if (e.expectStatus === 204) expect(out.toLowerCase(), e.title).toContain('access-control-allow-origin: https://app.example.com')
      expect(demo.upstream.count() - before, e.title).toBe(isForwarded(e) ? 1 : 0)
    }
  })
})

describe('the embedded default in Houston\'s layout (npm start, Houston 0.3x)', () => {
  let demo: Demo
  beforeAll(async () => {
    demo = await startDemo({ port: 0, adminPort: 0, decisionLog: 'off' })
  })
  afterAll(() => demo.close())

  it('is laid out like Houston: GraphQL on /v1, and the printed subscription (the Astro CLI\'s id-less start on /ws) streams its frames', async () => {
    expect(demo.graphqlPath).toBe('/v1')
    const run = promisify(exec)
    const { stdout } = await run(demo.subscription!, { encoding: 'utf8', shell: '/bin/sh', timeout: 10_000, cwd: process.cwd() })
    const frames = stdout.trim().split('\n').map((l) => JSON.parse(l) as { type: string; id?: string; payload?: { data?: { log?: { id: string } } } })
    // the demo upstream sends a keep-alive after its ack (Houston sends none)
    expect(frames.map((f) => f.type).filter((t) => t !== 'ka')).toEqual(['connection_ack', 'data', 'data', 'data', 'complete'])
    expect(frames.find((f) => f.type === 'data')!.payload!.data!.log!.id).toBe('d1-log-1')
    expect(frames.every((f) => !('id' in f))).toBe(true)
  })
})
