import { createHash, randomBytes } from 'node:crypto'
import pg from 'pg'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { RECONNECT_MAX_MS } from '../../src/bindings/pg/listener.js'
import { migrate } from '../../src/bindings/pg/migrate.js'
import type { AppDeps } from '../../src/app.js'
import { loadServeConfig } from '../../src/config/load.js'
import { prepare } from '../../src/serve.js'
import { post, startHarness, type Harness } from '../helpers/proxy.js'
import { POLICY_HOUSTON } from '../helpers/shared.js'
import { FakeClock } from '../helpers/clock.js'
import { eventually } from '../helpers/eventually.js'
import { startPostgres, type TestPostgres } from '../helpers/pg.js'
import { openWs } from '../helpers/ws.js'

/**
 * Two permgate instances on one PostgreSQL bindings store, end to end: what the control plane
 * writes in the database is what both enforce, as soon as the notification arrives; with the
 * database down an instance decides from what it cached until the allowed staleness, then fails
 * closed (503), and recovers by itself when it returns. That instance runs on a FakeClock: the
 * staleness and the reconnection backoff move when the test moves them.
 */
const STALENESS_MS = 3000
const QUERY = { query: '{ workspaceDeployments(workspaceUuid: "w1") }' }
const API_KEY = randomBytes(16).toString('hex')

let db: TestPostgres
let sql: pg.Client
let a: Harness
let b: Harness
/** The instance the database outage is observed on, and its clock. */
let c: Harness
const clock = new FakeClock()
/** A fourth instance's dependencies, for its metrics, on a clock of its own. */
let deps: AppDeps
const depsClock = new FakeClock()
const gauge = async (name: string): Promise<number | undefined> => (await deps.metrics!.registry.getSingleMetric(name)?.get())?.values[0]?.value
const auth = async (h: Harness, subject: string): Promise<Record<string, string>> => ({ authorization: `Bearer ${await h.token(subject)}` })

/** Asks `f` until it gives `want`: the wait is for a notification (or a connection's loss) to arrive. */
async function until(f: () => Promise<number>, want: number): Promise<void> {
  await eventually(`status ${want}`, async () => (await f()) === want)
}

beforeAll(async () => {
  db = await startPostgres()
  sql = new pg.Client(db.url)
  await sql.connect()
  await migrate(sql)
  await sql.query(`INSERT INTO permgate_deployments (id, workspace_id) VALUES ('d1', 'w1'), ('d2', 'w1'), ('d3', 'w2')`)
  await sql.query(`INSERT INTO permgate_subjects (id, kind) VALUES ('u-viewer', 'user'), ('u-admin', 'user'), ('sa-db', 'serviceAccount')`)
  await sql.query(`INSERT INTO permgate_role_bindings (subject_id, role) VALUES ('u-admin', 'SYSTEM_ADMIN')`)
  await sql.query(`INSERT INTO permgate_role_bindings (subject_id, role, deployment_id) VALUES ('sa-db', 'DEPLOYMENT_EDITOR', 'd1')`)
  await sql.query(`INSERT INTO permgate_service_account_keys (key_sha256, subject_id) VALUES ($1, 'sa-db')`, [createHash('sha256').update(API_KEY).digest('hex')])
  const args = ['--bindings', db.url, '--bindings-max-staleness-ms', String(STALENESS_MS)]
  a = await startHarness(args)
  b = await startHarness(args)
  c = await startHarness(args, undefined, { clock })
  deps = await prepare(loadServeConfig(['--policy', POLICY_HOUSTON, '--upstream', 'http://127.0.0.1:9/graphql', '--decision-log', 'off', ...args]), depsClock)
}, 60_000)

afterAll(async () => {
  await deps?.bindingsStore?.close?.()
  await a?.close()
  await b?.close()
  await c?.close()
  await sql?.end().catch(() => undefined)
  db?.close()
})

beforeEach(() => {
  a.upstream.reset()
  b.upstream.reset()
  c.upstream.reset()
})

