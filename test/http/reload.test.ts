import { cpSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { SignJWT } from 'jose'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { loadServeConfig } from '../../src/config/load.js'
import { startUpstream, type DemoUpstream } from '../../src/demo/upstream.js'
import { startServer, type Server } from '../../src/serve.js'
import { post } from '../helpers/proxy.js'
import { POLICY_HOUSTON } from '../helpers/shared.js'
import { tempFiles } from '../helpers/tmp.js'

const SECRET = 'reload-test-secret-0123456789abcdef'
const BOUND = 'deployments: { d1: w1 }\nsubjects:\n  u-viewer:\n    bindings: [ { role: WORKSPACE_VIEWER, workspace: w1 } ]\n'
const UNBOUND = 'deployments: { d1: w1 }\nsubjects:\n  u-viewer:\n    bindings: []\n'
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
    '--log-level', 'silent', '--decision-log', 'off', '--reload-poll-ms', '50',
  ]))
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
/** Bounded loopback load: `n` requests, `concurrency` at a time; every status is collected. */
async function load(n: number, concurrency: number, during: () => Promise<void>): Promise<number[]> {
  const statuses: number[] = []
  let next = 0
  const worker = async () => {
    while (next < n) {
      next++
      statuses.push((await ask()).status)
    }
  }
  await Promise.all([...Array.from({ length: concurrency }, worker), during()])
  return statuses
}
const until = async (cond: () => Promise<boolean>) => {
  for (let i = 0; i < 100; i++) {
    if (await cond()) return
    await new Promise((r) => setTimeout(r, 50))
  }
  throw new Error('condition not reached in 5 s')
}

describe('hot reload while requests flow', () => {
  it('a bindings change takes effect without a restart, and no request fails', async () => {
    expect((await ask()).status).toBe(200)
    const statuses = await load(300, 8, async () => {
      await new Promise((r) => setTimeout(r, 100))
      writeFileSync(join(dir, 'bindings.yaml'), UNBOUND)
      await until(async () => (await reloads('success')) >= 1)
    })
    // every request was decided by one complete version or the other: allowed, or denied
    expect(statuses.every((s) => s === 200 || s === 403)).toBe(true)
    expect((await ask()).status).toBe(403)
  })

  it('an invalid file leaves the old version serving and counts the failure', async () => {
    const roles = join(dir, 'policy', 'roles.yaml')
    const good = readFileSync(roles, 'utf8')
    writeFileSync(join(dir, 'bindings.yaml'), BOUND)
    await until(async () => (await reloads('success')) >= 2)
    expect((await ask()).status).toBe(200)

    const statuses = await load(200, 8, async () => {
      writeFileSync(roles, good.replace('? workspace.deployments.get', '? workspace..broken'))
      await until(async () => (await reloads('error')) >= 1)
    })
    expect(statuses.every((s) => s === 200)).toBe(true)
    expect((await ask()).status).toBe(200)

    writeFileSync(roles, good)
    await until(async () => (await reloads('success')) >= 3)
    expect((await ask()).status).toBe(200)
  })
})
