// HTTP around the GraphQL request: methods, the URL beside the body, content types, charsets,
// bytes that are not UTF-8, compression bombs, Content-Length lies.
import { brotliCompressSync, deflateRawSync, deflateSync, gzipSync } from 'node:zlib'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { startHarness, type Harness } from '../helpers/proxy.js'
import { expectForwarded, expectRefused, gql, raw, responsesIn, send, socket } from './helpers.js'

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

const q = (params: Record<string, string>): string => `${h.graphql}?${new URLSearchParams(params)}`
const DELETE_D1 = 'mutation { deleteDeployment(deploymentUuid: "d1") }'

describe('mutations over GET: 405 with Allow: POST, whoever asks', () => {
  it.each([
    ['a plain mutation', { query: DELETE_D1 }],
    ['a mutation after a comment', { query: `# just a query\n${DELETE_D1}` }],
    ['a mutation after a fragment definition', { query: `fragment F on Query { authConfig } ${DELETE_D1}` }],
    ['the mutation of a mixed document chosen by operationName', { query: `query A { authConfig } mutation B { deleteDeployment(deploymentUuid: "d1") }`, operationName: 'B' }],
    ['a mutation aliased as a public query field', { query: 'mutation { authConfig: deleteDeployment(deploymentUuid: "d1") }' }],
  ])('%s', async (_name, params) => {
    const a = await send(q(params), { headers: admin })
    expectRefused(h, a, 405, 'PERMGATE_ERR_METHOD_NOT_ALLOWED')
    expect(a.headers.allow).toBe('POST')
  })

  it('the query of a mixed document chosen by operationName is forwarded as a GET with only that', async () => {
    const seen = expectForwarded(h, await send(q({ query: 'query A { authConfig } mutation B { deleteDeployment(deploymentUuid: "d1") }', operationName: 'A' })))
    expect(seen.method).toBe('GET')
    expect(new URL(seen.url, 'http://x').searchParams.get('operationName')).toBe('A')
  })
})

describe('a query in the URL and another in the body', () => {
  it.each([
    ['query in the URL', { query: '{ deployments }' }],
    ['operationName in the URL', { operationName: 'B' }],
    ['variables in the URL', { variables: '{"w":"w2"}' }],
    ['extensions in the URL', { extensions: '{}' }],
  ])('POST with %s: 400', async (_name, params) => {
    expectRefused(h, await send(q(params), { method: 'POST', headers: { 'content-type': 'application/json', ...viewer }, body: JSON.stringify({ query: 'query A { authConfig } query B { deployments }', operationName: 'A' }) }), 400, 'PERMGATE_ERR_REQUEST_SHAPE')
  })

  it('GET with a JSON body: decided on the URL, the body is never forwarded', async () => {
    const a = await raw(h.url, 'GET', `/graphql?${new URLSearchParams({ query: '{ authConfig }' })}`, { 'content-type': 'application/json' }, JSON.stringify({ query: '{ deployments }' }))
    const seen = expectForwarded(h, a)
    expect(seen.body).toBe('')
    expect(new URL(seen.url, 'http://x').searchParams.get('query')).toBe('{ authConfig }')
    expect(a.body).not.toContain('deployments')
  })

  it('GET with a repeated or unknown parameter: 400', async () => {
    expectRefused(h, await send(`${h.graphql}?query=${encodeURIComponent('{ authConfig }')}&query=${encodeURIComponent('{ deployments }')}`, { headers: viewer }), 400, 'PERMGATE_ERR_REQUEST_SHAPE')
    expectRefused(h, await send(`${q({ query: '{ authConfig }' })}&queryId=deployments`, { headers: viewer }), 400, 'PERMGATE_ERR_REQUEST_SHAPE')
  })
})

