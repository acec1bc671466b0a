import { readFileSync } from 'node:fs'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'
import { DEFAULT_CORS_ALLOW_HEADERS, DEFAULT_CORS_MAX_AGE_SEC, DEFAULT_CORS_METHODS, MAX_CORS_MAX_AGE_SEC } from '../../../src/config/cors.js'
import { loadServeConfig } from '../../../src/config/load.js'
import type { ServeConfig } from '../../../src/config/schema.js'
import type { ErrorCode } from '../../../src/errors.js'
import { thrown } from '../../helpers/errors.js'
import { tempFiles } from '../../helpers/tmp.js'

const base = ['--policy', 'policy.yaml', '--bindings', 'bindings.yaml', '--upstream', 'http://127.0.0.1:4000/graphql']

/** The config with `yaml` as its config file. */
function load(yaml: string): ServeConfig {
  const dir = tempFiles({ 'policy.yaml': 'name: test\n', 'bindings.yaml': 'subjects: {}\n', 'permgate.yaml': yaml })
  return loadServeConfig([...base, '--config', 'permgate.yaml'], dir)
}

function refused(yaml: string, code: ErrorCode, path: string): string {
  const e = thrown(() => load(yaml))
  expect([e.code, e.place?.path]).toEqual([code, path])
  return e.message
}

describe('cors: read from the config file', () => {
  it('absent: off (undefined), and no flag sets it', () => {
    expect(load('port: 1\n').cors).toBeUndefined()
    const dir = tempFiles({ 'policy.yaml': 'name: test\n', 'bindings.yaml': 'subjects: {}\n' })
    expect(thrown(() => loadServeConfig([...base, '--cors', 'x'], dir)).code).toBe('PERMGATE_ERR_CLI_USAGE')
  })

  it('given: origins and patterns, with the defaults for the rest', () => {
    const c = load('cors:\n  origins: [https://app.example.com, "http://localhost:3000"]\n  originPatterns: [\'https://[a-z0-9-]+\\.example\\.com\']\n  credentials: true\n').cors!
    expect(c).toMatchObject({
      origins: ['https://app.example.com', 'http://localhost:3000'],
      anyOrigin: false,
      originPatterns: ['https://[a-z0-9-]+\\.example\\.com'],
      credentials: true,
      methods: DEFAULT_CORS_METHODS,
      allowHeaders: DEFAULT_CORS_ALLOW_HEADERS,
      exposeHeaders: [],
      maxAgeSec: DEFAULT_CORS_MAX_AGE_SEC,
    })
    expect(c.allowHeaders).toEqual(['Content-Type', 'Authorization', 'Content-Length', 'X-Requested-With', 'X-Apollo-Tracing'])
    // compiled once, anchored
    expect(c.originMatchers.map((r) => r.source)).toEqual(['^(?:https:\\/\\/[a-z0-9-]+\\.example\\.com)$'])
  })

  it('every key set; methods upper-cased; frozen', () => {
    const c = load('cors:\n  origins: ["*"]\n  methods: [get, POST]\n  allowHeaders: [X-A]\n  exposeHeaders: [X-Request-Id]\n  maxAgeSec: 0\n').cors!
    expect(c).toMatchObject({ origins: [], anyOrigin: true, credentials: false, methods: ['GET', 'POST'], allowHeaders: ['X-A'], exposeHeaders: ['X-Request-Id'], maxAgeSec: 0 })
    for (const part of [c, c.origins, c.originPatterns, c.originMatchers, c.methods, c.allowHeaders, c.exposeHeaders]) expect(Object.isFrozen(part)).toBe(true)
  })

  it('the README\'s example loads, as documented', () => {
    const readme = readFileSync(join(resolve(dirname(fileURLToPath(import.meta.url)), '../../..'), 'README.md'), 'utf8')
    const section = readme.slice(readme.indexOf('### CORS'))
    const yaml = /```yaml\n([\s\S]*?)```/.exec(section)?.[1]
    expect(yaml).toBeDefined()
    expect(load(yaml!).cors).toMatchObject({ origins: ['https://app.example.com'], credentials: true, methods: DEFAULT_CORS_METHODS, allowHeaders: DEFAULT_CORS_ALLOW_HEADERS, maxAgeSec: DEFAULT_CORS_MAX_AGE_SEC })
  })

  it(`maxAgeSec: 0 to ${MAX_CORS_MAX_AGE_SEC} s`, () => {
    expect(load(`cors: { maxAgeSec: ${MAX_CORS_MAX_AGE_SEC} }\n`).cors?.maxAgeSec).toBe(MAX_CORS_MAX_AGE_SEC)
    for (const v of [-1, MAX_CORS_MAX_AGE_SEC + 1, 1.5, '"600"']) refused(`cors: { maxAgeSec: ${v} }\n`, 'PERMGATE_ERR_CONFIG_INVALID', 'cors.maxAgeSec')
  })
})

