// GraphQL documents built to hide a denied root field from the gate: aliases, fragments,
// directives, several operations, parser limits. Every refusal is answered by permgate and
// the upstream receives nothing; every case the gate lets through is one it decided.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { startHarness, type Harness } from '../helpers/proxy.js'
import { errorsIn, expectForwarded, expectRefused, gql } from './helpers.js'

let h: Harness
const as: Record<'anon' | 'viewer' | 'admin', Record<string, string>> = { anon: {}, viewer: {}, admin: {} }

beforeAll(async () => {
  h = await startHarness()
  as.viewer = { authorization: `Bearer ${await h.token('u-viewer')}` }
  as.admin = { authorization: `Bearer ${await h.token('u-admin')}` }
})
afterAll(() => h.close())
beforeEach(() => h.upstream.reset())

type Who = keyof typeof as
interface Case {
  readonly query: string
  readonly who: Who
  readonly status: number
  readonly reason: string
  readonly variables?: Record<string, unknown>
  readonly operationName?: unknown
}

const refuse = (cases: Record<string, Case>) =>
  it.each(Object.entries(cases))('%s', async (name, c) => {
    const body: Record<string, unknown> = { query: c.query }
    if (c.variables !== undefined) body.variables = c.variables
    if (c.operationName !== undefined) body.operationName = c.operationName
    expectRefused(h, await gql(h, body, as[c.who]), c.status, c.reason, name)
  })

const DENIED = { status: 403, reason: 'missing_permission' } as const
const UNAUTH = { status: 401, reason: 'unauthenticated' } as const

describe('aliases: a denied field under a public or harmless name is still the denied field', () => {
  refuse({
    'authConfig: users (anonymous)': { query: '{ authConfig: users }', who: 'anon', ...UNAUTH },
    'authConfig: users (viewer)': { query: '{ authConfig: users }', who: 'viewer', ...DENIED },
    'two public-looking aliases': { query: '{ authConfig: deployments self: updateAvailable }', who: 'viewer', ...DENIED },
    '__typename: deployments': { query: '{ __typename: deployments }', who: 'viewer', ...DENIED },
    '__schema: deployments': { query: '{ __schema: deployments }', who: 'viewer', ...DENIED },
    'beside the real public field': { query: '{ authConfig authConfig2: users }', who: 'viewer', ...DENIED },
    'a mutation aliased as a public one': { query: 'mutation { createToken: deleteDeployment(deploymentUuid: "d3") }', who: 'anon', ...UNAUTH },
  })

  it('the denial names the field and the alias', async () => {
    const a = await gql(h, { query: '{ authConfig: users }' }, as.viewer)
    expectRefused(h, a, 403, 'missing_permission')
    expect(errorsIn(a)[0]!.extensions).toMatchObject({ field: 'Query.users', alias: 'authConfig' })
  })

  it('the other way round: a public field under a denied field\'s name is the public field', async () => {
    const seen = expectForwarded(h, await gql(h, { query: '{ users: authConfig deployments: __typename }' }))
    expect(JSON.parse(seen.body)).toEqual({ query: '{ users: authConfig deployments: __typename }' })
  })
})

describe('fragments and inline fragments on the root are followed', () => {
  refuse({
    'a named fragment beside a public field': { query: '{ authConfig ...F } fragment F on Query { deployments }', who: 'viewer', ...DENIED },
    'an inline fragment on Query': { query: '{ ... on Query { deployments } }', who: 'viewer', ...DENIED },
    'an inline fragment without a type condition': { query: '{ ... { deployments } }', who: 'viewer', ...DENIED },
    'inline fragments nested in inline fragments': { query: '{ ... on Query { ... { ... on Query { authConfig: users } } } }', who: 'viewer', ...DENIED },
    'a chain of fragments': { query: '{ ...A } fragment A on Query { authConfig ...B } fragment B on Query { ... on Query { ...C } } fragment C on Query { users }', who: 'viewer', ...DENIED },
    'a fragment spread inside an inline fragment': { query: '{ ... { ...F } } fragment F on Query { deployments }', who: 'viewer', ...DENIED },
    'a mutation in a fragment': { query: 'mutation { ...M } fragment M on Mutation { deleteDeployment(deploymentUuid: "d3") }', who: 'viewer', ...DENIED },
    'a fragment on another root type': { query: '{ authConfig ...M } fragment M on Mutation { deleteDeployment(deploymentUuid: "d3") }', who: 'viewer', status: 400, reason: 'PERMGATE_ERR_GRAPHQL_FRAGMENT_TYPE' },
    'an inline fragment on another root type': { query: '{ authConfig ... on Mutation { deleteDeployment(deploymentUuid: "d3") } }', who: 'viewer', status: 400, reason: 'PERMGATE_ERR_GRAPHQL_FRAGMENT_TYPE' },
    'a Query fragment in a mutation': { query: 'mutation { ...Q } fragment Q on Query { authConfig }', who: 'anon', status: 400, reason: 'PERMGATE_ERR_GRAPHQL_FRAGMENT_TYPE' },
    'two fragments of the same name': { query: '{ ...F } fragment F on Query { authConfig } fragment F on Query { deployments }', who: 'viewer', status: 400, reason: 'PERMGATE_ERR_GRAPHQL_DUPLICATE_NAME' },
  })
})