describe('bodies that are not application/json in UTF-8: 415 before they are read', () => {
  const multipart = [
    '--x', 'Content-Disposition: form-data; name="operations"', '', JSON.stringify({ query: '{ deployments }' }),
    '--x', 'Content-Disposition: form-data; name="map"', '', '{}', '--x--', '',
  ].join('\r\n')
  it.each([
    ['application/graphql', 'application/graphql', '{ deployments }'],
    ['application/x-www-form-urlencoded', 'application/x-www-form-urlencoded', new URLSearchParams({ query: '{ deployments }' }).toString()],
    ['multipart/form-data (GraphQL multipart request)', 'multipart/form-data; boundary=x', multipart],
    ['text/plain', 'text/plain', JSON.stringify({ query: '{ deployments }' })],
    ['text/plain; charset=utf-8', 'text/plain; charset=utf-8', JSON.stringify({ query: '{ deployments }' })],
    ['application/graphql-response+json', 'application/graphql-response+json', JSON.stringify({ query: '{ deployments }' })],
    ['application/jsonx', 'application/jsonx', JSON.stringify({ query: '{ deployments }' })],
    ['no Content-Type', '', JSON.stringify({ query: '{ deployments }' })],
    // fastify cannot parse these (FST_ERR_CTP_INVALID_MEDIA_TYPE): they were a 500 with an error-level stack
    ['two media types in one field (application/json, text/plain)', 'application/json, text/plain', JSON.stringify({ query: '{ deployments }' })],
    ['two media types in one field (text/plain, application/json)', 'text/plain, application/json', JSON.stringify({ query: '{ deployments }' })],
  ])('%s', async (_name, type, body) => {
    const headers: Record<string, string> = { ...viewer, ...(type ? { 'content-type': type } : {}) }
    expectRefused(h, await raw(h.url, 'POST', '/graphql', headers, body), 415, 'PERMGATE_ERR_UNSUPPORTED_MEDIA_TYPE')
  })

  it('a Content-Type fastify cannot parse on a route request: the same coded 415', async () => {
    expectRefused(h, await raw(h.url, 'POST', '/v1/anything', { ...viewer, 'content-type': 'application/json, text/plain' }, '{}'), 415, 'PERMGATE_ERR_UNSUPPORTED_MEDIA_TYPE')
  })

  it.each([
    ['charset=utf-16 (a UTF-16 body)', 'application/json; charset=utf-16', Buffer.from(JSON.stringify({ query: '{ deployments }' }), 'utf16le')],
    ['charset=utf-16le', 'application/json; charset=utf-16le', Buffer.from(JSON.stringify({ query: '{ deployments }' }), 'utf16le')],
    ['charset=iso-8859-1', 'application/json; charset=iso-8859-1', Buffer.from(JSON.stringify({ query: '{ deployments }' }), 'latin1')],
    ['charset=latin1', 'application/json; charset=latin1', Buffer.from(JSON.stringify({ query: '{ deployments }' }), 'latin1')],
    ['a quoted charset', 'application/json; charset="utf-16"', Buffer.from(JSON.stringify({ query: '{ deployments }' }), 'utf16le')],
    ['utf-8 and then utf-16', 'application/json; charset=utf-8; charset=utf-16', Buffer.from(JSON.stringify({ query: '{ deployments }' }), 'utf16le')],
  ])('%s', async (_name, type, body) => {
    expectRefused(h, await raw(h.url, 'POST', '/graphql', { ...viewer, 'content-type': type }, body), 415, 'PERMGATE_ERR_UNSUPPORTED_MEDIA_TYPE')
  })
})

