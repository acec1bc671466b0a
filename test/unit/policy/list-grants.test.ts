import { describe, expect, it } from 'vitest'
import { compilePolicy } from '../../../src/policy/compile.js'
import { loadPolicy } from '../../../src/policy/load.js'
import { decideQuery, storeOf } from '../../helpers/decide.js'
import { thrown } from '../../helpers/errors.js'
import { manifest, tempFiles } from '../../helpers/tmp.js'

/**
 * The escalation guard over a list of grants in one argument (Houston 0.3x
 * `workspaceAddTeam(..., deploymentRoles: [{ deploymentId, role }])`): every element is guarded at
 * its own deployment, within the workspace the operation names.
 */
const ROLES = `roles:
  SYSTEM_ADMIN:
    permissions:
      ? system.iam.update
      ? workspace.iam.update
      ? workspace.config.get
      ? deployment.config.get
      ? deployment.config.update
  WORKSPACE_ADMIN:
    permissions:
      ? workspace.iam.update
      ? workspace.config.get
  WORKSPACE_VIEWER:
    permissions:
      ? workspace.config.get
  TEAM_MANAGER:
    permissions:
      ? workspace.iam.update
      ? workspace.config.get
      ? deployment.config.get
  DEPLOYMENT_ADMIN:
    permissions:
      ? deployment.config.get
      ? deployment.config.update
  DEPLOYMENT_VIEWER:
    permissions:
      ? deployment.config.get
`
const RULES = `rules:
  - field: Mutation.workspaceAddTeam
    permissions: [workspace.iam.update, system.iam.update]
    op: OR
    scope: [{ workspace: workspaceUuid }]
  - field: Mutation.grantDeploymentRoles
    permissions: [workspace.iam.update, system.iam.update]
    op: OR
    scope: [{ workspace: workspaceUuid }]
`
const POLICY = `${manifest()}
cascades:
  - { from: workspace, to: deployment, roles: { WORKSPACE_ADMIN: DEPLOYMENT_ADMIN, WORKSPACE_VIEWER: DEPLOYMENT_VIEWER } }
roleScopes:
  system: [SYSTEM_ADMIN]
  workspace: [WORKSPACE_ADMIN, WORKSPACE_VIEWER]
  deployment: [DEPLOYMENT_ADMIN, DEPLOYMENT_VIEWER]
conditions:
  # the team's workspace role, and a deployment role per element of deploymentRoles
  Mutation.workspaceAddTeam:
    grants:
      - { role: role, default: WORKSPACE_VIEWER }
      - { each: deploymentRoles, role: role, entity: deploymentId, scope: deployment, within: workspaceUuid }
  # the same list without within: only the caller's own rights bound it
  Mutation.grantDeploymentRoles:
    grants: { each: deploymentRoles, role: role, entity: deploymentId, scope: deployment }
`
const policy = compilePolicy(loadPolicy(tempFiles({ 'policy.yaml': POLICY, 'roles.yaml': ROLES, 'rules.yaml': RULES })))
const store = storeOf(
  {
    // may manage w1's teams, and holds DEPLOYMENT_ADMIN on d1 only (nothing on d2)
    manager: [{ role: 'TEAM_MANAGER', workspace: 'w1' }, { role: 'DEPLOYMENT_ADMIN', deployment: 'd1' }],
    // admin of both workspaces: everything on d1, d2 (w1) and d3 (w2)
    'ws-admin': [{ role: 'WORKSPACE_ADMIN', workspace: 'w1' }, { role: 'WORKSPACE_ADMIN', workspace: 'w2' }],
    'sys-admin': [{ role: 'SYSTEM_ADMIN' }],
  },
  { d1: 'w1', d2: 'w1', d3: 'w2' },
)

const outcome = (who: string, query: string, variables?: Record<string, unknown>): string => {
  const d = decideQuery(policy, store, who, query, variables)
  return d.allowed ? 'allowed' : d.reason
}
const addTeam = (roles: string, who = 'manager', ws = '"w1"'): string =>
  outcome(who, `mutation { workspaceAddTeam(workspaceUuid: ${ws}, teamUuid: "t1", role: WORKSPACE_VIEWER${roles === '' ? '' : `, deploymentRoles: ${roles}`}) }`)

