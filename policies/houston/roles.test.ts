import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { compilePolicy } from '../../src/policy/compile.js'
import { loadPolicy } from '../../src/policy/load.js'
import { houstonRoles, POLICY_HOUSTON, POLICY_HOUSTON_035 } from '../../test/helpers/shared.js'

// The shipped policies must reproduce Houston's effective role sets exactly (inheritance applied).
describe.each([
  ['policies/houston', POLICY_HOUSTON, 'roles-v0.12.1.json'],
  ['policies/houston-0.35', POLICY_HOUSTON_035, 'roles-0.35.json'],
] as const)('%s effective roles', (_name, dir, facts) => {
  const policy = compilePolicy(loadPolicy(dir))
  const expected = houstonRoles(facts)

  it('defines exactly the roles of the facts', () => {
    expect([...policy.roles.keys()].sort()).toEqual(Object.keys(expected).sort())
  })

  it.each(Object.keys(expected))('%s has exactly its effective permissions and name', (id) => {
    const role = policy.roles.get(id)
    expect(role?.permissions).toEqual([...(expected[id]?.permissions ?? [])].sort())
    expect(role?.name).toBe(expected[id]?.name)
  })

  it("is written in Houston's v0.11+ form: set entries, anchors and merge keys", () => {
    const text = readFileSync(join(dir, 'roles.yaml'), 'utf8')
    expect(text).toMatch(/permissions: &PERMS__SYSTEM_EDITOR\n\s+<<: (\[)?\*PERMS__SYSTEM_VIEWER/)
    expect(text).toMatch(/^\s+\? system\.iam\.update$/m)
    // SYSTEM_ADMIN's own entries are fewer than what it ends up with: the rest is inherited
    const own = /SYSTEM_ADMIN:[\s\S]*?(?=\n\s*\n|\n  [A-Z]|$)/.exec(text)?.[0] ?? ''
    const ownEntries = own.split('\n').filter((l) => l.trim().startsWith('? ')).length
    expect(ownEntries).toBeGreaterThan(0)
    expect(ownEntries).toBeLessThan(policy.roles.get('SYSTEM_ADMIN')?.permissions.length ?? 0)
  })
})
