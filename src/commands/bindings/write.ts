// One concept: writing an import's rows in one transaction (merge or replace), with the row
// triggers' notifications replaced by one when the import is large.
import { NOTIFY_CHANNEL, PERMGATE_TABLES } from '../../bindings/pg/migrations.js'
import { anyChange, batches, importCounts, planImport, type BindingColumns, type BindingsData, type ImportCounts } from './plan.js'

/** What the writer needs of a connection (a pg.Client; a recording fake in unit tests). */
export interface SqlClient {
  query(text: string, values?: unknown[]): Promise<{ readonly rowCount: number | null }>
}

export interface ImportOptions {
  /** Empty every permgate table first (TRUNCATE: the triggers tell every instance to drop everything). */
  readonly replace?: boolean
  /** Rows per statement. @default INSERT_BATCH */
  readonly batch?: number
  /**
   * From this many role and team bindings on, row triggers are switched off for the import and
   * one "everything changed" notification per table replaces a notification per row.
   * @default BULK_NOTIFY_THRESHOLD
   */
  readonly bulkThreshold?: number
}

/** Rows per INSERT: each column goes as one array parameter, unnested by the server. */
export const INSERT_BATCH = 50_000
export const BULK_NOTIFY_THRESHOLD = 10_000

/** The tables with a per-row NOTIFY trigger, named `<table>_notify`. */
export const NOTIFYING_TABLES = PERMGATE_TABLES.filter((t) => t !== 'permgate_teams')

/** The one notification of a bulk import (any payload with `all: true` invalidates everything). */
export const BULK_NOTIFICATION = { table: 'permgate_import', all: true } as const

/** Serialises imports across connections (transaction-scoped advisory lock). */
export const IMPORT_LOCK_KEY = '7089074155416953908'

type Batched = (text: string, columns: readonly (readonly unknown[])[]) => Promise<number>

/**
 * Writes bindings in one transaction (`client` must not be in one).
 *
 * Merge (default): deployments (with their release names: none in the short form), subjects and
 * teams are upserted; for every subject and team in
 * `data` the role bindings and API keys become exactly those of `data` (others are removed,
 * missing ones added, unchanged rows are not touched, so a re-import writes and announces
 * nothing); subjects, teams and deployments absent from `data` are left as they are.
 * replace: TRUNCATE every permgate table first, so the database holds `data` and nothing else.
 */
export async function writeBindings(client: SqlClient, data: BindingsData, opts: ImportOptions = {}): Promise<ImportCounts> {
  const batch = opts.batch ?? INSERT_BATCH
  const replace = opts.replace === true
  const plan = planImport(data, { replace, bulkThreshold: opts.bulkThreshold ?? BULK_NOTIFY_THRESHOLD })
  const { deployments: dep, subjects: subj } = plan

  const batched: Batched = async (text, columns) => {
    let n = 0
    for (const values of batches(columns, batch)) n += (await client.query(text, values)).rowCount ?? 0
    return n
  }

  await client.query('BEGIN')
  try {
    await client.query('SELECT pg_advisory_xact_lock($1::bigint)', [IMPORT_LOCK_KEY])
    if (replace) await client.query(`TRUNCATE ${PERMGATE_TABLES.join(', ')}`)
    const triggersOff = plan.bulk && (await disableRowTriggers(client))

    // uniqueness at commit: the file may move a release name from one of its deployments to another
    await client.query('SET CONSTRAINTS permgate_deployments_release_name_key DEFERRED')
    const deployments = await batched(
      `INSERT INTO permgate_deployments (id, workspace_id, release_name) SELECT * FROM unnest($1::text[], $2::text[], $3::text[])
       ON CONFLICT (id) DO UPDATE SET workspace_id = EXCLUDED.workspace_id, release_name = EXCLUDED.release_name
       WHERE permgate_deployments.workspace_id IS DISTINCT FROM EXCLUDED.workspace_id
          OR permgate_deployments.release_name IS DISTINCT FROM EXCLUDED.release_name`,
      [dep.id, dep.ws, dep.release],
    )
    const subjects = await batched(
      `INSERT INTO permgate_subjects (id, kind) SELECT * FROM unnest($1::text[], $2::text[])
       ON CONFLICT (id) DO UPDATE SET kind = EXCLUDED.kind WHERE permgate_subjects.kind IS DISTINCT FROM EXCLUDED.kind`,
      [subj.id, subj.kind],
    )

    // API keys: each subject of the file keeps only the key the file gives it (or none).
    let apiKeysRemoved = 0
    if (!replace) {
      apiKeysRemoved = await batched(
        `DELETE FROM permgate_service_account_keys k USING unnest($1::text[], $2::text[]) AS f(subject_id, key_sha256)
         WHERE k.subject_id = f.subject_id AND k.key_sha256 IS DISTINCT FROM f.key_sha256`,
        [subj.id, subj.key],
      )
    }
    const apiKeysAdded = await batched(
      `INSERT INTO permgate_service_account_keys (key_sha256, subject_id) SELECT * FROM unnest($1::text[], $2::text[])
       ON CONFLICT (key_sha256) DO UPDATE SET subject_id = EXCLUDED.subject_id
       WHERE permgate_service_account_keys.subject_id IS DISTINCT FROM EXCLUDED.subject_id`,
      [plan.keys.sha256, plan.keys.subject],
    )

    const teamsAdded = await batched(`INSERT INTO permgate_teams (id) SELECT * FROM unnest($1::text[]) ON CONFLICT (id) DO NOTHING`, [plan.teams])

    const role = await syncBindings(client, batched, replace, 'permgate_role_bindings', 'subject_id', subj.id, plan.roleBindings)
    const team = await syncBindings(client, batched, replace, 'permgate_team_bindings', 'team_id', plan.teams, plan.teamBindings)

    const changed = {
      deployments,
      subjects,
      apiKeysAdded,
      apiKeysRemoved,
      roleBindingsAdded: role.added,
      roleBindingsRemoved: role.removed,
      teamsAdded,
      teamBindingsAdded: team.added,
      teamBindingsRemoved: team.removed,
    }
    if (triggersOff) {
      await enableRowTriggers(client)
      // In place of a notification per row, one that says what a TRUNCATE says: every instance
      // drops everything it cached (delivered at commit, with the rows). A replace has had the
      // TRUNCATE's own; an import that changed nothing announces nothing.
      if (!replace && anyChange(changed)) await client.query('SELECT pg_notify($1, $2)', [NOTIFY_CHANNEL, JSON.stringify(BULK_NOTIFICATION)])
    }
    await client.query('COMMIT')
    return importCounts(plan, changed, triggersOff)
  } catch (e) {
    await client.query('ROLLBACK').catch(() => undefined)
    throw e
  }
}