describe('list grants: every element guarded at its own deployment', () => {
  it.each([
    ['every element within the caller’s rights', '[{ deploymentId: "d1", role: DEPLOYMENT_ADMIN }, { deploymentId: "d1", role: DEPLOYMENT_VIEWER }]', 'allowed'],
    ['one element on a deployment the caller holds nothing on', '[{ deploymentId: "d1", role: DEPLOYMENT_ADMIN }, { deploymentId: "d2", role: DEPLOYMENT_VIEWER }]', 'escalation'],
    ['an element granting a role of another scope', '[{ deploymentId: "d1", role: WORKSPACE_ADMIN }]', 'escalation'],
    ['an element granting a role no scope may grant', '[{ deploymentId: "d1", role: TEAM_MANAGER }]', 'escalation'],
    ['an element without a role', '[{ deploymentId: "d1" }]', 'escalation'],
    ['an element with a null role', '[{ deploymentId: "d1", role: null }]', 'escalation'],
    ['an element without its deployment', '[{ role: DEPLOYMENT_VIEWER }]', 'escalation'],
    ['an element whose deployment is no id', '[{ deploymentId: { id: "d1" }, role: DEPLOYMENT_VIEWER }]', 'escalation'],
    ['an empty list: nothing granted', '[]', 'allowed'],
    ['a null list: nothing granted', 'null', 'allowed'],
    ['no list: nothing granted', '', 'allowed'],
  ])('%s -> %s', (_name, roles, want) => {
    expect(addTeam(roles)).toBe(want)
  })

  it.each([
    // GraphQL coerces one object to a list of one; read for sure or denied
    ['one object where the list belongs', '{ deploymentId: "d1", role: DEPLOYMENT_VIEWER }'],
    ['a string', '"d1"'],
    ['a list of strings', '["d1"]'],
    ['a list holding null', '[null]'],
    ['a list of lists', '[[{ deploymentId: "d1", role: DEPLOYMENT_VIEWER }]]'],
    ['an element with a __proto__ field', '[{ deploymentId: "d1", role: DEPLOYMENT_VIEWER, __proto__: { role: DEPLOYMENT_ADMIN } }]'],
    ['an element with a constructor field', '[{ deploymentId: "d1", role: DEPLOYMENT_VIEWER, constructor: "x" }]'],
  ])('not a list of plain objects: %s -> escalation', (_name, roles) => {
    expect(addTeam(roles, 'sys-admin')).toBe('escalation')
  })

  it('the top-level grant of the same field is guarded too', () => {
    expect(outcome('manager', 'mutation { workspaceAddTeam(workspaceUuid: "w1", teamUuid: "t1", role: WORKSPACE_ADMIN) }')).toBe('escalation')
    expect(outcome('manager', 'mutation { workspaceAddTeam(workspaceUuid: "w1", teamUuid: "t1") }')).toBe('allowed')
  })

  it('within: every element’s deployment must be the workspace’s', () => {
    const d3 = '[{ deploymentId: "d3", role: DEPLOYMENT_VIEWER }]'
    // the caller holds DEPLOYMENT_ADMIN on d3 (from w2), yet an operation on w1 must not grant on w2's deployments
    expect(addTeam(d3, 'ws-admin')).toBe('escalation')
    expect(addTeam(d3, 'ws-admin', '"w2"')).toBe('allowed')
    expect(outcome('ws-admin', `mutation { grantDeploymentRoles(workspaceUuid: "w1", deploymentRoles: ${d3}) }`)).toBe('allowed')
    // a deployment the store does not know is no workspace's
    expect(addTeam('[{ deploymentId: "d9", role: DEPLOYMENT_VIEWER }]', 'sys-admin')).toBe('escalation')
    // no workspace named: the elements cannot be placed
    expect(outcome('sys-admin', 'mutation { workspaceAddTeam(teamUuid: "t1", deploymentRoles: [{ deploymentId: "d1", role: DEPLOYMENT_VIEWER }]) }')).toBe('escalation')
    expect(addTeam('[{ deploymentId: "d1", role: DEPLOYMENT_ADMIN }]', 'sys-admin')).toBe('allowed')
  })

  const Q = 'mutation($ws: Uuid!, $r: [DeploymentRoles!]) { workspaceAddTeam(workspaceUuid: $ws, teamUuid: "t1", role: WORKSPACE_VIEWER, deploymentRoles: $r) }'
  it.each([
    ['allowed elements', [{ deploymentId: 'd1', role: 'DEPLOYMENT_ADMIN' }], 'allowed'],
    ['one element escalating', [{ deploymentId: 'd1', role: 'DEPLOYMENT_VIEWER' }, { deploymentId: 'd2', role: 'DEPLOYMENT_ADMIN' }], 'escalation'],
    ['an element with its role as a JSON string', [{ deploymentId: 'd1', role: '{"role":"DEPLOYMENT_VIEWER"}' }], 'escalation'],
    ['not a list', { deploymentId: 'd1', role: 'DEPLOYMENT_VIEWER' }, 'escalation'],
    ['an element that is a string', ['d1'], 'escalation'],
    ['an empty list', [], 'allowed'],
    ['null', null, 'allowed'],
  ])('in a variable: %s -> %s', (_name, r, want) => {
    expect(outcome('manager', Q, { ws: 'w1', r })).toBe(want)
  })

  it('in a variable: an element with an own __proto__ or constructor key (as JSON.parse makes it) -> escalation', () => {
    for (const json of ['[{"deploymentId":"d1","role":"DEPLOYMENT_VIEWER","__proto__":{"role":"DEPLOYMENT_ADMIN"}}]', '[{"deploymentId":"d1","role":"DEPLOYMENT_VIEWER","constructor":{}}]']) {
      expect(outcome('manager', Q, { ws: 'w1', r: JSON.parse(json) as unknown })).toBe('escalation')
    }
  })

  it('variables inside a literal list, and a list from the variable’s default', () => {
    const inside = 'mutation($d: ID!, $role: Role!) { workspaceAddTeam(workspaceUuid: "w1", teamUuid: "t1", deploymentRoles: [{ deploymentId: $d, role: $role }]) }'
    expect(outcome('manager', inside, { d: 'd1', role: 'DEPLOYMENT_ADMIN' })).toBe('allowed')
    expect(outcome('manager', inside, { d: 'd2', role: 'DEPLOYMENT_VIEWER' })).toBe('escalation')
    const dflt = 'mutation($r: [DeploymentRoles!] = [{ deploymentId: "d2", role: DEPLOYMENT_VIEWER }]) { workspaceAddTeam(workspaceUuid: "w1", teamUuid: "t1", deploymentRoles: $r) }'
    expect(outcome('manager', dflt, {})).toBe('escalation')
    expect(outcome('manager', dflt, { r: [{ deploymentId: 'd1', role: 'DEPLOYMENT_VIEWER' }] })).toBe('allowed')
  })
})