describe('application/json whose bytes are not plain UTF-8 JSON: 400, nothing forwarded', () => {
  const json = JSON.stringify({ query: '{ authConfig }' })
  it.each([
    ['a UTF-16LE body with its BOM', Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(json, 'utf16le')])],
    ['a UTF-16BE body with its BOM', Buffer.concat([Buffer.from([0xfe, 0xff]), Buffer.from(json, 'utf16le').swap16()])],
    ['a UTF-16LE body without a BOM', Buffer.from(json, 'utf16le')],
    ['a UTF-8 BOM', Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(json)])],
    ['invalid bytes in a comment', Buffer.concat([Buffer.from('{"query":"{ authConfig } # '), Buffer.from([0xff, 0xfe, 0xfd]), Buffer.from('"}')])],
    ['invalid bytes in an argument', Buffer.concat([Buffer.from('{"query":"{ authConfig(redirect: \\"'), Buffer.from([0xc3]), Buffer.from('\\") }"}')])],
    ['an overlong encoding of a quote', Buffer.concat([Buffer.from('{"query":"{ authConfig(redirect: \\"'), Buffer.from([0xc0, 0xa2]), Buffer.from(') }"}')])],
    ['a UTF-8-encoded lone surrogate', Buffer.concat([Buffer.from('{"query":"{ authConfig } # '), Buffer.from([0xed, 0xa0, 0x80]), Buffer.from('"}')])],
    ['a NUL byte outside a string', Buffer.concat([Buffer.from('{"query":"{ authConfig }"}'), Buffer.from([0])])],
  ])('%s', async (_name, body) => {
    expectRefused(h, await raw(h.url, 'POST', '/graphql', { 'content-type': 'application/json' }, body), 400, 'PERMGATE_ERR_REQUEST_SHAPE')
  })

  it('escaped non-ASCII is valid JSON: decided and forwarded as parsed', async () => {
    const seen = expectForwarded(h, await gql(h, '{"query":"{ authConfig(redirect: \\"\\u00e9\\u0000\\") }"}'))
    expect((JSON.parse(seen.body) as { query: string }).query).toBe('{ authConfig(redirect: "\u00e9\u0000") }')
  })

  it('an escaped lone surrogate is valid JSON but not a valid GraphQL string: 400', async () => {
    expectRefused(h, await gql(h, '{"query":"{ authConfig(redirect: \\"\\ud800\\") }"}'), 400, 'PERMGATE_ERR_GRAPHQL_SYNTAX')
  })
})

describe('compressed bodies: bombs are cut off at the body limit (1 MiB decompressed)', () => {
  const bomb = Buffer.from(`{"query":"{ authConfig }","extensions":{"x":"${'a'.repeat(8 * 1024 * 1024)}"}}`)
  it.each([
    ['gzip', 'gzip', gzipSync(bomb)],
    ['x-gzip', 'x-gzip', gzipSync(bomb)],
    ['deflate', 'deflate', deflateSync(bomb)],
    ['br', 'br', brotliCompressSync(bomb)],
  ])('%s: 413', async (_name, encoding, body) => {
    expect(body.length).toBeLessThan(1024 * 1024)
    expectRefused(h, await raw(h.url, 'POST', '/graphql', { 'content-type': 'application/json', 'content-encoding': encoding }, body), 413, 'PERMGATE_ERR_BODY_TOO_LARGE')
  })

  it('a denied query inside gzip is decided on the decompressed body', async () => {
    expectRefused(h, await raw(h.url, 'POST', '/graphql', { 'content-type': 'application/json', 'content-encoding': 'gzip', ...viewer }, gzipSync(JSON.stringify({ query: '{ deployments }' }))), 403, 'missing_permission')
  })

  it.each([
    ['stacked encodings', 'gzip, gzip', gzipSync(gzipSync(JSON.stringify({ query: '{ authConfig }' }))), 415, 'PERMGATE_ERR_UNSUPPORTED_ENCODING'],
    ['an unknown encoding', 'compress', Buffer.from('x'), 415, 'PERMGATE_ERR_UNSUPPORTED_ENCODING'],
    ['raw deflate declared as deflate', 'deflate', deflateRawSync(JSON.stringify({ query: '{ authConfig }' })), 400, 'PERMGATE_ERR_BAD_ENCODING'],
    ['a truncated gzip stream', 'gzip', gzipSync(JSON.stringify({ query: '{ authConfig }' })).subarray(0, 20), 400, 'PERMGATE_ERR_BAD_ENCODING'],
  ] as const)('%s: %i', async (_name, encoding, body, status, reason) => {
    expectRefused(h, await raw(h.url, 'POST', '/graphql', { 'content-type': 'application/json', 'content-encoding': encoding }, body), status, reason)
  })
})

