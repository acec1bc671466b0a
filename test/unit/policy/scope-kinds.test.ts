import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { loadBindingsFile } from '../../../src/bindings/file.js'
import type { Binding, BindingsStore, SubjectEntry } from '../../../src/bindings/types.js'
import type { Principal } from '../../../src/identity/types.js'
import { DocumentCache } from '../../../src/operation/cache.js'
import { Authorizer } from '../../../src/policy/authorizer.js'
import { compilePolicy } from '../../../src/policy/compile.js'
import type { Decision } from '../../../src/policy/decide.js'
import { loadPolicy } from '../../../src/policy/load.js'
import type { CompiledPolicy } from '../../../src/policy/types.js'
import { thrown } from '../../helpers/errors.js'
import { manifest, tempFiles } from '../../helpers/tmp.js'

/**
 * Scope arguments as Houston 0.3x writes them: several per rule, resolved per kind (workspace.*
 * permissions on the workspace named, deployment.* on the deployment), paths into input objects,
 * and deployments named by release name. The same rules written as a rules file and as SDL.
 */
const ROLES = `roles:
  WS_EDITOR:
    permissions:
      ? workspace.deployments.upsert
  WS_BOTH:
    permissions:
      ? workspace.deployments.upsert
      ? deployment.config.upsert
  DEP_EDITOR:
    permissions:
      ? deployment.config.get
      ? deployment.config.upsert
      ? deployment.images.push
  SYS_DEPLOYER:
    permissions:
      ? system.deployments.get
      ? system.deployments.upsert
      ? system.deployments.images.push
`
const RULES = `rules:
  - field: Query.deployment
    permissions: [deployment.config.get, system.deployments.get]
    op: OR
    scope: [{ deployment: where.id }, { deployment: where.releaseName, lookup: releaseName }]
  - field: Mutation.upsertDeployment
    permissions: [workspace.deployments.upsert, deployment.config.upsert, system.deployments.upsert]
    op: OR
    scope: [{ workspace: workspaceUuid }, { deployment: deploymentUuid }, { deployment: releaseName, lookup: releaseName }]
  - field: Mutation.updateDeploymentImage
    permissions: [deployment.images.push, system.deployments.images.push]
    op: OR
    scope: [{ deployment: releaseName, lookup: releaseName }]
  - field: Mutation.configure
    permissions: [workspace.deployments.upsert, deployment.config.upsert]
    scope: [{ workspace: [workspaceUuid, workspaceId] }, { deployment: deploymentId }]
  - field: Query.onDeployment
    permissions: [workspace.deployments.upsert]
    scope: [{ deployment: deploymentUuid }]
`
// The same rules from an SDL: explicit @auth(scope:), or defaultScope with several names per kind.
const SCHEMA = `directive @auth(permissions: [String!], op: AuthOp = AND, scope: [AuthScope!]) on FIELD_DEFINITION
enum AuthOp { AND OR }
input AuthScope { workspace: String, deployment: String, lookup: String }
input DeploymentWhereUniqueInput { id: ID, releaseName: String }
scalar JSON
type Query {
  deployment(where: DeploymentWhereUniqueInput!): JSON
    @auth(permissions: ["deployment.config.get", "system.deployments.get"], op: OR, scope: [{ deployment: "where.id" }, { deployment: "where.releaseName", lookup: "releaseName" }])
  onDeployment(deploymentUuid: ID): JSON @auth(permissions: ["workspace.deployments.upsert"])
}
type Mutation {
  upsertDeployment(workspaceUuid: ID, deploymentUuid: ID, releaseName: String, label: String): JSON
    @auth(permissions: ["workspace.deployments.upsert", "deployment.config.upsert", "system.deployments.upsert"], op: OR,
      scope: [{ workspace: "workspaceUuid" }, { deployment: "deploymentUuid" }, { deployment: "releaseName", lookup: releaseName }])
  updateDeploymentImage(releaseName: String!, image: String!): JSON
    @auth(permissions: ["deployment.images.push", "system.deployments.images.push"], op: OR, scope: [{ deployment: "releaseName", lookup: "releaseName" }])
  configure(workspaceUuid: ID, workspaceId: ID, deploymentId: ID): JSON @auth(permissions: ["workspace.deployments.upsert", "deployment.config.upsert"])
}
`
const SDL_MANIFEST = [
  'name: test-sdl',
  'scopes: [system, workspace, deployment]',
  'roles: roles.yaml',
  'rules: { sdl: schema.graphql }',
  'defaultScope:',
  '  - { workspace: [workspaceUuid, workspaceId] }',
  '  - { deployment: deploymentUuid }',
  '  - { deployment: deploymentId }',
].join('\n')

