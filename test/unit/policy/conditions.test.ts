import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import type { Binding } from '../../../src/bindings/types.js'
import type { Principal } from '../../../src/identity/types.js'
import { DocumentCache } from '../../../src/operation/cache.js'
import { Authorizer } from '../../../src/policy/authorizer.js'
import { compilePolicy } from '../../../src/policy/compile.js'
import { loadPolicy } from '../../../src/policy/load.js'
import type { CompiledPolicy } from '../../../src/policy/types.js'
import { decideQuery, storeOf } from '../../helpers/decide.js'
import { thrown } from '../../helpers/errors.js'
import { POLICY_HOUSTON, POLICY_HOUSTON_035 } from '../../helpers/shared.js'
import { tempFiles } from '../../helpers/tmp.js'

const HOUSTON = compilePolicy(loadPolicy(POLICY_HOUSTON))
const HOUSTON_035 = compilePolicy(loadPolicy(POLICY_HOUSTON_035))

const SUBJECTS: Record<string, Binding[]> = {
  'dep-editor': [{ role: 'DEPLOYMENT_EDITOR', deployment: 'd1' }],
  'dep-admin': [{ role: 'DEPLOYMENT_ADMIN', deployment: 'd1' }],
  'ws-admin': [{ role: 'WORKSPACE_ADMIN', workspace: 'w1' }],
  'ws-editor': [{ role: 'WORKSPACE_EDITOR', workspace: 'w1' }],
  'sys-editor': [{ role: 'SYSTEM_EDITOR' }],
  'sys-admin': [{ role: 'SYSTEM_ADMIN' }],
  'sa-deployer': [{ role: 'DEPLOYMENT_ADMIN', deployment: 'd1' }],
}
const STORE = storeOf(SUBJECTS, { d1: 'w1', d2: 'w1', d3: 'w2' })

/** allowed, or the reason of the denial */
function outcome(policy: CompiledPolicy, who: string | null, query: string, variables?: Record<string, unknown>): string {
  const d = decideQuery(policy, STORE, who, query, variables)
  return d.allowed ? 'allowed' : d.reason
}

