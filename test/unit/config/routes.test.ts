import { createHash } from 'node:crypto'
import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { parse } from 'yaml'
import { cidrsContain } from '../../../src/config/cidr.js'
import { loadServeConfig } from '../../../src/config/load.js'
import { readRoutes } from '../../../src/config/routes.js'
import type { ErrorCode } from '../../../src/errors.js'
import { thrown } from '../../helpers/errors.js'
import { ROOT } from '../../helpers/shared.js'
import { tempFiles } from '../../helpers/tmp.js'

const read = (yaml: string) => readRoutes(parse(yaml))
const one = (yaml: string) => read(yaml)[0]!

function expectInvalid(yaml: string, path: string, code: ErrorCode = 'PERMGATE_ERR_CONFIG_INVALID'): void {
  const e = thrown(() => read(yaml))
  expect(e.code, yaml).toBe(code)
  expect(e.place?.path, yaml).toBe(path)
}

describe('route rules: when', () => {
  it('reads header, url, query and absent conditions, anchored, header names in lower case', () => {
    const r = one(`- prefix: /v1/authorization
  access: authenticated
  when:
    - { header: X-Original-Url, url: { host: 'deployments\\.example\\.com', path: '/(?<release>[a-z0-9-]+)/airflow(?:/.*)?' } }
    - { header: X-Env, pattern: 'prod|staging' }
    - { query: scope, pattern: 'repository:(?<repo>[a-z/]+):pull' }
    - { query: page, absent: true }
`)
    const [url, header, query, absent] = r.when!
    expect(url).toMatchObject({ from: 'header', name: 'x-original-url', test: { kind: 'url' } })
    expect(header).toMatchObject({ from: 'header', name: 'x-env', test: { kind: 'pattern' } })
    expect(query).toMatchObject({ from: 'query', name: 'scope', test: { kind: 'pattern' } })
    expect(absent).toEqual({ from: 'query', name: 'page', test: { kind: 'absent' } })
    // anchored: the alternation cannot match a part of a value
    const p = (header!.test as { pattern: RegExp }).pattern
    expect(p.test('prod')).toBe(true)
    expect(p.test('preprod')).toBe(false)
    expect(p.test('staging-2')).toBe(false)
    expect(Object.isFrozen(r.when)).toBe(true)
  })

  it('a rule without when has none', () => {
    expect(one('- { prefix: /a, access: public }').when).toBeUndefined()
  })

  it.each([
    ['not a list', 'when: { header: x }', 'routes[0].when'],
    ['an empty list', 'when: []', 'routes[0].when'],
    ['a condition that is not a map', 'when: [x]', 'routes[0].when[0]'],
    ['both header and query', "when: [{ header: x, query: y, pattern: 'a' }]", 'routes[0].when[0]'],
    ['neither header nor query', "when: [{ pattern: 'a' }]", 'routes[0].when[0]'],
    ['no test', 'when: [{ header: x }]', 'routes[0].when[0]'],
    ['two tests', "when: [{ header: x, pattern: 'a', absent: true }]", 'routes[0].when[0]'],
    ['a bad header name', "when: [{ header: 'x y', pattern: 'a' }]", 'routes[0].when[0].header'],
    ['a bracketed query name', "when: [{ query: 'scope[]', pattern: 'a' }]", 'routes[0].when[0].query'],
    ['a url on a query parameter', "when: [{ query: u, url: { host: 'a' } }]", 'routes[0].when[0].url'],
    ['an empty url', 'when: [{ header: u, url: {} }]', 'routes[0].when[0].url'],
    ['an unknown url key', "when: [{ header: u, url: { port: '1' } }]", 'routes[0].when[0].url'],
    ['absent other than true', 'when: [{ header: u, absent: false }]', 'routes[0].when[0].absent'],
    ['a regex that does not compile', "when: [{ header: u, pattern: 'a(' }]", 'routes[0].when[0].pattern'],
    ['a regex that would close the anchoring group', "when: [{ header: u, pattern: 'a)|(b' }]", 'routes[0].when[0].pattern'],
    ['an empty pattern', "when: [{ header: u, pattern: '' }]", 'routes[0].when[0].pattern'],
    ['a bad host regex', "when: [{ header: u, url: { host: '[' } }]", 'routes[0].when[0].url.host'],
    ['a capture name given twice', "when: [{ header: a, pattern: '(?<id>x)' }, { header: b, pattern: '(?<id>y)' }]", 'routes[0].when[1].pattern'],
  ])('%s: CONFIG_INVALID naming where', (_name, when, path) => {
    expectInvalid(`- prefix: /a\n  access: public\n  ${when}\n`, path)
  })

  it('an unknown key in a condition is CONFIG_UNKNOWN_KEY', () => {
    expectInvalid("- { prefix: /a, access: public, when: [{ header: a, pattern: 'x', flags: i }] }", 'routes[0].when[0].flags', 'PERMGATE_ERR_CONFIG_UNKNOWN_KEY')
  })
})

