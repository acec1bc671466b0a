import { createHash, randomBytes } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import pg from 'pg'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { eventually } from '../helpers/eventually.js'
import { post, startHarness, type Harness } from '../helpers/proxy.js'
import { startPostgres, type TestPostgres } from '../helpers/pg.js'
import { ROOT } from '../helpers/shared.js'

/**
 * The README's "views instead of tables" example, run as written: permgate pointed at views
 * over Houston-shaped tables (no permgate tables at all), with a trigger on the base table
 * announcing changes.
 */
const HOUSTON_TABLES = `
CREATE SCHEMA houston;
CREATE TABLE houston."User" (id text PRIMARY KEY);
CREATE TABLE houston."ServiceAccount" (id text PRIMARY KEY, "apiKey" text NOT NULL);
CREATE TABLE houston."Deployment" (id text PRIMARY KEY, "workspaceId" text NOT NULL, "releaseName" text UNIQUE);
CREATE TABLE houston."RoleBinding" (id serial PRIMARY KEY, "userId" text, "serviceAccountId" text, role text NOT NULL, "workspaceId" text, "deploymentId" text);
`

/** The SQL block of the README's view example. */
function readmeViews(): string {
  const readme = readFileSync(join(ROOT, 'README.md'), 'utf8')
  const at = readme.indexOf('CREATE VIEW permgate_role_bindings')
  const end = readme.indexOf('```', at)
  if (at < 0 || end < 0) throw new Error('README: the view example is missing')
  return readme.slice(at, end).replace(/^ {2}/gm, '')
}

const API_KEY = randomBytes(16).toString('hex')
let db: TestPostgres
let sql: pg.Client
let h: Harness

beforeAll(async () => {
  db = await startPostgres()
  sql = new pg.Client(db.url)
  await sql.connect()
  await sql.query(HOUSTON_TABLES)
  await sql.query(readmeViews())
  await sql.query(`INSERT INTO houston."User" (id) VALUES ('u-viewer')`)
  await sql.query(`INSERT INTO houston."ServiceAccount" (id, "apiKey") VALUES ('sa-1', $1)`, [API_KEY])
  await sql.query(`INSERT INTO houston."Deployment" (id, "workspaceId") VALUES ('d1', 'w1')`)
  await sql.query(`INSERT INTO houston."RoleBinding" ("userId", role, "workspaceId") VALUES ('u-viewer', 'WORKSPACE_VIEWER', 'w1')`)
  await sql.query(`INSERT INTO houston."RoleBinding" ("serviceAccountId", role, "deploymentId") VALUES ('sa-1', 'DEPLOYMENT_EDITOR', 'd1')`)
  h = await startHarness(['--bindings', db.url])
}, 60_000)

afterAll(async () => {
  await h?.close()
  await sql?.end().catch(() => undefined)
  db?.close()
})

describe('permgate over views of an existing schema (the README example)', () => {
  it('decides from the views: a user, a cascade to the deployment, a service account by its key hash', async () => {
    const viewer = { authorization: `Bearer ${await h.token('u-viewer')}` }
    expect((await post(h.graphql, { query: '{ workspaceDeployments(workspaceUuid: "w1") }' }, viewer)).status).toBe(200)
    expect((await post(h.graphql, { query: '{ logs(deploymentUuid: "d1") }' }, viewer)).status).toBe(200)
    expect((await post(h.graphql, { query: '{ workspaceDeployments(workspaceUuid: "w2") }' }, viewer)).status).toBe(403)
    const sa = await post(h.graphql, { query: '{ deploymentServiceAccounts(deploymentUuid: "d1") }' }, { authorization: API_KEY })
    expect(sa.status).toBe(200)
    expect(h.upstream.requests.at(-1)?.headers['x-permgate-kind']).toBe('serviceAccount')
    expect(createHash('sha256').update(API_KEY).digest('hex')).toMatch(/^[0-9a-f]{64}$/)
  })

  it('the trigger on the base table announces a revoke: denied once the notification has arrived', async () => {
    const viewer = { authorization: `Bearer ${await h.token('u-viewer')}` }
    const status = async () => (await post(h.graphql, { query: '{ workspaceDeployments(workspaceUuid: "w1") }' }, viewer)).status
    expect(await status()).toBe(200)
    await sql.query(`DELETE FROM houston."RoleBinding" WHERE "userId" = 'u-viewer'`)
    // the notification travels from the server to permgate's listening connection: real I/O, no timer
    await eventually('the revoke denied', async () => (await status()) === 403)
  })
})