describe('escalation guard (policies/houston): the role granted must be of the scope and within the caller\'s own', () => {
  it.each([
    // a deployment editor could create a service account bound to SYSTEM_ADMIN in Houston
    ['dep-editor', 'SYSTEM_ADMIN', 'd1', 'escalation'],
    ['dep-editor', 'WORKSPACE_VIEWER', 'd1', 'escalation'],
    ['dep-editor', 'DEPLOYMENT_ADMIN', 'd1', 'escalation'],
    ['dep-editor', 'DEPLOYMENT_EDITOR', 'd1', 'allowed'],
    ['dep-editor', 'DEPLOYMENT_VIEWER', 'd1', 'allowed'],
    ['dep-editor', 'DEPLOYMENT_VIEWER', 'd2', 'missing_permission'],
    ['dep-admin', 'DEPLOYMENT_ADMIN', 'd1', 'allowed'],
    // cascaded: a workspace admin holds DEPLOYMENT_ADMIN on the workspace's deployments
    ['ws-admin', 'DEPLOYMENT_ADMIN', 'd2', 'allowed'],
    ['ws-admin', 'DEPLOYMENT_ADMIN', 'd3', 'missing_permission'],
    ['dep-editor', 'NOT_A_ROLE', 'd1', 'escalation'],
    ['dep-editor', 'USER', 'd1', 'escalation'],
  ])('%s: createDeploymentServiceAccount(%s on %s) -> %s', (who, role, dep, want) => {
    expect(outcome(HOUSTON, who, `mutation { createDeploymentServiceAccount(label: "ci", deploymentUuid: "${dep}", role: ${role}) }`)).toBe(want)
  })

  it.each([
    // a system editor could make system admins in Houston
    ['sys-editor', 'SYSTEM_ADMIN', 'escalation'],
    ['sys-editor', 'SYSTEM_EDITOR', 'allowed'],
    ['sys-editor', 'SYSTEM_VIEWER', 'allowed'],
    ['sys-editor', 'WORKSPACE_ADMIN', 'escalation'],
    ['sys-admin', 'SYSTEM_ADMIN', 'allowed'],
    ['ws-admin', 'SYSTEM_VIEWER', 'missing_permission'],
  ])('%s: createSystemRoleBinding(%s) -> %s', (who, role, want) => {
    expect(outcome(HOUSTON, who, `mutation { createSystemRoleBinding(userId: "u9", role: ${role}) }`)).toBe(want)
  })

  it.each([
    ['ws-admin', 'w1', 'WORKSPACE_ADMIN', 'allowed'],
    ['ws-admin', 'w1', 'WORKSPACE_VIEWER', 'allowed'],
    ['ws-admin', 'w1', 'SYSTEM_ADMIN', 'escalation'],
    ['ws-admin', 'w1', 'DEPLOYMENT_ADMIN', 'escalation'],
    ['ws-admin', 'w2', 'WORKSPACE_VIEWER', 'missing_permission'],
  ])('%s: workspaceAddUser(%s, %s) -> %s', (who, ws, role, want) => {
    expect(outcome(HOUSTON, who, `mutation { workspaceAddUser(workspaceUuid: "${ws}", email: "a@b.c", role: ${role}) }`)).toBe(want)
    expect(outcome(HOUSTON, who, `mutation { workspaceUpdateUserRole(workspaceUuid: "${ws}", email: "a@b.c", role: ${role}) }`)).toBe(want)
  })

  it('a workspace editor cannot create a workspace service account above its own role', () => {
    const q = (role: string): string => `mutation { createWorkspaceServiceAccount(label: "x", workspaceUuid: "w1", role: ${role}) }`
    expect(outcome(HOUSTON, 'ws-editor', q('WORKSPACE_EDITOR'))).toBe('allowed')
    expect(outcome(HOUSTON, 'ws-editor', q('WORKSPACE_ADMIN'))).toBe('escalation')
  })

  it('the role from a variable, a variable default, or missing', () => {
    const q = 'mutation M($r: Role!) { createDeploymentServiceAccount(label: "x", deploymentUuid: "d1", role: $r) }'
    expect(outcome(HOUSTON, 'dep-editor', q, { r: 'DEPLOYMENT_EDITOR' })).toBe('allowed')
    expect(outcome(HOUSTON, 'dep-editor', q, { r: 'SYSTEM_ADMIN' })).toBe('escalation')
    expect(outcome(HOUSTON, 'dep-editor', q, { r: 42 })).toBe('escalation')
    expect(outcome(HOUSTON, 'dep-editor', q, { r: ['DEPLOYMENT_VIEWER'] })).toBe('escalation')
    expect(outcome(HOUSTON, 'dep-editor', q, {})).toBe('escalation')
    const withDefault = 'mutation M($r: Role = SYSTEM_ADMIN) { createDeploymentServiceAccount(label: "x", deploymentUuid: "d1", role: $r) }'
    expect(outcome(HOUSTON, 'dep-editor', withDefault)).toBe('escalation')
    expect(outcome(HOUSTON, 'dep-editor', 'mutation { createDeploymentServiceAccount(label: "x", deploymentUuid: "d1") }')).toBe('escalation')
  })

  it('createServiceAccount: the scope from entityType, the entity from entityUuid', () => {
    const q = (type: string, entity: string, role: string): string =>
      `mutation { createServiceAccount(label: "x", entityType: ${type}, entityUuid: "${entity}", role: ${role}) }`
    expect(outcome(HOUSTON, 'dep-editor', q('DEPLOYMENT', 'd1', 'DEPLOYMENT_EDITOR'))).toBe('allowed')
    expect(outcome(HOUSTON, 'dep-editor', q('DEPLOYMENT', 'd2', 'DEPLOYMENT_EDITOR'))).toBe('escalation')
    expect(outcome(HOUSTON, 'dep-editor', q('DEPLOYMENT', 'd1', 'DEPLOYMENT_ADMIN'))).toBe('escalation')
    expect(outcome(HOUSTON, 'dep-editor', q('WORKSPACE', 'd1', 'DEPLOYMENT_EDITOR'))).toBe('escalation')
    expect(outcome(HOUSTON, 'dep-editor', q('SYSTEM', 'd1', 'SYSTEM_ADMIN'))).toBe('escalation')
    expect(outcome(HOUSTON, 'dep-editor', q('GALAXY', 'd1', 'DEPLOYMENT_EDITOR'))).toBe('escalation')
    expect(outcome(HOUSTON, 'ws-admin', q('WORKSPACE', 'w1', 'WORKSPACE_ADMIN'))).toBe('allowed')
    expect(outcome(HOUSTON, 'ws-admin', q('DEPLOYMENT', 'd2', 'DEPLOYMENT_ADMIN'))).toBe('allowed')
    expect(outcome(HOUSTON, null, q('DEPLOYMENT', 'd1', 'DEPLOYMENT_VIEWER'))).toBe('unauthenticated')
  })

  it('a role inside an update payload is guarded; a payload without one passes', () => {
    const q = (payload: string): string => `mutation { updateDeploymentServiceAccount(serviceAccountUuid: "s1", deploymentUuid: "d1", payload: ${payload}) }`
    expect(outcome(HOUSTON, 'dep-admin', q('{label: "renamed"}'))).toBe('allowed')
    expect(outcome(HOUSTON, 'dep-admin', q('{role: DEPLOYMENT_ADMIN}'))).toBe('allowed')
    expect(outcome(HOUSTON, 'dep-admin', q('{role: SYSTEM_ADMIN}'))).toBe('escalation')
    expect(outcome(HOUSTON, 'dep-admin', q('{role: "SYSTEM_ADMIN"}'))).toBe('escalation')
    const v = 'mutation M($p: JSON!) { updateDeploymentServiceAccount(serviceAccountUuid: "s1", deploymentUuid: "d1", payload: $p) }'
    expect(outcome(HOUSTON, 'dep-admin', v, { p: { role: 'SYSTEM_ADMIN' } })).toBe('escalation')
    expect(outcome(HOUSTON, 'dep-admin', v, { p: { label: 'x' } })).toBe('allowed')
  })

  it('updateServiceAccount names no entity: a role in its payload must be a system role within the caller\'s own', () => {
    const q = (payload: string): string => `mutation { updateServiceAccount(serviceAccountUuid: "s1", payload: ${payload}) }`
    expect(outcome(HOUSTON, 'dep-editor', q('{label: "x"}'))).toBe('allowed')
    expect(outcome(HOUSTON, 'dep-editor', q('{role: SYSTEM_ADMIN}'))).toBe('escalation')
    expect(outcome(HOUSTON, 'dep-editor', q('{role: DEPLOYMENT_VIEWER}'))).toBe('escalation')
    expect(outcome(HOUSTON, 'sys-editor', q('{role: SYSTEM_VIEWER}'))).toBe('allowed')
    expect(outcome(HOUSTON, 'sys-editor', q('{role: SYSTEM_ADMIN}'))).toBe('escalation')
  })

  it('platform 0.35: a system admin holds workspace permissions everywhere, so it may grant workspace roles; 0.12.1 system admins hold none', () => {
    const q = 'mutation { createWorkspaceServiceAccount(label: "x", workspaceUuid: "w9", role: WORKSPACE_ADMIN) }'
    expect(outcome(HOUSTON_035, 'sys-admin', q)).toBe('allowed')
    expect(outcome(HOUSTON, 'sys-admin', q)).toBe('escalation')
    // 0.35's SYSTEM_EDITOR holds workspace.serviceAccounts.create but not all of WORKSPACE_ADMIN
    expect(outcome(HOUSTON_035, 'sys-editor', q)).toBe('escalation')
    expect(outcome(HOUSTON_035, 'sys-editor', q.replace('WORKSPACE_ADMIN', 'WORKSPACE_EDITOR'))).toBe('allowed')
  })

  it('the deny message names the guard, and the decision lists the field', () => {
    const d = decideQuery(HOUSTON, STORE, 'dep-editor', 'mutation { a: createDeploymentServiceAccount(label: "x", deploymentUuid: "d1", role: SYSTEM_ADMIN) }')
    expect(d.denied).toMatchObject([{ field: 'createDeploymentServiceAccount', alias: 'a', reason: 'escalation', scope: { kind: 'deployment', id: 'd1' } }])
  })
})

