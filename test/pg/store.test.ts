import { createHash } from 'node:crypto'
import pg from 'pg'
import { afterAll, afterEach, beforeAll, describe, expect, test } from 'vitest'
import { MIGRATIONS } from '../../src/bindings/pg/migrations.js'
import { RECONNECT_MAX_MS, RECONNECT_MIN_MS } from '../../src/bindings/pg/listener.js'
import { PgBindingsStore, type PgStoreOptions } from '../../src/bindings/pg/store.js'
import type { Principal } from '../../src/identity/types.js'
import { ANONYMOUS } from '../../src/identity/types.js'
import { PermgateError } from '../../src/errors.js'
import { DocumentCache } from '../../src/operation/cache.js'
import { Authorizer } from '../../src/policy/authorizer.js'
import { compilePolicy } from '../../src/policy/compile.js'
import { loadPolicy } from '../../src/policy/load.js'
import { FakeClock } from '../helpers/clock.js'
import { eventually } from '../helpers/eventually.js'
import { startPostgres, type TestPostgres } from '../helpers/pg.js'
import { POLICY_HOUSTON } from '../helpers/shared.js'

let db: TestPostgres
let admin: pg.Pool
const open: PgBindingsStore[] = []

beforeAll(async () => {
  db = await startPostgres()
  admin = new pg.Pool({ connectionString: db.url, max: 2 })
  admin.on('error', () => {}) // idle clients die when the server is stopped
  for (const m of MIGRATIONS) await admin.query(m.sql)
}, 30_000)

afterEach(async () => {
  await Promise.all(open.splice(0).map((s) => s.close()))
})

afterAll(async () => {
  await admin?.end()
  db?.close()
})

async function store(opts: Partial<PgStoreOptions> = {}): Promise<PgBindingsStore> {
  const s = await PgBindingsStore.open({ url: db.url, ...opts })
  open.push(s)
  return s
}

async function sql(text: string, values: unknown[] = []): Promise<void> {
  await admin.query(text, values)
}

const user = (id: string, groups: string[] = []): Principal => ({ kind: 'user', id, groups })
const sha = (s: string): string => createHash('sha256').update(s).digest('hex')
/** Waits for a notification (or a connection's loss) to reach the store: real I/O, no timer. */
const until = (cond: () => boolean | Promise<boolean>): Promise<void> => eventually('the store took the change in', cond)

async function rejection(p: Promise<unknown> | undefined): Promise<PermgateError> {
  expect(p).toBeInstanceOf(Promise)
  try {
    await p
  } catch (e) {
    expect(e).toBeInstanceOf(PermgateError)
    return e as PermgateError
  }
  throw new Error('expected a rejection')
}

/** prepare, then the subject's roles (undefined: no entry). */
async function roles(s: PgBindingsStore, p: Principal): Promise<string[] | undefined> {
  await s.prepare(p)
  return s.subject(p.id as string)?.bindings.map((b) => b.role)
}

