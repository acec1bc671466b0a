import { describe, expect, it } from 'vitest'
import { join } from 'node:path'
import { loadBindingsFile } from '../../../src/bindings/file.js'
import { compilePolicy } from '../../../src/policy/compile.js'
import { loadPolicy } from '../../../src/policy/load.js'
import { Authorizer } from '../../../src/policy/authorizer.js'
import { DocumentCache } from '../../../src/operation/cache.js'
import { POLICY_HOUSTON } from '../../helpers/shared.js'
import { tempFiles } from '../../helpers/tmp.js'

const policy = compilePolicy(loadPolicy(POLICY_HOUSTON))
const load = (text: string) => loadBindingsFile(join(tempFiles({ 'b.yaml': text }), 'b.yaml'), policy)
const docs = new DocumentCache()

const FILE = `deployments:
  d1: w1
subjects:
  u-1:
    kind: user
    bindings:
      - { role: WORKSPACE_ADMIN, workspace: w1 }
      - { role: DEPLOYMENT_EDITOR, deployment: d1 }
      - { role: SYSTEM_VIEWER }
  sa-1:
    kind: serviceAccount
    apiKeySha256: ${'a'.repeat(64)}
    bindings: []
groups:
  data-eng:
    bindings: [ { role: WORKSPACE_EDITOR, workspace: w2 } ]
`

describe('bindings file', () => {
  it('a subject (or any key) given twice is an error naming the line, never a silent second value', () => {
    const twice = FILE.replace('  sa-1:\n', '  u-1:\n')
    const e = (() => {
      try {
        load(twice)
      } catch (err) {
        return err as { code: string; place?: { line?: number } }
      }
      return undefined
    })()
    expect(e?.code).toBe('PERMGATE_ERR_POLICY_YAML')
    expect(e?.place?.line).toBe(10)
    // the same key in two different maps is fine
    expect(() => load(FILE.replace('data-eng:', 'u-1:'))).not.toThrow()
  })

  it('reads deployments, subjects with kinds and key hashes, and groups', () => {
    const s = load(FILE)
    expect(s.deployments.get('d1')).toBe('w1')
    expect(s.subject('u-1')?.bindings).toEqual([
      { role: 'WORKSPACE_ADMIN', workspace: 'w1' },
      { role: 'DEPLOYMENT_EDITOR', deployment: 'd1' },
      { role: 'SYSTEM_VIEWER' },
    ])
    expect(s.subject('sa-1')?.kind).toBe('serviceAccount')
    expect(s.subject('sa-1')?.apiKeySha256).toBe('a'.repeat(64))
    expect(s.group('data-eng')).toEqual([{ role: 'WORKSPACE_EDITOR', workspace: 'w2' }])
  })

  it.each([
    ['an unknown role', 'subjects:\n  u:\n    bindings:\n      - { role: WORKSPACE_OWNER, workspace: w1 }\n', 'PERMGATE_ERR_BINDINGS_UNKNOWN_ROLE', 4],
    ['both workspace and deployment', 'subjects:\n  u:\n    bindings:\n      - { role: WORKSPACE_ADMIN, workspace: w1, deployment: d1 }\n', 'PERMGATE_ERR_BINDINGS_SHAPE', 4],
    ['an unknown key', 'subjects:\n  u:\n    binding: []\n', 'PERMGATE_ERR_BINDINGS_SHAPE', 3],
    ['an unknown kind', 'subjects:\n  u:\n    kind: robot\n', 'PERMGATE_ERR_BINDINGS_SHAPE', 3],
    ['a clear-text API key where its hash belongs', 'subjects:\n  u:\n    apiKeySha256: abcdefabcdefabcdefabcdefabcdefab\n', 'PERMGATE_ERR_BINDINGS_SHAPE', 3],
    ['an unknown top-level key', 'users: {}\n', 'PERMGATE_ERR_BINDINGS_SHAPE', 1],
    // a subject is sent upstream as x-permgate-subject: one that cannot be (CR/LF, control, non-ASCII, surrounding spaces) never loads
    ['a subject id with CR/LF', 'subjects:\n  "sa\\r\\nx-permgate-kind: user":\n    kind: serviceAccount\n', 'PERMGATE_ERR_BINDINGS_SHAPE', 2],
    ['a subject id with a non-ASCII character', 'subjects:\n  "sa-\u2603":\n    kind: serviceAccount\n', 'PERMGATE_ERR_BINDINGS_SHAPE', 2],
    ['a subject id with a trailing space', 'subjects:\n  "u-admin ": {}\n', 'PERMGATE_ERR_BINDINGS_SHAPE', 2],
  ])('rejects %s with its line', (_name, text, code, line) => {
    expect(() => load(text)).toThrowError(expect.objectContaining({ code, place: expect.objectContaining({ line }) }))
  })

  it('a subject absent from the file is authenticated with USER only', () => {
    const a = new Authorizer(policy, load(FILE))
    const nobody = { kind: 'user' as const, id: 'stranger', groups: [] }
    expect(a.masks(nobody).bindings.map((b) => b.role)).toEqual(['USER'])
    expect(a.decide(nobody, docs.get('mutation { createWorkspace(label: "x") { id } }', undefined), undefined).allowed).toBe(true)
    expect(a.decide(nobody, docs.get('{ workspaceUsers(workspaceUuid: "w1") { id } }', undefined), undefined).allowed).toBe(false)
  })

  it("a caller's groups add the group's bindings", () => {
    const a = new Authorizer(policy, load(FILE))
    const q = docs.get('{ workspaceDeployments(workspaceUuid: "w2") { id } }', undefined)
    expect(a.decide({ kind: 'user', id: 'u-1', groups: [] }, q, undefined).allowed).toBe(false)
    expect(a.decide({ kind: 'user', id: 'u-1', groups: ['data-eng'] }, q, undefined).allowed).toBe(true)
    expect(a.decide({ kind: 'user', id: 'u-1', groups: ['other'] }, q, undefined).allowed).toBe(false)
  })

  it('caches compiled principals and counts hits and misses', () => {
    const a = new Authorizer(policy, load(FILE), { principalCacheSize: 1 })
    const q = docs.get('{ self { id } }', undefined)
    a.decide({ kind: 'user', id: 'u-1', groups: [] }, q, undefined)
    a.decide({ kind: 'user', id: 'u-1', groups: [] }, q, undefined)
    a.decide({ kind: 'user', id: 'u-2', groups: [] }, q, undefined)
    expect(a.stats()).toMatchObject({ hits: 1, misses: 2, evictions: 1, size: 1 })
    expect(a.stats().decisions).toEqual({ hits: 1, misses: 2, evictions: 0 })
  })
})