describe('PostgreSQL bindings: grant and revoke reach every instance', () => {
  it('a grant written in the database is allowed on both instances; the revoke is denied on both', async () => {
    const status = (h: Harness) => async () => (await post(h.graphql, QUERY, await auth(h, 'u-viewer'))).status
    expect(await status(a)()).toBe(403)
    expect(await status(b)()).toBe(403)

    await sql.query(`INSERT INTO permgate_role_bindings (subject_id, role, workspace_id) VALUES ('u-viewer', 'WORKSPACE_VIEWER', 'w1')`)
    await until(status(a), 200)
    await until(status(b), 200)

    await sql.query(`DELETE FROM permgate_role_bindings WHERE subject_id = 'u-viewer'`)
    await Promise.all([until(status(a), 403), until(status(b), 403)])
  })

  it('a team binding reaches its members; removing the membership revokes it', async () => {
    const status = async () => (await post(a.graphql, { query: '{ workspaceDeployments(workspaceUuid: "w2") }' }, await auth(a, 'u-viewer'))).status
    await sql.query(`INSERT INTO permgate_teams (id) VALUES ('team-w2')`)
    await sql.query(`INSERT INTO permgate_team_bindings (team_id, role, workspace_id) VALUES ('team-w2', 'WORKSPACE_VIEWER', 'w2')`)
    await sql.query(`INSERT INTO permgate_team_members (team_id, subject_id) VALUES ('team-w2', 'u-viewer')`)
    await until(status, 200)
    await sql.query(`DELETE FROM permgate_team_members WHERE team_id = 'team-w2'`)
    await until(status, 403)
  })

  it('a service account API key is looked up by its hash in the database', async () => {
    const r = await post(a.graphql, { query: '{ deploymentServiceAccounts(deploymentUuid: "d1") }' }, { authorization: API_KEY })
    expect(r.status).toBe(200)
    expect(a.upstream.requests.at(-1)?.headers['x-permgate-subject']).toBe('sa-db')
    const unknown = await post(a.graphql, QUERY, { authorization: randomBytes(16).toString('hex') })
    expect(unknown.status).toBe(401)
  })

  it('a service account whose subject id cannot be sent in a header is 401, never a 502 (issue 12, item 12)', async () => {
    const key = randomBytes(16).toString('hex')
    await sql.query(`INSERT INTO permgate_subjects (id, kind) VALUES ($1, 'serviceAccount')`, ['sa-bad\r\nx-permgate-kind: user'])
    await sql.query(`INSERT INTO permgate_service_account_keys (key_sha256, subject_id) VALUES ($1, $2)`, [createHash('sha256').update(key).digest('hex'), 'sa-bad\r\nx-permgate-kind: user'])
    const r = await post(a.graphql, { query: '{ self { id } }' }, { authorization: key })
    expect(r.status).toBe(401)
    expect(((await r.json()) as { errors: { extensions: { reason: string } }[] }).errors[0]?.extensions.reason).toBe('PERMGATE_ERR_AUTH_TOKEN_CLAIMS')
    expect(a.upstream.count()).toBe(0)
  })

  it('a deployment added in the database cascades from its workspace at once', async () => {
    const admin = await auth(a, 'u-admin')
    await sql.query(`INSERT INTO permgate_role_bindings (subject_id, role, workspace_id) VALUES ('u-viewer', 'WORKSPACE_VIEWER', 'w9')`)
    const logs = async () => (await post(a.graphql, { query: '{ logs(deploymentUuid: "d9") }' }, await auth(a, 'u-viewer'))).status
    expect(await logs()).toBe(403)
    await sql.query(`INSERT INTO permgate_deployments (id, workspace_id) VALUES ('d9', 'w9')`)
    await until(logs, 200)
    expect((await post(a.graphql, { query: '{ deployments }' }, admin)).status).toBe(200)
    await sql.query(`DELETE FROM permgate_role_bindings WHERE subject_id = 'u-viewer'`)
  })
})

