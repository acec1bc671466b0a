// One concept: the `permgate bindings` commands (migrate, import: reading the file and writing it
// in one batched transaction).
import { relative } from 'node:path'
import { parseArgs } from 'node:util'
import pg from 'pg'
import { loadBindingsFile } from '../bindings/file.js'
import { migrate, migrationsSql, pendingMigrations } from '../bindings/pg/migrate.js'
import { NOTIFY_CHANNEL, PERMGATE_TABLES } from '../bindings/pg/migrations.js'
import type { Binding, SubjectEntry } from '../bindings/types.js'
import { isPermgateError, PermgateError } from '../errors.js'
import { compilePolicy } from '../policy/compile.js'
import { loadPolicy } from '../policy/load.js'
import { POLICY_FLAGS } from './args.js'
import { EXIT, type CommandIO } from './io.js'

export const BINDINGS_MIGRATE_USAGE = 'permgate bindings migrate --database URL | --print'
export const BINDINGS_IMPORT_USAGE = 'permgate bindings import FILE --policy DIR [--overlay FILE]... --database URL [--replace]'
/** Where --database comes from when the flag is not given. */
export const DATABASE_URL_ENV = 'PERMGATE_DATABASE_URL'

/**
 * `permgate bindings migrate | import`: the PostgreSQL bindings store's schema, and loading a
 * bindings file (the file store's format) into it.
 *
 * import needs --policy: every role is checked against the policy (and its overlays) exactly as
 * `serve --bindings` checks the file, so a misspelt role is refused with
 * PERMGATE_ERR_BINDINGS_UNKNOWN_ROLE before the database is touched, never stored to be
 * ignored later.
 */
export async function bindings(argv: readonly string[], io: CommandIO): Promise<number> {
  const [sub, ...rest] = argv
  switch (sub) {
    case 'migrate':
      return migrateCommand(rest, io)
    case 'import':
      return importCommand(rest, io)
    default:
      throw new PermgateError(
        'PERMGATE_ERR_CLI_USAGE',
        `${sub === undefined ? 'missing' : `unknown`} bindings subcommand${sub === undefined ? '' : ` "${sub}"`}\nusage: ${BINDINGS_MIGRATE_USAGE}\n       ${BINDINGS_IMPORT_USAGE}`,
      )
  }
}

async function migrateCommand(argv: readonly string[], io: CommandIO): Promise<number> {
  const { values } = flags(argv, { database: { type: 'string' }, print: { type: 'boolean' } }, 0, BINDINGS_MIGRATE_USAGE)
  if (values.print === true) {
    if (values.database !== undefined) throw new PermgateError('PERMGATE_ERR_CLI_USAGE', `--print and --database exclude each other\nusage: ${BINDINGS_MIGRATE_USAGE}`)
    io.write(migrationsSql())
    return EXIT.OK
  }
  const url = databaseUrl(values.database as string | undefined, BINDINGS_MIGRATE_USAGE)
  const { applied } = await withClient(url, (c) => migrate(c))
  io.write(applied.length === 0 ? `${maskUrl(url)}: already up to date\n` : `${maskUrl(url)}: applied migration(s) ${applied.join(', ')}\n`)
  return EXIT.OK
}

async function importCommand(argv: readonly string[], io: CommandIO): Promise<number> {
  const { values, positionals } = flags(argv, { ...POLICY_FLAGS, database: { type: 'string' }, replace: { type: 'boolean' } }, 1, BINDINGS_IMPORT_USAGE)
  const file = positionals[0] as string
  if (values.policy === undefined) {
    throw new PermgateError('PERMGATE_ERR_CLI_USAGE', `--policy is required (every role is checked against it)\nusage: ${BINDINGS_IMPORT_USAGE}`)
  }
  const url = databaseUrl(values.database as string | undefined, BINDINGS_IMPORT_USAGE)
  const replace = values.replace === true
  // Everything about the file is checked before the database is touched.
  const policy = compilePolicy(loadPolicy(values.policy as string, { overlays: (values.overlay as string[] | undefined) ?? [] }))
  const store = loadBindingsFile(file, policy)
  const subjects = new Map<string, SubjectEntry>()
  for (const id of store.subjectIds()) subjects.set(id, store.subject(id) as SubjectEntry)
  // The loader keeps groups private; bracket access is TypeScript's type-checked way in.
  const data: BindingsData = { deployments: store.deployments, releaseNames: store.releaseNames, subjects, groups: store['groups'] }

  const started = performance.now()
  const counts = await withClient(url, async (c) => {
    const pending = await pendingMigrations(c)
    if (pending.length > 0) {
      throw new PermgateError('PERMGATE_ERR_BINDINGS_DATABASE', `the database has not been migrated (pending: ${pending.join(', ')}): run permgate bindings migrate first`)
    }
    return writeBindings(c, data, { replace })
  })
  const ms = performance.now() - started
  io.write(report(display(file), maskUrl(url), replace, counts, ms))
  return EXIT.OK
}