describe('route rules: scope from a capture', () => {
  const rule = (scope: string, when = "[{ header: x-d, pattern: '(?<dep>[a-z0-9]+)' }]") =>
    `- { prefix: /a, access: permission, permissions: [deployment.logs.get], when: ${when}, scope: ${scope} }`

  it('reads { kind, from, lookup } and { kind, segment }', () => {
    expect(one(rule('{ kind: deployment, from: dep, lookup: releaseName }')).scope).toEqual({ kind: 'deployment', segment: undefined, from: 'dep', lookup: 'releaseName' })
    expect(one(rule('{ kind: workspace, segment: 2 }')).scope).toEqual({ kind: 'workspace', segment: 2, from: undefined, lookup: undefined })
    expect(one(rule('{ kind: deployment, segment: 1, lookup: releaseName }')).scope?.lookup).toBe('releaseName')
  })

  it.each([
    ['a capture no pattern has', '{ kind: deployment, from: other }'],
    ['from without any when', '{ kind: deployment, from: dep }', 'null'],
    ['both segment and from', '{ kind: deployment, segment: 1, from: dep }'],
    ['neither segment nor from', '{ kind: deployment }'],
    ['an unknown lookup', '{ kind: deployment, from: dep, lookup: label }'],
    ['a release name for a workspace', '{ kind: workspace, from: dep, lookup: releaseName }'],
  ])('%s: CONFIG_INVALID at routes[i].scope', (_name, scope, when?: string) => {
    const yaml = when === 'null' ? `- { prefix: /a, access: permission, permissions: [deployment.logs.get], scope: ${scope} }` : rule(scope)
    expectInvalid(yaml, 'routes[0].scope')
  })

  it('an unknown key in a scope is CONFIG_UNKNOWN_KEY', () => {
    expectInvalid(rule('{ kind: deployment, from: dep, id: 1 }'), 'routes[0].scope.id', 'PERMGATE_ERR_CONFIG_UNKNOWN_KEY')
  })
})