describe('fragment cycles and unknown fragments are refused as invalid documents', () => {
  const CYCLE = { status: 400, reason: 'PERMGATE_ERR_GRAPHQL_FRAGMENT_CYCLE' } as const
  const UNKNOWN = { status: 400, reason: 'PERMGATE_ERR_GRAPHQL_UNKNOWN_FRAGMENT' } as const
  refuse({
    'A spreads B spreads A': { query: '{ ...A } fragment A on Query { ...B } fragment B on Query { authConfig ...A }', who: 'anon', ...CYCLE },
    'a fragment spreading itself': { query: '{ ...A } fragment A on Query { authConfig ...A }', who: 'anon', ...CYCLE },
    'a cycle through a nested selection': { query: '{ ...A } fragment A on Query { authConfig { ...A } }', who: 'anon', ...CYCLE },
    'an unused cycle beside a public field': { query: '{ authConfig } fragment A on Query { ...B } fragment B on Query { ...A }', who: 'anon', ...CYCLE },
    'a spread of an unknown fragment': { query: '{ authConfig ...Nope }', who: 'anon', ...UNKNOWN },
    'an unknown fragment in a nested selection': { query: '{ authConfig { ...Nope } }', who: 'anon', ...UNKNOWN },
    'an unknown fragment inside a fragment': { query: '{ ...A } fragment A on Query { authConfig ...Nope }', who: 'anon', ...UNKNOWN },
    'an unknown fragment in an unused fragment': { query: '{ authConfig } fragment A on Query { ...Nope }', who: 'anon', ...UNKNOWN },
  })
})

describe('@skip / @include are never evaluated: a field under them counts as requested', () => {
  refuse({
    '@skip(if: true)': { query: '{ authConfig deployments @skip(if: true) }', who: 'viewer', ...DENIED },
    '@include(if: false)': { query: '{ authConfig deployments @include(if: false) }', who: 'viewer', ...DENIED },
    '@skip with a variable set to true': { query: 'query ($s: Boolean!) { authConfig deployments @skip(if: $s) }', variables: { s: true }, who: 'viewer', ...DENIED },
    '@include with a variable defaulting to false': { query: 'query ($i: Boolean = false) { authConfig users @include(if: $i) }', who: 'viewer', ...DENIED },
    '@skip on an inline fragment': { query: '{ authConfig ... @skip(if: true) { deployments } }', who: 'viewer', ...DENIED },
    '@include on a fragment spread': { query: '{ authConfig ...F @include(if: false) } fragment F on Query { deployments }', who: 'viewer', ...DENIED },
    'both, anonymous': { query: '{ authConfig self @skip(if: true) @include(if: false) }', who: 'anon', ...UNAUTH },
  })
})

