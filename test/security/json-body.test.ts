// The JSON request body: duplicate keys, prototype keys, variables of the wrong shape, batches.
// What the gate decides is exactly what the upstream receives, or nothing is forwarded.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { startHarness, type Harness } from '../helpers/proxy.js'
import { errorsIn, expectForwarded, expectRefused, gql } from './helpers.js'

let h: Harness
let viewer: Record<string, string>
let admin: Record<string, string>

beforeAll(async () => {
  h = await startHarness()
  viewer = { authorization: `Bearer ${await h.token('u-viewer')}` }
  admin = { authorization: `Bearer ${await h.token('u-admin')}` }
})
afterAll(() => h.close())
beforeEach(() => h.upstream.reset())

const PROTOTYPE_KEYS = Object.getOwnPropertyNames(Object.prototype).sort()
const WS = 'query ($w: Uuid!) { workspaceDeployments(workspaceUuid: $w) }'

describe('duplicate JSON keys: the last one is decided, and only it is forwarded', () => {
  it.each([
    ['query: allowed then denied (anonymous)', '{"query":"{ authConfig }","query":"{ deployments }"}', {}, 401, 'unauthenticated'],
    ['query: allowed then denied (viewer)', '{"query":"{ authConfig }","query":"{ users }"}', 'viewer', 403, 'missing_permission'],
    ['query spelled with a \\u escape', '{"query":"{ authConfig }","\\u0071uery":"{ deployments }"}', 'viewer', 403, 'missing_permission'],
    ['operationName: allowed then denied', '{"query":"query A { authConfig } query B { deployments }","operationName":"A","operationName":"B"}', 'viewer', 403, 'missing_permission'],
    ['a variable: granted workspace then another', `{"query":"${WS}","variables":{"w":"w1","w":"w2"}}`, 'viewer', 403, 'missing_permission'],
    ['variables: granted object then another', `{"query":"${WS}","variables":{"w":"w1"},"variables":{"w":"w2"}}`, 'viewer', 403, 'missing_permission'],
  ] as const)('%s', async (_name, body, who, status, reason) => {
    expectRefused(h, await gql(h, body, who === 'viewer' ? viewer : {}), status, reason)
  })

  it('denied then allowed: the allowed one is forwarded, re-serialized, without the other', async () => {
    const cases = [
      ['{"query":"{ deployments }","query":"{ authConfig }"}', { query: '{ authConfig }' }],
      ['{"query":"query A { authConfig } query B { deployments }","operationName":"B","operationName":"A"}', { query: 'query A { authConfig } query B { deployments }', operationName: 'A' }],
      [`{"query":"${WS}","variables":{"w":"w2","w":"w1"}}`, { query: WS, variables: { w: 'w1' } }],
    ] as const
    for (const [body, forwarded] of cases) {
      h.upstream.reset()
      const seen = expectForwarded(h, await gql(h, body, viewer), 200, body)
      expect(JSON.parse(seen.body)).toEqual(forwarded)
    }
  })
})

describe('__proto__, constructor, prototype: never a prototype, never a different decision', () => {
  it.each([
    ['__proto__ in the body', '{"query":"{ authConfig }","__proto__":{"query":"{ deployments }"}}'],
    ['constructor in the body', '{"query":"{ authConfig }","constructor":{"prototype":{"query":"{ deployments }"}}}'],
    ['prototype in the body', '{"query":"{ authConfig }","prototype":{"query":"{ deployments }"}}'],
    ['__proto__ in a batch element', '[{"query":"{ authConfig }"},{"query":"{ authConfig }","__proto__":{"isAdmin":true}}]'],
  ])('%s: an unknown key, 400', async (_name, body) => {
    expectRefused(h, await gql(h, body, viewer), 400, 'PERMGATE_ERR_REQUEST_SHAPE')
  })

  it.each([
    // The variable $w is not an own property: no workspace named, the scoped permission fails.
    ['variables.__proto__ carrying $w', `{"query":"${WS}","variables":{"__proto__":{"w":"w1"}}}`, 403, 'missing_permission'],
    ['variables.constructor.prototype carrying $w', `{"query":"${WS}","variables":{"constructor":{"prototype":{"w":"w1"}}}}`, 403, 'missing_permission'],
    // A variable literally named like a prototype key is read as an own property, nothing else.
    ['$__proto__ set to a workspace the viewer lacks', '{"query":"query ($__proto__: Uuid) { workspaceDeployments(workspaceUuid: $__proto__) }","variables":{"__proto__":"w2"}}', 403, 'missing_permission'],
    ['$constructor not given (not Object.prototype.constructor)', '{"query":"query ($constructor: Uuid) { workspaceDeployments(workspaceUuid: $constructor) }","variables":{}}', 403, 'missing_permission'],
    ['$toString not given', '{"query":"query ($toString: Uuid) { workspaceDeployments(workspaceUuid: $toString) }"}', 403, 'missing_permission'],
    ['$hasOwnProperty set to an object', '{"query":"query ($hasOwnProperty: Uuid) { workspaceDeployments(workspaceUuid: $hasOwnProperty) }","variables":{"hasOwnProperty":{"w":"w1"}}}', 403, 'invalid_scope'],
  ] as const)('%s: %i %s', async (_name, body, status, reason) => {
    expectRefused(h, await gql(h, body, viewer), status, reason)
    expect(Object.getOwnPropertyNames(Object.prototype).sort()).toEqual(PROTOTYPE_KEYS)
    expect(({} as Record<string, unknown>).w).toBeUndefined()
  })

  it('$__proto__ and $constructor naming the granted workspace are decided on that value and forwarded', async () => {
    for (const name of ['__proto__', 'constructor']) {
      h.upstream.reset()
      const body = `{"query":"query ($${name}: Uuid!) { workspaceDeployments(workspaceUuid: $${name}) }","variables":{"${name}":"w1"}}`
      const a = await gql(h, body, viewer)
      const seen = expectForwarded(h, a, 200, name)
      expect(Object.hasOwn(JSON.parse(seen.body).variables as object, name)).toBe(true)
      expect((JSON.parse(a.body) as { data: { workspaceDeployments: { id: string }[] } }).data.workspaceDeployments.map((d) => d.id).sort()).toEqual(['d1', 'd2'])
    }
  })

  it('extensions.__proto__ is forwarded as data and pollutes nothing', async () => {
    const seen = expectForwarded(h, await gql(h, '{"query":"{ authConfig }","extensions":{"__proto__":{"polluted":true}}}'))
    expect(seen.body).toBe('{"query":"{ authConfig }","extensions":{"__proto__":{"polluted":true}}}')
    expect(({} as Record<string, unknown>).polluted).toBeUndefined()
    expect(Object.getOwnPropertyNames(Object.prototype).sort()).toEqual(PROTOTYPE_KEYS)
  })
})