describe('route rules: ipAllow, secret, credentials, deploymentCredentials', () => {
  it('ipAllow is compiled once', () => {
    const r = one('- { prefix: /a, access: public, ipAllow: [10.0.0.0/8, "2001:db8::/32"] }')
    expect(cidrsContain(r.ipAllow!, '10.1.2.3')).toBe(true)
    expect(cidrsContain(r.ipAllow!, '2001:db8::1')).toBe(true)
    expect(cidrsContain(r.ipAllow!, '192.0.2.1')).toBe(false)
  })

  it.each([
    ['an empty list', '[]'],
    ['a typo', '[10.0.0/8]'],
    ['not a list', '10.0.0.0/8'],
  ])('ipAllow with %s is CONFIG_INVALID at routes[i].ipAllow', (_name, v) => {
    expectInvalid(`- { prefix: /a, access: public, ipAllow: ${v} }`, 'routes[0].ipAllow')
  })

  it('secret: the file is read and trimmed, only its SHA-256 is kept, the header name in lower case', () => {
    const dir = tempFiles({ key: '  s3cret-token\n' })
    const r = one(`- { prefix: /a, access: public, secret: { header: X-Hook-Token, file: ${join(dir, 'key')} } }`)
    expect(r.secret!.header).toBe('x-hook-token')
    expect(r.secret!.sha256.equals(createHash('sha256').update('s3cret-token').digest())).toBe(true)
    expect(JSON.stringify(r)).not.toContain('s3cret-token')
  })

  it('secret: a relative file resolves against the config file, as other file keys do', () => {
    const dir = tempFiles({ 'policy.yaml': 'name: t\n', 'bindings.yaml': 'subjects: {}\n' })
    const conf = tempFiles({ 'hook.key': 'abc\n' })
    writeFileSync(join(conf, 'permgate.yaml'), 'routes:\n  - { prefix: /hook, access: public, secret: { header: x-token, file: hook.key } }\n')
    const c = loadServeConfig(['--policy', 'policy.yaml', '--bindings', 'bindings.yaml', '--upstream', 'http://h:1', '--config', join(conf, 'permgate.yaml')], dir)
    expect(c.routes[0]!.secret!.sha256.equals(createHash('sha256').update('abc').digest())).toBe(true)
  })

  it('secret: a missing file is CONFIG_FILE, an empty one CONFIG_INVALID, neither message shows a secret', () => {
    const dir = tempFiles({ empty: ' \n' })
    expectInvalid(`- { prefix: /a, access: public, secret: { header: x, file: ${join(dir, 'missing')} } }`, 'routes[0].secret.file', 'PERMGATE_ERR_CONFIG_FILE')
    expectInvalid(`- { prefix: /a, access: public, secret: { header: x, file: ${join(dir, 'empty')} } }`, 'routes[0].secret.file')
    expectInvalid('- { prefix: /a, access: public, secret: { header: x } }', 'routes[0].secret.file')
    expectInvalid('- { prefix: /a, access: public, secret: { header: "a b", file: f } }', 'routes[0].secret.header')
    expectInvalid('- { prefix: /a, access: public, secret: { header: x, file: f, value: s } }', 'routes[0].secret')
  })

  it('credentials basic; deploymentCredentials pull with a release-name scope from a capture', () => {
    const r = one(`- prefix: /r
  access: permission
  permissions: [deployment.images.pull]
  credentials: basic
  deploymentCredentials: pull
  when: [{ query: scope, pattern: 'repository:(?<release>[a-z0-9-]+)/airflow:pull' }]
  scope: { kind: deployment, from: release, lookup: releaseName }
`)
    expect(r).toMatchObject({ credentials: 'basic', deploymentCredentials: 'pull' })
  })

  it.each([
    ['credentials other than basic', '{ prefix: /r, access: authenticated, credentials: bearer }', 'routes[0].credentials'],
    ['credentials none on a rule that is not public (it identifies nobody)', '{ prefix: /r, access: authenticated, credentials: none }', 'routes[0].credentials'],
    ['a secret in Authorization with credentials basic', '{ prefix: /r, access: authenticated, credentials: basic, secret: { header: authorization, file: KEY } }', 'routes[0].secret'],
    ['deploymentCredentials other than pull', '{ prefix: /r, access: authenticated, credentials: basic, deploymentCredentials: push }', 'routes[0].deploymentCredentials'],
    ['deploymentCredentials without credentials basic', '{ prefix: /r, access: authenticated, deploymentCredentials: pull }', 'routes[0].deploymentCredentials'],
    ['deploymentCredentials without a release-name scope', '{ prefix: /r, access: authenticated, credentials: basic, deploymentCredentials: pull }', 'routes[0].deploymentCredentials'],
    ['deploymentCredentials on a public route', '{ prefix: /r, access: public, credentials: basic, deploymentCredentials: pull }', 'routes[0].deploymentCredentials'],
  ])('%s: CONFIG_INVALID', (_name, rule, path) => {
    const key = join(tempFiles({ key: 'k\n' }), 'key')
    expectInvalid(`- ${rule.replace('KEY', key)}`, path)
  })

  it('principals composes with when; it still does not go with access public', () => {
    const r = one("- { prefix: /r, access: authenticated, principals: [serviceAccount], when: [{ query: scope, pattern: 'push' }] }")
    expect(r.principals).toEqual(['serviceAccount'])
    expect(r.when).toHaveLength(1)
    expectInvalid("- { prefix: /r, access: public, principals: [user], when: [{ query: s, pattern: 'x' }] }", 'routes[0]')
  })
})

describe('test/fixtures/houston-routes.yaml', () => {
  it('reads as route rules (its secret file beside it)', () => {
    const file = join(ROOT, 'test', 'fixtures', 'houston-routes.yaml')
    const dir = tempFiles({ 'policy.yaml': 'name: t\n', 'bindings.yaml': 'subjects: {}\n' })
    const c = loadServeConfig(['--policy', 'policy.yaml', '--bindings', 'bindings.yaml', '--upstream', 'http://h:1', '--config', file], dir)
    expect(c.routes.length).toBeGreaterThan(10)
    const key = readFileSync(join(ROOT, 'test', 'fixtures', 'houston-registry-auth-key'), 'utf8').trim()
    expect(c.routes.find((r) => r.secret !== undefined)!.secret!.sha256.equals(createHash('sha256').update(key).digest())).toBe(true)
  })
})