const BINDINGS = `deployments:
  d1: { workspace: w1, releaseName: r1 }
  d2: { workspace: w1, releaseName: r2 }
  d3: w2
subjects:
  ws-ed: { bindings: [ { role: WS_EDITOR, workspace: w1 } ] }
  ws2-ed: { bindings: [ { role: WS_EDITOR, workspace: w2 } ] }
  ws-both: { bindings: [ { role: WS_BOTH, workspace: w1 } ] }
  dep-ed: { bindings: [ { role: DEP_EDITOR, deployment: d1 } ] }
  pair: { bindings: [ { role: WS_EDITOR, workspace: w1 }, { role: DEP_EDITOR, deployment: d1 } ] }
  odd: { bindings: [ { role: WS_EDITOR, deployment: d1 } ] }
  sys: { bindings: [ { role: SYS_DEPLOYER } ] }
`

const RULES_POLICY = compilePolicy(loadPolicy(tempFiles({ 'policy.yaml': manifest(), 'roles.yaml': ROLES, 'rules.yaml': RULES })))
const SDL_POLICY = compilePolicy(loadPolicy(tempFiles({ 'policy.yaml': SDL_MANIFEST, 'roles.yaml': ROLES, 'schema.graphql': SCHEMA })))
const STORE = loadBindingsFile(join(tempFiles({ 'bindings.yaml': BINDINGS }), 'bindings.yaml'), RULES_POLICY)
const docs = new DocumentCache()

const user = (id: string): Principal => ({ kind: 'user', id, groups: [] })
function decision(policy: CompiledPolicy, who: string, query: string, variables?: Record<string, unknown>, store: BindingsStore = STORE): Decision {
  return new Authorizer(policy, store).decide(user(who), docs.get(query, undefined), variables)
}
/** `allowed`, or `<reason>` and the reported scope of the first denied field. */
function outcome(policy: CompiledPolicy, who: string, query: string, variables?: Record<string, unknown>): string {
  const d = decision(policy, who, query, variables)
  if (d.allowed) return 'allowed'
  const s = d.denied[0]?.scope
  return s ? `${d.reason} on ${s.kind} ${s.id}` : d.reason
}

