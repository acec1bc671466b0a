import { execFileSync, spawnSync } from 'node:child_process'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { POLICY_HOUSTON, POLICY_HOUSTON_035, ROOT } from '../../helpers/shared.js'
import { manifest, tempFiles } from '../../helpers/tmp.js'
import { cli } from '../../helpers/cli.js'
import { HOUSTON_03X_SDL_PATH } from '../../../src/demo/upstream.js'

const BINDINGS = join(POLICY_HOUSTON, 'bindings.example.yaml')
const SCHEMA = join(POLICY_HOUSTON, 'schema.graphql')

describe('permgate check', () => {
  it.each([
    [POLICY_HOUSTON, SCHEMA, 'rules: +62 \\(Query 20, Mutation 39, Subscription 3\\)', '62/62'],
    // the 0.3x policy against the demo's own 0.3x schema: every root field a 0.3x Houston serves has a rule
    [POLICY_HOUSTON_035, HOUSTON_03X_SDL_PATH, 'rules: +101 \\(Query 37, Mutation 61, Subscription 3\\)', '101/101'],
  ])('%s validates and summarises against %s', async (dir, schema, rules, coverage) => {
    const r = await cli(['check', '--policy', dir, '--schema', schema, '--strict'])
    expect(r.code).toBe(0)
    expect(r.out).toMatch(/roles: +10 /)
    expect(r.out).toMatch(new RegExp(rules))
    expect(r.out).toContain(`${coverage} root fields have a rule`)
  })

  it('houston-0.35 warns of the rules whose permission no 0.35 role grants', async () => {
    const r = await cli(['check', '--policy', POLICY_HOUSTON_035])
    expect(r.code).toBe(0)
    expect(r.out.match(/PERMGATE_WARN_PERMISSION_UNGRANTED/g)).toHaveLength(6)
    expect(r.out).toMatch(/rules\.yaml:\d+: rule Mutation\.addCard requires workspace\.billing\.update/)
  })

  it('--strict fails on unmapped root fields, and without it they are listed as denied', async () => {
    const dir = tempFiles({
      'policy.yaml': manifest(),
      'roles.yaml': 'roles:\n  A:\n    permissions: { workspace.a.get: true }\n',
      'rules.yaml': 'rules:\n  - field: Query.self\n    access: authenticated\n',
      'schema.graphql': 'type Query { self: String, secret: String }\ntype Mutation { wipe: Boolean }\n',
    })
    const lax = await cli(['check', '--policy', dir, '--schema', join(dir, 'schema.graphql')])
    expect(lax.code).toBe(0)
    expect(lax.out).toContain('1/3 root fields have a rule')
    expect(lax.out).toContain('unmapped (denied to everyone): Query.secret')
    const strict = await cli(['check', '--policy', dir, '--schema', join(dir, 'schema.graphql'), '--strict'])
    expect(strict.code).toBe(1)
    expect(strict.err).toContain('error PERMGATE_ERR_POLICY_UNMAPPED_FIELD')
    expect(strict.err).toContain('Mutation.wipe')
  })

  it('an invalid policy exits 1 with the coded error and its place', async () => {
    const dir = tempFiles({ 'policy.yaml': manifest(), 'roles.yaml': 'roles:\n  A:\n    permissions:\n      ? bad\n', 'rules.yaml': 'rules: []\n' })
    const r = await cli(['check', '--policy', dir])
    expect(r.code).toBe(1)
    expect(r.err).toMatch(/^error PERMGATE_ERR_POLICY_PERMISSION_NAME: .*roles\.yaml:4/)
  })

  it('usage errors exit 2', async () => {
    expect((await cli(['check'])).code).toBe(2)
    expect((await cli(['check', '--policy', POLICY_HOUSTON, '--bogus'])).code).toBe(2)
    expect((await cli(['frobnicate'])).code).toBe(2)
  })
})