// --- writing bindings -----------------------------------------------------------------------

/** What an import writes: a bindings file's contents, or rows generated directly (benchmarks). */
export interface BindingsData {
  readonly deployments: ReadonlyMap<string, string>
  /** deployment -> its release name; a deployment of `deployments` absent here has none. */
  readonly releaseNames?: ReadonlyMap<string, string>
  readonly subjects: ReadonlyMap<string, SubjectEntry>
  readonly groups: ReadonlyMap<string, readonly Binding[]>
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

/** What the file held, and what changed in the database. */
export interface ImportCounts {
  readonly deployments: number
  /** Deployments given a release name. */
  readonly releaseNames: number
  readonly subjects: number
  readonly serviceAccounts: number
  readonly apiKeys: number
  readonly roleBindings: number
  readonly teams: number
  readonly teamBindings: number
  readonly changed: {
    readonly deployments: number
    readonly subjects: number
    readonly apiKeysAdded: number
    readonly apiKeysRemoved: number
    readonly roleBindingsAdded: number
    readonly roleBindingsRemoved: number
    readonly teamsAdded: number
    readonly teamBindingsAdded: number
    readonly teamBindingsRemoved: number
  }
  /** Row triggers were off; one notification per table announced the import. */
  readonly bulk: boolean
}

export { PERMGATE_TABLES }

/** The tables with a per-row NOTIFY trigger, named `<table>_notify`. */
const NOTIFYING_TABLES = PERMGATE_TABLES.filter((t) => t !== 'permgate_teams')

/** The one notification of a bulk import (any payload with `all: true` invalidates everything). */
export const BULK_NOTIFICATION = { table: 'permgate_import', all: true } as const

/** Serialises imports across connections (transaction-scoped advisory lock). */
const IMPORT_LOCK_KEY = '7089074155416953908'

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
export async function writeBindings(client: pg.ClientBase, data: BindingsData, opts: ImportOptions = {}): Promise<ImportCounts> {
  const batch = opts.batch ?? INSERT_BATCH
  const replace = opts.replace === true

  const dep = { id: [] as string[], ws: [] as string[], release: [] as (string | null)[] }
  for (const [d, w] of data.deployments) {
    dep.id.push(d)
    dep.ws.push(w)
    dep.release.push(data.releaseNames?.get(d) ?? null)
  }
  const releaseNames = dep.release.filter((r) => r !== null).length
  const subj = { id: [] as string[], kind: [] as string[], key: [] as (string | null)[] }
  const rb = bindingColumns()
  let serviceAccounts = 0
  let apiKeys = 0
  for (const [id, s] of data.subjects) {
    subj.id.push(id)
    subj.kind.push(s.kind)
    subj.key.push(s.apiKeySha256 ?? null)
    if (s.kind === 'serviceAccount') serviceAccounts++
    if (s.apiKeySha256 !== undefined) apiKeys++
    for (const b of s.bindings) rb.push(id, b)
  }
  const teams = [...data.groups.keys()]
  const tb = bindingColumns()
  for (const [name, bs] of data.groups) for (const b of bs) tb.push(name, b)
  const bulk = replace || rb.owner.length + tb.owner.length >= (opts.bulkThreshold ?? BULK_NOTIFY_THRESHOLD)

  const q = async (text: string, values?: unknown[]): Promise<number> => (await client.query(text, values)).rowCount ?? 0
  const batched = async (text: string, columns: readonly (readonly unknown[])[]): Promise<number> => {
    let n = 0
    const rows = columns[0]?.length ?? 0
    for (let i = 0; i < rows; i += batch) n += await q(text, columns.map((c) => c.slice(i, i + batch)))
    return n
  }

  await client.query('BEGIN')
  try {
    await client.query('SELECT pg_advisory_xact_lock($1::bigint)', [IMPORT_LOCK_KEY])
    if (replace) await client.query(`TRUNCATE ${PERMGATE_TABLES.join(', ')}`)
    const triggersOff = bulk && (await disableRowTriggers(client))

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
    const withKey = subj.id.flatMap((id, i) => (subj.key[i] == null ? [] : [[id, subj.key[i] as string] as const]))
    const apiKeysAdded = await batched(
      `INSERT INTO permgate_service_account_keys (key_sha256, subject_id) SELECT * FROM unnest($1::text[], $2::text[])
       ON CONFLICT (key_sha256) DO UPDATE SET subject_id = EXCLUDED.subject_id
       WHERE permgate_service_account_keys.subject_id IS DISTINCT FROM EXCLUDED.subject_id`,
      [withKey.map((r) => r[1]), withKey.map((r) => r[0])],
    )

    const teamsAdded = await batched(`INSERT INTO permgate_teams (id) SELECT * FROM unnest($1::text[]) ON CONFLICT (id) DO NOTHING`, [teams])

    const role = await syncBindings(client, batched, replace, 'permgate_role_bindings', 'subject_id', subj.id, rb)
    const team = await syncBindings(client, batched, replace, 'permgate_team_bindings', 'team_id', teams, tb)

    if (triggersOff) {
      await enableRowTriggers(client)
      // In place of a notification per row, one that says what a TRUNCATE says: every instance
      // drops everything it cached (delivered at commit, with the rows). A replace has had the
      // TRUNCATE's own; an import that changed nothing announces nothing.
      const changed = deployments + subjects + apiKeysAdded + apiKeysRemoved + role.added + role.removed + team.added + team.removed
      if (!replace && changed > 0) await client.query('SELECT pg_notify($1, $2)', [NOTIFY_CHANNEL, JSON.stringify(BULK_NOTIFICATION)])
    }
    await client.query('COMMIT')
    return {
      deployments: dep.id.length,
      releaseNames,
      subjects: subj.id.length,
      serviceAccounts,
      apiKeys,
      roleBindings: rb.owner.length,
      teams: teams.length,
      teamBindings: tb.owner.length,
      changed: {
        deployments,
        subjects,
        apiKeysAdded,
        apiKeysRemoved,
        roleBindingsAdded: role.added,
        roleBindingsRemoved: role.removed,
        teamsAdded,
        teamBindingsAdded: team.added,
        teamBindingsRemoved: team.removed,
      },
      bulk: triggersOff,
    }
  } catch (e) {
    await client.query('ROLLBACK').catch(() => undefined)
    throw e
  }
}

interface BindingColumns {
  readonly owner: string[]
  readonly role: string[]
  readonly workspace: (string | null)[]
  readonly deployment: (string | null)[]
  push(owner: string, b: Binding): void
}

function bindingColumns(): BindingColumns {
  const c = { owner: [] as string[], role: [] as string[], workspace: [] as (string | null)[], deployment: [] as (string | null)[] }
  return {
    ...c,
    push(owner, b) {
      c.owner.push(owner)
      c.role.push(b.role)
      c.workspace.push(b.workspace ?? null)
      c.deployment.push(b.deployment ?? null)
    },
  }
}

/**
 * Makes the bindings of `owners` in `table` exactly `rows` (as a set): the rows go to a temporary
 * table, then one DELETE removes what the file no longer has and one INSERT adds what is new.
 * After a TRUNCATE the rows are inserted straight away.
 */
async function syncBindings(
  client: pg.ClientBase,
  batched: (text: string, columns: readonly (readonly unknown[])[]) => Promise<number>,
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
async function disableRowTriggers(client: pg.ClientBase): Promise<boolean> {
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

async function enableRowTriggers(client: pg.ClientBase): Promise<void> {
  for (const t of NOTIFYING_TABLES) await client.query(`ALTER TABLE ${t} ENABLE TRIGGER ${t}_notify`)
}

// --- helpers --------------------------------------------------------------------------------

type FlagOptions = NonNullable<Parameters<typeof parseArgs>[0]>['options']

function flags<O extends NonNullable<FlagOptions>>(argv: readonly string[], options: O, positionals: number, usage: string) {
  let parsed
  try {
    parsed = parseArgs({ args: [...argv], options, strict: true, allowPositionals: true })
  } catch (e) {
    throw new PermgateError('PERMGATE_ERR_CLI_USAGE', `${(e as Error).message}\nusage: ${usage}`)
  }
  if (parsed.positionals.length !== positionals) {
    const what = positionals === 0 ? `unexpected argument "${parsed.positionals[0]}"` : `give exactly one FILE`
    throw new PermgateError('PERMGATE_ERR_CLI_USAGE', `${what}\nusage: ${usage}`)
  }
  return parsed
}

function databaseUrl(flag: string | undefined, usage: string): string {
  const url = flag ?? process.env[DATABASE_URL_ENV]
  if (url === undefined || url === '') {
    throw new PermgateError('PERMGATE_ERR_CLI_USAGE', `--database is required (or set ${DATABASE_URL_ENV})\nusage: ${usage}`)
  }
  let protocol: string | undefined
  try {
    protocol = new URL(url).protocol
  } catch {
    protocol = undefined
  }
  if (protocol !== 'postgres:' && protocol !== 'postgresql:' && protocol !== 'socket:') {
    throw new PermgateError(
      'PERMGATE_ERR_BINDINGS_DATABASE',
      `${maskUrl(url)}: not a PostgreSQL URL (postgres://USER[:PASSWORD]@HOST[:PORT]/DATABASE[?sslmode=...])`,
    )
  }
  return url
}

/** Opens one connection, runs `f`, closes it; any database failure is a coded error naming the masked URL. */
export async function withClient<T>(url: string, f: (client: pg.Client) => Promise<T>): Promise<T> {
  let client: pg.Client
  try {
    client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 10_000, application_name: 'permgate bindings' })
  } catch (e) {
    throw databaseError(url, e)
  }
  // An error on an idle connection (the server going away) must not crash the process.
  client.on('error', () => undefined)
  try {
    await client.connect()
  } catch (e) {
    await client.end().catch(() => undefined)
    throw databaseError(url, e, 'cannot connect')
  }
  try {
    return await f(client)
  } catch (e) {
    throw databaseError(url, e)
  } finally {
    await client.end().catch(() => undefined)
  }
}

function databaseError(url: string, e: unknown, what?: string): PermgateError {
  if (isPermgateError(e)) return e
  const err = e as Error & { code?: string; detail?: string }
  let msg = err.message || String(e) || err.code || 'unknown error'
  if (err.code !== undefined && /^[0-9A-Z]{5}$/.test(err.code)) msg += ` (SQLSTATE ${err.code})`
  else if (err.code !== undefined && !msg.includes(err.code)) msg += ` (${err.code})`
  if (err.detail) msg += `: ${err.detail}`
  return new PermgateError('PERMGATE_ERR_BINDINGS_DATABASE', maskSecrets(`${maskUrl(url)}: ${what === undefined ? '' : `${what}: `}${msg}`, url))
}

/** The URL with its password replaced by `***` (also a `password=` query parameter); never throws. */
export function maskUrl(url: string): string {
  let masked: string
  try {
    const u = new URL(url)
    if (u.password !== '') u.password = '***'
    if (u.searchParams.has('password')) u.searchParams.set('password', '***')
    masked = u.toString().replace(/%2A%2A%2A/gi, '***')
  } catch {
    masked = url.replace(/(\/\/[^:/@]*:)[^@]*@/, '$1***@')
  }
  return masked.replace(/(password=)[^&\s]*/gi, '$1***')
}

/** `text` with every occurrence of the URL's password replaced by `***`. */
function maskSecrets(text: string, url: string): string {
  const secrets = new Set<string>()
  try {
    const u = new URL(url)
    if (u.password !== '') {
      secrets.add(u.password)
      secrets.add(decodeURIComponent(u.password))
    }
    const p = u.searchParams.get('password')
    if (p) secrets.add(p)
  } catch {
    const m = /\/\/[^:/@]*:([^@]*)@/.exec(url)
    if (m?.[1]) secrets.add(m[1])
  }
  let out = text
  for (const s of secrets) if (s.length > 0) out = out.split(s).join('***')
  return out
}

function report(file: string, url: string, replace: boolean, c: ImportCounts, ms: number): string {
  const d = c.changed
  return [
    `imported ${file} into ${url} (${replace ? 'replace: everything else removed' : 'merge'}) in ${(ms / 1000).toFixed(2)} s`,
    `  deployments:   ${c.deployments} (${d.deployments} new or changed)${c.releaseNames > 0 ? `, ${c.releaseNames} with a release name` : ''}`,
    `  subjects:      ${c.subjects}, ${c.serviceAccounts} service account(s) (${d.subjects} new or changed)`,
    `  API keys:      ${c.apiKeys} (+${d.apiKeysAdded} -${d.apiKeysRemoved})`,
    `  role bindings: ${c.roleBindings} (+${d.roleBindingsAdded} -${d.roleBindingsRemoved})`,
    `  teams:         ${c.teams} (+${d.teamsAdded})`,
    `  team bindings: ${c.teamBindings} (+${d.teamBindingsAdded} -${d.teamBindingsRemoved})`,
    c.bulk ? '  notified: everything changed (bulk import)' : '',
    '',
  ]
    .filter((l, i, a) => l !== '' || i === a.length - 1)
    .join('\n')
}

function display(file: string): string {
  const rel = relative(process.cwd(), file)
  return rel.startsWith('..') ? file : rel
}
