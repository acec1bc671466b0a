import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { PermgateError } from '../../../src/errors.js'
import { compilePolicy } from '../../../src/policy/compile.js'
import { loadPolicy } from '../../../src/policy/load.js'
import { decideQuery, storeOf } from '../../helpers/decide.js'
import { POLICY_HOUSTON, SHARED } from '../../helpers/shared.js'
import { tempFiles } from '../../helpers/tmp.js'

function houstonWith(...overlays: string[]) {
  const dir = tempFiles(Object.fromEntries(overlays.map((text, i) => [`overlay-${i}.yaml`, text])))
  return compilePolicy(loadPolicy(POLICY_HOUSTON, { overlays: overlays.map((_, i) => join(dir, `overlay-${i}.yaml`)) }))
}

const store = storeOf({
  'dep-editor': [{ role: 'DEPLOYMENT_EDITOR', deployment: 'd1' }],
  'dep-admin': [{ role: 'DEPLOYMENT_ADMIN', deployment: 'd1' }],
  'ws-editor': [{ role: 'WORKSPACE_EDITOR', workspace: 'w1' }],
  'dep-viewer': [{ role: 'DEPLOYMENT_VIEWER', deployment: 'd1' }],
  'sys-editor': [{ role: 'SYSTEM_EDITOR' }],
  'sys-admin': [{ role: 'SYSTEM_ADMIN' }],
  releaser: [{ role: 'DEPLOYMENT_RELEASER', deployment: 'd1' }],
  plain: [],
})
const UPDATE_D1 = 'mutation { updateDeployment(deploymentUuid: "d1") }'

describe('Helm-style overlays', () => {
  it('nested astronomer.houston.config.roles: true grants', () => {
    const before = houstonWith()
    const after = houstonWith(`astronomer:
  houston:
    config:
      roles:
        DEPLOYMENT_VIEWER:
          permissions:
            deployment.config.update: true
`)
    expect(decideQuery(before, store, 'dep-viewer', UPDATE_D1).allowed).toBe(false)
    expect(decideQuery(after, store, 'dep-viewer', UPDATE_D1).allowed).toBe(true)
    expect(after.roles.get('DEPLOYMENT_VIEWER')?.overriddenBy).toHaveLength(1)
  })

  it('bare roles: false revokes, also through the workspace cascade, but not from roles that list it themselves', () => {
    const p = houstonWith('roles:\n  DEPLOYMENT_EDITOR:\n    permissions:\n      deployment.config.update: false\n')
    expect(decideQuery(p, store, 'dep-editor', UPDATE_D1).allowed).toBe(false)
    expect(decideQuery(p, store, 'ws-editor', UPDATE_D1).allowed).toBe(false)
    expect(decideQuery(p, store, 'dep-admin', UPDATE_D1).allowed).toBe(true)
    expect(p.roles.get('DEPLOYMENT_EDITOR')?.permissions).not.toContain('deployment.config.update')
  })

  it('false revokes an inherited permission (SYSTEM_EDITOR inherits system.serviceAccounts.get from SYSTEM_VIEWER)', () => {
    const q = 'query { workspaceServiceAccounts(workspaceUuid: "w9") { id } }'
    expect(decideQuery(houstonWith(), store, 'sys-editor', q).allowed).toBe(true)
    const p = houstonWith('roles:\n  SYSTEM_EDITOR:\n    permissions:\n      system.serviceAccounts.get: false\n')
    expect(decideQuery(p, store, 'sys-editor', q).allowed).toBe(false)
    expect(p.roles.get('SYSTEM_VIEWER')?.permissions).toContain('system.serviceAccounts.get')
  })

  it('a new role id defines a custom role', () => {
    const p = houstonWith(`roles:
  DEPLOYMENT_RELEASER:
    name: Deployment Releaser
    permissions:
      deployment.config.get: true
      deployment.config.update: true
`)
    expect(p.roles.get('DEPLOYMENT_RELEASER')?.name).toBe('Deployment Releaser')
    expect(decideQuery(p, store, 'releaser', UPDATE_D1).allowed).toBe(true)
    expect(decideQuery(p, store, 'releaser', 'mutation { deleteDeployment(deploymentUuid: "d1") }').allowed).toBe(false)
  })

  it('limits workspace creation as the Astronomer docs describe (USER loses it, SYSTEM_ADMIN gains it)', () => {
    const p = houstonWith(`astronomer:
  houston:
    config:
      roles:
        USER:
          permissions:
            system.workspace.create: false
        SYSTEM_ADMIN:
          permissions:
            system.workspace.create: true
`)
    const q = 'mutation { createWorkspace(label: "x") { id } }'
    expect(decideQuery(houstonWith(), store, 'plain', q).allowed).toBe(true)
    expect(decideQuery(p, store, 'plain', q).allowed).toBe(false)
    expect(decideQuery(p, store, 'sys-admin', q).allowed).toBe(true)
  })

  it('applies overlays in order: a later one wins', () => {
    const revoke = 'roles:\n  DEPLOYMENT_EDITOR:\n    permissions:\n      deployment.config.update: false\n'
    const grant = 'roles:\n  DEPLOYMENT_EDITOR:\n    permissions:\n      deployment.config.update: true\n'
    expect(decideQuery(houstonWith(revoke, grant), store, 'dep-editor', UPDATE_D1).allowed).toBe(true)
    expect(decideQuery(houstonWith(grant, revoke), store, 'dep-editor', UPDATE_D1).allowed).toBe(false)
  })

  it('rejects an overlay naming an unknown permission, with its file and line', () => {
    const e = (() => {
      try {
        houstonWith('roles:\n  DEPLOYMENT_EDITOR:\n    permissions:\n      deployment.images.pusj: true\n')
      } catch (err) {
        return err as PermgateError
      }
      throw new Error('accepted')
    })()
    expect(e.code).toBe('PERMGATE_ERR_POLICY_UNKNOWN_PERMISSION')
    expect(e.place?.file).toMatch(/overlay-0\.yaml$/)
    expect(e.place?.line).toBe(4)
  })

  it('rejects an overlay that only revokes on a role that does not exist (a typo)', () => {
    expect(() => houstonWith('roles:\n  DEPLOYMENT_EDITR:\n    permissions:\n      deployment.images.push: false\n')).toThrowError(
      expect.objectContaining({ code: 'PERMGATE_ERR_POLICY_UNKNOWN_ROLE' }),
    )
  })
})

