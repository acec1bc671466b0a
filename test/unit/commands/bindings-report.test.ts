import { join, resolve } from 'node:path'
import { describe, expect, it } from 'vitest'
import type { ImportCounts } from '../../../src/commands/bindings/plan.js'
import { displayPath, importReport } from '../../../src/commands/bindings/report.js'

const COUNTS: ImportCounts = {
  deployments: 3,
  releaseNames: 0,
  subjects: 4,
  serviceAccounts: 1,
  apiKeys: 2,
  roleBindings: 6,
  teams: 1,
  teamBindings: 1,
  changed: { deployments: 3, subjects: 4, apiKeysAdded: 2, apiKeysRemoved: 1, roleBindingsAdded: 6, roleBindingsRemoved: 0, teamsAdded: 1, teamBindingsAdded: 1, teamBindingsRemoved: 0 },
  bulk: false,
}

describe('the import report', () => {
  it('a merge: one line per table, what the file held and what changed', () => {
    expect(importReport('b.yaml', 'postgres://u:***@h/db', false, COUNTS, 1234)).toBe(
      [
        'imported b.yaml into postgres://u:***@h/db (merge) in 1.23 s',
        '  deployments:   3 (3 new or changed)',
        '  subjects:      4, 1 service account(s) (4 new or changed)',
        '  API keys:      2 (+2 -1)',
        '  role bindings: 6 (+6 -0)',
        '  teams:         1 (+1)',
        '  team bindings: 1 (+1 -0)',
        '',
      ].join('\n'),
    )
  })

  it('a replace in bulk, with release names', () => {
    const text = importReport('b.yaml', 'postgres://h/db', true, { ...COUNTS, releaseNames: 2, bulk: true }, 40)
    expect(text.split('\n')).toEqual([
      'imported b.yaml into postgres://h/db (replace: everything else removed) in 0.04 s',
      '  deployments:   3 (3 new or changed), 2 with a release name',
      '  subjects:      4, 1 service account(s) (4 new or changed)',
      '  API keys:      2 (+2 -1)',
      '  role bindings: 6 (+6 -0)',
      '  teams:         1 (+1)',
      '  team bindings: 1 (+1 -0)',
      '  notified: everything changed (bulk import)',
      '',
    ])
  })
})

describe('displayPath', () => {
  const cwd = resolve('/srv/permgate')
  it('a file below the working directory is shown relative to it, any other as given', () => {
    expect(displayPath(join(cwd, 'bindings', 'b.yaml'), cwd)).toBe(join('bindings', 'b.yaml'))
    expect(displayPath(resolve('/etc/permgate/b.yaml'), cwd)).toBe(resolve('/etc/permgate/b.yaml'))
  })
})
