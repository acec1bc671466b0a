import type pg from 'pg'
import { PermgateError } from '../../errors.js'
import { MIGRATIONS, type Migration } from './migrations.js'

/** Where applied migrations are recorded. */
export const MIGRATIONS_TABLE = 'permgate_schema_migrations'

/**
 * The advisory-lock key every permgate migrating a database takes first, so two instances
 * migrating at once apply each migration once ('pgmigr8' read as a number; any fixed value works).
 */
export const MIGRATION_LOCK_KEY = 0x7067_6d69_6772_38n.toString()

const CREATE_MIGRATIONS_TABLE = `CREATE TABLE IF NOT EXISTS ${MIGRATIONS_TABLE} (
  version    int PRIMARY KEY,
  name       text NOT NULL,
  applied_at timestamptz NOT NULL DEFAULT now()
)`

/**
 * Applies every migration not yet recorded in permgate_schema_migrations, in version order, each
 * in its own transaction with its record (a failed one leaves no trace and stops the rest).
 * Idempotent; serialised across connections by a session advisory lock. `client` must not be
 * inside a transaction.
 */
export async function migrate(client: pg.ClientBase, migrations: readonly Migration[] = MIGRATIONS): Promise<{ applied: number[] }> {
  await client.query('SELECT pg_advisory_lock($1::bigint)', [MIGRATION_LOCK_KEY])
  try {
    await client.query(CREATE_MIGRATIONS_TABLE)
    const done = new Set((await client.query<{ version: number }>(`SELECT version FROM ${MIGRATIONS_TABLE}`)).rows.map((r) => r.version))
    const applied: number[] = []
    for (const m of [...migrations].sort((a, b) => a.version - b.version)) {
      if (done.has(m.version)) continue
      await client.query('BEGIN')
      try {
        await client.query(m.sql)
        await client.query(`INSERT INTO ${MIGRATIONS_TABLE} (version, name) VALUES ($1, $2)`, [m.version, m.name])
        await client.query('COMMIT')
      } catch (e) {
        await client.query('ROLLBACK').catch(() => undefined)
        throw new PermgateError('PERMGATE_ERR_BINDINGS_DATABASE', `migration ${m.version} (${m.name}) failed, nothing of it applied: ${(e as Error).message}`)
      }
      applied.push(m.version)
    }
    return { applied }
  } finally {
    // A broken connection has lost the lock with the session already.
    await client.query('SELECT pg_advisory_unlock($1::bigint)', [MIGRATION_LOCK_KEY]).catch(() => undefined)
  }
}

/** Versions known to this permgate and not recorded in the database (empty: up to date). */
export async function pendingMigrations(client: pg.ClientBase, migrations: readonly Migration[] = MIGRATIONS): Promise<number[]> {
  const exists = await client.query<{ t: string | null }>('SELECT to_regclass($1) AS t', [MIGRATIONS_TABLE])
  if (exists.rows[0]?.t == null) return migrations.map((m) => m.version)
  const done = new Set((await client.query<{ version: number }>(`SELECT version FROM ${MIGRATIONS_TABLE}`)).rows.map((r) => r.version))
  return migrations.map((m) => m.version).filter((v) => !done.has(v))
}

/**
 * Every migration as one SQL script, for operators who apply SQL themselves: the bookkeeping
 * table, then each migration in a transaction with its record, so a later `permgate bindings
 * migrate` knows it is applied.
 */
export function migrationsSql(migrations: readonly Migration[] = MIGRATIONS): string {
  const parts = [`-- permgate bindings schema: ${migrations.length} migration(s)`, `${CREATE_MIGRATIONS_TABLE};`, '']
  for (const m of [...migrations].sort((a, b) => a.version - b.version)) {
    parts.push(
      `-- migration ${m.version}: ${m.name}`,
      'BEGIN;',
      m.sql.trim(),
      `INSERT INTO ${MIGRATIONS_TABLE} (version, name) VALUES (${m.version}, '${m.name.replace(/'/g, "''")}');`,
      'COMMIT;',
      '',
    )
  }
  return parts.join('\n')
}
