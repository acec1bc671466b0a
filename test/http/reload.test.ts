import { cpSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { SignJWT } from 'jose'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { loadServeConfig } from '../../src/config/load.js'
import { startUpstream, type DemoUpstream } from '../../src/demo/upstream.js'
import { startServer, type Server } from '../../src/serve.js'
import { FakeClock } from '../helpers/clock.js'
import { post } from '../helpers/proxy.js'
import { POLICY_HOUSTON } from '../helpers/shared.js'
import { tempFiles } from '../helpers/tmp.js'

const SECRET = 'reload-test-secret-0123456789abcdef'
const BOUND = 'deployments: { d1: w1 }\nsubjects:\n  u-viewer:\n    bindings: [ { role: WORKSPACE_VIEWER, workspace: w1 } ]\n'
const UNBOUND = 'deployments: { d1: w1 }\nsubjects:\n  u-viewer:\n    bindings: []\n'
const POLL_MS = 50
/** What permgate's file polls run on: a change is noticed when the test moves it, not while it waits. */
const clock = new FakeClock()
/** One poll of the watched files falls due within POLL_MS; the reload follows min(100 ms, POLL_MS) after it. */
const poll = (): Promise<void> => clock.advance(2 * POLL_MS)
let upstream: DemoUpstream
let server: Server
let dir: string
let auth: Record<string, string>

beforeAll(async () => {
  upstream = await startUpstream()
  dir = tempFiles({ secret: SECRET, 'bindings.yaml': BOUND })
  cpSync(POLICY_HOUSTON, join(dir, 'policy'), { recursive: true })
  server = await startServer(loadServeConfig([
    '--policy', join(dir, 'policy'), '--bindings', join(dir, 'bindings.yaml'), '--upstream', upstream.url,
    '--port', '0', '--admin-port', '0', '--jwt-secret-file', join(dir, 'secret'), '--jwt-subject-claim', 'uuid',
    '--log-level', 'silent', '--decision-log', 'off', '--reload-poll-ms', String(POLL_MS),
  ]), { clock })
  const token = await new SignJWT({ uuid: 'u-viewer' }).setProtectedHeader({ alg: 'HS256' }).setExpirationTime('1h').sign(new TextEncoder().encode(SECRET))
  auth = { authorization: `Bearer ${token}` }
})
afterAll(async () => {
  await server.close()
  await upstream.close()
})

const ask = () => post(`${server.url}/graphql`, { query: '{ workspaceDeployments(workspaceUuid: "w1") }' }, auth)
const reloads = async (result: string): Promise<number> => {
  const text = await (await fetch(`${server.adminUrl}/metrics`)).text()
  const line = text.split('\n').find((l) => l.startsWith(`permgate_policy_reloads_total{result="${result}"}`))
  return line === undefined ? 0 : Number(line.split(' ').at(-1))
}
/**
 * Bounded loopback load: `n` requests, `concurrency` at a time; every status is collected.
 * `during` starts once as many answers as workers have come back: requests are flowing.
 */
async function load(n: number, concurrency: number, during: () => Promise<void>): Promise<number[]> {
  const statuses: number[] = []
  let next = 0
  let flowing!: () => void
  const started = new Promise<void>((resolve) => (flowing = resolve))
  const worker = async () => {
    while (next < n) {
      next++
      statuses.push((await ask()).status)
      if (statuses.length === concurrency) flowing()
    }
  }
  await Promise.all([...Array.from({ length: concurrency }, worker), started.then(during)])
  return statuses
}

describe('hot reload while requests flow', () => {
  it('a bindings change takes effect without a restart, and no request fails', async () => {
    expect((await ask()).status).toBe(200)
    const statuses = await load(300, 8, async () => {
      writeFileSync(join(dir, 'bindings.yaml'), UNBOUND)
      await poll()
      expect(await reloads('success')).toBe(1)
    })
    // every request was decided by one complete version or the other: allowed, or denied
    expect(statuses.every((s) => s === 200 || s === 403)).toBe(true)
    expect((await ask()).status).toBe(403)
  })

  it('an invalid file leaves the old version serving and counts the failure', async () => {
    const roles = join(dir, 'policy', 'roles.yaml')
    const good = readFileSync(roles, 'utf8')
    writeFileSync(join(dir, 'bindings.yaml'), BOUND)
    await poll()
    expect(await reloads('success')).toBe(2)
    expect((await ask()).status).toBe(200)

    const statuses = await load(200, 8, async () => {
      writeFileSync(roles, good.replace('? workspace.deployments.get', '? workspace..broken'))
      await poll()
      expect(await reloads('error')).toBe(1)
    })
    expect(statuses.every((s) => s === 200)).toBe(true)
    expect((await ask()).status).toBe(200)
    // the bad file stays: later polls do not try it again
    await poll()
    await poll()
    expect(await reloads('error')).toBe(1)

    writeFileSync(roles, good)
    await poll()
    expect(await reloads('success')).toBe(3)
    expect((await ask()).status).toBe(200)
  })

  it('nothing is reloaded between polls; one edit of several files is one reload', async () => {
    const roles = join(dir, 'policy', 'roles.yaml')
    const rules = join(dir, 'policy', 'rules.yaml')
    const before = await reloads('success')
    await poll()
    expect(await reloads('success')).toBe(before)
    writeFileSync(join(dir, 'bindings.yaml'), UNBOUND)
    writeFileSync(roles, `${readFileSync(roles, 'utf8')}\n`)
    writeFileSync(rules, `${readFileSync(rules, 'utf8')}\n`)
    expect((await ask()).status).toBe(200)
    await poll()
    expect(await reloads('success')).toBe(before + 1)
    expect((await ask()).status).toBe(403)
  })
})