describe('permgate eval', () => {
  const lines = [
    { id: 'a', subject: 'u-1', request: { query: 'mutation($d: Uuid!) { updateDeployment(deploymentUuid: $d) }', variables: { d: 'd2' } } },
    { id: 'b', subject: null, request: { query: '{ self { id } }' } },
    { id: 'c', subject: 'u-viewer', request: { query: '{ deployments { id } w: workspaceDeployments(workspaceUuid: "w1") { id } }' } },
    { id: 'd', subject: 'u-viewer', groups: ['data-eng'], request: { query: '{ workspaceDeployments(workspaceUuid: "w2") { id } }' } },
  ]
  const stdin = [...lines.map((l) => JSON.stringify(l)), 'not json', JSON.stringify({ id: 'f', subject: 'x', request: { query: '{ a { ' } }), ''].join('\n')

  it('answers one JSON line per request line, bad lines included, in order', async () => {
    const r = await cli(['eval', '--policy', POLICY_HOUSTON, '--bindings', BINDINGS], stdin)
    expect(r.code).toBe(0)
    const out = r.out.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>)
    expect(out.map((o) => [o.id, o.allowed])).toEqual([['a', true], ['b', false], ['c', false], ['d', true], [null, false], ['f', false]])
    expect(out[1]?.reason).toBe('unauthenticated')
    expect(out[2]?.denied).toEqual([
      { field: 'Query.deployments', alias: null, reason: 'missing_permission', required: ['system.deployments.get'], op: 'AND', scope: null },
    ])
    expect(out[4]?.error).toMatchObject({ code: 'PERMGATE_ERR_REQUEST_SHAPE' })
    expect(out[5]?.error).toMatchObject({ code: 'PERMGATE_ERR_GRAPHQL_SYNTAX' })
  })

  it('reports the scope a denied field was checked on', async () => {
    const line = { id: 1, subject: 'u-viewer', request: { query: 'mutation { deleteDeployment(deploymentUuid: "d1") }' } }
    const r = await cli(['eval', '--policy', POLICY_HOUSTON, '--bindings', BINDINGS], JSON.stringify(line))
    const o = JSON.parse(r.out) as { denied: { scope: unknown; required: string[]; op: string }[] }
    expect(o.denied[0]).toMatchObject({ scope: { kind: 'deployment', id: 'd1' }, op: 'OR', required: ['deployment.config.delete', 'system.deployments.delete'] })
  })
})

describe('permgate explain', () => {
  it('spells out each root field, the bindings considered and the roles that would grant what is missing', async () => {
    const r = await cli([
      'explain', '--policy', POLICY_HOUSTON, '--bindings', BINDINGS, '--subject', 'u-viewer',
      '--query', 'query($w: Uuid!) { workspaceDeployments(workspaceUuid: $w) { id } deployments { id } }', '--variables', '{"w":"w1"}',
    ])
    expect(r.code).toBe(3)
    expect(r.out).toMatch(/WORKSPACE_VIEWER +workspace w1 +from subject/)
    expect(r.out).toMatch(/ALLOW Query\.workspaceDeployments: permission\n +needs workspace\.deployments\.get OR system\.deployments\.get \(on workspace w1\)\n +holds workspace\.deployments\.get from WORKSPACE_VIEWER workspace w1/)
    expect(r.out).toMatch(/DENY  Query\.deployments: missing_permission\n +needs system\.deployments\.get \(at system scope\)\n +missing system\.deployments\.get\n +roles that would grant it: SYSTEM_ADMIN/)
    expect(r.out).toContain('decision: DENIED')
  })

  it('exits 0 when allowed, and explains cascaded grants', async () => {
    const r = await cli(['explain', '--policy', POLICY_HOUSTON, '--bindings', BINDINGS, '--subject', 'u-1', '--query', 'mutation { updateDeployment(deploymentUuid: "d2") }'])
    expect(r.code).toBe(0)
    expect(r.out).toMatch(/holds deployment\.config\.update from WORKSPACE_ADMIN workspace w1/)
  })

  it('anonymous callers', async () => {
    const r = await cli(['explain', '--policy', POLICY_HOUSTON, '--bindings', BINDINGS, '--anonymous', '--query', '{ authConfig { x } self { id } }'])
    expect(r.code).toBe(3)
    expect(r.out).toMatch(/ALLOW Query\.authConfig: public/)
    expect(r.out).toMatch(/DENY  Query\.self: unauthenticated/)
  })
})

describe('the installed binary', () => {
  it('npx permgate check runs the built CLI', () => {
    // npx resolves the package's own bin (dist/src/cli.js, built by npm ci's prepare step)
    const out = execFileSync('npx', ['--no-install', 'permgate', 'check', '--policy', POLICY_HOUSTON], { cwd: ROOT, encoding: 'utf8' })
    expect(out).toContain('policy houston (v0.12.1): OK')
    const bad = spawnSync('npx', ['--no-install', 'permgate', 'check', '--policy', '/nonexistent'], { cwd: ROOT, encoding: 'utf8' })
    expect(bad.status).toBe(1)
    expect(bad.stderr).toContain('PERMGATE_ERR_POLICY_NOT_FOUND')
  })
})
