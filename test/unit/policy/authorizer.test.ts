import { describe, expect, it } from 'vitest'
import { DocumentCache } from '../../../src/operation/cache.js'
import { Authorizer } from '../../../src/policy/authorizer.js'
import { compilePolicy } from '../../../src/policy/compile.js'
import { decide } from '../../../src/policy/decide.js'
import { loadPolicy } from '../../../src/policy/load.js'
import { storeOf } from '../../helpers/decide.js'
import { POLICY_HOUSTON } from '../../helpers/shared.js'

const policy = compilePolicy(loadPolicy(POLICY_HOUSTON))
const store = storeOf({
  ed: [{ role: 'DEPLOYMENT_EDITOR', deployment: 'd1' }, { role: 'WORKSPACE_VIEWER', workspace: 'w2' }],
  both: [{ role: 'DEPLOYMENT_VIEWER', deployment: 'd2' }, { role: 'WORKSPACE_EDITOR', workspace: 'w2' }],
})
const docs = new DocumentCache()
const ed = { kind: 'user' as const, id: 'ed', groups: [] }

describe('Authorizer caches', () => {
  it('an operation without variables is decided once per principal, and the cached decision is immutable', () => {
    const a = new Authorizer(policy, store)
    const op = docs.get('mutation { updateDeployment(deploymentUuid: "d1") }', undefined)
    expect(op.usesVariables).toBe(false)
    const first = a.decide(ed, op, undefined)
    expect(first.allowed).toBe(true)
    expect(a.decide({ ...ed }, op, undefined)).toBe(first)
    expect(Object.isFrozen(first)).toBe(true)
  })

  it('an operation with variables is decided for each request’s variables', () => {
    const a = new Authorizer(policy, store)
    const op = docs.get('mutation($d: Uuid!) { updateDeployment(deploymentUuid: $d) }', undefined)
    expect(op.usesVariables).toBe(true)
    expect(a.decide(ed, op, { d: 'd1' }).allowed).toBe(true)
    expect(a.decide(ed, op, { d: 'd2' }).allowed).toBe(false)
    expect(a.decide(ed, op, { d: 'd1' }).allowed).toBe(true)
  })

  it('cached and uncached decisions agree, for denials too', () => {
    const a = new Authorizer(policy, store)
    for (const q of ['{ deployments }', 'mutation { deleteDeployment(deploymentUuid: "d1") }', '{ workspaceDeployments(workspaceUuid: "w2") }']) {
      const op = docs.get(q, undefined)
      const cached = a.decide(ed, op, undefined)
      expect(a.decide(ed, op, undefined)).toEqual(decide(policy, a.masks(ed), op, undefined))
      expect(cached).toEqual(decide(policy, a.masks(ed), op, undefined))
    }
  })

  it('a deployment bound directly and through its workspace holds the union of both', () => {
    const a = new Authorizer(policy, storeOf({ both: [{ role: 'DEPLOYMENT_VIEWER', deployment: 'd2' }, { role: 'WORKSPACE_EDITOR', workspace: 'w2' }] }))
    const both = { kind: 'user' as const, id: 'both', groups: [] }
    // DEPLOYMENT_EDITOR cascaded from w2 grants config.update on d2; the direct viewer role alone would not
    expect(a.decide(both, docs.get('mutation { updateDeployment(deploymentUuid: "d2") }', undefined), undefined).allowed).toBe(true)
    expect(a.decide(both, docs.get('{ logs(deploymentUuid: "d2") }', undefined), undefined).allowed).toBe(true)
    expect(a.decide(both, docs.get('mutation { deleteDeployment(deploymentUuid: "d2") }', undefined), undefined).allowed).toBe(false)
  })
})