type Case = readonly [who: string, query: string, variables: Record<string, unknown> | undefined, want: string]
const CASES: Record<string, readonly Case[]> = {
  'a path into an input object, and a deployment by its release name': [
    ['dep-ed', '{ deployment(where: { id: "d1" }) }', undefined, 'allowed'],
    ['dep-ed', '{ deployment(where: { releaseName: "r1" }) }', undefined, 'allowed'],
    ['dep-ed', '{ deployment(where: { releaseName: "r2" }) }', undefined, 'missing_permission on deployment d2'],
    ['dep-ed', '{ deployment(where: { id: "d2" }) }', undefined, 'missing_permission on deployment d2'],
    ['dep-ed', 'query($w: DeploymentWhereUniqueInput!) { deployment(where: $w) }', { w: { releaseName: 'r1' } }, 'allowed'],
    ['dep-ed', 'query($r: String) { deployment(where: { releaseName: $r }) }', { r: 'r2' }, 'missing_permission on deployment d2'],
    ['dep-ed', 'query($r: String = "r1") { deployment(where: { releaseName: $r }) }', {}, 'allowed'],
    // null entries are skipped, as absent ones
    ['dep-ed', '{ deployment(where: { id: "d1", releaseName: null }) }', undefined, 'allowed'],
  ],
  'several entries of one kind must name the same deployment': [
    ['dep-ed', '{ deployment(where: { id: "d1", releaseName: "r1" }) }', undefined, 'allowed'],
    // the upstream could read either: deny on doubt, even for a caller who holds both
    ['dep-ed', '{ deployment(where: { id: "d1", releaseName: "r2" }) }', undefined, 'invalid_scope'],
    ['sys', '{ deployment(where: { id: "d2", releaseName: "r1" }) }', undefined, 'invalid_scope'],
    ['dep-ed', 'mutation { upsertDeployment(deploymentUuid: "d1", releaseName: "r2") }', undefined, 'invalid_scope'],
    ['dep-ed', 'mutation { upsertDeployment(deploymentUuid: "d1", releaseName: "r1") }', undefined, 'allowed'],
  ],
  'an unknown release name is denied, whatever the caller holds': [
    ['dep-ed', '{ deployment(where: { releaseName: "nope" }) }', undefined, 'unknown_release on deployment nope'],
    ['sys', '{ deployment(where: { releaseName: "nope" }) }', undefined, 'unknown_release on deployment nope'],
    ['sys', 'mutation { updateDeploymentImage(releaseName: "nope", image: "x") }', undefined, 'unknown_release on deployment nope'],
    // a deployment id is no release name
    ['dep-ed', 'mutation { updateDeploymentImage(releaseName: "d1", image: "x") }', undefined, 'unknown_release on deployment d1'],
    ['dep-ed', 'mutation { updateDeploymentImage(releaseName: "r1", image: "x") }', undefined, 'allowed'],
    ['sys', 'mutation { updateDeploymentImage(releaseName: "r2", image: "x") }', undefined, 'allowed'],
    ['dep-ed', 'mutation { updateDeploymentImage(releaseName: "r2", image: "x") }', undefined, 'missing_permission on deployment d2'],
  ],
  'a release name that is no string is invalid_scope': [
    ['dep-ed', '{ deployment(where: { releaseName: 7 }) }', undefined, 'invalid_scope'],
    ['dep-ed', '{ deployment(where: { releaseName: "" }) }', undefined, 'invalid_scope'],
    ['dep-ed', '{ deployment(where: { releaseName: { name: "r1" } }) }', undefined, 'invalid_scope'],
    ['sys', 'mutation($r: String!) { updateDeploymentImage(releaseName: $r, image: "x") }', { r: ['r1'] }, 'invalid_scope'],
    ['sys', 'mutation($r: String!) { updateDeploymentImage(releaseName: $r, image: "x") }', { r: 1 }, 'invalid_scope'],
  ],
  'per kind: workspace.* on the workspace, deployment.* on the deployment': [
    // create path: only a workspace named; the workspace permission answers
    ['ws-ed', 'mutation { upsertDeployment(workspaceUuid: "w1", label: "new") }', undefined, 'allowed'],
    ['ws-ed', 'mutation { upsertDeployment(workspaceUuid: "w2", label: "new") }', undefined, 'missing_permission on workspace w2'],
    // a deployment permission is not checked on a workspace, nor the reverse
    ['dep-ed', 'mutation { upsertDeployment(workspaceUuid: "w1", label: "new") }', undefined, 'missing_permission on workspace w1'],
    ['ws-ed', 'mutation { upsertDeployment(deploymentUuid: "d1") }', undefined, 'missing_permission on deployment d1'],
    ['dep-ed', 'mutation { upsertDeployment(deploymentUuid: "d1") }', undefined, 'allowed'],
    ['dep-ed', 'mutation { upsertDeployment(releaseName: "r1") }', undefined, 'allowed'],
    ['dep-ed', 'mutation { upsertDeployment(workspaceUuid: "w1", deploymentUuid: "d1") }', undefined, 'allowed'],
    ['sys', 'mutation { upsertDeployment(label: "anywhere") }', undefined, 'allowed'],
    ['dep-ed', 'mutation { upsertDeployment(label: "anywhere") }', undefined, 'missing_permission'],
    // AND: each permission at its own entity; the kind without an entity fails
    ['pair', 'mutation { configure(workspaceUuid: "w1", deploymentId: "d1") }', undefined, 'allowed'],
    ['pair', 'mutation { configure(workspaceId: "w1", deploymentId: "d1") }', undefined, 'allowed'],
    ['pair', 'mutation { configure(workspaceUuid: "w1") }', undefined, 'missing_permission on workspace w1'],
    ['dep-ed', 'mutation { configure(workspaceUuid: "w1", deploymentId: "d1") }', undefined, 'missing_permission on workspace w1'],
    // one role at the workspace holding both: its deployment.* permission counts on the workspace only
    ['ws-both', 'mutation { configure(workspaceUuid: "w1", deploymentId: "d1") }', undefined, 'missing_permission on deployment d1'],
    // two names of the workspace argument must agree
    ['pair', 'mutation { configure(workspaceUuid: "w1", workspaceId: "w2", deploymentId: "d1") }', undefined, 'invalid_scope'],
  ],
  'a workspace and a deployment named together: the deployment must be the workspace’s': [
    // a workspace editor of w2 would pass on w2 and act on w1's deployment
    ['ws2-ed', 'mutation { upsertDeployment(workspaceUuid: "w2", deploymentUuid: "d1") }', undefined, 'invalid_scope'],
    ['ws2-ed', 'mutation { upsertDeployment(workspaceUuid: "w2", releaseName: "r1") }', undefined, 'invalid_scope'],
    ['ws2-ed', 'mutation { upsertDeployment(workspaceUuid: "w2", deploymentUuid: "d3") }', undefined, 'allowed'],
    // a deployment the store does not know belongs to no workspace
    ['ws-ed', 'mutation { upsertDeployment(workspaceUuid: "w1", deploymentUuid: "d9") }', undefined, 'invalid_scope'],
  ],
  'one kind named: every scoped permission on that entity, as before': [
    ['odd', '{ onDeployment(deploymentUuid: "d1") }', undefined, 'allowed'],
    ['odd', '{ onDeployment(deploymentUuid: "d2") }', undefined, 'missing_permission on deployment d2'],
    ['ws-ed', '{ onDeployment(deploymentUuid: "d1") }', undefined, 'missing_permission on deployment d1'],
  ],
}

