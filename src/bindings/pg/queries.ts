// What the store asks the database, and how the answers become bindings: the prepared queries,
// their rows, and the schema check made before anything is read.
import { PermgateError } from '../../errors.js'
import type { Binding, SubjectEntry, SubjectKind } from '../types.js'
import { PERMGATE_TABLES } from './migrations.js'

/** A query on the pool: named ones are prepared once per connection. Resolves to the rows. */
export type Query = <R extends object>(name: string | undefined, text: string, values?: readonly unknown[]) => Promise<readonly R[]>

// One round trip per subject: its kind, its bindings, its teams and their bindings, by `k`.
export const Q_SUBJECT = 'permgate_subject_v1'
export const SQL_SUBJECT = `
SELECT 0 AS k, 0::bigint AS n, kind AS a, NULL::text AS b, NULL::text AS c FROM permgate_subjects WHERE id = $1
UNION ALL
SELECT 1, id, role, workspace_id, deployment_id FROM permgate_role_bindings WHERE subject_id = $1
UNION ALL
SELECT 2, 0, team_id, NULL, NULL FROM permgate_team_members WHERE subject_id = $1
UNION ALL
SELECT 3, b.id, b.role, b.workspace_id, b.deployment_id FROM permgate_team_members m JOIN permgate_team_bindings b ON b.team_id = m.team_id WHERE m.subject_id = $1
ORDER BY 1, 2, 3`
export const Q_TEAMS = 'permgate_teams_v1'
export const SQL_TEAMS = 'SELECT team_id, role, workspace_id, deployment_id FROM permgate_team_bindings WHERE team_id = ANY($1::text[]) ORDER BY id'
export const Q_KEY = 'permgate_key_v1'
export const SQL_KEY = 'SELECT subject_id FROM permgate_service_account_keys WHERE key_sha256 = $1'
export const Q_DEPLOYMENTS = 'permgate_deployments_v2'
export const SQL_DEPLOYMENTS = 'SELECT id, workspace_id, release_name FROM permgate_deployments'
export const Q_DEPLOYMENT_ROWS = 'permgate_deployment_rows_v2'
export const SQL_DEPLOYMENT_ROWS = 'SELECT id, workspace_id, release_name FROM permgate_deployments WHERE id = ANY($1::text[])'
/** Columns the store reads that a later migration added: a database without them must be migrated first. */
const REQUIRED_COLUMNS: readonly (readonly [string, string])[] = [['permgate_deployments', 'release_name']]

export interface SubjectRow {
  k: number
  a: string
  b: string | null
  c: string | null
}
export interface DeploymentRow {
  id: string
  workspace_id: string
  release_name: string | null
}
export interface TeamRow {
  team_id: string
  role: string
  workspace_id: string | null
  deployment_id: string | null
}
export interface KeyRow {
  subject_id: string
}

/** A subject as its rows say: undefined when the database knows nothing of it. */
export interface SubjectRead {
  readonly entry: SubjectEntry | undefined
  readonly teams: readonly string[]
}

export function subjectOf(rows: readonly SubjectRow[]): SubjectRead {
  let kind: SubjectKind | undefined
  const bindings: Binding[] = []
  const teams: string[] = []
  for (const r of rows) {
    if (r.k === 0) kind = r.a === 'serviceAccount' ? 'serviceAccount' : 'user'
    else if (r.k === 2) teams.push(r.a)
    else bindings.push(binding(r.a, r.b, r.c))
  }
  const entry: SubjectEntry | undefined =
    kind === undefined && bindings.length === 0 && teams.length === 0 ? undefined : Object.freeze({ kind: kind ?? 'user', bindings: Object.freeze(bindings) })
  return { entry, teams }
}

/** Team -> its bindings (frozen), for the teams that have rows. */
export function teamsOf(rows: readonly TeamRow[]): Map<string, readonly Binding[]> {
  const by = new Map<string, Binding[]>()
  for (const r of rows) {
    let list = by.get(r.team_id)
    if (list === undefined) by.set(r.team_id, (list = []))
    list.push(binding(r.role, r.workspace_id, r.deployment_id))
  }
  for (const list of by.values()) Object.freeze(list)
  return by
}

export function binding(role: string, workspace: string | null, deployment: string | null): Binding {
  if (workspace !== null) return Object.freeze({ role, workspace })
  if (deployment !== null) return Object.freeze({ role, deployment })
  return Object.freeze({ role })
}

export function sameBindings(a: readonly Binding[], b: readonly Binding[]): boolean {
  if (a.length !== b.length) return false
  for (let i = 0; i < a.length; i++) {
    const x = a[i] as Binding
    const y = b[i] as Binding
    if (x.role !== y.role || x.workspace !== y.workspace || x.deployment !== y.deployment) return false
  }
  return true
}

export function sameEntry(a: SubjectEntry | undefined, b: SubjectEntry | undefined): boolean {
  if (a === undefined || b === undefined) return a === b
  return a.kind === b.kind && sameBindings(a.bindings, b.bindings)
}

/**
 * Refuses a database the store cannot read: permgate tables missing, or a column of a later
 * migration. `at` names the database (never its password).
 * @throws PermgateError PERMGATE_ERR_BINDINGS_DATABASE
 */
export async function checkSchema(query: Query, at: string): Promise<void> {
  const missing = await query<{ t: string }>(undefined, 'SELECT t FROM unnest($1::text[]) AS t WHERE to_regclass(t) IS NULL', [PERMGATE_TABLES])
  if (missing.length > 0) {
    throw new PermgateError(
      'PERMGATE_ERR_BINDINGS_DATABASE',
      `the bindings database at ${at} has no permgate tables (missing: ${missing.map((r) => r.t).join(', ')}): run \`permgate bindings migrate\``,
    )
  }
  for (const [table, column] of REQUIRED_COLUMNS) {
    const col = await query(undefined, 'SELECT 1 FROM pg_attribute WHERE attrelid = to_regclass($1) AND attname = $2 AND NOT attisdropped', [table, column])
    if (col.length === 0) {
      throw new PermgateError('PERMGATE_ERR_BINDINGS_DATABASE', `the bindings database at ${at} lacks ${table}.${column} (a later migration): run \`permgate bindings migrate\` (over views: add the column to the view)`)
    }
  }
}
