import { describe, expect, it } from 'vitest'
import { compilePolicy } from '../../../src/policy/compile.js'
import { loadPolicy } from '../../../src/policy/load.js'
import { decideQuery, storeOf } from '../../helpers/decide.js'
import { manifest, tempFiles } from '../../helpers/tmp.js'

const ROLES = 'roles:\n  EDITOR:\n    permissions:\n      ? workspace.things.update\n'
const RULES = `rules:
  - field: Mutation.updateThing
    permissions: [workspace.things.update]
    scope: [{ workspace: input.workspaceId }]
  - field: Query.thing
    access: authenticated
`
const policyWith = (extra: string) =>
  compilePolicy(loadPolicy(tempFiles({ 'policy.yaml': manifest(extra), 'roles.yaml': ROLES, 'rules.yaml': RULES })))
const store = storeOf({ ed: [{ role: 'EDITOR', workspace: 'w1' }] })

describe('scope from an argument path into an input object', () => {
  const p = policyWith('')
  it.each([
    ['a literal input object', 'mutation { updateThing(input: { workspaceId: "w1", name: "x" }) }', undefined, true],
    ['another workspace', 'mutation { updateThing(input: { workspaceId: "w2" }) }', undefined, false],
    ['a variable holding the object', 'mutation($i: ThingInput!) { updateThing(input: $i) }', { i: { workspaceId: 'w1' } }, true],
    ['a variable inside the object', 'mutation($w: ID!) { updateThing(input: { workspaceId: $w }) }', { w: 'w2' }, false],
    ['the path missing: no entity, the scoped permission fails', 'mutation { updateThing(input: { name: "x" }) }', undefined, false],
  ])('%s', (_name, query, variables, allowed) => {
    expect(decideQuery(p, store, 'ed', query, variables).allowed).toBe(allowed)
  })

  it('an object where the id belongs is invalid_scope', () => {
    const d = decideQuery(p, store, 'ed', 'mutation { updateThing(input: { workspaceId: { id: "w1" } }) }')
    expect(d.denied[0]?.reason).toBe('invalid_scope')
  })
})

describe('introspection setting', () => {
  const cases: [string, string | null, boolean, string | undefined][] = [
    ['public', null, true, undefined],
    ['authenticated', null, false, 'unauthenticated'],
    ['authenticated', 'ed', true, undefined],
    ['denied', 'ed', false, 'introspection_denied'],
  ]
  it.each(cases)('introspection: %s, subject %s', (mode, subject, allowed, reason) => {
    const p = policyWith(`introspection: ${mode}`)
    for (const q of ['{ __schema { types { name } } }', '{ __type(name: "Query") { name } }']) {
      const d = decideQuery(p, store, subject, q)
      expect(d.allowed).toBe(allowed)
      if (reason) expect(d.denied[0]?.reason).toBe(reason)
    }
    // __typename is harmless whatever the setting
    expect(decideQuery(p, store, null, '{ __typename }').allowed).toBe(true)
  })
})