describe('Content-Length lies and framing', () => {
  const authConfig = '{"query":"{ authConfig }"}'
  const deployments = '{"query":"{ deployments }"}'
  const request = (body: string, extra = ''): string =>
    `POST /graphql HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n${extra}\r\n${body}`

  it('a Content-Length over the body limit: 413 before the body is read', async () => {
    const text = await socket(h.url, `POST /graphql HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 2000000\r\nConnection: close\r\n\r\n${authConfig}`)
    const [first] = responsesIn(text)
    expect(first?.status).toBe(413)
    expect(first?.body).toContain('PERMGATE_ERR_BODY_TOO_LARGE')
    expect(h.upstream.count()).toBe(0)
  })

  it('a Content-Length shorter than the body: the rest is a second request, decided on its own', async () => {
    // The first request's declared body is `{ authConfig }`; the bytes after it are another request
    // (anonymous, asking for a denied field), which must not ride along with the first.
    const text = await socket(h.url, `${request(authConfig)}${request(deployments, 'Connection: close\r\n')}`)
    const responses = responsesIn(text)
    expect(responses.map((r) => r.status)).toEqual([200, 401])
    expect(responses[1]!.body).toContain('"reason":"unauthenticated"')
    expect(h.upstream.count()).toBe(1)
    expect(h.upstream.requests[0]!.body).toBe(authConfig)
  })

  it('a Content-Length longer than the body, then the client stops: nothing forwarded, permgate goes on', async () => {
    const text = await socket(h.url, `POST /graphql HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 500\r\n\r\n${authConfig}`, true)
    expect(text).not.toMatch(/^HTTP\/1\.1 [25]/)
    expect(h.upstream.count()).toBe(0)
    expectForwarded(h, await gql(h, authConfig))
  })

  it.each([
    ['Content-Length and Transfer-Encoding together', `POST /graphql HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n${deployments.length.toString(16)}\r\n${deployments}\r\n0\r\n\r\n`],
    ['two different Content-Lengths', `POST /graphql HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: ${authConfig.length}\r\nContent-Length: 4\r\nConnection: close\r\n\r\n${authConfig}`],
    ['a Transfer-Encoding other than chunked', `POST /graphql HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nTransfer-Encoding: gzip\r\nConnection: close\r\n\r\n${deployments}`],
  ])('%s: refused by the HTTP parser (400), nothing forwarded', async (_name, bytes) => {
    const [first] = responsesIn(await socket(h.url, bytes))
    expect(first?.status).toBe(400)
    expect(h.upstream.count()).toBe(0)
  })

  it('a chunked body is read like any other: decided, forwarded re-serialized', async () => {
    const text = await socket(h.url, `POST /graphql HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n4\r\n{"qu\r\n${(authConfig.length - 4).toString(16)}\r\n${authConfig.slice(4)}\r\n0\r\n\r\n`)
    expect(responsesIn(text)[0]?.status).toBe(200)
    expect(h.upstream.requests[0]!.body).toBe(authConfig)
  })
})

describe('other methods on the GraphQL path', () => {
  it.each(['PUT', 'PATCH', 'DELETE', 'OPTIONS', 'HEAD'])('%s: 405, nothing forwarded', async (method) => {
    const a = await raw(h.url, method, '/graphql', { 'content-type': 'application/json', ...admin }, method === 'HEAD' ? undefined : JSON.stringify({ query: '{ deployments }' }))
    expect(a.status).toBe(405)
    expect(a.headers.allow).toBe('GET, POST')
    expect(h.upstream.count()).toBe(0)
  })

  it.each(['TRACE', 'PROPFIND', 'SEARCH'])('%s: never forwarded', async (method) => {
    const a = await raw(h.url, method, `/graphql?${new URLSearchParams({ query: '{ deployments }' })}`, admin)
    expect(a.status).toBeGreaterThanOrEqual(400)
    expect(h.upstream.count()).toBe(0)
  })
})

it('an allowed request still goes through after all of this', async () => {
  expectForwarded(h, await gql(h, { query: '{ self }' }, viewer))
})
