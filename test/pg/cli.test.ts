import { createHash, randomUUID } from 'node:crypto'
import { join } from 'node:path'
import pg from 'pg'
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest'
import { migrate, MIGRATIONS_TABLE } from '../../src/bindings/pg/migrate.js'
import { MIGRATIONS, NOTIFY_CHANNEL } from '../../src/bindings/pg/migrations.js'
import { BULK_NOTIFICATION, DATABASE_URL_ENV, writeBindings } from '../../src/commands/bindings.js'
import { startPostgres, type TestPostgres } from '../helpers/pg.js'
import { POLICY_HOUSTON } from '../helpers/shared.js'
import { tempFiles } from '../helpers/tmp.js'
import { cli } from '../helpers/cli.js'

/** `permgate bindings migrate | import` against a private PostgreSQL server, one database per test. */
const EXAMPLE = join(POLICY_HOUSTON, 'bindings.example.yaml')
const sha = (s: string): string => createHash('sha256').update(s).digest('hex')
const KEY_A = sha('key-a')
const KEY_B = sha('key-b')

let server: TestPostgres
let admin: pg.Client
let dbCount = 0

beforeAll(async () => {
  server = await startPostgres()
  admin = new pg.Client(server.url)
  await admin.connect()
}, 60_000)

afterAll(async () => {
  await admin?.end().catch(() => undefined)
  server?.close()
})

afterEach(() => {
  vi.unstubAllEnvs()
})

/** A new empty database on the server; its URL. */
async function freshDatabase(): Promise<string> {
  const name = `t${++dbCount}`
  await admin.query(`CREATE DATABASE ${name}`)
  return server.url.replace(/\/postgres$/, `/${name}`)
}

async function withSql<T>(url: string, f: (c: pg.Client) => Promise<T>): Promise<T> {
  const c = new pg.Client(url)
  await c.connect()
  try {
    return await f(c)
  } finally {
    await c.end()
  }
}

async function migrated(): Promise<string> {
  const url = await freshDatabase()
  await withSql(url, (c) => migrate(c))
  return url
}

/** Every permgate table's rows as sorted `a|b|c` lines (generated ids left out; NULL as `-`). */
async function contents(url: string): Promise<Record<string, string[]>> {
  const queries = {
    deployments: 'SELECT id, workspace_id FROM permgate_deployments',
    subjects: 'SELECT id, kind FROM permgate_subjects',
    roleBindings: 'SELECT subject_id, role, workspace_id, deployment_id FROM permgate_role_bindings',
    keys: 'SELECT key_sha256, subject_id FROM permgate_service_account_keys',
    teams: 'SELECT id FROM permgate_teams',
    teamMembers: 'SELECT team_id, subject_id FROM permgate_team_members',
    teamBindings: 'SELECT team_id, role, workspace_id, deployment_id FROM permgate_team_bindings',
  }
  return withSql(url, async (c) => {
    const out: Record<string, string[]> = {}
    for (const [k, q] of Object.entries(queries)) {
      const res = await c.query<Record<string, string | null>>(q)
      out[k] = res.rows.map((r) => Object.values(r).map((v) => v ?? '-').join('|')).sort()
    }
    return out
  })
}

const EMPTY = { deployments: [], subjects: [], roleBindings: [], keys: [], teams: [], teamMembers: [], teamBindings: [] }

const EXAMPLE_ROWS = {
  deployments: ['d1|w1', 'd2|w1', 'd3|w2'],
  subjects: ['sa-ci|serviceAccount', 'u-1|user', 'u-admin|user', 'u-viewer|user'],
  roleBindings: [
    'sa-ci|DEPLOYMENT_EDITOR|-|d1',
    'u-1|DEPLOYMENT_EDITOR|-|d3',
    'u-1|SYSTEM_VIEWER|-|-',
    'u-1|WORKSPACE_ADMIN|w1|-',
    'u-admin|SYSTEM_ADMIN|-|-',
    'u-viewer|WORKSPACE_VIEWER|w1|-',
  ],
  keys: [],
  teams: ['data-eng'],
  teamMembers: [],
  teamBindings: ['data-eng|WORKSPACE_EDITOR|w2|-'],
}