// Issue 12, item 3: a change in the database reaches open WebSockets on every instance (NOTIFY).
describe('PostgreSQL bindings: revocation reaches open WebSockets', () => {
  it('a deleted API key closes its socket (4403); a deleted binding stops a running subscription', async () => {
    const keyed = await openWs(a.graphql, 'graphql-transport-ws')
    keyed.send({ type: 'connection_init', payload: { authorization: API_KEY } })
    await keyed.next((m) => m.type === 'connection_ack')
    await sql.query(`INSERT INTO permgate_role_bindings (subject_id, role, workspace_id) VALUES ('u-viewer', 'WORKSPACE_VIEWER', 'w1')`)
    const viewer = await openWs(b.graphql, 'graphql-ws')
    viewer.send({ type: 'connection_init', payload: { authorization: await b.token('u-viewer') } })
    await viewer.next((m) => m.type === 'connection_ack')
    // the grant may reach b's cache a moment after the insert: start once it decides it
    for (let i = 0; ; i++) {
      viewer.send({ id: `m${i}`, type: 'start', payload: { query: 'subscription { metrics(deploymentUuid: "d1", step: 10000) }' } })
      const first = await viewer.next((m) => m.id === `m${i}`, 5_000)
      if (first.type !== 'error') break
      expect(i).toBeLessThan(40)
      await new Promise((r) => setTimeout(r, 25))
    }
    const running = viewer.messages.filter((m) => m.type !== 'error' && typeof m.id === 'string').at(-1)!.id!

    await sql.query(`DELETE FROM permgate_service_account_keys WHERE subject_id = 'sa-db'`)
    expect((await keyed.closed).code).toBe(4403)
    await sql.query(`DELETE FROM permgate_role_bindings WHERE subject_id = 'u-viewer'`)
    const stopped = await viewer.next((m) => m.id === running && m.type === 'error', 5_000)
    expect((stopped.payload as { extensions: Record<string, unknown> }).extensions.field).toBe('Subscription.metrics')
    viewer.close()
    await sql.query(`INSERT INTO permgate_service_account_keys (key_sha256, subject_id) VALUES ($1, 'sa-db')`, [createHash('sha256').update(API_KEY).digest('hex')])
  })
})

describe('PostgreSQL bindings: the database goes away and comes back', () => {
  it('cached principals keep deciding until the allowed staleness, then 503; it recovers by itself', async () => {
    const admin = await auth(c, 'u-admin')
    const adminStatus = async () => (await post(c.graphql, { query: '{ deployments }' }, admin)).status
    const databaseUp = async (h: Harness) => /^permgate_bindings_database_up 1$/m.test(await h.metrics())
    expect(await adminStatus(), 'before the stop').toBe(200) // cached now
    expect(await gauge('permgate_bindings_database_up')).toBe(1)
    await sql.end()

    db.stop()
    // within the staleness: the cached principal is still decided
    expect(await adminStatus(), 'right after the stop, within the staleness').toBe(200)
    // a subject never seen: nothing to decide with, fail closed at once
    const stranger = await post(c.graphql, QUERY, await auth(c, 'u-stranger'))
    expect(stranger.status).toBe(503)
    expect(((await stranger.json()) as { errors: { extensions: { reason: string } }[] }).errors[0]?.extensions.reason).toBe('PERMGATE_ERR_BINDINGS_UNAVAILABLE')

    // the loss is noticed (the listener's connection ends); until the staleness has passed on
    // the instance's clock, the cached principal is decided; then fail closed, and nothing
    // reaches the upstream
    await eventually('the instance noticed the loss', async () => !(await databaseUp(c)))
    await clock.advance(STALENESS_MS - 1)
    expect(await adminStatus(), 'just within the staleness').toBe(200)
    await clock.advance(1)
    const before = c.upstream.count()
    expect(await adminStatus(), 'at the staleness').toBe(503)
    expect(c.upstream.count()).toBe(before)

    await eventually('the metrics instance noticed the loss', async () => (await gauge('permgate_bindings_database_up')) === 0)
    await depsClock.advance(1500)
    expect(await gauge('permgate_bindings_database_stale_seconds')).toBe(1.5)

    db.start()
    // the next reconnection attempt falls due within the longest backoff; the clock waits for it
    await clock.advance(RECONNECT_MAX_MS)
    expect(await databaseUp(c)).toBe(true)
    expect(await adminStatus(), 'reconnected').toBe(200)
    await depsClock.advance(RECONNECT_MAX_MS)
    expect(await gauge('permgate_bindings_database_up')).toBe(1)
    expect(await gauge('permgate_bindings_database_stale_seconds')).toBe(0)
  }, 40_000)
})