describe('variables that are not an object', () => {
  it.each([
    ['a JSON string of the object', '"{\\"w\\":\\"w1\\"}"'],
    ['a list', '[{"w":"w1"}]'],
    ['a number', '1'],
    ['true', 'true'],
  ])('%s: 400 PERMGATE_ERR_GRAPHQL_VARIABLES', async (_name, variables) => {
    expectRefused(h, await gql(h, `{"query":"${WS}","variables":${variables}}`, admin), 400, 'PERMGATE_ERR_GRAPHQL_VARIABLES')
  })

  it('null is no variables: decided without them (no workspace named: denied to the viewer)', async () => {
    expectRefused(h, await gql(h, `{"query":"${WS}","variables":null}`, viewer), 403, 'missing_permission')
  })

  it('a variable used but not declared: 400', async () => {
    expectRefused(h, await gql(h, { query: '{ workspaceDeployments(workspaceUuid: $w) }', variables: { w: 'w1' } }, viewer), 400, 'PERMGATE_ERR_GRAPHQL_UNDECLARED_VARIABLE')
  })

  it('a body that is not an object: 400', async () => {
    for (const body of ['"{ authConfig }"', 'null', '1', '{}', '{"query":""}', '{"query":["{ authConfig }"]}', '{"query":{"query":"{ authConfig }"}}']) {
      expectRefused(h, await gql(h, body), 400, 'PERMGATE_ERR_REQUEST_SHAPE', body)
    }
  })
})

describe('batches: every element decided, any denial refuses the whole batch', () => {
  it.each([
    ['allowed then denied', [{ query: '{ self }' }, { query: '{ deployments }' }], 403, 'missing_permission', 1],
    ['denied first', [{ query: '{ users }' }, { query: '{ authConfig }' }], 403, 'missing_permission', 0],
    ['the denied one in the middle of ten', Array.from({ length: 10 }, (_, i) => ({ query: i === 6 ? '{ authConfig: deployments }' : '{ authConfig }' })), 403, 'missing_permission', 6],
    ['a denied operation chosen by operationName', [{ query: '{ self }' }, { query: 'query A { self } query B { deployments }', operationName: 'B' }], 403, 'missing_permission', 1],
  ] as const)('%s: 403 with the batch index, nothing forwarded', async (_name, batch, status, reason, index) => {
    const a = await gql(h, batch, viewer)
    expectRefused(h, a, status, reason)
    expect(errorsIn(a)[0]!.extensions.batchIndex).toBe(index)
  })

  it.each([
    ['an empty batch', '[]', 400, 'PERMGATE_ERR_REQUEST_SHAPE'],
    ['11 operations (limit 10)', JSON.stringify(Array.from({ length: 11 }, () => ({ query: '{ authConfig }' }))), 413, 'PERMGATE_ERR_BATCH_TOO_LARGE'],
    ['5,000 operations', JSON.stringify(Array.from({ length: 5000 }, () => ({ query: '{ authConfig }' }))), 413, 'PERMGATE_ERR_BATCH_TOO_LARGE'],
    ['a nested batch', '[[{"query":"{ authConfig }"}]]', 400, 'PERMGATE_ERR_REQUEST_SHAPE'],
    ['an element that is not an object', '[{"query":"{ authConfig }"},"{ deployments }"]', 400, 'PERMGATE_ERR_REQUEST_SHAPE'],
    ['an element with a syntax error', '[{"query":"{ authConfig }"},{"query":"{ deployments "}]', 400, 'PERMGATE_ERR_GRAPHQL_SYNTAX'],
    ['an anonymous caller with one authenticated field', '[{"query":"{ authConfig }"},{"query":"{ self }"}]', 401, 'unauthenticated'],
  ] as const)('%s: %i', async (_name, body, status, reason) => {
    expectRefused(h, await gql(h, body, reason === 'unauthenticated' ? {} : viewer), status, reason)
  })
})
