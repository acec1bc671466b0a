import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { compilePolicy } from '../../src/policy/compile.js'
import { loadPolicy } from '../../src/policy/load.js'
import { houstonRoles, POLICY_HOUSTON_035 } from '../../test/helpers/shared.js'

// The 0.35 roles of policies/houston-0.35 against ../shared/houston/roles-0.35.json: exactly the
// effective permission sets (inheritance applied), written as Houston writes them, and the role
// structure the 0.3x rules and guards rely on.

const policy = compilePolicy(loadPolicy(POLICY_HOUSTON_035))
const expected = houstonRoles('roles-0.35.json')
const LEVELS = ['VIEWER', 'EDITOR', 'ADMIN'] as const
const permsOf = (role: string): readonly string[] => policy.roles.get(role)?.permissions ?? []

describe('policies/houston-0.35 roles = roles-0.35.json', () => {
  it('defines exactly the ten roles of the facts', () => {
    expect([...policy.roles.keys()].sort()).toEqual(Object.keys(expected).sort())
    expect(policy.roles.size).toBe(10)
  })

  it.each(Object.keys(expected))('%s has exactly its effective permissions and name', (id) => {
    expect(permsOf(id)).toEqual([...(expected[id]?.permissions ?? [])].sort())
    expect(policy.roles.get(id)?.name).toBe(expected[id]?.name)
  })

  it('holds 88 distinct permissions across its roles', () => {
    expect(new Set(Object.values(expected).flatMap((r) => r.permissions)).size).toBe(88)
    expect(new Set([...policy.roles.values()].flatMap((r) => r.permissions)).size).toBe(88)
  })

  it("is written in Houston's v0.11+ form: set entries, anchors and merge keys", () => {
    const text = readFileSync(join(POLICY_HOUSTON_035, 'roles.yaml'), 'utf8')
    expect(text).toMatch(/permissions: &PERMS__SYSTEM_EDITOR\n\s+<<: \[\*PERMS__SYSTEM_VIEWER/)
    expect(text).toMatch(/^\s+\? system\.iam\.update$/m)
    expect(text).not.toMatch(/^\s+- system\./m)
  })
})

describe('policies/houston-0.35 role structure', () => {
  it.each(['WORKSPACE', 'DEPLOYMENT', 'SYSTEM'] as const)('%s roles grow with their level', (scope) => {
    for (let i = 1; i < LEVELS.length; i++) {
      const lower = permsOf(`${scope}_${LEVELS[i - 1]}`)
      expect(lower.length).toBeGreaterThan(0)
      expect(permsOf(`${scope}_${LEVELS[i]}`)).toEqual(expect.arrayContaining([...lower]))
    }
  })

  it.each(LEVELS)('SYSTEM_%s holds the workspace and deployment sets of its level (platform 0.30+)', (level) => {
    const sys = permsOf(`SYSTEM_${level}`)
    expect(sys).toEqual(expect.arrayContaining([...permsOf(`WORKSPACE_${level}`), ...permsOf(`DEPLOYMENT_${level}`)]))
  })

  it('USER holds only system permissions, among them system.workspace.create', () => {
    expect(permsOf('USER').every((p) => p.startsWith('system.'))).toBe(true)
    expect(permsOf('USER')).toContain('system.workspace.create')
  })

  it('every role but USER can be granted, at the scope its id names; USER cannot', () => {
    for (const id of policy.roles.keys()) {
      const g = policy.grantable.get(id)
      if (id === 'USER') expect(g).toBeUndefined()
      else expect(g?.scope, id).toBe(id.split('_')[0]?.toLowerCase())
    }
  })

  it('granting WORKSPACE_X gives DEPLOYMENT_X on its deployments too (the cascade)', () => {
    for (const level of LEVELS) {
      expect(policy.cascade.get(`WORKSPACE_${level}`)).toBe(`DEPLOYMENT_${level}`)
      const bits = policy.grantable.get(`WORKSPACE_${level}`)?.mask
      const dep = policy.roles.get(`DEPLOYMENT_${level}`)?.mask
      expect(bits && dep && dep.every((w, i) => ((bits[i] ?? 0) & w) >>> 0 === w >>> 0)).toBe(true)
    }
  })
})