describe('bindings file: deployments with release names', () => {
  const LONG = `deployments:
  d1: w1
  d2: { workspace: w1, releaseName: celestial-orbit-1234 }
  d3: { workspace: 42 }
  d4: { workspace: w2, releaseName: null }
`
  it('reads both forms: `d1: w1` and `d2: { workspace, releaseName? }`', () => {
    const s = load(LONG)
    expect([...s.deployments]).toEqual([['d1', 'w1'], ['d2', 'w1'], ['d3', '42'], ['d4', 'w2']])
    expect([...s.releaseNames]).toEqual([['d2', 'celestial-orbit-1234']])
    expect(s.deploymentByReleaseName('celestial-orbit-1234')).toBe('d2')
    // a deployment id is no release name, nor is a deployment without one
    expect(s.deploymentByReleaseName('d2')).toBeUndefined()
    expect(s.deploymentByReleaseName('d1')).toBeUndefined()
  })

  it.each([
    ['a release name given to two deployments', `${LONG}  d5: { workspace: w3, releaseName: celestial-orbit-1234 }\n`, 6],
    ['an unknown key', 'deployments:\n  d1: { workspace: w1, release: r1 }\n', 2],
    ['no workspace', 'deployments:\n  d1: { releaseName: r1 }\n', 2],
    ['a release name that is no string', 'deployments:\n  d1: { workspace: w1, releaseName: [r1] }\n', 2],
    ['an empty release name', 'deployments:\n  d1: { workspace: w1, releaseName: "" }\n', 2],
    ['a list where the workspace belongs', 'deployments:\n  d1: [w1]\n', 2],
  ])('rejects %s with PERMGATE_ERR_BINDINGS_SHAPE and its line', (_name, text, line) => {
    expect(() => load(text)).toThrowError(expect.objectContaining({ code: 'PERMGATE_ERR_BINDINGS_SHAPE', place: expect.objectContaining({ line }) }))
  })
})
