import { describe, expect, it } from 'vitest'
import { readNotification, type Notice } from '../../../../src/bindings/pg/notification.js'

const row = (table: string, r: Record<string, unknown>): string => JSON.stringify({ table, row: r })

// The payloads the triggers of ./migrations.ts and a bulk import send, and what each names.
const CASES: readonly (readonly [string, string | undefined, Notice])[] = [
  ['a subject row', row('permgate_subjects', { id: 'alice', kind: 'user' }), { kind: 'subject', id: 'alice' }],
  ['a role binding', row('permgate_role_bindings', { id: 7, subject_id: 'alice', role: 'R', workspace_id: null, deployment_id: null }), { kind: 'subject', id: 'alice' }],
  ['a team membership', row('permgate_team_members', { team_id: 'ops', subject_id: 'bob' }), { kind: 'subject', id: 'bob' }],
  ['an API key', row('permgate_service_account_keys', { key_sha256: 'ab'.repeat(32), subject_id: 'sa1' }), { kind: 'key', key: 'ab'.repeat(32), subject: 'sa1' }],
  ['a team binding', row('permgate_team_bindings', { id: 3, team_id: 'ops', role: 'R' }), { kind: 'team', team: 'ops' }],
  ['a deployment', row('permgate_deployments', { id: 'd1', workspace_id: 'w1', release_name: null }), { kind: 'deployment', id: 'd1' }],
  ['a truncate', JSON.stringify({ table: 'permgate_role_bindings', all: true }), { kind: 'all' }],
  ['a bulk import', JSON.stringify({ table: 'permgate_import', all: true }), { kind: 'all' }],
  ['a row that says all besides', JSON.stringify({ table: 'permgate_subjects', all: true, row: { id: 'x' } }), { kind: 'all' }],
  ['an unknown table', row('permgate_teams', { id: 'ops' }), { kind: 'all' }],
  ['a row without its key', row('permgate_role_bindings', { role: 'R' }), { kind: 'all' }],
  ['a key row without its subject', row('permgate_service_account_keys', { key_sha256: 'ab'.repeat(32) }), { kind: 'all' }],
  ['an id that is no string', row('permgate_subjects', { id: 7 }), { kind: 'all' }],
  ['no row', JSON.stringify({ table: 'permgate_subjects' }), { kind: 'all' }],
  ['a list', '[1,2]', { kind: 'all' }],
  ['no JSON', 'not json', { kind: 'all' }],
  ['no payload', undefined, { kind: 'all' }],
]

describe('readNotification', () => {
  it.each(CASES)('%s', (_name, payload, want) => {
    expect(readNotification(payload)).toEqual(want)
  })
})
