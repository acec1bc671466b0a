import { describe, expect, it } from 'vitest'
import { join } from 'node:path'
import { compilePolicy } from '../../../src/policy/compile.js'
import { loadPolicy } from '../../../src/policy/load.js'
import { PermgateError, type ErrorCode } from '../../../src/errors.js'
import { manifest, tempFiles } from '../../helpers/tmp.js'

const ROLES = `roles:
  VIEWER:
    name: Viewer
    permissions: &PERMS__VIEWER
      ? workspace.things.get
  EDITOR:
    name: Editor
    permissions:
      <<: *PERMS__VIEWER
      ? workspace.things.update
      ? system.things.admin
`
const RULES = `rules:
  - field: Query.things
    permissions: [workspace.things.get]
    scope: [{ workspace: workspaceId }]
`

function compileFiles(files: Record<string, string>) {
  const dir = tempFiles({ 'policy.yaml': manifest(), 'roles.yaml': ROLES, 'rules.yaml': RULES, ...files })
  return compilePolicy(loadPolicy(dir))
}

function errorOf(files: Record<string, string>): PermgateError {
  try {
    compileFiles(files)
  } catch (e) {
    if (e instanceof PermgateError) return e
    throw e
  }
  throw new Error('expected the policy to be rejected')
}

describe('policy validation: coded errors that name the file and the place', () => {
  const cases: [string, Record<string, string>, ErrorCode, string, number | undefined][] = [
    ['malformed permission name (two segments)', { 'roles.yaml': 'roles:\n  A:\n    permissions:\n      ? workspace.get\n' }, 'PERMGATE_ERR_POLICY_PERMISSION_NAME', 'roles.yaml', 4],
    ['permission with an undeclared scope', { 'roles.yaml': 'roles:\n  A:\n    permissions:\n      ? cluster.nodes.get\n' }, 'PERMGATE_ERR_POLICY_PERMISSION_NAME', 'roles.yaml', 4],
    ['permission with a bad character', { 'roles.yaml': 'roles:\n  A:\n    permissions:\n      ? workspace.th-ings.get\n' }, 'PERMGATE_ERR_POLICY_PERMISSION_NAME', 'roles.yaml', 4],
    ['rule requiring an unknown permission', { 'rules.yaml': 'rules:\n  - field: Query.x\n    permissions: [workspace.nothing.get]\n' }, 'PERMGATE_ERR_POLICY_UNKNOWN_PERMISSION', 'rules.yaml', 2],
    ['duplicate rule', { 'rules.yaml': RULES + '  - field: Query.things\n    access: public\n' }, 'PERMGATE_ERR_POLICY_DUPLICATE_RULE', 'rules.yaml', 5],
    ['inheritance cycle', { 'roles.yaml': 'roles:\n  A:\n    inherits: [B]\n    permissions: { workspace.a.get: true }\n  B:\n    inherits: [A]\n' }, 'PERMGATE_ERR_POLICY_INHERITANCE_CYCLE', 'roles.yaml', 2],
    ['inheriting an unknown role', { 'roles.yaml': 'roles:\n  A:\n    inherits: [NOPE]\n    permissions: { workspace.a.get: true }\n' }, 'PERMGATE_ERR_POLICY_UNKNOWN_ROLE', 'roles.yaml', 2],
    ['unknown key in a rule', { 'rules.yaml': 'rules:\n  - field: Query.x\n    acess: public\n' }, 'PERMGATE_ERR_POLICY_RULE', 'rules.yaml', 3],
    ['rule on something that is no root type', { 'rules.yaml': 'rules:\n  - field: User.x\n    access: public\n' }, 'PERMGATE_ERR_POLICY_RULE', 'rules.yaml', 2],
    ['public rule that lists permissions', { 'rules.yaml': 'rules:\n  - field: Query.x\n    access: public\n    permissions: [workspace.things.get]\n' }, 'PERMGATE_ERR_POLICY_RULE', 'rules.yaml', 3],
    ['scope of an unknown kind', { 'rules.yaml': 'rules:\n  - field: Query.x\n    permissions: [workspace.things.get]\n    scope: [{ cluster: id }]\n' }, 'PERMGATE_ERR_POLICY_RULE', 'rules.yaml', 4],
    ['YAML syntax error', { 'roles.yaml': 'roles:\n  A: [\n' }, 'PERMGATE_ERR_POLICY_YAML', 'roles.yaml', undefined],
    ['duplicate YAML key', { 'roles.yaml': 'roles:\n  A:\n    permissions: {}\n  A:\n    permissions: {}\n' }, 'PERMGATE_ERR_POLICY_YAML', 'roles.yaml', 4],
    ['unknown manifest key', { 'policy.yaml': manifest('rulez: x.yaml') }, 'PERMGATE_ERR_POLICY_SHAPE', 'policy.yaml', 5],
    ['missing roles file', { 'policy.yaml': manifest().replace('roles.yaml', 'nope.yaml') }, 'PERMGATE_ERR_POLICY_NOT_FOUND', 'nope.yaml', undefined],
    ['synthetic role that does not exist', { 'policy.yaml': manifest('syntheticRoles: [USER]') }, 'PERMGATE_ERR_POLICY_UNKNOWN_ROLE', 'policy.yaml', undefined],
    ['permission value that is neither true, false nor null', { 'roles.yaml': 'roles:\n  A:\n    permissions:\n      workspace.a.get: yes please\n' }, 'PERMGATE_ERR_POLICY_SHAPE', 'roles.yaml', 4],
  ]
  it.each(cases)('%s', (_name, files, code, file, line) => {
    const e = errorOf(files)
    expect(e.code).toBe(code)
    expect(e.place?.file?.endsWith(file)).toBe(true)
    if (line !== undefined) expect(e.place?.line).toBe(line)
  })

  it('warns, without failing, of a rule requiring a permission no role grants', () => {
    const dir = tempFiles({
      'policy.yaml': manifest('permissions:\n  declared: [workspace.billing.update]'),
      'roles.yaml': ROLES,
      'rules.yaml': RULES + '  - field: Mutation.pay\n    permissions: [workspace.billing.update]\n    scope: [{ workspace: workspaceId }]\n',
    })
    const policy = compilePolicy(loadPolicy(dir))
    expect(policy.warnings.map((w) => w.code)).toEqual(['PERMGATE_WARN_PERMISSION_UNGRANTED'])
    expect(policy.warnings[0]?.place?.line).toBe(5)
  })

  it('accepts legacy two-segment names only when listed', () => {
    const roles = 'roles:\n  U:\n    permissions:\n      ? system.getEmailById\n'
    expect(errorOf({ 'roles.yaml': roles }).code).toBe('PERMGATE_ERR_POLICY_PERMISSION_NAME')
    const p = compileFiles({ 'roles.yaml': roles, 'rules.yaml': 'rules: []\n', 'policy.yaml': manifest('permissions:\n  legacy: [system.getEmailById]') })
    expect(p.roles.get('U')?.permissions).toEqual(['system.getEmailById'])
  })

  it('compiles anchors and merge keys into inherited bitsets', () => {
    const p = compileFiles({})
    expect(p.roles.get('EDITOR')?.permissions).toEqual(['system.things.admin', 'workspace.things.get', 'workspace.things.update'])
    expect(p.permissions).toEqual(['system.things.admin', 'workspace.things.get', 'workspace.things.update'])
    // bit i of a role's mask is set exactly when it holds permissions[i]
    const viewer = p.roles.get('VIEWER')
    expect(viewer?.mask[0]).toBe(1 << (p.bitOf.get('workspace.things.get') as number))
  })

  it('explicit inherits: composes with revocation of an inherited permission', () => {
    const p = compileFiles({
      'roles.yaml': `roles:
  BASE:
    permissions: { workspace.a.get: true, workspace.b.get: true }
  CHILD:
    inherits: [BASE]
    permissions: { workspace.c.get: true, workspace.a.get: false }
`,
      'rules.yaml': 'rules: []\n',
    })
    expect(p.roles.get('CHILD')?.permissions).toEqual(['workspace.b.get', 'workspace.c.get'])
  })

  it('reads its manifest from a directory or a file path', () => {
    const dir = tempFiles({ 'policy.yaml': manifest(), 'roles.yaml': ROLES, 'rules.yaml': RULES })
    expect(loadPolicy(join(dir, 'policy.yaml')).roles.size).toBe(2)
  })
})