describe('cors: refused at start, naming the key', () => {
  it.each([
    ['not a map', 'cors: [https://app.example.com]\n', 'cors'],
    ['empty (YAML null)', 'cors:\n', 'cors'],
    ['origins not a list', 'cors: { origins: https://app.example.com }\n', 'cors.origins'],
    ['an origin with a path', 'cors: { origins: ["https://app.example.com/"] }\n', 'cors.origins[0]'],
    ['an origin in upper case', 'cors: { origins: [https://a.example.com, "https://App.example.com"] }\n', 'cors.origins[1]'],
    ['an origin with its default port', 'cors: { origins: ["https://app.example.com:443"] }\n', 'cors.origins[0]'],
    ['a bare host', 'cors: { origins: [app.example.com] }\n', 'cors.origins[0]'],
    ['a wildcard host in origins', 'cors: { origins: ["https://*.example.com"] }\n', 'cors.origins[0]'],
    ['another scheme', 'cors: { origins: ["ftp://app.example.com"] }\n', 'cors.origins[0]'],
    ['userinfo', 'cors: { origins: ["https://u:p@app.example.com"] }\n', 'cors.origins[0]'],
    ['the opaque origin', 'cors: { origins: ["null"] }\n', 'cors.origins[0]'],
    ['a pattern that is not a regular expression', 'cors: { originPatterns: ["https://[a-z.example.com"] }\n', 'cors.originPatterns[0]'],
    ['a pattern that would break out of its anchors', 'cors: { originPatterns: ["x", "https://a\\\\.example\\\\.com)|(.*"] }\n', 'cors.originPatterns[1]'],
    ['a pattern that allows any host', 'cors: { originPatterns: ["https://.*"] }\n', 'cors.originPatterns[0]'],
    ['a pattern that allows any host over http', 'cors: { originPatterns: ["https?://[^/]+"] }\n', 'cors.originPatterns[0]'],
    ['credentials not a boolean', 'cors: { credentials: "yes" }\n', 'cors.credentials'],
    ['a method that is not a token', 'cors: { methods: ["GET POST"] }\n', 'cors.methods[0]'],
    ['no method', 'cors: { methods: [] }\n', 'cors.methods'],
    ['a header name that is not a token', 'cors: { allowHeaders: [Content-Type, "X:Y"] }\n', 'cors.allowHeaders[1]'],
    ['an exposed header that is not a token', 'cors: { exposeHeaders: ["a b"] }\n', 'cors.exposeHeaders[0]'],
  ])('%s: PERMGATE_ERR_CONFIG_INVALID', (_what, yaml, path) => {
    refused(yaml, 'PERMGATE_ERR_CONFIG_INVALID', path)
  })

  it('the message says what to write instead', () => {
    expect(refused('cors: { origins: ["https://App.example.com:443/"] }\n', 'PERMGATE_ERR_CONFIG_INVALID', 'cors.origins[0]')).toContain('write https://app.example.com')
    expect(refused('cors: { originPatterns: ["(a"] }\n', 'PERMGATE_ERR_CONFIG_INVALID', 'cors.originPatterns[0]')).toContain('not a valid regular expression')
  })

  it('an unknown key: PERMGATE_ERR_CONFIG_UNKNOWN_KEY naming it (Apollo Router\'s spelling included)', () => {
    refused('cors: { match_origins: ["x"] }\n', 'PERMGATE_ERR_CONFIG_UNKNOWN_KEY', 'cors.match_origins')
    refused('cors: { allow_credentials: true }\n', 'PERMGATE_ERR_CONFIG_UNKNOWN_KEY', 'cors.allow_credentials')
  })

  it.each([
    ['"*" with credentials', 'cors: { origins: ["*"], credentials: true }\n', 'cors.origins'],
    ['"*" beside other origins', 'cors: { origins: ["*", https://app.example.com] }\n', 'cors.origins'],
    ['"*" beside patterns', 'cors: { origins: ["*"], originPatterns: [\'https://a\\.example\\.com\'] }\n', 'cors.origins'],
    ['allowHeaders "*" with credentials', 'cors: { origins: [https://a.example.com], credentials: true, allowHeaders: ["*"] }\n', 'cors.allowHeaders'],
    ['methods "*" with credentials', 'cors: { origins: [https://a.example.com], credentials: true, methods: ["*"] }\n', 'cors.methods'],
    ['exposeHeaders "*" with credentials', 'cors: { origins: [https://a.example.com], credentials: true, exposeHeaders: ["*"] }\n', 'cors.exposeHeaders'],
  ])('%s: PERMGATE_ERR_CONFIG_CONTRADICTION', (_what, yaml, path) => {
    refused(yaml, 'PERMGATE_ERR_CONFIG_CONTRADICTION', path)
  })

  it('"*" lists are wildcards without credentials, and allowed', () => {
    expect(load('cors: { origins: ["*"], allowHeaders: ["*"], methods: ["*"], exposeHeaders: ["*"] }\n').cors).toMatchObject({ anyOrigin: true, methods: ['*'] })
  })
})