// Regression (issue 12, item 5): such a payload has no own `role`, so it used to pass as "no
// role" and be forwarded; a resolver that parses or merges it may apply one.
describe('escalation guard: a payload that is no plain object, or carries a prototype key, is denied', () => {
  const dep = (payload: string): string => `mutation { updateDeploymentServiceAccount(serviceAccountUuid: "s1", deploymentUuid: "d1", payload: ${payload}) }`
  const sys = (payload: string): string => `mutation { updateServiceAccount(serviceAccountUuid: "s1", payload: ${payload}) }`
  const DEP_VAR = 'mutation M($p: JSON) { updateDeploymentServiceAccount(serviceAccountUuid: "s1", deploymentUuid: "d1", payload: $p) }'
  const SYS_VAR = 'mutation M($p: JSON) { updateServiceAccount(serviceAccountUuid: "s1", payload: $p) }'

  it.each([
    ['a string of the object', '"{\\"role\\":\\"SYSTEM_ADMIN\\"}"'],
    ['a list of the object', '[{role: SYSTEM_ADMIN}]'],
    ['an enum', 'SYSTEM_ADMIN'],
    ['a number', '1'],
    ['__proto__ carrying the role', '{__proto__: {role: SYSTEM_ADMIN}}'],
    ['constructor.prototype carrying the role', '{label: "x", constructor: {prototype: {role: SYSTEM_ADMIN}}}'],
    ['prototype beside a role within the caller\'s', '{role: DEPLOYMENT_VIEWER, prototype: {role: SYSTEM_ADMIN}}'],
    ['__proto__ beside no role', '{label: "x", __proto__: null}'],
  ])('literal payload, %s: escalation', (_name, payload) => {
    expect(outcome(HOUSTON, 'dep-admin', dep(payload))).toBe('escalation')
    expect(outcome(HOUSTON, 'sys-editor', sys(payload))).toBe('escalation')
  })

  it.each([
    ['a JSON string of the object', '"{\\"role\\":\\"SYSTEM_ADMIN\\"}"'],
    ['a list of the object', '[{"role":"SYSTEM_ADMIN"}]'],
    ['a number', '7'],
    ['true', 'true'],
    ['__proto__ carrying the role', '{"__proto__":{"role":"SYSTEM_ADMIN"}}'],
    ['constructor.prototype carrying the role', '{"label":"x","constructor":{"prototype":{"role":"SYSTEM_ADMIN"}}}'],
    ['prototype carrying the role', '{"prototype":{"role":"SYSTEM_ADMIN"}}'],
    ['__proto__ beside no role', '{"label":"x","__proto__":null}'],
  ])('payload in a variable (as JSON.parse reads it), %s: escalation', (_name, json) => {
    const p: unknown = JSON.parse(json)
    expect(outcome(HOUSTON, 'dep-admin', DEP_VAR, { p })).toBe('escalation')
    expect(outcome(HOUSTON, 'sys-editor', SYS_VAR, { p })).toBe('escalation')
  })

  it('a payload in a variable default, or a variable inside a literal payload, is read the same way', () => {
    expect(outcome(HOUSTON, 'dep-admin', 'mutation M($p: JSON = "{\\"role\\":\\"SYSTEM_ADMIN\\"}") { updateServiceAccount(serviceAccountUuid: "s1", payload: $p) }')).toBe('escalation')
    expect(outcome(HOUSTON, 'dep-admin', 'mutation M($p: JSON = {__proto__: {role: SYSTEM_ADMIN}}) { updateServiceAccount(serviceAccountUuid: "s1", payload: $p) }')).toBe('escalation')
    const inner = 'mutation M($c: JSON) { updateServiceAccount(serviceAccountUuid: "s1", payload: {label: "x", extra: $c}) }'
    // only the objects on the path to the role are read: $c is not on it
    expect(outcome(HOUSTON, 'dep-admin', inner, { c: JSON.parse('{"__proto__":{"role":"SYSTEM_ADMIN"}}') })).toBe('allowed')
  })

  it('unchanged: a plain payload, and an absent or null payload of an optional grant, pass', () => {
    for (const [payload, want] of [['{label: "renamed"}', 'allowed'], ['{}', 'allowed'], ['null', 'allowed'], ['{role: DEPLOYMENT_ADMIN}', 'allowed'], ['{role: null}', 'allowed'], ['{toString: "x", hasOwnProperty: 1}', 'allowed'], ['{role: SYSTEM_ADMIN}', 'escalation']] as const) {
      expect(outcome(HOUSTON, 'dep-admin', dep(payload)), payload).toBe(want)
    }
    expect(outcome(HOUSTON, 'dep-admin', DEP_VAR, {})).toBe('allowed')
    expect(outcome(HOUSTON, 'dep-admin', DEP_VAR, { p: null })).toBe('allowed')
    expect(outcome(HOUSTON, 'dep-admin', DEP_VAR, { p: JSON.parse('{"label":"x","__typename":"y"}') })).toBe('allowed')
    expect(outcome(HOUSTON, 'dep-admin', 'mutation { updateDeploymentServiceAccount(serviceAccountUuid: "s1", deploymentUuid: "d1") }')).toBe('allowed')
  })

  it('a role argument itself (path of length 1) that is an object or a list was and is denied', () => {
    const q = 'mutation M($r: Role!) { createDeploymentServiceAccount(label: "x", deploymentUuid: "d1", role: $r) }'
    expect(outcome(HOUSTON, 'dep-editor', q, { r: JSON.parse('{"__proto__":"DEPLOYMENT_VIEWER"}') })).toBe('escalation')
    expect(outcome(HOUSTON, 'dep-editor', q, { r: ['DEPLOYMENT_VIEWER'] })).toBe('escalation')
    expect(outcome(HOUSTON, 'dep-editor', 'mutation { createDeploymentServiceAccount(label: "x", deploymentUuid: "d1", role: {role: DEPLOYMENT_VIEWER}) }')).toBe('escalation')
    expect(outcome(HOUSTON, 'dep-editor', 'mutation { createDeploymentServiceAccount(label: "x", deploymentUuid: "d1", role: [DEPLOYMENT_VIEWER]) }')).toBe('escalation')
  })

  it('the entity of createServiceAccount is read the same way', () => {
    const q = 'mutation M($e: Uuid) { createServiceAccount(label: "x", entityType: DEPLOYMENT, entityUuid: $e, role: DEPLOYMENT_EDITOR) }'
    expect(outcome(HOUSTON, 'dep-editor', q, { e: 'd1' })).toBe('allowed')
    expect(outcome(HOUSTON, 'dep-editor', q, { e: JSON.parse('{"__proto__":"d1"}') })).toBe('escalation')
    expect(outcome(HOUSTON, 'dep-editor', q, { e: ['d1'] })).toBe('escalation')
  })
})