/**
 * Makes the bindings of `owners` in `table` exactly `rows` (as a set): the rows go to a temporary
 * table, then one DELETE removes what the file no longer has and one INSERT adds what is new.
 * After a TRUNCATE the rows are inserted straight away.
 */
async function syncBindings(
  client: SqlClient,
  batched: Batched,
  replace: boolean,
  table: 'permgate_role_bindings' | 'permgate_team_bindings',
  ownerColumn: 'subject_id' | 'team_id',
  owners: readonly string[],
  rows: BindingColumns,
): Promise<{ added: number; removed: number }> {
  const columns = `${ownerColumn}, role, workspace_id, deployment_id`
  const unnest = 'unnest($1::text[], $2::text[], $3::text[], $4::text[])'
  const values = [rows.owner, rows.role, rows.workspace, rows.deployment]
  if (replace) {
    // A binding listed twice in the file is stored once: the same set of permissions.
    return { added: await batched(`INSERT INTO ${table} (${columns}) SELECT DISTINCT * FROM ${unnest}`, values), removed: 0 }
  }
  if (owners.length === 0) return { added: 0, removed: 0 }
  await client.query(`CREATE TEMP TABLE permgate_import_owners (id text PRIMARY KEY) ON COMMIT DROP`)
  await client.query(`CREATE TEMP TABLE permgate_import_rows (owner text NOT NULL, role text NOT NULL, workspace_id text, deployment_id text) ON COMMIT DROP`)
  await batched(`INSERT INTO permgate_import_owners SELECT * FROM unnest($1::text[])`, [owners])
  await batched(`INSERT INTO permgate_import_rows SELECT DISTINCT * FROM ${unnest}`, values)
  await client.query('ANALYZE permgate_import_owners')
  await client.query('ANALYZE permgate_import_rows')
  // coalesce(…, '') keeps the comparisons hashable; '' is never an id (the loader refuses it).
  const same = (a: string, b: string): string =>
    `${a}.${a === 'i' ? 'owner' : ownerColumn} = ${b}.${b === 'i' ? 'owner' : ownerColumn} AND ${a}.role = ${b}.role ` +
    `AND coalesce(${a}.workspace_id, '') = coalesce(${b}.workspace_id, '') AND coalesce(${a}.deployment_id, '') = coalesce(${b}.deployment_id, '')`
  const removed = (
    await client.query(
      `DELETE FROM ${table} t USING permgate_import_owners o
       WHERE t.${ownerColumn} = o.id AND NOT EXISTS (SELECT 1 FROM permgate_import_rows i WHERE ${same('i', 't')})`,
    )
  ).rowCount
  const added = (
    await client.query(
      `INSERT INTO ${table} (${columns})
       SELECT i.owner, i.role, i.workspace_id, i.deployment_id FROM permgate_import_rows i
       WHERE NOT EXISTS (SELECT 1 FROM ${table} t WHERE ${same('t', 'i')})`,
    )
  ).rowCount
  await client.query('DROP TABLE permgate_import_owners, permgate_import_rows')
  return { added: added ?? 0, removed: removed ?? 0 }
}

/**
 * Switches the per-row NOTIFY triggers off inside the import's transaction (ALTER TABLE is
 * transactional: other sessions never see them off, and their writes to these tables wait for
 * the commit while reads go on). false when the importing role may not (it does not own the
 * tables): the import then goes on with a notification per row.
 */
async function disableRowTriggers(client: SqlClient): Promise<boolean> {
  await client.query('SAVEPOINT permgate_triggers')
  try {
    for (const t of NOTIFYING_TABLES) await client.query(`ALTER TABLE ${t} DISABLE TRIGGER ${t}_notify`)
    await client.query('RELEASE SAVEPOINT permgate_triggers')
    return true
  } catch {
    await client.query('ROLLBACK TO SAVEPOINT permgate_triggers')
    return false
  }
}

async function enableRowTriggers(client: SqlClient): Promise<void> {
  for (const t of NOTIFYING_TABLES) await client.query(`ALTER TABLE ${t} ENABLE TRIGGER ${t}_notify`)
}
