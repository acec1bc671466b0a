import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { compilePolicy } from '../../../src/policy/compile.js'
import { loadPolicy } from '../../../src/policy/load.js'
import { houstonRoles, POLICY_HOUSTON, POLICY_HOUSTON_035 } from '../../helpers/shared.js'
import { manifest, tempFiles } from '../../helpers/tmp.js'
import { cli } from '../../helpers/cli.js'

interface Change {
  role: string
  field: string
  a: string
  b: string
  absentIn?: string
}

async function jsonDiff(args: string[]): Promise<{ changes: Change[]; summary: Record<string, number> }> {
  const r = await cli(['diff', ...args, '--format', 'json'])
  expect(r.code).toBe(0)
  return JSON.parse(r.out) as { changes: Change[]; summary: Record<string, number> }
}

const has = (file: 'roles-v0.12.1.json' | 'roles-0.35.json', role: string, permission: string): boolean =>
  houstonRoles(file)[role]?.permissions.includes(permission) ?? false

describe('permgate diff', () => {
  it('houston -> houston-0.35 lists the changed decisions as a table grouped by role', async () => {
    const r = await cli(['diff', '--policy', POLICY_HOUSTON, '--policy', POLICY_HOUSTON_035])
    expect(r.code).toBe(0)
    expect(r.err).toBe('')
    expect(r.out).toMatch(/^role +\| field +\| A +\| B$/m)
    expect(r.out).toMatch(/^SYSTEM_VIEWER +\| Query\.deployments +\| deny +\| allow$/m)
    expect(r.out).toMatch(/^WORKSPACE_ADMIN +\| Query\.card +\| allow +\| deny$/m)
    expect(r.out).toMatch(/^ +\| Mutation\.addCard +\| allow +\| deny$/m)
    // the union of both policies' root fields: houston-0.35 has Houston 0.3x's 101, a superset of v0.12.1's 62
    expect(r.out).toMatch(/^\d+ decisions change \(\d+ newly allowed, \d+ newly denied\) over 12 roles x 101 fields$/m)
  })

  it('houston -> houston-0.35 as JSON, with changes derived from the Houston role files', async () => {
    // Query.deployments needs system.deployments.get, which SYSTEM_VIEWER gains in 0.35.
    expect(has('roles-v0.12.1.json', 'SYSTEM_VIEWER', 'system.deployments.get')).toBe(false)
    expect(has('roles-0.35.json', 'SYSTEM_VIEWER', 'system.deployments.get')).toBe(true)
    // Mutation.addCard needs workspace.billing.update, which no 0.35 role grants.
    expect(has('roles-v0.12.1.json', 'WORKSPACE_ADMIN', 'workspace.billing.update')).toBe(true)
    expect(Object.values(houstonRoles('roles-0.35.json')).some((r) => r.permissions.includes('workspace.billing.update'))).toBe(false)

    const d = await jsonDiff(['--policy', POLICY_HOUSTON, '--policy', POLICY_HOUSTON_035])
    expect(d.changes).toContainEqual({ role: 'SYSTEM_VIEWER', field: 'Query.deployments', a: 'deny', b: 'allow' })
    expect(d.changes).toContainEqual({ role: 'WORKSPACE_ADMIN', field: 'Mutation.addCard', a: 'allow', b: 'deny' })
    // for anonymous callers only appConfig changes: public since Houston 0.16 (clients probe it before they log in)
    expect(d.changes.filter((c) => c.role === 'anonymous')).toEqual([{ role: 'anonymous', field: 'Query.appConfig', a: 'deny', b: 'allow' }])
    expect(d.summary).toEqual({
      changes: d.changes.length,
      newlyAllowed: d.changes.filter((c) => c.b === 'allow').length,
      newlyDenied: d.changes.filter((c) => c.b === 'deny').length,
      roles: 12,
      fields: 101,
    })
  })

  it('a policy diffed with itself reports no change', async () => {
    const r = await cli(['diff', '--policy', POLICY_HOUSTON, '--policy', POLICY_HOUSTON])
    expect(r.code).toBe(0)
    expect(r.out).not.toMatch(/^role +\|/m)
    expect(r.out).toContain('0 decisions change (0 newly allowed, 0 newly denied) over 12 roles x 62 fields')
  })

  it('an overlay revoking deployment.config.update from DEPLOYMENT_EDITOR changes it and, through the cascade on d1 in w1, WORKSPACE_EDITOR', async () => {
    const dir = tempFiles({ 'revoke.yaml': 'roles:\n  DEPLOYMENT_EDITOR:\n    permissions:\n      deployment.config.update: false\n' })
    const d = await jsonDiff(['--policy', POLICY_HOUSTON, '--policy', POLICY_HOUSTON, '--overlay-b', join(dir, 'revoke.yaml')])
    const needing = [...compilePolicy(loadPolicy(POLICY_HOUSTON)).rules.values()]
      .filter((r) => r.permissions.includes('deployment.config.update'))
      .map((r) => r.key)
    expect(needing).toEqual(['Mutation.updateDeployment', 'Mutation.deploymentAlertsUpdate', 'Mutation.upgradeDeployment'])
    // DEPLOYMENT_ADMIN (and so WORKSPACE_ADMIN's cascade) lists the permission itself: unchanged.
    // rows follow the roles' order in roles.yaml: workspace roles first
    expect(d.changes).toEqual(['WORKSPACE_EDITOR', 'DEPLOYMENT_EDITOR'].flatMap((role) => needing.map((field) => ({ role, field, a: 'allow', b: 'deny' }))))
    expect(d.summary).toMatchObject({ changes: 6, newlyAllowed: 0, newlyDenied: 6 })
  })

  it('a role absent from one policy is denied everything there; --schema chooses the fields', async () => {
    const rules = 'rules:\n  - field: Query.a\n    permissions: [workspace.a.get]\n    scope: [{ workspace: w }]\n  - field: Query.open\n    access: public\n'
    const base = tempFiles({
      'policy.yaml': manifest(),
      'roles.yaml': 'roles:\n  WORKSPACE_A:\n    permissions: { workspace.a.get: true }\n',
      'rules.yaml': rules,
      'schema.graphql': 'type Query { a(w: ID): Int, open: Int, unruled: Int }\n',
    })
    const custom = tempFiles({
      'policy.yaml': manifest(),
      'roles.yaml': 'roles:\n  READER:\n    permissions: { workspace.a.get: true, system.x.get: true, workspace.b.get: true }\n',
      'rules.yaml': rules,
    })
    const r = await cli(['diff', '--policy', base, '--policy', custom, '--schema', join(base, 'schema.graphql')])
    expect(r.code).toBe(0)
    expect(r.out).toContain("scope chosen by the majority of the role's permissions: READER (workspace)")
    expect(r.out).toMatch(/^WORKSPACE_A +\| Query\.a +\| allow +\| deny \(role absent\)$/m)
    expect(r.out).toMatch(/^READER +\| Query\.a +\| deny \(role absent\) +\| allow$/m)
    // absent means denied everything, public fields included; a field with no rule is denied in both
    expect(r.out).toMatch(/^ +\| Query\.open +\| allow +\| deny \(role absent\)$/m)
    expect(r.out).not.toContain('Query.unruled')
    expect(r.out).toContain('4 decisions change (2 newly allowed, 2 newly denied) over 4 roles x 3 fields')
  })

  it('usage errors exit 2, policy errors exit 1', async () => {
    expect((await cli(['diff'])).code).toBe(2)
    expect((await cli(['diff', '--policy', POLICY_HOUSTON])).code).toBe(2)
    expect((await cli(['diff', '--policy', POLICY_HOUSTON, '--policy', POLICY_HOUSTON, '--policy', POLICY_HOUSTON])).code).toBe(2)
    expect((await cli(['diff', '--policy', POLICY_HOUSTON, '--policy', POLICY_HOUSTON, '--format', 'csv'])).code).toBe(2)
    expect((await cli(['diff', '--policy', POLICY_HOUSTON, '--policy', POLICY_HOUSTON, '--overlay', 'x.yaml'])).code).toBe(2)
    const missing = await cli(['diff', '--policy', POLICY_HOUSTON, '--policy', join(POLICY_HOUSTON, 'nope')])
    expect(missing.code).toBe(1)
    expect(missing.err).toMatch(/^error PERMGATE_ERR_POLICY_NOT_FOUND/)
  })
})