describe('publicSignups: false (policies/houston)', () => {
  it('createUser needs a non-empty inviteToken', () => {
    expect(outcome(HOUSTON, null, 'mutation { createUser(email: "a@b.c", password: "p") }')).toBe('invite_required')
    expect(outcome(HOUSTON, null, 'mutation { createUser(email: "a@b.c", password: "p", inviteToken: "") }')).toBe('invite_required')
    expect(outcome(HOUSTON, null, 'mutation { createUser(email: "a@b.c", password: "p", inviteToken: null) }')).toBe('invite_required')
    expect(outcome(HOUSTON, null, 'mutation { createUser(email: "a@b.c", password: "p", inviteToken: "inv-1") }')).toBe('allowed')
    const v = 'mutation M($t: String) { createUser(email: "a@b.c", password: "p", inviteToken: $t) }'
    expect(outcome(HOUSTON, null, v, { t: 'inv-1' })).toBe('allowed')
    expect(outcome(HOUSTON, null, v, {})).toBe('invite_required')
    expect(outcome(HOUSTON, null, v, { t: 7 })).toBe('invite_required')
    // an authenticated caller is held to it as well
    expect(outcome(HOUSTON, 'sys-admin', 'mutation { createUser(email: "a@b.c", password: "p") }')).toBe('invite_required')
  })

  it('publicSignups: true lifts it', () => {
    const open = compilePolicy(loadPolicy(policyDir({ manifest: (m) => m.replace('publicSignups: false', 'publicSignups: true') })))
    expect(outcome(open, null, 'mutation { createUser(email: "a@b.c", password: "p") }')).toBe('allowed')
  })
})