const INLINE = `
deployments:
  d1: w1
  d9: 42
subjects:
  sa-a:
    kind: serviceAccount
    apiKeySha256: ${KEY_A}
    bindings:
      - { role: DEPLOYMENT_ADMIN, deployment: d1 }
      - { role: DEPLOYMENT_ADMIN, deployment: d1 }
  sa-b:
    kind: serviceAccount
    apiKeySha256: ${KEY_B}
  u-2:
    bindings: [ { role: WORKSPACE_VIEWER, workspace: w1 }, { role: SYSTEM_VIEWER } ]
groups:
  ops:
    bindings:
      - { role: SYSTEM_EDITOR }
      - { role: DEPLOYMENT_VIEWER, deployment: d9 }
  empty-team: {}
`

const INLINE_ROWS = {
  deployments: ['d1|w1', 'd9|42'],
  subjects: ['sa-a|serviceAccount', 'sa-b|serviceAccount', 'u-2|user'],
  // the binding listed twice is stored once: the same permissions
  roleBindings: ['sa-a|DEPLOYMENT_ADMIN|-|d1', 'u-2|SYSTEM_VIEWER|-|-', 'u-2|WORKSPACE_VIEWER|w1|-'],
  keys: [`${KEY_A}|sa-a`, `${KEY_B}|sa-b`].sort(),
  teams: ['empty-team', 'ops'],
  teamMembers: [],
  teamBindings: ['ops|DEPLOYMENT_VIEWER|-|d9', 'ops|SYSTEM_EDITOR|-|-'],
}

/**
 * Collects the notifications on the bindings channel while `f` runs. Then the listener notifies
 * a marker of its own: notifications reach a listener in commit order, so once the marker has
 * arrived every notification of `f` has too (no waiting on the clock for stragglers).
 */
async function notificationsDuring(url: string, f: () => Promise<unknown>): Promise<unknown[]> {
  const l = new pg.Client(url)
  await l.connect()
  const got: unknown[] = []
  const marker = JSON.stringify({ marker: randomUUID() })
  let markerSeen!: () => void
  const seen = new Promise<void>((resolve) => (markerSeen = resolve))
  l.on('notification', (m) => (m.payload === marker ? markerSeen() : got.push(JSON.parse(m.payload ?? 'null'))))
  await l.query(`LISTEN ${NOTIFY_CHANNEL}`)
  try {
    await f()
    await l.query('SELECT pg_notify($1, $2)', [NOTIFY_CHANNEL, marker])
    await seen
  } finally {
    await l.end()
  }
  return got
}