describe('PgBindingsStore', () => {
  test('loads a subject on demand; once cached, prepare is synchronous', async () => {
    await sql(`INSERT INTO permgate_subjects (id, kind) VALUES ('alice', 'user'), ('sa1', 'serviceAccount')`)
    await sql(`INSERT INTO permgate_role_bindings (subject_id, role, workspace_id, deployment_id) VALUES
      ('alice', 'SYSTEM_VIEWER', NULL, NULL), ('alice', 'WS_ADMIN', 'w1', NULL), ('alice', 'DEP_EDITOR', NULL, 'd1'),
      ('sa1', 'DEP_VIEWER', NULL, 'd2'), ('orphan', 'SYSTEM_VIEWER', NULL, NULL)`)
    const s = await store()
    expect(s.prepare(ANONYMOUS)).toBeUndefined()
    expect(s.subject('alice')).toBeUndefined()
    const p = s.prepare(user('alice'))
    expect(p).toBeInstanceOf(Promise)
    await p
    expect(s.subject('alice')).toEqual({
      kind: 'user',
      bindings: [{ role: 'SYSTEM_VIEWER' }, { role: 'WS_ADMIN', workspace: 'w1' }, { role: 'DEP_EDITOR', deployment: 'd1' }],
    })
    expect(s.prepare(user('alice'))).toBeUndefined()

    await s.prepare({ kind: 'serviceAccount', id: 'sa1', groups: [] })
    expect(s.subject('sa1')).toEqual({ kind: 'serviceAccount', bindings: [{ role: 'DEP_VIEWER', deployment: 'd2' }] })
    // bindings without a subjects row: a user
    await s.prepare(user('orphan'))
    expect(s.subject('orphan')).toEqual({ kind: 'user', bindings: [{ role: 'SYSTEM_VIEWER' }] })
    // unknown: no entry, and that is cached too
    await s.prepare(user('nobody'))
    expect(s.subject('nobody')).toBeUndefined()
    expect(s.prepare(user('nobody'))).toBeUndefined()

    // concurrent callers share one fetch
    const before = s.stats().fetches
    await Promise.all([s.prepare(user('alice-2')), s.prepare(user('alice-2')), s.prepare(user('alice-2'))])
    expect(s.stats().fetches).toBe(before + 1)
    const st = s.stats()
    expect(st).toMatchObject({ subjects: 5, connected: true, staleSinceMs: undefined })
    expect(st.hits).toBe(2)
    expect(st.misses).toBe(7)
  })

  test('team bindings reach members and callers whose token names the team; team changes are seen', async () => {
    await sql(`INSERT INTO permgate_teams (id) VALUES ('ops'), ('dev')`)
    await sql(`INSERT INTO permgate_team_bindings (team_id, role, workspace_id) VALUES ('ops', 'OPS_ROLE', NULL), ('ops', 'OPS_WS', 'w7'), ('dev', 'DEV_ROLE', NULL)`)
    await sql(`INSERT INTO permgate_team_members (team_id, subject_id) VALUES ('ops', 'bob'), ('dev', 'bob')`)
    await sql(`INSERT INTO permgate_role_bindings (subject_id, role) VALUES ('bob', 'OWN_ROLE')`)
    const s = await store()
    expect((await roles(s, user('bob')))?.sort()).toEqual(['DEV_ROLE', 'OPS_ROLE', 'OPS_WS', 'OWN_ROLE'])

    const carol = user('carol', ['ops', 'ghost', 'ops'])
    await s.prepare(carol)
    expect(s.subject('carol')).toBeUndefined()
    expect(s.group('ops')).toEqual([{ role: 'OPS_ROLE' }, { role: 'OPS_WS', workspace: 'w7' }])
    expect(s.group('ghost')).toEqual([])
    expect(s.prepare(carol)).toBeUndefined()

    // a team binding revoked: the member and the token-group caller both lose it
    await sql(`DELETE FROM permgate_team_bindings WHERE team_id = 'ops' AND role = 'OPS_ROLE'`)
    await until(async () => !(await roles(s, user('bob')))?.includes('OPS_ROLE'))
    await until(async () => {
      await s.prepare(carol)
      return s.group('ops')?.length === 1
    })
    // a membership removed
    await sql(`DELETE FROM permgate_team_members WHERE team_id = 'dev' AND subject_id = 'bob'`)
    await until(async () => !(await roles(s, user('bob')))?.includes('DEV_ROLE'))
    expect((await roles(s, user('bob')))?.sort()).toEqual(['OPS_WS', 'OWN_ROLE'])
  })

  test('API keys: lookup by SHA-256, unknown keys, keys added and revoked', async () => {
    const k1 = sha('key-one')
    const k2 = sha('key-two')
    await sql(`INSERT INTO permgate_subjects (id, kind) VALUES ('robot', 'serviceAccount')`)
    await sql(`INSERT INTO permgate_service_account_keys (key_sha256, subject_id) VALUES ($1, 'robot')`, [k1])
    const s = await store()
    const p = s.prepareApiKey(k1)
    expect(p).toBeInstanceOf(Promise)
    await p
    expect(s.subjectByApiKeySha256(k1)).toBe('robot')
    expect(s.prepareApiKey(k1)).toBeUndefined()
    await s.prepareApiKey(k2)
    expect(s.subjectByApiKeySha256(k2)).toBeUndefined()
    expect(s.prepareApiKey(k2)).toBeUndefined()

    await sql(`INSERT INTO permgate_service_account_keys (key_sha256, subject_id) VALUES ($1, 'robot')`, [k2])
    await until(async () => {
      await s.prepareApiKey(k2)
      return s.subjectByApiKeySha256(k2) === 'robot'
    })
    await sql(`DELETE FROM permgate_service_account_keys WHERE key_sha256 = $1`, [k1])
    await until(async () => {
      await s.prepareApiKey(k1)
      return s.subjectByApiKeySha256(k1) === undefined
    })
  })

  test('a revocation reaches every store within a second; the last known data answers until the refetch', async () => {
    await sql(`INSERT INTO permgate_subjects (id) VALUES ('rev')`)
    await sql(`INSERT INTO permgate_role_bindings (subject_id, role) VALUES ('rev', 'ADMIN'), ('rev', 'VIEWER')`)
    const a = await store()
    const b = await store()
    const rev = user('rev')
    expect(await roles(a, rev)).toEqual(['ADMIN', 'VIEWER'])
    expect(await roles(b, rev)).toEqual(['ADMIN', 'VIEWER'])
    const va = a.version
    await sql(`DELETE FROM permgate_role_bindings WHERE subject_id = 'rev' AND role = 'ADMIN'`)
    await until(() => a.version !== va)
    // marked stale, not dropped: answers from memory until the next prepare refetches
    expect(a.subject('rev')?.bindings.map((x) => x.role)).toEqual(['ADMIN', 'VIEWER'])
    const p = a.prepare(rev)
    expect(p).toBeInstanceOf(Promise)
    await p
    expect(a.subject('rev')?.bindings.map((x) => x.role)).toEqual(['VIEWER'])
    await until(async () => (await roles(b, rev))?.length === 1)
    expect(a.stats().invalidations).toBeGreaterThan(0)
  })

  test('the deployments map follows inserts, updates and deletes (and a truncate)', async () => {
    await sql(`INSERT INTO permgate_deployments (id, workspace_id) VALUES ('dep1', 'ws1')`)
    const s = await store()
    expect(s.deployments.get('dep1')).toBe('ws1')
    const v = s.version
    await sql(`INSERT INTO permgate_deployments (id, workspace_id) VALUES ('dep2', 'ws1')`)
    await until(() => s.deployments.get('dep2') === 'ws1')
    expect(s.version).toBeGreaterThan(v)
    await sql(`UPDATE permgate_deployments SET workspace_id = 'ws9' WHERE id = 'dep1'`)
    await until(() => s.deployments.get('dep1') === 'ws9')
    await sql(`UPDATE permgate_deployments SET id = 'dep3' WHERE id = 'dep2'`)
    await until(() => !s.deployments.has('dep2') && s.deployments.get('dep3') === 'ws1')
    await sql(`DELETE FROM permgate_deployments WHERE id = 'dep1'`)
    await until(() => !s.deployments.has('dep1'))
    expect([...s.deployments]).toEqual([['dep3', 'ws1']])

    // TRUNCATE (a bulk import): everything stale, deployments reloaded
    await s.prepare(user('alice'))
    expect(s.prepare(user('alice'))).toBeUndefined()
    await sql(`TRUNCATE permgate_deployments`)
    await until(() => s.deployments.size === 0)
    const p = s.prepare(user('alice'))
    expect(p).toBeInstanceOf(Promise)
    await p
  })

  test('release names: a running store follows a release created, renamed, moved, removed and deleted', async () => {
    await sql(`INSERT INTO permgate_deployments (id, workspace_id, release_name) VALUES ('rd1', 'ws1', 'rel-a'), ('rd2', 'ws1', NULL)`)
    const s = await store()
    expect(s.deploymentByReleaseName('rel-a')).toBe('rd1')
    expect(s.deploymentByReleaseName('rd1')).toBeUndefined()
    let v = s.version
    const changed = async (cond: () => boolean): Promise<void> => {
      await until(cond)
      expect(s.version).toBeGreaterThan(v)
      v = s.version
    }
    // created with a deployment, and given to one that had none
    await sql(`INSERT INTO permgate_deployments (id, workspace_id, release_name) VALUES ('rd3', 'ws2', 'rel-c')`)
    await changed(() => s.deploymentByReleaseName('rel-c') === 'rd3' && s.deployments.get('rd3') === 'ws2')
    await sql(`UPDATE permgate_deployments SET release_name = 'rel-b' WHERE id = 'rd2'`)
    await changed(() => s.deploymentByReleaseName('rel-b') === 'rd2')
    // renamed: the old name names nothing
    await sql(`UPDATE permgate_deployments SET release_name = 'rel-a2' WHERE id = 'rd1'`)
    await changed(() => s.deploymentByReleaseName('rel-a2') === 'rd1' && s.deploymentByReleaseName('rel-a') === undefined)
    // moved from one deployment to another in one transaction (the constraint deferred to the commit)
    await sql(`BEGIN; SET CONSTRAINTS permgate_deployments_release_name_key DEFERRED;
      UPDATE permgate_deployments SET release_name = 'rel-b' WHERE id = 'rd1';
      UPDATE permgate_deployments SET release_name = 'rel-a2' WHERE id = 'rd2'; COMMIT`)
    await changed(() => s.deploymentByReleaseName('rel-b') === 'rd1' && s.deploymentByReleaseName('rel-a2') === 'rd2')
    // removed (NULL), and gone with its deployment
    await sql(`UPDATE permgate_deployments SET release_name = NULL WHERE id = 'rd1'`)
    await changed(() => s.deploymentByReleaseName('rel-b') === undefined && s.deployments.get('rd1') === 'ws1')
    await sql(`DELETE FROM permgate_deployments WHERE id = 'rd3'`)
    await changed(() => s.deploymentByReleaseName('rel-c') === undefined && !s.deployments.has('rd3'))
    // the database refuses a name for two deployments, and an empty one
    await expect(sql(`UPDATE permgate_deployments SET release_name = 'rel-a2' WHERE id = 'rd1'`)).rejects.toThrow(/unique/)
    await expect(sql(`UPDATE permgate_deployments SET release_name = '' WHERE id = 'rd1'`)).rejects.toThrow(/check constraint/)
    // a truncate reloads the table
    await sql(`TRUNCATE permgate_deployments`)
    await changed(() => s.deploymentByReleaseName('rel-a2') === undefined && s.deployments.size === 0)
    // and a store opened afterwards reads what is there
    await sql(`INSERT INTO permgate_deployments (id, workspace_id, release_name) VALUES ('rd4', 'ws1', 'rel-d')`)
    expect((await store()).deploymentByReleaseName('rel-d')).toBe('rd4')
    await sql(`TRUNCATE permgate_deployments`)
  })

  test('open() on a database without the release-name migration fails with PERMGATE_ERR_BINDINGS_DATABASE', async () => {
    await sql(`CREATE DATABASE only_v1`)
    const url = db.url.replace(/\/postgres$/, '/only_v1')
    const c = new pg.Client(url)
    await c.connect()
    await c.query((MIGRATIONS[0] as { sql: string }).sql)
    await c.end()
    const e = await rejection(PgBindingsStore.open({ url }))
    expect(e.code).toBe('PERMGATE_ERR_BINDINGS_DATABASE')
    expect(e.message).toMatch(/permgate_deployments\.release_name.*permgate bindings migrate/)
  })

  test('entries older than cacheTtlMs are refetched; the cache is bounded', async () => {
    const clock = new FakeClock(0)
    const s = await store({ cacheTtlMs: 1000, maxSubjects: 2, clock })
    await s.prepare(user('alice'))
    expect(s.prepare(user('alice'))).toBeUndefined()
    await clock.advance(999)
    expect(s.prepare(user('alice'))).toBeUndefined()
    await clock.advance(1)
    const before = s.stats().fetches
    const p = s.prepare(user('alice'))
    expect(p).toBeInstanceOf(Promise)
    await p
    expect(s.stats().fetches).toBe(before + 1)
    expect(s.prepare(user('alice'))).toBeUndefined()
    await s.prepare(user('bob'))
    await s.prepare(user('rev'))
    expect(s.stats().subjects).toBe(2)
  })

  test('a query error with the listener connected rejects 503, never an empty answer', async () => {
    const clock = new FakeClock(0)
    const s = await store({ cacheTtlMs: 1000, clock })
    await s.prepare(user('alice'))
    await sql(`ALTER TABLE permgate_role_bindings RENAME TO permgate_role_bindings_moved`)
    try {
      const e = await rejection(s.prepare(user('uncached')))
      expect(e.code).toBe('PERMGATE_ERR_BINDINGS_UNAVAILABLE')
      expect(e.status).toBe(503)
      await clock.advance(1000) // alice's entry expired: its refetch fails too
      expect((await rejection(s.prepare(user('alice')))).code).toBe('PERMGATE_ERR_BINDINGS_UNAVAILABLE')
      expect(s.stats().connected).toBe(true)
    } finally {
      await sql(`ALTER TABLE permgate_role_bindings_moved RENAME TO permgate_role_bindings`)
    }
    expect(await roles(s, user('alice'))).toEqual(['SYSTEM_VIEWER', 'WS_ADMIN', 'DEP_EDITOR'])
  })

  test('open() without the permgate tables fails with PERMGATE_ERR_BINDINGS_DATABASE', async () => {
    await sql(`CREATE DATABASE empty`)
    const e = await rejection(PgBindingsStore.open({ url: db.url.replace(/\/postgres$/, '/empty') }))
    expect(e.code).toBe('PERMGATE_ERR_BINDINGS_DATABASE')
    expect(e.message).toMatch(/permgate bindings migrate/)
    expect(e.message).toMatch(/permgate_subjects/)
  })

  test('the listener connection killed: reconnects by itself and refetches what it may have missed', async () => {
    await sql(`INSERT INTO permgate_role_bindings (subject_id, role) VALUES ('kim', 'KIM_ROLE')`)
    const clock = new FakeClock(0)
    const s = await store({ clock })
    const kim = user('kim')
    expect(await roles(s, kim)).toEqual(['KIM_ROLE'])
    expect(s.prepare(kim)).toBeUndefined()
    const v = s.version
    await sql(`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'permgate-listen' AND pid <> pg_backend_pid()`)
    await until(() => !s.stats().connected)
    // the first attempt is due after the shortest backoff; the clock waits for it
    await clock.advance(RECONNECT_MIN_MS)
    expect(s.stats().connected).toBe(true)
    expect(s.version).toBeGreaterThan(v)
    // everything cached is unconfirmed after a reconnect: the next prepare refetches
    const p = s.prepare(kim)
    expect(p).toBeInstanceOf(Promise)
    await p
    expect(s.prepare(kim)).toBeUndefined()
    await sql(`DELETE FROM permgate_role_bindings WHERE subject_id = 'kim'`)
    await until(async () => (await roles(s, kim)) === undefined)
  })

  test('database lost: cached entries answer until maxStalenessMs, then 503; recovers by itself', async () => {
    await sql(`INSERT INTO permgate_role_bindings (subject_id, role) VALUES ('eve', 'EVE_ROLE')`)
    const clock = new FakeClock(0)
    const s = await store({ maxStalenessMs: 800, clock })
    const eve = user('eve')
    expect(await roles(s, eve)).toEqual(['EVE_ROLE'])
    const v = s.version

    db.stop()
    await until(() => !s.stats().connected)
    // the cached subject keeps answering (a refetch is tried, fails, and the cache answers)
    const p = s.prepare(eve)
    expect(p).toBeInstanceOf(Promise)
    await p
    expect(s.subject('eve')?.bindings).toEqual([{ role: 'EVE_ROLE' }])
    // an uncached one has nothing to decide with: 503 (the database is known down: no query is tried)
    const fetches = s.stats().fetches
    const e1 = await rejection(s.prepare(user('stranger')))
    expect(e1.code).toBe('PERMGATE_ERR_BINDINGS_UNAVAILABLE')
    expect(e1.status).toBe(503)
    expect(s.stats().fetches).toBe(fetches)
    // open() against a stopped database; the password never shows
    const url = db.url.replace('permgate@', 'permgate:Sup3rSecretPw@')
    const e2 = await rejection(PgBindingsStore.open({ url }))
    expect(e2.code).toBe('PERMGATE_ERR_BINDINGS_DATABASE')
    expect(e2.message).toContain(`127.0.0.1:${db.port}`)
    expect(e2.message).not.toContain('Sup3rSecretPw')

    // just within the staleness the cache answers; at it, 503 (reconnection attempts fail meanwhile)
    await clock.advance(799)
    await s.prepare(eve)
    expect(s.stats().staleSinceMs).toBe(799)
    await clock.advance(1)
    const e3 = await rejection(s.prepare(eve))
    expect(e3.code).toBe('PERMGATE_ERR_BINDINGS_UNAVAILABLE')
    expect(e3.message).toMatch(/older than 800 ms/)
    expect(s.stats()).toMatchObject({ connected: false, staleSinceMs: 800 })

    db.start()
    // changed while the store is still disconnected: a missed notification
    await sql(`DELETE FROM permgate_role_bindings WHERE subject_id = 'eve'`)
    // the next attempt falls due within the longest backoff; the clock waits for it
    await clock.advance(RECONNECT_MAX_MS)
    expect(s.stats()).toMatchObject({ connected: true, staleSinceMs: undefined })
    expect(await roles(s, eve)).toBeUndefined()
    expect(s.version).toBeGreaterThan(v)
    expect(s.prepare(eve)).toBeUndefined()
  }, 20_000)
})

