// Introspection under each `introspection:` setting of the policy (a temporary copy of
// policies/houston), through every way of spelling it at the root; __typename always passes.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { startHarness, type Harness } from '../helpers/proxy.js'
import { expectForwarded, expectRefused, gql, houstonWithIntrospection } from './helpers.js'

const SPELLINGS: Record<string, string> = {
  '__schema': '{ __schema { queryType { name } } }',
  '__type at the root': '{ __type(name: "Query") { name } }',
  '__schema under an alias': '{ s: __schema { queryType { name } } }',
  '__schema aliased as a public field': '{ authConfig: __schema { queryType { name } } }',
  '__type aliased as __typename': '{ __typename: __type(name: "Query") { name } }',
  '__schema in a named fragment': '{ ...I } fragment I on Query { __schema { queryType { name } } }',
  '__type in an inline fragment': '{ ... on Query { __type(name: "Query") { name } } }',
  '__schema beside a public field, under @skip(if: true)': '{ authConfig __schema @skip(if: true) { queryType { name } } }',
}

type Mode = 'public' | 'authenticated' | 'denied'
type Who = 'anonymous' | 'viewer'
/** What each mode answers each caller: forwarded, or [status, reason]. */
const EXPECTED: Record<Mode, Record<Who, 'forwarded' | readonly [number, string]>> = {
  public: { anonymous: 'forwarded', viewer: 'forwarded' },
  authenticated: { anonymous: [401, 'unauthenticated'], viewer: 'forwarded' },
  denied: { anonymous: [403, 'introspection_denied'], viewer: [403, 'introspection_denied'] },
}

describe.each(['public', 'authenticated', 'denied'] as const)('introspection: %s', (mode) => {
  let h: Harness
  const headers: Record<Who, Record<string, string>> = { anonymous: {}, viewer: {} }
  beforeAll(async () => {
    h = await startHarness(['--policy', houstonWithIntrospection(mode)])
    headers.viewer = { authorization: `Bearer ${await h.token('u-viewer')}` }
  })
  afterAll(() => h.close())
  beforeEach(() => h.upstream.reset())

  const cases = Object.entries(SPELLINGS).flatMap(([name, query]) => (['anonymous', 'viewer'] as const).map((who) => [name, who, query] as const))
  it.each(cases)('%s, %s', async (_name, who, query) => {
    const a = await gql(h, { query }, headers[who])
    const expected = EXPECTED[mode][who]
    if (expected === 'forwarded') {
      expectForwarded(h, a)
      expect(a.body).toContain('"data"')
    } else {
      expectRefused(h, a, expected[0], expected[1])
    }
  })

  it('__typename is always allowed, also aliased and in fragments', async () => {
    for (const query of ['{ __typename }', '{ authConfig: __typename }', '{ ...T } fragment T on Query { __typename }', 'mutation { __typename }']) {
      h.upstream.reset()
      expectForwarded(h, await gql(h, { query }), 200, query)
    }
  })

  it('a denied field beside introspection is still denied', async () => {
    expectRefused(h, await gql(h, { query: '{ __schema { queryType { name } } deployments }' }, headers.viewer), 403, mode === 'denied' ? 'introspection_denied' : 'missing_permission')
  })
})