describe('scope arguments resolved per kind (rules file)', () => {
  for (const [name, cases] of Object.entries(CASES)) {
    it.each(cases)(`${name}: %s %s %j -> %s`, (who, query, variables, want) => {
      expect(outcome(RULES_POLICY, who, query, variables)).toBe(want)
    })
  }
})

describe('@auth(scope:) and a defaultScope with several names per kind give the rules file’s rules', () => {
  it('compiles to the same scope entries', () => {
    for (const key of RULES_POLICY.rules.keys()) {
      expect(SDL_POLICY.rules.get(key)?.scope, key).toEqual(RULES_POLICY.rules.get(key)?.scope)
    }
  })

  const all = Object.values(CASES).flat()
  it.each(all)('%s %s %j: the same decision', (who, query, variables) => {
    expect(decision(SDL_POLICY, who, query, variables).denied).toEqual(decision(RULES_POLICY, who, query, variables).denied)
    expect(outcome(SDL_POLICY, who, query, variables)).toBe(outcome(RULES_POLICY, who, query, variables))
  })

  it('@auth(scope:) naming an argument the field does not declare is refused with the field', () => {
    const schema = SCHEMA.replace('{ deployment: "where.id" }', '{ deployment: "filter.id" }')
    const e = thrown(() => loadPolicy(tempFiles({ 'policy.yaml': SDL_MANIFEST, 'roles.yaml': ROLES, 'schema.graphql': schema })))
    expect(e.code).toBe('PERMGATE_ERR_POLICY_SCHEMA')
    expect(e.message).toContain('filter.id')
    expect(e.place?.path).toBe('Query.deployment')
  })
})

