import { describe, expect, it } from 'vitest'
import { NOTIFY_CHANNEL, PERMGATE_TABLES } from '../../../src/bindings/pg/migrations.js'
import type { BindingsData } from '../../../src/commands/bindings/plan.js'
import { BULK_NOTIFICATION, IMPORT_LOCK_KEY, NOTIFYING_TABLES, writeBindings, type SqlClient } from '../../../src/commands/bindings/write.js'

// The import's transaction, statement by statement, against a client that records what it is
// sent and answers row counts: the order, the batching, the bulk path and the rollback, without
// PostgreSQL (test/pg/cli.test.ts runs the same writer against a real server).

interface Sent {
  readonly text: string
  readonly values: unknown[] | undefined
}

/** Answers every statement with a row count (`rows`), or throws what `fail` returns for it. */
class RecordingClient implements SqlClient {
  readonly sent: Sent[] = []
  constructor(
    private readonly rows: (text: string, values: unknown[] | undefined) => number = insertedAll,
    private readonly fail: (text: string) => Error | undefined = () => undefined,
  ) {}

  async query(text: string, values?: unknown[]): Promise<{ rowCount: number | null }> {
    const oneLine = text.replace(/\s+/g, ' ').trim()
    this.sent.push({ text: oneLine, values })
    const e = this.fail(oneLine)
    if (e !== undefined) throw e
    return { rowCount: this.rows(oneLine, values) }
  }

  /** What was sent, one short label per statement. */
  get labels(): string[] {
    return this.sent.map((s) => label(s.text))
  }
}

/** Every unnested row is new; statements over the temporary tables change nothing. */
function insertedAll(text: string, values: unknown[] | undefined): number {
  return text.startsWith('INSERT') && Array.isArray(values?.[0]) ? (values[0] as unknown[]).length : 0
}