describe('several operations and operationName', () => {
  const TWO = 'query A { authConfig } query B { deployments }'
  refuse({
    'two operations, no operationName': { query: TWO, who: 'viewer', status: 400, reason: 'PERMGATE_ERR_GRAPHQL_OPERATION_NAME_REQUIRED' },
    'two operations, operationName null': { query: TWO, operationName: null, who: 'viewer', status: 400, reason: 'PERMGATE_ERR_GRAPHQL_OPERATION_NAME_REQUIRED' },
    'an anonymous and a named operation': { query: '{ authConfig } query B { deployments }', who: 'viewer', status: 400, reason: 'PERMGATE_ERR_GRAPHQL_OPERATION_NAME_REQUIRED' },
    'operationName selects the denied one': { query: TWO, operationName: 'B', who: 'viewer', ...DENIED },
    'operationName selects a denied mutation': { query: 'query A { authConfig } mutation B { deleteDeployment(deploymentUuid: "d3") }', operationName: 'B', who: 'viewer', ...DENIED },
    'operationName names nothing': { query: TWO, operationName: 'C', who: 'viewer', status: 400, reason: 'PERMGATE_ERR_GRAPHQL_UNKNOWN_OPERATION' },
    'operationName is empty': { query: TWO, operationName: '', who: 'viewer', status: 400, reason: 'PERMGATE_ERR_GRAPHQL_UNKNOWN_OPERATION' },
    'operationName on a single anonymous operation': { query: '{ deployments }', operationName: 'A', who: 'viewer', status: 400, reason: 'PERMGATE_ERR_GRAPHQL_UNKNOWN_OPERATION' },
    'operationName is a number': { query: TWO, operationName: 1, who: 'viewer', status: 400, reason: 'PERMGATE_ERR_REQUEST_SHAPE' },
    'operationName is a list': { query: TWO, operationName: ['A'], who: 'viewer', status: 400, reason: 'PERMGATE_ERR_REQUEST_SHAPE' },
    'operationName is an object': { query: TWO, operationName: { A: true }, who: 'viewer', status: 400, reason: 'PERMGATE_ERR_REQUEST_SHAPE' },
    'operationName is true': { query: TWO, operationName: true, who: 'viewer', status: 400, reason: 'PERMGATE_ERR_REQUEST_SHAPE' },
    'two operations of the same name': { query: 'query A { authConfig } query A { deployments }', operationName: 'A', who: 'viewer', status: 400, reason: 'PERMGATE_ERR_GRAPHQL_DUPLICATE_NAME' },
    'no operation at all': { query: 'fragment F on Query { authConfig }', who: 'anon', status: 400, reason: 'PERMGATE_ERR_GRAPHQL_NO_OPERATION' },
    'a type definition beside the operation': { query: 'type Query { deployments: String } { authConfig }', who: 'anon', status: 400, reason: 'PERMGATE_ERR_GRAPHQL_NOT_EXECUTABLE' },
    'a schema extension beside the operation': { query: 'extend type Query { x: String } { authConfig }', who: 'anon', status: 400, reason: 'PERMGATE_ERR_GRAPHQL_NOT_EXECUTABLE' },
  })

  it('operationName selecting the allowed one: forwarded with it, and the upstream runs only that one', async () => {
    const a = await gql(h, { query: TWO, operationName: 'A' }, as.viewer)
    const seen = expectForwarded(h, a)
    expect(JSON.parse(seen.body)).toEqual({ query: TWO, operationName: 'A' })
    expect(Object.keys((JSON.parse(a.body) as { data: object }).data)).toEqual(['authConfig'])
  })
})

describe('strings and comments do not hide or invent fields', () => {
  it('braces inside a string argument are text', async () => {
    expectForwarded(h, await gql(h, { query: '{ authConfig(redirect: "} deployments { users") }' }))
    h.upstream.reset()
    expectForwarded(h, await gql(h, { query: '{ authConfig(redirect: """ } deployments \\""" { """) }' }), 200)
  })

  it('a comment is not a field, and a comment ends at CR as at LF', async () => {
    expectForwarded(h, await gql(h, { query: '{ authConfig # deployments\n }' }))
    h.upstream.reset()
    expectRefused(h, await gql(h, { query: '{ authConfig # x\r deployments }' }, as.viewer), 403, 'missing_permission')
  })

  it('U+2028 does not end a comment, for the gate as for graphql-js upstream', async () => {
    const a = await gql(h, { query: '{ authConfig # x\u2028 deployments\n }' })
    expectForwarded(h, a)
    expect(Object.keys((JSON.parse(a.body) as { data: object }).data)).toEqual(['authConfig'])
  })
})

