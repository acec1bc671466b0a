import { describe, expect, it } from 'vitest'
import { checkSchema, subjectOf, teamsOf, type Query } from '../../../../src/bindings/pg/queries.js'

describe('rows into bindings', () => {
  it('a subject: kind, its own and its teams’ bindings in order, its teams', () => {
    const read = subjectOf([
      { k: 0, a: 'serviceAccount', b: null, c: null },
      { k: 1, a: 'R1', b: 'w1', c: null },
      { k: 1, a: 'R2', b: null, c: 'd1' },
      { k: 2, a: 'ops', b: null, c: null },
      { k: 3, a: 'OPS', b: null, c: null },
    ])
    expect(read).toEqual({
      entry: { kind: 'serviceAccount', bindings: [{ role: 'R1', workspace: 'w1' }, { role: 'R2', deployment: 'd1' }, { role: 'OPS' }] },
      teams: ['ops'],
    })
    expect(Object.isFrozen(read.entry?.bindings)).toBe(true)
  })

  it('bindings without a subjects row are a user’s; no rows at all is no entry', () => {
    expect(subjectOf([{ k: 1, a: 'R', b: null, c: null }]).entry).toEqual({ kind: 'user', bindings: [{ role: 'R' }] })
    expect(subjectOf([])).toEqual({ entry: undefined, teams: [] })
    // a membership alone is an entry: the subject exists for the team's sake
    expect(subjectOf([{ k: 2, a: 'ops', b: null, c: null }]).entry).toEqual({ kind: 'user', bindings: [] })
  })

  it('teams: grouped by team, frozen', () => {
    const by = teamsOf([
      { team_id: 'ops', role: 'A', workspace_id: null, deployment_id: null },
      { team_id: 'dev', role: 'B', workspace_id: 'w', deployment_id: null },
      { team_id: 'ops', role: 'C', workspace_id: null, deployment_id: 'd' },
    ])
    expect(Object.fromEntries(by)).toEqual({ ops: [{ role: 'A' }, { role: 'C', deployment: 'd' }], dev: [{ role: 'B', workspace: 'w' }] })
    expect(Object.isFrozen(by.get('ops'))).toBe(true)
  })
})

describe('checkSchema', () => {
  const answering = (missingTables: string[], hasColumn: boolean): Query =>
    (async (_name: string | undefined, text: string) => (text.includes('unnest') ? missingTables.map((t) => ({ t })) : hasColumn ? [{ '?column?': 1 }] : [])) as Query

  it('passes a migrated database', async () => {
    await expect(checkSchema(answering([], true), 'h:5432/db')).resolves.toBeUndefined()
  })

  it('names the missing tables, and the missing column of a later migration', async () => {
    await expect(checkSchema(answering(['permgate_subjects'], true), 'h:5432/db')).rejects.toMatchObject({
      code: 'PERMGATE_ERR_BINDINGS_DATABASE',
      message: expect.stringMatching(/at h:5432\/db has no permgate tables \(missing: permgate_subjects\).*permgate bindings migrate/),
    })
    await expect(checkSchema(answering([], false), 'h:5432/db')).rejects.toMatchObject({ message: expect.stringMatching(/lacks permgate_deployments\.release_name/) })
  })
})
