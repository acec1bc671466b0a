// The escalation guard end to end: a role inside an update payload that permgate cannot read for
// sure (the payload a JSON string, a list, or an object with a prototype key) is refused before
// the upstream sees it, whether written in the document or sent as a variable.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { startHarness, type Harness } from '../helpers/proxy.js'
import { expectRefused, gql } from './helpers.js'

let h: Harness
let viewer: Record<string, string>

beforeAll(async () => {
  h = await startHarness()
  viewer = { authorization: `Bearer ${await h.token('u-viewer')}` }
})
afterAll(() => h.close())
beforeEach(() => h.upstream.reset())

// updateServiceAccount is open to any authenticated caller; a role in its payload must be a
// system role within the caller's own, and the viewer holds none.
const VAR = 'mutation ($p: JSON!) { updateServiceAccount(serviceAccountUuid: "s1", payload: $p) }'
const literal = (payload: string): string => `mutation { updateServiceAccount(serviceAccountUuid: "s1", payload: ${payload}) }`

describe('regression (issue 12, item 5): a payload that is no plain object, or carries a prototype key, is an escalation', () => {
  it.each([
    ['__proto__ carrying the role', '{"__proto__":{"role":"SYSTEM_ADMIN"}}'],
    ['constructor.prototype carrying the role', '{"label":"x","constructor":{"prototype":{"role":"SYSTEM_ADMIN"}}}'],
    ['prototype carrying the role', '{"prototype":{"role":"SYSTEM_ADMIN"}}'],
    ['a JSON string of the object', '"{\\"role\\":\\"SYSTEM_ADMIN\\"}"'],
    ['a list of the object', '[{"role":"SYSTEM_ADMIN"}]'],
  ])('variable payload, %s: 403 escalation, nothing forwarded', async (_name, payload) => {
    const body = `{"query":${JSON.stringify(VAR)},"variables":{"p":${payload}}}`
    expectRefused(h, await gql(h, body, viewer), 403, 'escalation', payload)
  })

  it.each([
    ['__proto__ carrying the role', '{__proto__: {role: SYSTEM_ADMIN}}'],
    ['constructor.prototype carrying the role', '{constructor: {prototype: {role: SYSTEM_ADMIN}}}'],
    ['a string of the object', '"{\\"role\\":\\"SYSTEM_ADMIN\\"}"'],
    ['a list of the object', '[{role: SYSTEM_ADMIN}]'],
  ])('literal payload, %s: 403 escalation, nothing forwarded', async (_name, payload) => {
    expectRefused(h, await gql(h, { query: literal(payload) }, viewer), 403, 'escalation', payload)
  })

  it('a plain payload without a role is still forwarded, as it was sent', async () => {
    const body = `{"query":${JSON.stringify(VAR)},"variables":{"p":{"label":"renamed"}}}`
    await gql(h, body, viewer)
    expect(h.upstream.count()).toBe(1)
    expect(JSON.parse(h.upstream.requests[0]!.body)).toEqual({ query: VAR, variables: { p: { label: 'renamed' } } })
  })
})