describe('list grant validation', () => {
  const load = (grants: string): string =>
    thrown(() => compilePolicy(loadPolicy(tempFiles({
      'policy.yaml': POLICY.replace(/ {2}Mutation\.grantDeploymentRoles:\n.*\n/, `  Mutation.grantDeploymentRoles:\n    grants: ${grants}\n`),
      'roles.yaml': ROLES,
      'rules.yaml': RULES,
    })))).code

  it.each([
    ['each without a scope', '{ each: deploymentRoles, role: role, entity: deploymentId }'],
    ['each with scopeFrom', '{ each: deploymentRoles, role: role, entity: deploymentId, scopeFrom: { arg: kind, values: { D: deployment } } }'],
    ['each without an entity', '{ each: deploymentRoles, role: role, scope: deployment }'],
    ['within without each', '{ role: role, scope: deployment, within: workspaceUuid }'],
    ['within on a workspace list', '{ each: workspaceRoles, role: role, entity: workspaceId, scope: workspace, within: workspaceUuid }'],
    ['a malformed each path', '{ each: "deployment roles", role: role, entity: deploymentId, scope: deployment }'],
    ['an empty list of grants', '[]'],
    ['an unknown key in a listed grant', '[{ role: role, scope: workspace }, { each: deploymentRoles, role: role, entity: deploymentId, scope: deployment, limit: 3 }]'],
  ])('%s is PERMGATE_ERR_POLICY_CONDITION', (_name, grants) => {
    expect(load(grants)).toBe('PERMGATE_ERR_POLICY_CONDITION')
  })
})