describe('permgate bindings migrate', () => {
  it('applies the migrations once, then is up to date', async () => {
    const url = await freshDatabase()
    const first = await cli(['bindings', 'migrate', '--database', url])
    expect(first).toMatchObject({ code: 0, err: '' })
    expect(first.out).toContain(`applied migration(s) ${MIGRATIONS.map((m) => m.version).join(', ')}`)
    const second = await cli(['bindings', 'migrate', '--database', url])
    expect(second).toMatchObject({ code: 0, err: '' })
    expect(second.out).toContain('already up to date')
    const recorded = await withSql(url, async (c) => (await c.query(`SELECT version, name FROM ${MIGRATIONS_TABLE} ORDER BY version`)).rows)
    expect(recorded).toEqual(MIGRATIONS.map((m) => ({ version: m.version, name: m.name })))
    expect(await contents(url)).toEqual(EMPTY)
  })

  it('two instances migrating at once apply each migration exactly once', async () => {
    const url = await freshDatabase()
    const clients = await Promise.all([0, 1, 2].map(async () => {
      const c = new pg.Client(url)
      await c.connect()
      return c
    }))
    try {
      const results = await Promise.all(clients.map((c) => migrate(c)))
      expect(results.flatMap((r) => r.applied).sort()).toEqual(MIGRATIONS.map((m) => m.version))
    } finally {
      await Promise.all(clients.map((c) => c.end()))
    }
    const both = await Promise.all([cli(['bindings', 'migrate', '--database', url]), cli(['bindings', 'migrate', '--database', url])])
    expect(both.map((r) => r.code)).toEqual([0, 0])
    expect(both.every((r) => r.out.includes('already up to date'))).toBe(true)
  })

  it('concurrent CLI migrations of a fresh database: one applies, the other finds it done', async () => {
    const url = await freshDatabase()
    const both = await Promise.all([cli(['bindings', 'migrate', '--database', url]), cli(['bindings', 'migrate', '--database', url])])
    expect(both.map((r) => r.code)).toEqual([0, 0])
    expect(both.filter((r) => r.out.includes('applied migration(s)'))).toHaveLength(1)
    expect(both.filter((r) => r.out.includes('already up to date'))).toHaveLength(1)
  })

  it('--print prints the SQL without a database, and applying it by hand counts as migrated', async () => {
    vi.stubEnv(DATABASE_URL_ENV, '')
    const r = await cli(['bindings', 'migrate', '--print'])
    expect(r).toMatchObject({ code: 0, err: '' })
    expect(r.out).toContain('CREATE TABLE permgate_role_bindings')
    expect(r.out).toContain('CREATE TRIGGER permgate_role_bindings_notify')
    expect(r.out).toContain(`INSERT INTO ${MIGRATIONS_TABLE} (version, name) VALUES (1, 'bindings');`)
    const url = await freshDatabase()
    await withSql(url, (c) => c.query(r.out))
    expect((await cli(['bindings', 'migrate', '--database', url])).out).toContain('already up to date')
    expect(await contents(url)).toEqual(EMPTY)
  })

  it('--print shows the release-name migration after the first; applied by hand, the store can use the database', async () => {
    vi.stubEnv(DATABASE_URL_ENV, '')
    const r = await cli(['bindings', 'migrate', '--print'])
    expect(r.out).toContain('-- migration 2: deployment release names')
    expect(r.out).toContain('ALTER TABLE permgate_deployments ADD COLUMN release_name text')
    expect(r.out).toContain(`INSERT INTO ${MIGRATIONS_TABLE} (version, name) VALUES (2, 'deployment release names');`)
    expect(r.out.indexOf('-- migration 1:')).toBeLessThan(r.out.indexOf('-- migration 2:'))
    const url = await freshDatabase()
    await withSql(url, (c) => c.query(r.out))
    const unique = await withSql(url, async (c) => (await c.query(`SELECT indisunique FROM pg_index WHERE indexrelid = to_regclass('permgate_deployments_release_name_key')`)).rows)
    expect(unique).toEqual([{ indisunique: true }])
  })

  it('takes the URL from PERMGATE_DATABASE_URL', async () => {
    const url = await freshDatabase()
    vi.stubEnv(DATABASE_URL_ENV, url)
    const r = await cli(['bindings', 'migrate'])
    expect(r.code).toBe(0)
    expect(r.out).toContain('applied migration(s)')
  })
})