describe('parser limits: refused before any decision, never a crash', () => {
  const repeat = (n: number, f: (i: number) => string): string => Array.from({ length: n }, (_, i) => f(i)).join(' ')
  const nest = (n: number): string => `${'{ a '.repeat(n)}${'}'.repeat(n)}`
  refuse({
    'over 10,000 tokens': { query: `{ authConfig(extras: [${'1 '.repeat(10_001)}]) }`, who: 'anon', status: 400, reason: 'PERMGATE_ERR_GRAPHQL_TOO_MANY_TOKENS' },
    'selections 16 deep': { query: `{ authConfig ${nest(15)} }`, who: 'anon', status: 400, reason: 'PERMGATE_ERR_GRAPHQL_TOO_DEEP' },
    'selections 4,000 deep (the parser\'s stack)': { query: `{ authConfig ${nest(4000)} }`, who: 'anon', status: 400, reason: 'PERMGATE_ERR_GRAPHQL_TOO_DEEP' },
    'inline fragments 3,000 deep around a denied field': { query: `{ ${'... { '.repeat(3000)} deployments ${'}'.repeat(3000)} }`, who: 'viewer', status: 400, reason: 'PERMGATE_ERR_GRAPHQL_TOO_DEEP' },
    'lists 4,900 deep in an argument': { query: `{ authConfig(extras: ${'['.repeat(4900)}${']'.repeat(4900)}) }`, who: 'anon', status: 400, reason: 'PERMGATE_ERR_GRAPHQL_TOO_DEEP' },
    '51 aliases inside one field': { query: `{ authConfig { ${repeat(51, (i) => `a${i}: x`)} } }`, who: 'anon', status: 400, reason: 'PERMGATE_ERR_GRAPHQL_TOO_MANY_ALIASES' },
    '3,000 aliases of a public field': { query: `{ ${repeat(3000, (i) => `a${i}: authConfig`)} }`, who: 'anon', status: 400, reason: 'PERMGATE_ERR_GRAPHQL_TOO_MANY_ALIASES' },
    '33 root fields': { query: `{ ${'authConfig '.repeat(33)} }`, who: 'anon', status: 400, reason: 'PERMGATE_ERR_GRAPHQL_TOO_MANY_ROOT_FIELDS' },
    '9,000 root fields': { query: `{ ${'authConfig '.repeat(9000)} }`, who: 'anon', status: 400, reason: 'PERMGATE_ERR_GRAPHQL_TOO_MANY_ROOT_FIELDS' },
    'a fan-out of fragments (2^25 root fields)': {
      query: `{ ...F25 } fragment F0 on Query { authConfig } ${repeat(25, (i) => `fragment F${i + 1} on Query { ...F${i} ...F${i} }`)}`,
      who: 'anon',
      status: 400,
      reason: 'PERMGATE_ERR_GRAPHQL_TOO_MANY_ROOT_FIELDS',
    },
    'a chain of 2,000 fragments (over the token limit)': {
      query: `{ ...F0 } ${repeat(2000, (i) => `fragment F${i} on Query { ...F${i + 1} }`)} fragment F2000 on Query { deployments }`,
      who: 'viewer',
      status: 400,
      reason: 'PERMGATE_ERR_GRAPHQL_TOO_MANY_TOKENS',
    },
  })

  it('32 root fields is within the limit: decided and forwarded', async () => {
    expectForwarded(h, await gql(h, { query: `{ ${'authConfig '.repeat(32)} }` }))
  })

  // graphql-js does not count comments as tokens: a comment flood is bounded by the body limit,
  // not the token limit. Within the body limit the document is decided on its fields.
  it('a comment flood within the body limit is decided on its fields, not refused by the token limit', async () => {
    const flood = '#x\n'.repeat(200_000) // 800 KB as JSON, 200,000 comments, 4 tokens
    expectRefused(h, await gql(h, { query: `{ ${flood} deployments ${flood.slice(0, 30)} }` }, as.viewer), 403, 'missing_permission')
    const a = await gql(h, { query: `{ authConfig ${flood} }` })
    expectForwarded(h, a)
    expect(Object.keys((JSON.parse(a.body) as { data: object }).data)).toEqual(['authConfig'])
  })

  it('a comment flood over the body limit is refused (413) before parsing', async () => {
    expectRefused(h, await gql(h, { query: `{ authConfig ${'#x\n'.repeat(400_000)} }` }), 413, 'PERMGATE_ERR_BODY_TOO_LARGE')
  })

  it('permgate still answers after each of these', async () => {
    expectForwarded(h, await gql(h, { query: '{ self }' }, as.viewer))
  })
})