describe('scope entry validation', () => {
  const load = (rules: string) => thrown(() => loadPolicy(tempFiles({ 'policy.yaml': manifest(), 'roles.yaml': ROLES, 'rules.yaml': rules })))
  const rule = (scope: string) => `rules:\n  - field: Query.x\n    permissions: [deployment.config.get]\n    scope: ${scope}\n`
  it.each([
    ['an unknown lookup', '[{ deployment: name, lookup: label }]'],
    ['a release name looked up as a workspace', '[{ workspace: releaseName, lookup: releaseName }]'],
    ['a lookup without a kind', '[{ lookup: releaseName }]'],
    ['two kinds in one entry', '[{ workspace: w, deployment: d }]'],
    ['an empty list of paths', '[{ deployment: [] }]'],
    ['a malformed path', '[{ deployment: "where..id" }]'],
  ])('%s is PERMGATE_ERR_POLICY_RULE with its line', (_name, scope) => {
    const e = load(rule(scope))
    expect(e.code).toBe('PERMGATE_ERR_POLICY_RULE')
    expect(e.place?.line).toBe(4)
  })

  it('a grant on a rule naming both kinds must say which kind it grants at', () => {
    const files = {
      'policy.yaml': `${manifest()}\nroleScopes: { deployment: [DEP_EDITOR], workspace: [WS_EDITOR] }\nconditions:\n  Mutation.upsertDeployment: { grants: { role: role } }\n`,
      'roles.yaml': ROLES,
      'rules.yaml': RULES,
    }
    expect(thrown(() => compilePolicy(loadPolicy(tempFiles(files)))).code).toBe('PERMGATE_ERR_POLICY_CONDITION')
    const fixed = { ...files, 'policy.yaml': files['policy.yaml'].replace('{ role: role }', '{ role: role, scope: workspace }') }
    expect(() => compilePolicy(loadPolicy(tempFiles(fixed)))).not.toThrow()
  })
})

/** A store that changes while in use, as the PostgreSQL store does on NOTIFY: every change bumps `version`. */
class ChangingStore implements BindingsStore {
  version = 1
  readonly deployments = new Map([['d1', 'w1'], ['d2', 'w1']])
  readonly names = new Map([['r1', 'd1']])
  private readonly subjects = new Map<string, SubjectEntry>([
    ['dep-ed', { kind: 'user', bindings: [{ role: 'DEP_EDITOR', deployment: 'd1' }] }],
    ['ws-ed', { kind: 'user', bindings: [{ role: 'WS_EDITOR', workspace: 'w1' }] }],
  ])
  deploymentByReleaseName(name: string): string | undefined {
    return this.names.get(name)
  }
  subject(id: string): SubjectEntry | undefined {
    return this.subjects.get(id)
  }
  group(): readonly Binding[] | undefined {
    return undefined
  }
  subjectByApiKeySha256(): string | undefined {
    return undefined
  }
}

describe('cached decisions follow the store', () => {
  it('a release name moved to another deployment: a cached decision without variables is not reused', () => {
    const store = new ChangingStore()
    const a = new Authorizer(RULES_POLICY, store)
    const op = docs.get('mutation { updateDeploymentImage(releaseName: "r1", image: "x") }', undefined)
    expect(op.usesVariables).toBe(false)
    expect(a.decide(user('dep-ed'), op, undefined).allowed).toBe(true)
    store.names.set('r1', 'd2')
    store.version++
    expect(a.decide(user('dep-ed'), op, undefined)).toMatchObject({ allowed: false, reason: 'missing_permission', denied: [{ scope: { kind: 'deployment', id: 'd2' } }] })
    store.names.delete('r1')
    store.version++
    expect(a.decide(user('dep-ed'), op, undefined).reason).toBe('unknown_release')
  })

  it('a deployment moved to another workspace: the workspace-and-deployment check is made again', () => {
    const store = new ChangingStore()
    const a = new Authorizer(RULES_POLICY, store)
    const op = docs.get('mutation { upsertDeployment(workspaceUuid: "w1", deploymentUuid: "d2") }', undefined)
    expect(a.decide(user('ws-ed'), op, undefined).allowed).toBe(true)
    store.deployments.set('d2', 'w2')
    store.version++
    expect(a.decide(user('ws-ed'), op, undefined).reason).toBe('invalid_scope')
  })
})