describe("Houston's older list format (seed 001)", () => {
  // The Helm values block of the "Configuring Permissions" document, loaded as a roles file.
  const seed = readFileSync(join(SHARED, 'seeds', '001_f868c2e297d5bc67.txt'), 'utf8')
  const yaml = /```yaml\n([\s\S]*?)```/.exec(seed)?.[1] ?? ''
  const rules = `rules:
  - field: Mutation.updateDeployment
    permissions: [deployment.config.update, system.deployments.update]
    op: OR
    scope: [{ deployment: deploymentUuid }]
  - field: Query.deployments
    permissions: [system.deployments.get]
`
  const dir = tempFiles({ 'policy.yaml': 'name: seed-001\nroles: roles.yaml\nrules: rules.yaml\n', 'roles.yaml': yaml, 'rules.yaml': rules })
  const policy = compilePolicy(loadPolicy(dir))

  it('loads every role of the list with exactly the permissions it lists', () => {
    expect(yaml).toContain('- id: SYSTEM_ADMIN')
    expect([...policy.roles.keys()].sort()).toEqual([
      'DEPLOYMENT_ADMIN', 'DEPLOYMENT_EDITOR', 'DEPLOYMENT_VIEWER', 'SYSTEM_ADMIN', 'SYSTEM_EDITOR', 'SYSTEM_VIEWER',
      'WORKSPACE_ADMIN', 'WORKSPACE_EDITOR', 'WORKSPACE_VIEWER',
    ])
    expect(policy.roles.get('SYSTEM_VIEWER')?.permissions).toEqual(['system.airflow.get', 'system.monitoring.get', 'system.serviceAccounts.get'])
    // the point of the document: DEPLOYMENT_EDITOR without deployment.images.push
    expect(policy.roles.get('DEPLOYMENT_EDITOR')?.permissions).not.toContain('deployment.images.push')
    expect(policy.roles.get('DEPLOYMENT_ADMIN')?.permissions).toContain('deployment.images.push')
  })

  it('decides with it', () => {
    const s = storeOf({ ed: [{ role: 'DEPLOYMENT_EDITOR', deployment: 'd1' }], sv: [{ role: 'SYSTEM_VIEWER' }], sa: [{ role: 'SYSTEM_ADMIN' }] })
    expect(decideQuery(policy, s, 'ed', UPDATE_D1).allowed).toBe(true)
    expect(decideQuery(policy, s, 'ed', 'mutation { updateDeployment(deploymentUuid: "d2") }').allowed).toBe(false)
    expect(decideQuery(policy, s, 'sv', '{ deployments { id } }').allowed).toBe(false)
    expect(decideQuery(policy, s, 'sa', '{ deployments { id } }').allowed).toBe(true)
  })

  it('as an overlay, a list replaces the whole role list (Helm replaces lists)', () => {
    const o = tempFiles({ 'values.yaml': yaml })
    const p = compilePolicy(loadPolicy(dirWithNoUser(), { overlays: [join(o, 'values.yaml')] }))
    expect(p.roles.has('USER')).toBe(false)
    expect(p.roles.get('DEPLOYMENT_EDITOR')?.permissions).not.toContain('deployment.images.push')
  })
})

/** policies/houston without the synthetic USER binding (the v0.10 list has no USER role). */
function dirWithNoUser(): string {
  const text = readFileSync(join(POLICY_HOUSTON, 'policy.yaml'), 'utf8')
    .replace('syntheticRoles: [USER]', 'syntheticRoles: []')
    .replace(/^roles: roles\.yaml/m, `roles: ${join(POLICY_HOUSTON, 'roles.yaml')}`)
    .replace(/^rules: rules\.yaml/m, 'rules: rules.yaml')
    .replace(/^conditions:.*$/m, 'conditions: {}')
  return tempFiles({ 'policy.yaml': text, 'rules.yaml': 'rules: []\n' })
}