describe('permgate bindings import', () => {
  it('imports the Houston example: exactly its rows', async () => {
    const url = await migrated()
    const r = await cli(['bindings', 'import', EXAMPLE, '--policy', POLICY_HOUSTON, '--database', url])
    expect(r).toMatchObject({ code: 0, err: '' })
    expect(r.out).toMatch(/deployments: +3 \(3 new or changed\)/)
    expect(r.out).toMatch(/subjects: +4, 1 service account\(s\)/)
    expect(r.out).toMatch(/role bindings: +6 \(\+6 -0\)/)
    expect(r.out).toMatch(/team bindings: +1 \(\+1 -0\)/)
    expect(await contents(url)).toEqual(EXAMPLE_ROWS)
  })

  it('imports groups and API key hashes; flags may come before FILE', async () => {
    const url = await migrated()
    const file = join(tempFiles({ 'b.yaml': INLINE }), 'b.yaml')
    const r = await cli(['bindings', 'import', '--database', url, '--policy', POLICY_HOUSTON, file])
    expect(r).toMatchObject({ code: 0, err: '' })
    expect(r.out).toMatch(/API keys: +2 \(\+2 -0\)/)
    expect(r.out).toMatch(/teams: +2 \(\+2\)/)
    expect(await contents(url)).toEqual(INLINE_ROWS)
  })

  it('re-importing the same file changes nothing and notifies nothing', async () => {
    const url = await migrated()
    const file = join(tempFiles({ 'b.yaml': INLINE }), 'b.yaml')
    const args = ['bindings', 'import', file, '--policy', POLICY_HOUSTON, '--database', url]
    expect((await cli(args)).code).toBe(0)
    const ids = await withSql(url, async (c) => (await c.query('SELECT id FROM permgate_role_bindings ORDER BY id')).rows)
    let again = { code: -1, out: '', err: '' }
    const notes = await notificationsDuring(url, async () => {
      again = await cli(args)
    })
    expect(again.code).toBe(0)
    expect(again.out).toMatch(/role bindings: +4 \(\+0 -0\)/)
    expect(again.out).toMatch(/deployments: +2 \(0 new or changed\)/)
    expect(notes).toEqual([])
    expect(await contents(url)).toEqual(INLINE_ROWS)
    expect(await withSql(url, async (c) => (await c.query('SELECT id FROM permgate_role_bindings ORDER BY id')).rows)).toEqual(ids)
  })

  it('merge: the file decides the bindings and keys of what it names, and leaves the rest', async () => {
    const url = await migrated()
    expect((await cli(['bindings', 'import', EXAMPLE, '--policy', POLICY_HOUSTON, '--database', url])).code).toBe(0)
    const file = join(
      tempFiles({
        'b.yaml': [
          'deployments: { d1: w9 }',
          'subjects:',
          '  u-1: { bindings: [ { role: SYSTEM_VIEWER } ] }',
          `  sa-ci: { kind: serviceAccount, apiKeySha256: ${KEY_A} }`,
          'groups:',
          '  data-eng: { bindings: [ { role: WORKSPACE_VIEWER, workspace: w2 } ] }',
        ].join('\n'),
      }),
      'b.yaml',
    )
    const notes = await notificationsDuring(url, async () => {
      const r = await cli(['bindings', 'import', file, '--policy', POLICY_HOUSTON, '--database', url])
      expect(r.code).toBe(0)
      expect(r.out).toMatch(/role bindings: +1 \(\+0 -3\)/)
    })
    expect(await contents(url)).toEqual({
      ...EXAMPLE_ROWS,
      deployments: ['d1|w9', 'd2|w1', 'd3|w2'],
      roleBindings: ['u-1|SYSTEM_VIEWER|-|-', 'u-admin|SYSTEM_ADMIN|-|-', 'u-viewer|WORKSPACE_VIEWER|w1|-'],
      keys: [`${KEY_A}|sa-ci`],
      teamBindings: ['data-eng|WORKSPACE_VIEWER|w2|-'],
    })
    // below the bulk threshold every changed row is announced, so instances drop just those entries
    const rows = notes.map((n) => (n as { table: string }).table).sort()
    expect(rows).toEqual([
      'permgate_deployments',
      'permgate_deployments',
      'permgate_role_bindings',
      'permgate_role_bindings',
      'permgate_role_bindings',
      'permgate_service_account_keys',
      'permgate_team_bindings',
      'permgate_team_bindings',
    ])
  })

  it('--replace leaves exactly the file', async () => {
    const url = await migrated()
    expect((await cli(['bindings', 'import', EXAMPLE, '--policy', POLICY_HOUSTON, '--database', url])).code).toBe(0)
    await withSql(url, (c) => c.query(`INSERT INTO permgate_team_members (team_id, subject_id) VALUES ('data-eng', 'u-1')`))
    const file = join(tempFiles({ 'b.yaml': INLINE }), 'b.yaml')
    const notes = await notificationsDuring(url, async () => {
      const r = await cli(['bindings', 'import', file, '--policy', POLICY_HOUSTON, '--database', url, '--replace'])
      expect(r).toMatchObject({ code: 0, err: '' })
      expect(r.out).toContain('replace')
    })
    expect(await contents(url)).toEqual(INLINE_ROWS)
    // the TRUNCATE's notifications tell every instance to drop everything; no row-by-row ones follow
    expect(notes.length).toBeGreaterThan(0)
    expect(notes.every((n) => (n as { all?: boolean }).all === true)).toBe(true)
  })

  it('an unknown role fails with the coded error and writes nothing', async () => {
    const url = await migrated()
    expect((await cli(['bindings', 'import', EXAMPLE, '--policy', POLICY_HOUSTON, '--database', url])).code).toBe(0)
    const file = join(tempFiles({ 'b.yaml': INLINE.replace('{ role: SYSTEM_VIEWER }', '{ role: SYSTEM_VEIWER }') }), 'b.yaml')
    const r = await cli(['bindings', 'import', file, '--policy', POLICY_HOUSTON, '--database', url, '--replace'])
    expect(r.code).toBe(1)
    expect(r.out).toBe('')
    expect(r.err).toMatch(/^error PERMGATE_ERR_BINDINGS_UNKNOWN_ROLE: .*b\.yaml:\d+.*SYSTEM_VEIWER/)
    expect(await contents(url)).toEqual(EXAMPLE_ROWS)
  })

  it('a failure in the database rolls the whole import back', async () => {
    const url = await migrated()
    expect((await cli(['bindings', 'import', EXAMPLE, '--policy', POLICY_HOUSTON, '--database', url])).code).toBe(0)
    for (const replace of [false, true]) {
      for (const bulkThreshold of [0, Infinity]) {
        const data = {
          deployments: new Map([['d7', 'w7']]),
          subjects: new Map([
            ['u-new', { kind: 'user' as const, bindings: [{ role: 'SYSTEM_VIEWER' }] }],
            // violates CHECK (workspace_id IS NULL OR deployment_id IS NULL), written last
            ['u-bad', { kind: 'user' as const, bindings: [{ role: 'WORKSPACE_VIEWER', workspace: 'w1', deployment: 'd1' }] }],
          ]),
          groups: new Map(),
        }
        await expect(withSql(url, (c) => writeBindings(c, data, { replace, bulkThreshold }))).rejects.toThrow(/check constraint/)
        expect(await contents(url)).toEqual(EXAMPLE_ROWS)
      }
    }
    // and the row triggers are still on: a change by hand is announced row by row
    const notes = await notificationsDuring(url, () => withSql(url, (c) => c.query(`INSERT INTO permgate_subjects (id) VALUES ('u-x')`)))
    expect(notes).toEqual([{ table: 'permgate_subjects', row: { id: 'u-x', kind: 'user' } }])
  })

  it('a bulk import announces itself once, and switches the row triggers back on', async () => {
    const url = await migrated()
    const subjects = new Map(
      Array.from({ length: 300 }, (_, i) => [`u${i}`, { kind: 'user' as const, bindings: [{ role: 'WORKSPACE_VIEWER', workspace: `w${i % 7}` }, { role: 'SYSTEM_VIEWER' }] }]),
    )
    const data = { deployments: new Map([['d1', 'w1']]), subjects, groups: new Map() }
    let counts: Awaited<ReturnType<typeof writeBindings>> | undefined
    const notes = await notificationsDuring(url, async () => {
      counts = await withSql(url, (c) => writeBindings(c, data, { bulkThreshold: 100, batch: 64 }))
    })
    expect(counts).toMatchObject({ bulk: true, subjects: 300, roleBindings: 600, changed: { roleBindingsAdded: 600 } })
    expect(notes).toEqual([BULK_NOTIFICATION])
    const stored = await contents(url)
    expect(stored.subjects).toHaveLength(300)
    expect(stored.roleBindings).toHaveLength(600)
    // the same again: nothing changes, nothing is announced
    const again = await notificationsDuring(url, () => withSql(url, (c) => writeBindings(c, data, { bulkThreshold: 100, batch: 64 })))
    expect(again).toEqual([])
    const byHand = await notificationsDuring(url, () => withSql(url, (c) => c.query(`DELETE FROM permgate_role_bindings WHERE subject_id = 'u1'`)))
    expect(byHand).toHaveLength(2)
  })

  it('a role that does not own the tables imports in bulk with a notification per row', async () => {
    const url = await migrated()
    await withSql(url, async (c) => {
      await c.query(`DO $$ BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'importer') THEN CREATE ROLE importer LOGIN; END IF; END $$`)
      await c.query('GRANT ALL ON ALL TABLES IN SCHEMA public TO importer')
      await c.query('GRANT ALL ON ALL SEQUENCES IN SCHEMA public TO importer')
    })
    const asImporter = url.replace('://permgate@', '://importer@')
    const data = {
      deployments: new Map([['d1', 'w1']]),
      subjects: new Map([['u1', { kind: 'user' as const, bindings: [{ role: 'SYSTEM_VIEWER' }, { role: 'WORKSPACE_VIEWER', workspace: 'w1' }] }]]),
      groups: new Map(),
    }
    let bulk: boolean | undefined
    const notes = await notificationsDuring(url, async () => {
      bulk = (await withSql(asImporter, (c) => writeBindings(c, data, { bulkThreshold: 0 }))).bulk
    })
    expect(bulk).toBe(false)
    expect(notes).toHaveLength(4)
    expect((await contents(url)).roleBindings).toEqual(['u1|SYSTEM_VIEWER|-|-', 'u1|WORKSPACE_VIEWER|w1|-'])
  })

  it('imports release names from the long form, follows the file on re-import, and keeps them unique', async () => {
    const url = await migrated()
    const releases = (): Promise<string[]> =>
      withSql(url, async (c) => (await c.query<{ r: string }>(`SELECT id || '|' || workspace_id || '|' || coalesce(release_name, '-') AS r FROM permgate_deployments ORDER BY id`)).rows.map((x) => x.r))
    const file = (deployments: string): string => join(tempFiles({ 'b.yaml': `deployments:\n${deployments}` }), 'b.yaml')
    const run = (f: string) => cli(['bindings', 'import', f, '--policy', POLICY_HOUSTON, '--database', url])

    const first = file('  d1: { workspace: w1, releaseName: rel-1 }\n  d2: { workspace: w1, releaseName: rel-2 }\n  d3: w2\n')
    const r = await run(first)
    expect(r).toMatchObject({ code: 0, err: '' })
    expect(r.out).toMatch(/deployments: +3 \(3 new or changed\), 2 with a release name/)
    expect(await releases()).toEqual(['d1|w1|rel-1', 'd2|w1|rel-2', 'd3|w2|-'])
    const notes = await notificationsDuring(url, async () => expect((await run(first)).out).toMatch(/deployments: +3 \(0 new or changed\)/))
    expect(notes).toEqual([])

    // names swapped between two deployments of the file, and the short form: no release name
    const swapped = await notificationsDuring(url, async () => {
      expect((await run(file('  d1: { workspace: w1, releaseName: rel-2 }\n  d2: { workspace: w1, releaseName: rel-1 }\n  d3: { workspace: w2, releaseName: rel-3 }\n'))).code).toBe(0)
    })
    expect(await releases()).toEqual(['d1|w1|rel-2', 'd2|w1|rel-1', 'd3|w2|rel-3'])
    expect(swapped.map((n) => (n as { table: string }).table)).toContain('permgate_deployments')
    expect((await run(file('  d3: w2\n'))).code).toBe(0)
    expect(await releases()).toEqual(['d1|w1|rel-2', 'd2|w1|rel-1', 'd3|w2|-'])

    // a name still held by a deployment the file does not name: refused at commit, nothing written
    const clash = await run(file('  d3: { workspace: w2, releaseName: rel-1 }\n  d4: w4\n'))
    expect(clash.code).toBe(1)
    expect(clash.err).toMatch(/^error PERMGATE_ERR_BINDINGS_DATABASE: .*permgate_deployments_release_name_key/)
    expect(await releases()).toEqual(['d1|w1|rel-2', 'd2|w1|rel-1', 'd3|w2|-'])
  })

  it('refuses a database that has not been migrated', async () => {
    const url = await freshDatabase()
    const r = await cli(['bindings', 'import', EXAMPLE, '--policy', POLICY_HOUSTON, '--database', url])
    expect(r.code).toBe(1)
    expect(r.err).toMatch(/^error PERMGATE_ERR_BINDINGS_DATABASE: .*not been migrated.*permgate bindings migrate/)
  })
})

