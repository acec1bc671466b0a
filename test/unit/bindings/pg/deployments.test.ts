import { describe, expect, it } from 'vitest'
import { DeploymentMap } from '../../../../src/bindings/pg/deployments.js'
import { Q_DEPLOYMENT_ROWS, Q_DEPLOYMENTS } from '../../../../src/bindings/pg/queries.js'
import { FakeDatabase } from './fake-database.js'

const row = (id: string, workspace_id: string, release_name: string | null = null) => ({ id, workspace_id, release_name })

function setup() {
  const db = new FakeDatabase()
  let changes = 0
  const failures: unknown[] = []
  const map = new DeploymentMap(db.query, () => changes++)
  return { db, map, changes: () => changes, failures, failed: (e: unknown) => failures.push(e) }
}

describe('DeploymentMap', () => {
  it('a reload takes the table whole, and reports a change only when there is one', async () => {
    const { db, map, changes } = setup()
    const first = map.reload()
    await db.answer(Q_DEPLOYMENTS, [row('d1', 'w1', 'rel-a'), row('d2', 'w1')])
    await first
    expect([...map.workspaceOf]).toEqual([['d1', 'w1'], ['d2', 'w1']])
    expect(map.deploymentByReleaseName('rel-a')).toBe('d1')
    expect(changes()).toBe(1)
    const same = map.reload()
    await db.answer(Q_DEPLOYMENTS, [row('d1', 'w1', 'rel-a'), row('d2', 'w1')])
    await same
    expect(changes()).toBe(1)
    const renamed = map.reload()
    await db.answer(Q_DEPLOYMENTS, [row('d1', 'w1'), row('d2', 'w1', 'rel-a')])
    await renamed
    expect(map.deploymentByReleaseName('rel-a')).toBe('d2')
    expect(changes()).toBe(2)
  })

  it('rows named by notifications are read in one batch; a name moved within it is seen whole', async () => {
    const { db, map, changes, failed } = setup()
    const loaded = map.reload()
    await db.answer(Q_DEPLOYMENTS, [row('d1', 'w1', 'rel-a'), row('d2', 'w1', 'rel-b')])
    await loaded
    map.rowChanged('d1', failed)
    map.rowChanged('d2', failed)
    map.rowChanged('d3', failed)
    expect(await db.waiting()).toEqual([Q_DEPLOYMENT_ROWS])
    // the names swapped; d3 is new
    const values = await db.answer(Q_DEPLOYMENT_ROWS, [row('d1', 'w1', 'rel-b'), row('d2', 'w1', 'rel-a'), row('d3', 'w2')])
    expect(values).toEqual([['d1', 'd2', 'd3']])
    expect(map.deploymentByReleaseName('rel-a')).toBe('d2')
    expect(map.deploymentByReleaseName('rel-b')).toBe('d1')
    expect(map.workspaceOf.get('d3')).toBe('w2')
    expect(changes()).toBe(2)
    // a row gone
    map.rowChanged('d3', failed)
    await db.answer(Q_DEPLOYMENT_ROWS, [])
    expect(map.workspaceOf.has('d3')).toBe(false)
    expect(changes()).toBe(3)
    // a row read again unchanged: no change
    map.rowChanged('d1', failed)
    await db.answer(Q_DEPLOYMENT_ROWS, [row('d1', 'w1', 'rel-b')])
    expect(changes()).toBe(3)
  })

  it('reads run one after another: an older answer never overwrites a newer one', async () => {
    const { db, map, failed } = setup()
    const loaded = map.reload()
    map.rowChanged('d1', failed)
    // the row read waits for the reload to be answered
    expect(await db.waiting()).toEqual([Q_DEPLOYMENTS])
    await db.answer(Q_DEPLOYMENTS, [row('d1', 'w1')])
    await loaded
    await db.answer(Q_DEPLOYMENT_ROWS, [row('d1', 'w9')])
    expect(map.workspaceOf.get('d1')).toBe('w9')
  })

  it('a failed row read is reported (the map may now miss a change), and the queue goes on', async () => {
    const { db, map, failures, failed } = setup()
    map.rowChanged('d1', failed)
    const boom = new Error('connection reset')
    await db.fail(Q_DEPLOYMENT_ROWS, boom)
    expect(failures).toEqual([boom])
    const again = map.reload()
    await db.answer(Q_DEPLOYMENTS, [row('d1', 'w1')])
    await again
    expect(map.workspaceOf.get('d1')).toBe('w1')
  })
})