const LABELS: readonly [RegExp, (m: RegExpExecArray) => string][] = [
  [/^INSERT INTO (\w+)/, (m) => `insert ${m[1]}`],
  [/^DELETE FROM (\w+)/, (m) => `delete ${m[1]}`],
  [/^TRUNCATE (\w+)/, (m) => `truncate ${m[1]}`],
  [/^CREATE TEMP TABLE (\w+)/, (m) => `create ${m[1]}`],
  [/^ANALYZE (\w+)/, (m) => `analyze ${m[1]}`],
  [/^DROP TABLE (\w+)/, (m) => `drop ${m[1]}`],
  [/^SET CONSTRAINTS (\w+) DEFERRED/, (m) => `defer ${m[1]}`],
  [/^ALTER TABLE (\w+) (DISABLE|ENABLE) TRIGGER/, (m) => `${m[2]!.toLowerCase()} ${m[1]}`],
  [/^SELECT (pg_advisory_xact_lock|pg_notify)\(/, (m) => m[1]!],
]

/** `insert permgate_subjects`, `disable permgate_role_bindings`, `COMMIT`, ... */
function label(text: string): string {
  for (const [re, f] of LABELS) {
    const m = re.exec(text)
    if (m !== null) return f(m)
  }
  return text
}

const DATA: BindingsData = {
  deployments: new Map([['d1', 'w1'], ['d2', 'w1'], ['d3', 'w2'], ['d4', 'w2'], ['d5', 'w3']]),
  releaseNames: new Map([['d1', 'rel-1']]),
  subjects: new Map([
    ['u-1', { kind: 'user', bindings: [{ role: 'SYSTEM_VIEWER' }] }],
    ['sa-1', { kind: 'serviceAccount', apiKeySha256: 'a'.repeat(64), bindings: [{ role: 'DEPLOYMENT_EDITOR', deployment: 'd1' }] }],
  ]),
  groups: new Map([['ops', [{ role: 'SYSTEM_EDITOR' }]]]),
}

const SYNC = (table: string): string[] => [
  'create permgate_import_owners',
  'create permgate_import_rows',
  'insert permgate_import_owners',
  'insert permgate_import_rows',
  'analyze permgate_import_owners',
  'analyze permgate_import_rows',
  `delete ${table}`,
  `insert ${table}`,
  'drop permgate_import_owners',
]

describe('writeBindings', () => {
  it('a merge: one transaction under the import lock; keys and bindings of the named owners made exactly the file\'s', async () => {
    const c = new RecordingClient()
    await writeBindings(c, DATA)
    expect(c.labels).toEqual([
      'BEGIN',
      'pg_advisory_xact_lock',
      'defer permgate_deployments_release_name_key',
      'insert permgate_deployments',
      'insert permgate_subjects',
      'delete permgate_service_account_keys',
      'insert permgate_service_account_keys',
      'insert permgate_teams',
      ...SYNC('permgate_role_bindings'),
      ...SYNC('permgate_team_bindings'),
      'COMMIT',
    ])
    expect(c.sent[1]!.values).toEqual([IMPORT_LOCK_KEY])
    // the unnested columns, aligned row by row
    expect(c.sent[3]!.values).toEqual([['d1', 'd2', 'd3', 'd4', 'd5'], ['w1', 'w1', 'w2', 'w2', 'w3'], ['rel-1', null, null, null, null]])
    expect(c.sent[5]!.values).toEqual([['u-1', 'sa-1'], [null, 'a'.repeat(64)]])
    expect(c.sent[6]!.values).toEqual([['a'.repeat(64)], ['sa-1']])
  })

  it('returns what the file held and the row counts the database answered', async () => {
    const c = new RecordingClient((text, values) => (text.startsWith('DELETE FROM permgate_role_bindings') ? 2 : insertedAll(text, values)))
    expect(await writeBindings(c, DATA)).toEqual({
      deployments: 5, releaseNames: 1, subjects: 2, serviceAccounts: 1, apiKeys: 1, roleBindings: 2, teams: 1, teamBindings: 1,
      changed: { deployments: 5, subjects: 2, apiKeysAdded: 1, apiKeysRemoved: 0, roleBindingsAdded: 0, roleBindingsRemoved: 2, teamsAdded: 1, teamBindingsAdded: 0, teamBindingsRemoved: 0 },
      bulk: false,
    })
  })

  it('sends the rows in batches of `batch`, every column sliced alike, and adds up their counts', async () => {
    const c = new RecordingClient()
    const counts = await writeBindings(c, DATA, { batch: 2 })
    const deployments = c.sent.filter((s) => s.text.startsWith('INSERT INTO permgate_deployments'))
    expect(deployments.map((s) => s.values)).toEqual([
      [['d1', 'd2'], ['w1', 'w1'], ['rel-1', null]],
      [['d3', 'd4'], ['w2', 'w2'], [null, null]],
      [['d5'], ['w3'], [null]],
    ])
    expect(counts.changed.deployments).toBe(5)
  })

  it('a subject-less, team-less file touches no bindings table', async () => {
    const c = new RecordingClient()
    await writeBindings(c, { deployments: new Map([['d1', 'w1']]), subjects: new Map(), groups: new Map() })
    expect(c.labels.filter((l) => /bindings|import_/.test(l))).toEqual([])
  })

  it('a replace empties every table first, writes the bindings straight in, and announces nothing beyond the TRUNCATE', async () => {
    const c = new RecordingClient()
    const counts = await writeBindings(c, DATA, { replace: true })
    expect(c.labels).toEqual([
      'BEGIN',
      'pg_advisory_xact_lock',
      'truncate permgate_subjects',
      'SAVEPOINT permgate_triggers',
      ...NOTIFYING_TABLES.map((t) => `disable ${t}`),
      'RELEASE SAVEPOINT permgate_triggers',
      'defer permgate_deployments_release_name_key',
      'insert permgate_deployments',
      'insert permgate_subjects',
      'insert permgate_service_account_keys',
      'insert permgate_teams',
      'insert permgate_role_bindings',
      'insert permgate_team_bindings',
      ...NOTIFYING_TABLES.map((t) => `enable ${t}`),
      'COMMIT',
    ])
    expect(c.sent[2]!.text).toBe(`TRUNCATE ${PERMGATE_TABLES.join(', ')}`)
    // a binding listed twice is one row
    expect(c.sent.find((s) => s.text.startsWith('INSERT INTO permgate_role_bindings'))!.text).toContain('SELECT DISTINCT')
    expect(counts.bulk).toBe(true)
  })

  it('a bulk merge that changed rows sends one "everything changed" notification in place of the row triggers\'', async () => {
    const c = new RecordingClient()
    const counts = await writeBindings(c, DATA, { bulkThreshold: 3 })
    expect(counts.bulk).toBe(true)
    const notify = c.sent.filter((s) => s.text.startsWith('SELECT pg_notify'))
    expect(notify.map((s) => s.values)).toEqual([[NOTIFY_CHANNEL, JSON.stringify(BULK_NOTIFICATION)]])
    // after the triggers are back on, before the commit (notifications are delivered at commit, with the rows)
    expect(c.labels.slice(-2)).toEqual(['pg_notify', 'COMMIT'])
    expect(c.labels.indexOf(`enable ${NOTIFYING_TABLES.at(-1)}`)).toBe(c.labels.length - 3)
  })

  it('a bulk merge that changed nothing announces nothing', async () => {
    const c = new RecordingClient(() => 0)
    const counts = await writeBindings(c, DATA, { bulkThreshold: 0 })
    expect(counts.bulk).toBe(true)
    expect(c.labels).not.toContain('pg_notify')
  })

  it('a role that may not switch the triggers off: back to the savepoint, a notification per row', async () => {
    const c = new RecordingClient(insertedAll, (text) => (text.includes('DISABLE TRIGGER') ? new Error('must be owner of table') : undefined))
    const counts = await writeBindings(c, DATA, { bulkThreshold: 0 })
    expect(counts.bulk).toBe(false)
    expect(c.labels.slice(2, 5)).toEqual(['SAVEPOINT permgate_triggers', `disable ${NOTIFYING_TABLES[0]}`, 'ROLLBACK TO SAVEPOINT permgate_triggers'])
    expect(c.labels.filter((l) => l.startsWith('enable') || l === 'pg_notify')).toEqual([])
    expect(c.labels.at(-1)).toBe('COMMIT')
  })

  it('a failing statement rolls the whole import back and rethrows its error', async () => {
    const check = new Error('new row violates check constraint')
    const c = new RecordingClient(insertedAll, (text) => (text.startsWith('INSERT INTO permgate_role_bindings') ? check : undefined))
    await expect(writeBindings(c, DATA)).rejects.toBe(check)
    expect(c.labels.at(-1)).toBe('ROLLBACK')
    expect(c.labels).not.toContain('COMMIT')
  })

  it('a rollback that fails too (the connection gone) still reports the first error', async () => {
    const gone = new Error('Connection terminated')
    const c = new RecordingClient(insertedAll, (text) => (text.startsWith('INSERT INTO permgate_subjects') ? gone : text === 'ROLLBACK' ? new Error('not connected') : undefined))
    await expect(writeBindings(c, DATA)).rejects.toBe(gone)
  })
})