describe('database URLs and usage', () => {
  it.each([
    ['not a url', /not a PostgreSQL URL/],
    ['mysql://root:hunter2@127.0.0.1/x', /not a PostgreSQL URL/],
    ['postgres://permgate:hunter2@[bad/db', /not a PostgreSQL URL/],
    ['postgres://permgate:hunter2@127.0.0.1:1/db', /cannot connect: .*ECONNREFUSED/],
    ['postgres://permgate@127.0.0.1:1/db?password=hunter2', /cannot connect: .*ECONNREFUSED/],
  ])('%s fails coded, without a stack trace or the password', async (url, message) => {
    for (const args of [
      ['bindings', 'migrate', '--database', url],
      ['bindings', 'import', EXAMPLE, '--policy', POLICY_HOUSTON, '--database', url],
    ]) {
      const r = await cli(args)
      expect(r.code).toBe(1)
      expect(r.err).toMatch(/^error PERMGATE_ERR_BINDINGS_DATABASE: /)
      expect(r.err).toMatch(message)
      expect(r.err).not.toContain('hunter2')
      expect(r.err).not.toMatch(/\n\s+at /)
      expect(r.err.trim().split('\n')).toHaveLength(1)
    }
  })

  it('a wrong database name fails coded, naming it', async () => {
    const r = await cli(['bindings', 'migrate', '--database', server.url.replace(/\/postgres$/, '/nosuchdb')])
    expect(r.code).toBe(1)
    expect(r.err).toMatch(/^error PERMGATE_ERR_BINDINGS_DATABASE: .*nosuchdb.*does not exist/)
  })

  it('usage errors exit 2', async () => {
    vi.stubEnv(DATABASE_URL_ENV, '')
    const url = 'postgres://u@127.0.0.1:1/db'
    for (const args of [
      ['bindings'],
      ['bindings', 'frobnicate'],
      ['bindings', 'migrate'],
      ['bindings', 'migrate', '--print', '--database', url],
      ['bindings', 'migrate', '--database', url, 'extra'],
      ['bindings', 'import', '--policy', POLICY_HOUSTON, '--database', url],
      ['bindings', 'import', EXAMPLE, EXAMPLE, '--policy', POLICY_HOUSTON, '--database', url],
      ['bindings', 'import', EXAMPLE, '--database', url],
      ['bindings', 'import', EXAMPLE, '--policy', POLICY_HOUSTON],
      ['bindings', 'import', EXAMPLE, '--policy', POLICY_HOUSTON, '--database', url, '--bogus'],
    ]) {
      const r = await cli(args)
      expect({ args, code: r.code }).toEqual({ args, code: 2 })
      expect(r.err).toMatch(/^error PERMGATE_ERR_CLI_USAGE: /)
    }
  })

  it('the top-level usage lists the bindings commands', async () => {
    const r = await cli(['help'])
    expect(r.out).toContain('permgate bindings migrate')
    expect(r.out).toContain('permgate bindings import FILE')
    expect(r.out).toContain(DATABASE_URL_ENV)
  })
})
