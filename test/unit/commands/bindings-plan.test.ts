import { describe, expect, it } from 'vitest'
import { anyChange, batches, importCounts, planImport, type BindingsData, type ImportChanges } from '../../../src/commands/bindings/plan.js'

// What an import writes, column by column, computed without a database.
const KEY = 'a'.repeat(64)
const DATA: BindingsData = {
  deployments: new Map([['d1', 'w1'], ['d2', 'w1'], ['d3', 'w2']]),
  releaseNames: new Map([['d2', 'rel-2']]),
  subjects: new Map([
    ['u-1', { kind: 'user', bindings: [{ role: 'SYSTEM_VIEWER' }, { role: 'WORKSPACE_ADMIN', workspace: 'w1' }] }],
    ['sa-1', { kind: 'serviceAccount', apiKeySha256: KEY, bindings: [{ role: 'DEPLOYMENT_EDITOR', deployment: 'd1' }] }],
    ['sa-2', { kind: 'serviceAccount', bindings: [] }],
  ]),
  groups: new Map([['ops', [{ role: 'SYSTEM_EDITOR' }]], ['empty', []]]),
}
const NOTHING: ImportChanges = {
  deployments: 0, subjects: 0, apiKeysAdded: 0, apiKeysRemoved: 0, roleBindingsAdded: 0, roleBindingsRemoved: 0, teamsAdded: 0, teamBindingsAdded: 0, teamBindingsRemoved: 0,
}

describe('planImport', () => {
  const plan = planImport(DATA, { replace: false, bulkThreshold: 100 })

  it('one array per column, rows aligned; a deployment without a release name has NULL', () => {
    expect(plan.deployments).toEqual({ id: ['d1', 'd2', 'd3'], ws: ['w1', 'w1', 'w2'], release: [null, 'rel-2', null] })
    expect(plan.subjects).toEqual({ id: ['u-1', 'sa-1', 'sa-2'], kind: ['user', 'serviceAccount', 'serviceAccount'], key: [null, KEY, null] })
  })

  it('API key rows only for the subjects that have one', () => {
    expect(plan.keys).toEqual({ sha256: [KEY], subject: ['sa-1'] })
  })

  it('role and team bindings as rows of owner, role, workspace, deployment (absent scopes NULL)', () => {
    const rows = (c: typeof plan.roleBindings) => c.owner.map((o, i) => [o, c.role[i], c.workspace[i], c.deployment[i]])
    expect(rows(plan.roleBindings)).toEqual([
      ['u-1', 'SYSTEM_VIEWER', null, null],
      ['u-1', 'WORKSPACE_ADMIN', 'w1', null],
      ['sa-1', 'DEPLOYMENT_EDITOR', null, 'd1'],
    ])
    expect(plan.teams).toEqual(['ops', 'empty'])
    expect(rows(plan.teamBindings)).toEqual([['ops', 'SYSTEM_EDITOR', null, null]])
  })

  it('counts what the file holds', () => {
    expect(importCounts(plan, NOTHING, false)).toEqual({
      deployments: 3, releaseNames: 1, subjects: 3, serviceAccounts: 2, apiKeys: 1, roleBindings: 3, teams: 2, teamBindings: 1, changed: NOTHING, bulk: false,
    })
  })

  it('is a bulk import from the threshold of role and team bindings on, and always for a replace', () => {
    // 3 role + 1 team bindings
    expect(planImport(DATA, { replace: false, bulkThreshold: 5 }).bulk).toBe(false)
    expect(planImport(DATA, { replace: false, bulkThreshold: 4 }).bulk).toBe(true)
    expect(planImport(DATA, { replace: true, bulkThreshold: Infinity }).bulk).toBe(true)
  })

  it('an empty file plans nothing', () => {
    const empty = planImport({ deployments: new Map(), subjects: new Map(), groups: new Map() }, { replace: false, bulkThreshold: 0 })
    expect(importCounts(empty, NOTHING, false)).toMatchObject({ deployments: 0, subjects: 0, roleBindings: 0, teams: 0 })
  })
})

describe('batches', () => {
  it('slices every column alike, the last slice short', () => {
    expect([...batches<unknown>([['a', 'b', 'c', 'd', 'e'], [1, 2, 3, 4, 5]], 2)]).toEqual([
      [['a', 'b'], [1, 2]],
      [['c', 'd'], [3, 4]],
      [['e'], [5]],
    ])
  })

  it('one slice when the rows fit, none for no rows', () => {
    expect([...batches([['a', 'b']], 50_000)]).toEqual([[['a', 'b']]])
    expect([...batches([[], []], 2)]).toEqual([])
    expect([...batches([], 2)]).toEqual([])
  })
})

describe('anyChange', () => {
  it('any row added, removed or changed, except a new team (its table announces nothing)', () => {
    expect(anyChange(NOTHING)).toBe(false)
    expect(anyChange({ ...NOTHING, teamsAdded: 3 })).toBe(false)
    for (const k of Object.keys(NOTHING).filter((k) => k !== 'teamsAdded')) expect(anyChange({ ...NOTHING, [k]: 1 })).toBe(true)
  })
})
