import { exec } from 'node:child_process'
import { promisify } from 'node:util'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
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
      expect(demo.upstream.count() - before, e.title).toBe(e.expectStatus === 200 ? 1 : 0)
    }
  })
})