const CUSTOM_CONDITIONS = `conditions:
  Mutation.upgradeDeployment: { principals: [serviceAccount] }
  Query.users: { ipAllow: [10.0.0.0/8, "2001:db8::/32", 192.0.2.7] }
`

describe('principal kinds and IP ranges in conditions', () => {
  const policy = compilePolicy(loadPolicy(policyDir({ conditions: CUSTOM_CONDITIONS })))
  const docs = new DocumentCache()
  const authz = new Authorizer(policy, STORE)
  const user: Principal = { kind: 'user', id: 'dep-admin', groups: [] }
  const sa: Principal = { kind: 'serviceAccount', id: 'sa-deployer', groups: [] }
  const admin: Principal = { kind: 'user', id: 'sys-admin', groups: [] }

  it('CI/CD enforcement: upgradeDeployment only for service accounts, and only with the permission', () => {
    const op = docs.get('mutation { upgradeDeployment(deploymentUuid: "d1", version: "2") }', undefined)
    expect(authz.decide(sa, op, undefined).allowed).toBe(true)
    expect(authz.decide(user, op, undefined).reason).toBe('principal_kind')
    expect(authz.decide({ kind: 'anonymous', id: null, groups: [] }, op, undefined).reason).toBe('unauthenticated')
    const other = docs.get('mutation { upgradeDeployment(deploymentUuid: "d3", version: "2") }', undefined)
    expect(authz.decide(sa, other, undefined).reason).toBe('missing_permission')
  })

  it.each([
    ['10.1.2.3', true],
    ['::ffff:10.1.2.3', true],
    ['2001:db8::1', true],
    ['192.0.2.7', true],
    ['192.0.2.8', false],
    ['11.0.0.1', false],
    ['2001:db9::1', false],
    ['not-an-ip', false],
    [undefined, false],
  ])('Query.users from %s: allowed %s', (ip, want) => {
    const op = docs.get('{ users }', undefined)
    const d = authz.decide(admin, op, undefined, { clientIp: ip })
    expect(d.allowed).toBe(want)
    if (!want) expect(d.reason).toBe('ip_denied')
  })

  it('decisions that read the address are never reused across addresses', () => {
    const op = docs.get('{ users self }', undefined)
    expect(authz.decide(admin, op, undefined, { clientIp: '10.0.0.1' }).allowed).toBe(true)
    expect(authz.decide(admin, op, undefined, { clientIp: '172.16.0.1' }).allowed).toBe(false)
    expect(authz.decide(admin, op, undefined, { clientIp: '10.0.0.1' }).allowed).toBe(true)
    expect(authz.decide(admin, op, undefined).reason).toBe('ip_denied')
  })

  it('the IP range is checked before anything else: an anonymous caller outside it is ip_denied', () => {
    const op = docs.get('{ users }', undefined)
    expect(authz.decide({ kind: 'anonymous', id: null, groups: [] }, op, undefined, { clientIp: '8.8.8.8' }).reason).toBe('ip_denied')
  })

  it('a policy-wide ipAllow is compiled (the gate checks it on every request)', () => {
    const p = compilePolicy(loadPolicy(policyDir({ manifest: (m) => m.replace('ipAllow: []', 'ipAllow: [127.0.0.0/8]') })))
    expect(p.ipAllow?.ranges).toEqual(['127.0.0.0/8'])
    expect(HOUSTON.ipAllow).toBeUndefined()
    expect(HOUSTON.ipRules).toBe(false)
    expect(policy.ipRules).toBe(true)
  })
})