describe('PgBindingsStore under an Authorizer', () => {
  const policy = compilePolicy(loadPolicy(POLICY_HOUSTON))
  const docs = new DocumentCache()

  test('a NOTIFY naming one subject changes that subject’s decision and leaves the others’ cached', async () => {
    await sql(`INSERT INTO permgate_role_bindings (subject_id, role) VALUES ('n-alice', 'SYSTEM_ADMIN'), ('n-bob', 'SYSTEM_ADMIN')`)
    const s = await store()
    const authz = new Authorizer(policy, s)
    const alice = user('n-alice')
    const bob = user('n-bob')
    const op = docs.get('{ deployments }', undefined)
    await authz.prepare(alice)
    await authz.prepare(bob)
    expect(authz.decide(alice, op, undefined).allowed).toBe(true)
    const bobDecision = authz.decide(bob, op, undefined)
    expect(bobDecision.allowed).toBe(true)
    const bobMasks = authz.masks(bob)

    await sql(`DELETE FROM permgate_role_bindings WHERE subject_id = 'n-alice'`)
    await until(async () => {
      await authz.prepare(alice)
      return !authz.decide(alice, op, undefined).allowed
    })
    expect(authz.decide(alice, op, undefined).reason).toBe('missing_permission')
    // bob's masks and his cached decision were not touched: the same objects
    expect(s.prepare(bob)).toBeUndefined()
    expect(authz.masks(bob)).toBe(bobMasks)
    expect(authz.decide(bob, op, undefined)).toBe(bobDecision)
  })

  test('a team binding changed: the members and the callers naming the team are decided again', async () => {
    await sql(`INSERT INTO permgate_teams (id) VALUES ('n-team')`)
    await sql(`INSERT INTO permgate_team_bindings (team_id, role) VALUES ('n-team', 'SYSTEM_ADMIN')`)
    await sql(`INSERT INTO permgate_team_members (team_id, subject_id) VALUES ('n-team', 'n-member')`)
    await sql(`INSERT INTO permgate_role_bindings (subject_id, role) VALUES ('n-other', 'SYSTEM_ADMIN')`)
    const s = await store()
    const authz = new Authorizer(policy, s)
    const member = user('n-member')
    const caller = user('n-caller', ['n-team'])
    const other = user('n-other')
    const op = docs.get('{ deployments }', undefined)
    for (const p of [member, caller, other]) {
      await authz.prepare(p)
      expect(authz.decide(p, op, undefined).allowed).toBe(true)
    }
    const otherMasks = authz.masks(other)

    await sql(`DELETE FROM permgate_team_bindings WHERE team_id = 'n-team'`)
    for (const p of [member, caller]) {
      await until(async () => {
        await authz.prepare(p)
        return !authz.decide(p, op, undefined).allowed
      })
    }
    expect(authz.masks(other)).toBe(otherMasks)
  })
})