describe('condition validation: coded errors with the place', () => {
  const load = (conditions: string, manifest?: (m: string) => string): string =>
    thrown(() => compilePolicy(loadPolicy(policyDir({ conditions, ...(manifest ? { manifest } : {}) })))).code

  it.each([
    ['a field without a rule', 'conditions:\n  Query.nothingHere: { principals: [user] }\n'],
    ['an unknown key', 'conditions:\n  Query.users: { when: always }\n'],
    ['a bad principal kind', 'conditions:\n  Query.users: { principals: [robot] }\n'],
    ['an empty principals list', 'conditions:\n  Query.users: { principals: [] }\n'],
    ['a bad CIDR', 'conditions:\n  Query.users: { ipAllow: [10.0.0.0/33] }\n'],
    ['a host name instead of an address', 'conditions:\n  Query.users: { ipAllow: [example.com] }\n'],
    ['a malformed argument path', 'conditions:\n  Mutation.createUser: { invite: "invite token" }\n'],
    ['grants without a scope on a rule without scope arguments', 'conditions:\n  Mutation.createSystemRoleBinding: { grants: { role: role } }\n'],
    ['grants with an unknown default role', 'conditions:\n  Mutation.workspaceAddUser: { grants: { role: role, default: ROOT } }\n'],
    ['grants with both scope and scopeFrom', 'conditions:\n  Mutation.createServiceAccount: { grants: { role: role, scope: system, scopeFrom: { arg: entityType, values: { SYSTEM: system } } } }\n'],
    ['a key that is not Type.field', 'conditions:\n  users: { principals: [user] }\n'],
  ])('%s', (_label, conditions) => {
    expect(load(conditions)).toBe('PERMGATE_ERR_POLICY_CONDITION')
  })

  it('grants without roleScopes in policy.yaml', () => {
    const noScopes = (m: string): string => m.replace(/^roleScopes:\n(  .*\n)+/m, '')
    expect(load('conditions:\n  Mutation.workspaceAddUser: { grants: { role: role } }\n', noScopes)).toBe('PERMGATE_ERR_POLICY_CONDITION')
  })

  it('roleScopes naming an unknown role, or a role at two scopes', () => {
    expect(load('conditions: {}\n', (m) => m.replace('system: [SYSTEM_VIEWER,', 'system: [ROOT, SYSTEM_VIEWER,'))).toBe('PERMGATE_ERR_POLICY_UNKNOWN_ROLE')
    expect(load('conditions: {}\n', (m) => m.replace('system: [SYSTEM_VIEWER,', 'system: [WORKSPACE_ADMIN, SYSTEM_VIEWER,'))).toBe('PERMGATE_ERR_POLICY_SHAPE')
  })

  it('publicSignups must be a boolean; a policy-wide ipAllow must hold CIDR ranges', () => {
    expect(load('conditions: {}\n', (m) => m.replace('publicSignups: false', 'publicSignups: "no"'))).toBe('PERMGATE_ERR_POLICY_SHAPE')
    expect(load('conditions: {}\n', (m) => m.replace('ipAllow: []', 'ipAllow: [10.0.0.0/8x]'))).toBe('PERMGATE_ERR_POLICY_SHAPE')
  })

  it('the error names the conditions file and line', () => {
    const e = thrown(() => compilePolicy(loadPolicy(policyDir({ conditions: 'conditions:\n  Query.users: { principals: [user] }\n  Query.self: { principals: [robot] }\n' }))))
    expect(e.place?.file).toMatch(/conditions\.yaml$/)
    expect(e.place?.line).toBe(3)
  })
})

/** policies/houston with its manifest and conditions file replaced (rules and roles by absolute path). */
function policyDir(o: { manifest?: (m: string) => string; conditions?: string }): string {
  const abs = (f: string): string => JSON.stringify(join(POLICY_HOUSTON, f))
  let m = readFileSync(join(POLICY_HOUSTON, 'policy.yaml'), 'utf8')
    .replace(/^roles:.*$/m, `roles: ${abs('roles.yaml')}`)
    .replace(/^rules:.*$/m, `rules: ${abs('rules.yaml')}`)
  if (o.manifest) m = o.manifest(m)
  return tempFiles({ 'policy.yaml': m, 'conditions.yaml': o.conditions ?? readFileSync(join(POLICY_HOUSTON, 'conditions.yaml'), 'utf8') })
}
