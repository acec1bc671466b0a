import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { isDeepStrictEqual } from 'node:util'
import { afterAll, describe, expect, it } from 'vitest'
import { stringify } from 'yaml'
import { loadBindingsFile } from '../../src/bindings/file.js'
import { ANONYMOUS, type Principal } from '../../src/identity/types.js'
import { DocumentCache } from '../../src/operation/index.js'
import { Authorizer } from '../../src/policy/authorizer.js'
import { compilePolicy } from '../../src/policy/compile.js'
import { decideFields, type Decision, type FieldDecision } from '../../src/policy/decide.js'
import { loadPolicy } from '../../src/policy/load.js'
import type { CompiledPolicy } from '../../src/policy/types.js'
import { houstonOperations, houstonRoles, POLICY_HOUSTON, type HoustonOperation } from '../../test/helpers/shared.js'
import {
  ReferenceModel,
  type RefBinding,
  type RefDecision,
  type RefField,
  type RefFieldDecision,
  type RefPrincipal,
} from './reference-model.js'

// Conformance of the shipped Houston policy: every root field of Houston v0.12.1, for a range of
// principals and scope targets and in several request shapes, decided by permgate (once with
// rules.yaml, once with the @auth directives of schema.graphql) and by an independent reference
// model written from ../shared/houston. All three must agree.

const OPERATIONS = houstonOperations()
const ROLES = houstonRoles('roles-v0.12.1.json')

// ---------------------------------------------------------------------------------------------
// The world: deployments, principals, groups

/** deployment -> workspace. d3 is a second deployment of w1 with no binding of its own. */
const DEPLOYMENTS: Readonly<Record<string, string>> = { d1: 'w1', d2: 'w2', d3: 'w1' }

const GROUPS: Readonly<Record<string, readonly RefBinding[]>> = {
  'team-w2': [{ role: 'WORKSPACE_ADMIN', workspace: 'w2' }],
  'team-empty': [],
}

interface Who {
  readonly name: string
  readonly kind: Principal['kind']
  /** Bindings of its own, written under `subjects` in the bindings file. */
  readonly own: readonly RefBinding[]
  readonly groups: readonly string[]
  /** False: the principal has no entry under `subjects` at all. */
  readonly inStore: boolean
}

/** SYSTEM_* (and USER) at system scope, WORKSPACE_* on w1, DEPLOYMENT_* on d1. */
function naturalBinding(role: string): RefBinding {
  if (role.startsWith('WORKSPACE_')) return { role, workspace: 'w1' }
  if (role.startsWith('DEPLOYMENT_')) return { role, deployment: 'd1' }
  return { role }
}

const user = (name: string, own: readonly RefBinding[], extra: Partial<Who> = {}): Who => ({
  name,
  kind: 'user',
  own,
  groups: [],
  inStore: true,
  ...extra,
})

const WHO: readonly Who[] = [
  { name: 'anonymous', kind: 'anonymous', own: [], groups: [], inStore: false },
  ...Object.keys(ROLES).map((role) => user(`${role}@natural`, [naturalBinding(role)])),
  user('bare-user', []),
  user('stranger', [], { inStore: false }),
  user('sa-ws-editor-w1', [{ role: 'WORKSPACE_EDITOR', workspace: 'w1' }], { kind: 'serviceAccount' }),
  user('team-w2-member', [], { groups: ['team-w2'], inStore: false }),
  user('team-w2-member+dep-viewer-d1', [{ role: 'DEPLOYMENT_VIEWER', deployment: 'd1' }], { groups: ['team-empty', 'team-w2', 'no-such-team'] }),
  user('SYSTEM_ADMIN@w1', [{ role: 'SYSTEM_ADMIN', workspace: 'w1' }]),
  user('sa-SYSTEM_ADMIN@w1', [{ role: 'SYSTEM_ADMIN', workspace: 'w1' }], { kind: 'serviceAccount' }),
  user('SYSTEM_ADMIN@d1', [{ role: 'SYSTEM_ADMIN', deployment: 'd1' }]),
  user('DEPLOYMENT_VIEWER@d1+WORKSPACE_ADMIN@w1', [
    { role: 'DEPLOYMENT_VIEWER', deployment: 'd1' },
    { role: 'WORKSPACE_ADMIN', workspace: 'w1' },
  ]),
  user('WORKSPACE_VIEWER@w1+WORKSPACE_EDITOR@w2', [
    { role: 'WORKSPACE_VIEWER', workspace: 'w1' },
    { role: 'WORKSPACE_EDITOR', workspace: 'w2' },
  ]),
  user('SYSTEM_VIEWER+DEPLOYMENT_ADMIN@d2', [{ role: 'SYSTEM_VIEWER' }, { role: 'DEPLOYMENT_ADMIN', deployment: 'd2' }]),
  // scoped roles bound at system scope: their permissions hold on every workspace/deployment
  user('WORKSPACE_VIEWER+DEPLOYMENT_EDITOR@system', [{ role: 'WORKSPACE_VIEWER' }, { role: 'DEPLOYMENT_EDITOR' }]),
]

function principalOf(w: Who): Principal {
  return w.kind === 'anonymous' ? ANONYMOUS : { kind: w.kind, id: w.name, groups: w.groups }
}

function refPrincipalOf(w: Who): RefPrincipal {
  return {
    anonymous: w.kind === 'anonymous',
    bindings: [...(w.inStore ? w.own : []), ...w.groups.flatMap((g) => GROUPS[g] ?? [])],
  }
}

function who(name: string): Who {
  const w = WHO.find((x) => x.name === name)
  if (!w) throw new Error(`no principal ${name}`)
  return w
}

// ---------------------------------------------------------------------------------------------
// Policies and authorizers: rules.yaml (shipped) and the same manifest with rules from the SDL

const TMP = mkdtempSync(join(tmpdir(), 'permgate-houston-decisions-'))
afterAll(() => rmSync(TMP, { recursive: true, force: true }))

/** policy.yaml of the shipped policy with `rules: { sdl: schema.graphql }`, in a directory of its own. */
function sdlPolicyDir(): string {
  const dir = join(TMP, 'sdl-policy')
  // absolute paths: relative ones would resolve against this directory
  const abs = (f: string): string => JSON.stringify(join(POLICY_HOUSTON, f))
  const manifest = readFileSync(join(POLICY_HOUSTON, 'policy.yaml'), 'utf8')
    .replace(/^roles:.*$/m, `roles: ${abs('roles.yaml')}`)
    .replace(/^rules:.*$/m, `rules: { sdl: ${abs('schema.graphql')} }`)
    .replace(/^conditions:.*$/m, `conditions: ${abs('conditions.yaml')}`)
  if (!manifest.includes('sdl:')) throw new Error('policy.yaml has no `rules:` line to replace')
  mkdirSync(dir, { recursive: true })
  writeFileSync(join(dir, 'policy.yaml'), manifest)
  return dir
}

function bindingsFile(): string {
  const subjects: Record<string, unknown> = {}
  for (const w of WHO) {
    if (!w.inStore || w.kind === 'anonymous') continue
    subjects[w.name] = { kind: w.kind, bindings: w.own }
  }
  const groups: Record<string, unknown> = {}
  for (const [g, bindings] of Object.entries(GROUPS)) groups[g] = { bindings }
  const file = join(TMP, 'bindings.yaml')
  writeFileSync(file, stringify({ deployments: DEPLOYMENTS, subjects, groups }))
  return file
}

const BINDINGS = bindingsFile()
const RULES_POLICY = compilePolicy(loadPolicy(POLICY_HOUSTON))
const SDL_POLICY = compilePolicy(loadPolicy(sdlPolicyDir()))
const AUTHZ_RULES = new Authorizer(RULES_POLICY, loadBindingsFile(BINDINGS, RULES_POLICY))
const AUTHZ_SDL = new Authorizer(SDL_POLICY, loadBindingsFile(BINDINGS, SDL_POLICY))
const MODEL = new ReferenceModel(OPERATIONS, ROLES, new Map(Object.entries(DEPLOYMENTS)))
const DOCS = new DocumentCache()

// ---------------------------------------------------------------------------------------------
// Requests

type OpType = HoustonOperation['type']
const KEYWORD: Readonly<Record<OpType, string>> = { Query: 'query', Mutation: 'mutation', Subscription: 'subscription' }
const SCOPE_ARG_NAMES = new Set(['workspaceUuid', 'deploymentUuid'])
const OTHER_UUID = '00000000-0000-4000-8000-000000000001'

interface Request {
  readonly shape: string
  readonly type: OpType
  readonly query: string
  readonly variables: Record<string, unknown> | undefined
  readonly operationName: string | undefined
  readonly fields: readonly RefField[]
}

interface Target {
  readonly label: string
  /** scope argument -> its value, null: not given */
  readonly values: Readonly<Record<string, string | null>>
}

/** A plausible literal for a non-scope argument of this type. */
function literal(type: string): string {
  const t = type.endsWith('!') ? type.slice(0, -1) : type
  if (t.startsWith('[') && t.endsWith(']')) return `[${literal(t.slice(1, -1))}]`
  switch (t) {
    case 'Uuid':
      return JSON.stringify(OTHER_UUID)
    case 'ID':
      return '"u1"'
    case 'String':
      return '"x"'
    case 'Int':
      return '1'
    case 'Boolean':
      return 'true'
    case 'JSON':
      return '{a: 1, b: ["x", {c: null}]}'
    case 'DateTime':
      return '"2020-01-01T00:00:00Z"'
    case 'EntityType':
      return 'WORKSPACE'
    case 'Role':
      return 'WORKSPACE_VIEWER'
    case 'MetricType':
      return 'DEPLOYMENT_STATUS'
    default:
      throw new Error(`no literal for type ${type}`)
  }
}

/** The arguments that name an entity: the operation's scopeArgs and any workspaceUuid/deploymentUuid. */
function scopeCandidates(op: HoustonOperation): HoustonOperation['args'] {
  return op.args.filter((a) => op.scopeArgs.includes(a.name) || SCOPE_ARG_NAMES.has(a.name))
}

function targetsOf(op: HoustonOperation): Target[] {
  const cands = scopeCandidates(op)
  if (cands.length === 0) return [{ label: 'no scope argument', values: {} }]
  const all = (v: string | null): Record<string, string | null> => Object.fromEntries(cands.map((a) => [a.name, v]))
  const out: Target[] = ['w1', 'w2', 'd1', 'd2', 'd3'].map((id) => ({ label: id, values: all(id) }))
  if (cands.every((a) => !a.type.endsWith('!'))) out.push({ label: 'none', values: all(null) })
  if (cands.length > 1) {
    const [first, ...rest] = cands
    const mixed = (v: string | null): Record<string, string | null> => ({ ...Object.fromEntries(rest.map((a) => [a.name, 'd1'])), [first!.name]: v })
    out.push({ label: `${first!.name}=w2, rest=d1`, values: mixed('w2') })
    if (!first!.type.endsWith('!')) out.push({ label: `${first!.name} absent, rest=d1`, values: mixed(null) })
  }
  return out
}

interface RenderOptions {
  /** Give every argument, not only the required ones. */
  readonly all?: boolean
  /** How scope arguments are passed. */
  readonly scopeAs: 'literal' | 'variable' | 'default'
  /** A scope argument that is not given: written as null, or left out. */
  readonly noneAs: 'null' | 'omit'
  readonly alias?: string
}

interface Rendered {
  readonly text: string
  readonly varDefs: readonly string[]
  readonly variables: Record<string, unknown>
  readonly field: RefField
}

function renderField(op: HoustonOperation, target: Target, o: RenderOptions): Rendered {
  const parts: string[] = []
  const varDefs: string[] = []
  const variables: Record<string, unknown> = {}
  const resolved: Record<string, string | null> = {}
  for (const a of op.args) {
    if (Object.hasOwn(target.values, a.name)) {
      const v = target.values[a.name] ?? null
      resolved[a.name] = v
      const varName = `s_${a.name}`
      if (o.scopeAs === 'literal') {
        if (v !== null) parts.push(`${a.name}: ${JSON.stringify(v)}`)
        else if (o.noneAs === 'null') parts.push(`${a.name}: null`)
      } else if (o.scopeAs === 'variable') {
        varDefs.push(`$${varName}: ${a.type}`)
        parts.push(`${a.name}: $${varName}`)
        if (v !== null) variables[varName] = v
        else if (o.noneAs === 'null') variables[varName] = null
      } else {
        // a variable default, no variables sent
        const dflt = v !== null ? ` = ${JSON.stringify(v)}` : o.noneAs === 'null' ? ' = null' : ''
        varDefs.push(`$${varName}: ${a.type.replace(/!$/, '')}${dflt}`)
        parts.push(`${a.name}: $${varName}`)
      }
    } else if (a.type.endsWith('!') || o.all === true) {
      const text = literal(a.type)
      parts.push(`${a.name}: ${text}`)
      // what the conditions read (role, entityType, entityUuid, inviteToken): the value as a string
      if (/^"[^"]*"$/.test(text)) resolved[a.name] = JSON.parse(text) as string
      else if (/^[A-Z_]+$/.test(text)) resolved[a.name] = text
    }
  }
  const call = parts.length > 0 ? `${op.field}(${parts.join(', ')})` : op.field
  return {
    text: o.alias !== undefined ? `${o.alias}: ${call}` : call,
    varDefs,
    variables,
    field: { name: op.field, alias: o.alias ?? null, args: resolved },
  }
}

const firstOp = (pred: (o: HoustonOperation) => boolean): HoustonOperation => {
  const found = OPERATIONS.find(pred)
  if (!found) throw new Error('no such operation in the facts')
  return found
}
/** An alias for a public field: the name of a protected one, and the other way round. */
const PROTECTED_NAME = firstOp((o) => o.access === 'permission' && o.type === 'Mutation').field
const PUBLIC_NAME = firstOp((o) => o.access === 'public').field
/** A public field of the same root type (Subscription has none), given first in two-field documents. */
function publicCompanion(type: OpType): HoustonOperation | undefined {
  return OPERATIONS.find((o) => o.type === type && o.access === 'public')
}
const UNKNOWN_FIELD = 'notAHoustonField'

const SINGLE_FIELD_SHAPES = ['literal', 'all-args', 'variable', 'variable-default', 'alias', 'named-fragment', 'inline-fragment'] as const

function requestsFor(op: HoustonOperation, target: Target): Request[] {
  const kw = KEYWORD[op.type]
  const out: Request[] = []
  const vars = (v: Record<string, unknown>): Record<string, unknown> | undefined => (Object.keys(v).length > 0 ? v : undefined)
  const defs = (d: readonly string[]): string => (d.length > 0 ? `(${d.join(', ')})` : '')
  const req = (shape: string, query: string, r: readonly Rendered[], variables: Record<string, unknown> | undefined, operationName?: string): void => {
    out.push({ shape, type: op.type, query, variables, operationName, fields: r.map((x) => x.field) })
  }

  const lit = renderField(op, target, { scopeAs: 'literal', noneAs: 'omit' })
  req('literal', op.type === 'Query' ? `{ ${lit.text} }` : `${kw} { ${lit.text} }`, [lit], undefined)

  const full = renderField(op, target, { all: true, scopeAs: 'literal', noneAs: 'null' })
  req('all-args', `${kw} AllArgs { ${full.text} }`, [full], undefined)

  const v = renderField(op, target, { scopeAs: 'variable', noneAs: 'null' })
  req('variable', `${kw} WithVariables${defs(v.varDefs)} { ${v.text} }`, [v], vars(v.variables))

  const d = renderField(op, target, { scopeAs: 'default', noneAs: 'omit' })
  req('variable-default', `${kw} WithDefaults${defs(d.varDefs)} { ${d.text} }`, [d], undefined)

  const alias = op.access === 'public' ? PROTECTED_NAME : PUBLIC_NAME
  const al = renderField(op, target, { scopeAs: 'literal', noneAs: 'null', alias })
  req('alias', `${kw} { ${al.text} }`, [al], undefined)

  const fr = renderField(op, target, { scopeAs: 'variable', noneAs: 'omit' })
  req(
    'named-fragment',
    `fragment RootFields on ${op.type} { ${fr.text} }\n${kw} ViaFragment${defs(fr.varDefs)} { ...RootFields }`,
    [fr],
    vars(fr.variables),
    'ViaFragment',
  )

  req('inline-fragment', `${kw} { ... on ${op.type} { ... { ${lit.text} } } }`, [lit], undefined)

  if (op.type !== 'Subscription') {
    const companion = publicCompanion(op.type)
    if (companion) {
      const c = renderField(companion, { label: '', values: {} }, { scopeAs: 'literal', noneAs: 'omit' })
      req('after-a-public-field', `${kw} { ${c.text} ${lit.text} }`, [c, lit], undefined)
    }
    const unknown: Rendered = { text: UNKNOWN_FIELD, varDefs: [], variables: {}, field: { name: UNKNOWN_FIELD, alias: null, args: {} } }
    req('before-an-unknown-field', `${kw} { ${lit.text} ${UNKNOWN_FIELD} }`, [lit, unknown], undefined)
  }
  return out
}

// ---------------------------------------------------------------------------------------------
// Comparing decisions

interface Projected {
  readonly allowed: boolean
  readonly reason: string
  readonly denied: readonly RefFieldDecision[]
}

function projectField(f: FieldDecision): RefFieldDecision {
  return {
    field: f.field,
    alias: f.alias ?? null,
    allowed: f.allowed,
    reason: f.reason as RefFieldDecision['reason'],
    required: [...f.required].sort(),
    op: f.op ?? null,
    scope: f.scope === null ? null : { kind: f.scope.kind, id: f.scope.id },
  }
}

function project(d: Decision): Projected {
  return { allowed: d.allowed, reason: d.reason, denied: d.denied.map(projectField) }
}

function fromModel(d: RefDecision): Projected {
  return { allowed: d.allowed, reason: d.reason, denied: d.denied }
}

interface Outcome {
  readonly decision: Projected
  readonly fields: readonly RefFieldDecision[]
  readonly operationType: string
}

interface Sent {
  readonly query: string
  readonly variables?: Record<string, unknown> | undefined
  readonly operationName?: string | undefined
}

function permgate(authz: Authorizer, policy: CompiledPolicy, w: Who, r: Sent): Outcome {
  const op = DOCS.get(r.query, r.operationName)
  const principal = principalOf(w)
  const decision = authz.decide(principal, op, r.variables)
  return {
    decision: project(decision),
    fields: decideFields(policy, authz.masks(principal), op, r.variables).map(projectField),
    operationType: decision.operationType,
  }
}

const show = (v: unknown): string => JSON.stringify(v)

/** `allowed`, or `reason [field:reason@scope ...]`: enough to read most mismatches at a glance. */
function brief(d: Projected): string {
  if (d.allowed) return 'allowed'
  const at = (f: RefFieldDecision): string => (f.scope === null ? '' : `@${f.scope.kind}:${f.scope.id}`)
  return `${d.reason} [${d.denied.map((f) => `${f.field}:${f.reason}${at(f)}`).join(', ')}]`
}

/** The brief forms when they differ, else the whole decisions. */
function diff(label: string, a: Projected, b: Projected): string {
  const [x, y] = [brief(a), brief(b)]
  return x !== y ? `${label}: ${x} / ${y}` : `${label}: ${show(a)} / ${show(b)}`
}

const MAX_REPORTED = 25

// ---------------------------------------------------------------------------------------------

describe('policies/houston: the facts and the world under test', () => {
  it('the facts list 62 root fields and 10 roles', () => {
    expect(OPERATIONS).toHaveLength(62)
    expect(Object.keys(ROLES)).toHaveLength(10)
  })

  it('every role is bound at its natural scope by some principal', () => {
    for (const role of Object.keys(ROLES)) expect(WHO.map((w) => w.name)).toContain(`${role}@natural`)
  })

  it.each([
    ['rules.yaml', RULES_POLICY],
    ['schema.graphql', SDL_POLICY],
  ] as const)('the policy with rules from %s has exactly one rule per root field of the facts', (file, policy) => {
    expect(policy.source.rulesFrom.endsWith(file)).toBe(true)
    expect([...policy.rules.keys()].sort()).toEqual(OPERATIONS.map((o) => `${o.type}.${o.field}`).sort())
    for (const o of OPERATIONS) {
      const rule = policy.rules.get(`${o.type}.${o.field}`)
      expect({ access: rule?.access, permissions: [...(rule?.permissions ?? [])].sort() }, `${o.type}.${o.field}`).toEqual({
        access: o.access,
        permissions: [...o.permissions].sort(),
      })
      if (o.access === 'permission') expect(rule?.op, `${o.type}.${o.field}`).toBe(o.combinator ?? 'AND')
    }
  })

  it('every permission rule of rules.yaml names its scope by the scope arguments of the facts', () => {
    for (const o of OPERATIONS.filter((x) => x.access === 'permission')) {
      const rule = RULES_POLICY.rules.get(`${o.type}.${o.field}`)
      expect(rule?.scope.map((s) => s.path.join('.')), `${o.type}.${o.field}`).toEqual(o.scopeArgs)
    }
  })
})

describe.each(['Query', 'Mutation', 'Subscription'] as const)('policies/houston conformance: %s', (type) => {
  const ops = OPERATIONS.filter((o) => o.type === type)

  it.each(ops.map((o) => [o.field, o] as const))('%s: permgate (rules.yaml and SDL) = reference model, every principal x target x shape', (_name, op) => {
    const mismatches: string[] = []
    let cases = 0
    for (const target of targetsOf(op)) {
      const requests = requestsFor(op, target)
      for (const w of WHO) {
        const ref = refPrincipalOf(w)
        let baseline: unknown
        let modelBaseline: unknown
        for (const r of requests) {
          cases++
          const at = `${w.name} | ${target.label} | ${r.shape}`
          const expected = fromModel(MODEL.decide(ref, r.type, r.fields))
          const expectedFields = r.fields.map((f) => MODEL.decideField(ref, r.type, f))
          const got = permgate(AUTHZ_RULES, RULES_POLICY, w, r)
          const sdl = permgate(AUTHZ_SDL, SDL_POLICY, w, r)
          if (got.operationType !== type) mismatches.push(`${at}: operation type ${got.operationType}`)
          if (!isDeepStrictEqual(got.decision, expected)) {
            mismatches.push(diff(`${at}: model / permgate`, expected, got.decision))
          } else if (!isDeepStrictEqual(got.fields, expectedFields)) {
            mismatches.push(`${at}: every field: model ${show(expectedFields)} / permgate ${show(got.fields)}`)
          }
          if (!isDeepStrictEqual(sdl, got)) {
            mismatches.push(diff(`${at}: SDL policy / rules.yaml policy`, sdl.decision, got.decision))
          }
          // one request, many shapes: aliases, variables, defaults and fragments change nothing
          // (a shape that passes other arguments, such as all-args giving createUser's inviteToken,
          // may differ where the model says it does: it was checked against the model above)
          if ((SINGLE_FIELD_SHAPES as readonly string[]).includes(r.shape)) {
            const essence = { allowed: got.decision.allowed, reason: got.decision.reason, denied: got.decision.denied.map((d) => ({ ...d, alias: null })) }
            const modelEssence = { allowed: expected.allowed, reason: expected.reason }
            if (baseline === undefined) {
              baseline = essence
              modelBaseline = modelEssence
            } else if (!isDeepStrictEqual(modelEssence, modelBaseline)) {
              // the model decides this shape differently: nothing to compare
            } else if (!isDeepStrictEqual(essence, baseline)) mismatches.push(`${at}: differs from the literal shape: ${show(essence)} / ${show(baseline)}`)
          }
        }
      }
    }
    expect(cases).toBeGreaterThan(0)
    expect({ count: mismatches.length, first: mismatches.slice(0, MAX_REPORTED) }).toEqual({ count: 0, first: [] })
  })
})

// ---------------------------------------------------------------------------------------------
// Hand-written rows: behaviour pinned whatever the model says

interface Row {
  readonly who: string
  readonly query: string
  readonly variables?: Record<string, unknown>
  readonly operationName?: string
  readonly allowed: boolean
  readonly reason: string
  /** Denied fields as `field` or `alias:field`, in order (checked when given). */
  readonly denied?: readonly string[]
}

const SYSTEM_VIEWER_HAS_DEPLOYMENTS_GET = ROLES.SYSTEM_VIEWER?.permissions.includes('system.deployments.get') ?? false

const ROWS: readonly Row[] = [
  // workspace scope, and its cascade to the workspace's deployments
  { who: 'WORKSPACE_VIEWER@natural', query: '{ workspaceDeployments(workspaceUuid: "w1") }', allowed: true, reason: 'allowed' },
  { who: 'WORKSPACE_VIEWER@natural', query: '{ workspaceDeployments(workspaceUuid: "w2") }', allowed: false, reason: 'missing_permission', denied: ['workspaceDeployments'] },
  { who: 'WORKSPACE_VIEWER@natural', query: 'mutation { updateDeployment(deploymentUuid: "d1") }', allowed: false, reason: 'missing_permission' },
  { who: 'WORKSPACE_VIEWER@natural', query: '{ logs(deploymentUuid: "d3") }', allowed: true, reason: 'allowed' },
  { who: 'WORKSPACE_EDITOR@natural', query: 'mutation { updateDeployment(deploymentUuid: "d1") }', allowed: true, reason: 'allowed' },
  { who: 'WORKSPACE_EDITOR@natural', query: 'mutation { updateDeployment(deploymentUuid: "d3") }', allowed: true, reason: 'allowed' },
  { who: 'WORKSPACE_EDITOR@natural', query: 'mutation { updateDeployment(deploymentUuid: "d2") }', allowed: false, reason: 'missing_permission' },
  { who: 'WORKSPACE_EDITOR@natural', query: 'mutation { updateDeployment(deploymentUuid: "d-unknown") }', allowed: false, reason: 'missing_permission' },
  { who: 'WORKSPACE_EDITOR@natural', query: 'mutation { deleteDeployment(deploymentUuid: "d1") }', allowed: false, reason: 'missing_permission' },
  { who: 'WORKSPACE_ADMIN@natural', query: 'mutation { deleteDeployment(deploymentUuid: "d1") }', allowed: true, reason: 'allowed' },
  // a deployment binding stays on its deployment
  { who: 'DEPLOYMENT_VIEWER@natural', query: '{ logs(deploymentUuid: "d1") }', allowed: true, reason: 'allowed' },
  { who: 'DEPLOYMENT_VIEWER@natural', query: '{ logs(deploymentUuid: "d3") }', allowed: false, reason: 'missing_permission' },
  { who: 'DEPLOYMENT_VIEWER@natural', query: 'mutation { updateDeployment(deploymentUuid: "d1") }', allowed: false, reason: 'missing_permission' },
  { who: 'DEPLOYMENT_ADMIN@natural', query: '{ workspaceDeployments(workspaceUuid: "w1") }', allowed: false, reason: 'missing_permission' },
  // system permissions: from the role data, never from a scoped binding, no implicit override
  {
    who: 'SYSTEM_VIEWER@natural',
    query: '{ deployments }',
    allowed: SYSTEM_VIEWER_HAS_DEPLOYMENTS_GET,
    reason: SYSTEM_VIEWER_HAS_DEPLOYMENTS_GET ? 'allowed' : 'missing_permission',
  },
  { who: 'SYSTEM_VIEWER@natural', query: '{ updateAvailable }', allowed: true, reason: 'allowed' },
  { who: 'SYSTEM_ADMIN@natural', query: '{ deployments }', allowed: true, reason: 'allowed' },
  { who: 'SYSTEM_ADMIN@natural', query: '{ workspaceDeployments(workspaceUuid: "w2") }', allowed: true, reason: 'allowed' },
  { who: 'SYSTEM_ADMIN@natural', query: '{ workspaceUsers(workspaceUuid: "w1") }', allowed: false, reason: 'missing_permission' },
  { who: 'SYSTEM_ADMIN@natural', query: 'mutation { suspendWorkspace(workspaceUuid: "w2", isSuspended: true) }', allowed: true, reason: 'allowed' },
  { who: 'SYSTEM_EDITOR@natural', query: 'mutation { createSystemRoleBinding(userId: "u1", role: SYSTEM_VIEWER) }', allowed: true, reason: 'allowed' },
  { who: 'SYSTEM_VIEWER@natural', query: 'mutation { createSystemRoleBinding(userId: "u1", role: SYSTEM_VIEWER) }', allowed: false, reason: 'missing_permission' },
  { who: 'SYSTEM_ADMIN@w1', query: '{ users }', allowed: false, reason: 'missing_permission' },
  { who: 'SYSTEM_ADMIN@w1', query: '{ deployments }', allowed: false, reason: 'missing_permission' },
  { who: 'sa-SYSTEM_ADMIN@w1', query: 'mutation { suspendWorkspace(workspaceUuid: "w1", isSuspended: true) }', allowed: false, reason: 'missing_permission' },
  { who: 'SYSTEM_ADMIN@d1', query: '{ logs(deploymentUuid: "d1") }', allowed: false, reason: 'missing_permission' },
  { who: 'WORKSPACE_VIEWER+DEPLOYMENT_EDITOR@system', query: '{ workspaceUsers(workspaceUuid: "w2") }', allowed: true, reason: 'allowed' },
  { who: 'WORKSPACE_VIEWER+DEPLOYMENT_EDITOR@system', query: 'mutation { updateDeployment(deploymentUuid: "d-unknown") }', allowed: true, reason: 'allowed' },
  { who: 'WORKSPACE_VIEWER+DEPLOYMENT_EDITOR@system', query: 'mutation { updateWorkspace(workspaceUuid: "w1", payload: {}) }', allowed: false, reason: 'missing_permission' },
  // deleteWorkspace with no workspace named: only the system alternative can pass
  { who: 'SYSTEM_ADMIN@natural', query: 'mutation { deleteWorkspace }', allowed: true, reason: 'allowed' },
  { who: 'WORKSPACE_ADMIN@natural', query: 'mutation { deleteWorkspace }', allowed: false, reason: 'missing_permission' },
  { who: 'WORKSPACE_ADMIN@natural', query: 'mutation { deleteWorkspace(workspaceUuid: null) }', allowed: false, reason: 'missing_permission' },
  { who: 'WORKSPACE_ADMIN@natural', query: 'mutation { deleteWorkspace(workspaceUuid: "w1") }', allowed: true, reason: 'allowed' },
  { who: 'WORKSPACE_ADMIN@natural', query: 'mutation { workspaceAddUser(email: "x", role: WORKSPACE_VIEWER) }', allowed: false, reason: 'missing_permission' },
  // principals: service account, team, unions
  { who: 'sa-ws-editor-w1', query: 'mutation { createDeployment(workspaceUuid: "w1", type: "x", label: "x") }', allowed: true, reason: 'allowed' },
  { who: 'sa-ws-editor-w1', query: 'mutation { createDeployment(workspaceUuid: "w2", type: "x", label: "x") }', allowed: false, reason: 'missing_permission' },
  { who: 'team-w2-member', query: 'mutation { updateWorkspace(workspaceUuid: "w2", payload: {a: 1}) }', allowed: true, reason: 'allowed' },
  { who: 'team-w2-member', query: 'mutation { updateWorkspace(workspaceUuid: "w1", payload: {a: 1}) }', allowed: false, reason: 'missing_permission' },
  { who: 'team-w2-member', query: 'mutation { deleteDeployment(deploymentUuid: "d2") }', allowed: true, reason: 'allowed' },
  { who: 'DEPLOYMENT_VIEWER@d1+WORKSPACE_ADMIN@w1', query: 'mutation { deleteDeployment(deploymentUuid: "d1") }', allowed: true, reason: 'allowed' },
  { who: 'DEPLOYMENT_VIEWER@d1+WORKSPACE_ADMIN@w1', query: 'mutation { workspaceAddUser(workspaceUuid: "w1", email: "x", role: WORKSPACE_VIEWER) }', allowed: true, reason: 'allowed' },
  { who: 'team-w2-member+dep-viewer-d1', query: '{ logs(deploymentUuid: "d1") w: workspaceInvites(workspaceUuid: "w2") }', allowed: true, reason: 'allowed' },
  // authentication
  { who: 'anonymous', query: '{ self }', allowed: false, reason: 'unauthenticated', denied: ['self'] },
  { who: 'anonymous', query: '{ authConfig }', allowed: true, reason: 'allowed' },
  { who: 'anonymous', query: 'mutation { createToken(password: "x") }', allowed: true, reason: 'allowed' },
  { who: 'anonymous', query: 'mutation { createWorkspace(label: "x") }', allowed: false, reason: 'unauthenticated' },
  { who: 'bare-user', query: 'mutation { createWorkspace(label: "x") }', allowed: true, reason: 'allowed' },
  { who: 'stranger', query: 'mutation { createWorkspace(label: "x") }', allowed: true, reason: 'allowed' },
  { who: 'stranger', query: '{ self }', allowed: true, reason: 'allowed' },
  { who: 'bare-user', query: 'subscription { deploymentStatus(releaseName: "x") }', allowed: true, reason: 'allowed' },
  // unknown fields, the root type matters, __typename, introspection
  { who: 'bare-user', query: '{ notAHoustonField }', allowed: false, reason: 'no_rule', denied: ['notAHoustonField'] },
  { who: 'SYSTEM_ADMIN@natural', query: '{ createWorkspace(label: "x") }', allowed: false, reason: 'no_rule' },
  { who: 'SYSTEM_ADMIN@natural', query: 'mutation { self }', allowed: false, reason: 'no_rule' },
  { who: 'anonymous', query: '{ __typename }', allowed: true, reason: 'allowed' },
  { who: 'anonymous', query: 'mutation { __typename }', allowed: true, reason: 'allowed' },
  { who: 'anonymous', query: '{ authConfig t: __typename }', allowed: true, reason: 'allowed' },
  { who: 'anonymous', query: '{ __schema { queryType { name } } }', allowed: false, reason: 'unauthenticated', denied: ['__schema'] },
  { who: 'anonymous', query: '{ __type(name: "Query") { name } }', allowed: false, reason: 'unauthenticated' },
  { who: 'bare-user', query: '{ __schema { queryType { name } } }', allowed: true, reason: 'allowed' },
  { who: 'bare-user', query: '{ __type(name: "Query") { name } }', allowed: true, reason: 'allowed' },
  // scope values that are no id: denied on doubt, even where a system alternative would pass
  {
    who: 'WORKSPACE_VIEWER@natural',
    query: 'query Q($w: Uuid!) { workspaceDeployments(workspaceUuid: $w) }',
    variables: { w: { id: 'w1' } },
    allowed: false,
    reason: 'invalid_scope',
  },
  {
    who: 'SYSTEM_ADMIN@natural',
    query: 'query Q($w: Uuid!) { workspaceDeployments(workspaceUuid: $w) }',
    variables: { w: { id: 'w1' } },
    allowed: false,
    reason: 'invalid_scope',
  },
  { who: 'WORKSPACE_VIEWER@natural', query: '{ workspaceDeployments(workspaceUuid: {id: "w1"}) }', allowed: false, reason: 'invalid_scope' },
  { who: 'WORKSPACE_VIEWER@natural', query: '{ workspaceDeployments(workspaceUuid: ["w1"]) }', allowed: false, reason: 'invalid_scope' },
  { who: 'WORKSPACE_VIEWER@natural', query: '{ workspaceDeployments(workspaceUuid: "") }', allowed: false, reason: 'invalid_scope' },
  // variables: a sent value wins over the default, an explicit null too
  {
    who: 'WORKSPACE_VIEWER@natural',
    query: 'query Q($w: Uuid! = "w2") { workspaceDeployments(workspaceUuid: $w) }',
    variables: { w: 'w1' },
    allowed: true,
    reason: 'allowed',
  },
  { who: 'WORKSPACE_VIEWER@natural', query: 'query Q($w: Uuid! = "w2") { workspaceDeployments(workspaceUuid: $w) }', allowed: false, reason: 'missing_permission' },
  { who: 'WORKSPACE_ADMIN@natural', query: 'mutation M($w: Uuid = "w1") { deleteWorkspace(workspaceUuid: $w) }', allowed: true, reason: 'allowed' },
  {
    who: 'WORKSPACE_ADMIN@natural',
    query: 'mutation M($w: Uuid = "w1") { deleteWorkspace(workspaceUuid: $w) }',
    variables: { w: null },
    allowed: false,
    reason: 'missing_permission',
  },
  // aliases never matter; one denied root field denies the whole request
  { who: 'anonymous', query: '{ self: authConfig }', allowed: true, reason: 'allowed' },
  { who: 'anonymous', query: '{ authConfig: self }', allowed: false, reason: 'unauthenticated', denied: ['authConfig:self'] },
  { who: 'bare-user', query: '{ workspaces: users }', allowed: false, reason: 'missing_permission', denied: ['workspaces:users'] },
  { who: 'bare-user', query: '{ authConfig users }', allowed: false, reason: 'missing_permission', denied: ['users'] },
  { who: 'bare-user', query: '{ users notAHoustonField self }', allowed: false, reason: 'missing_permission', denied: ['users', 'notAHoustonField'] },
  { who: 'anonymous', query: '{ notAHoustonField self authConfig }', allowed: false, reason: 'unauthenticated', denied: ['notAHoustonField', 'self'] },
  {
    who: 'WORKSPACE_VIEWER@natural',
    query: '{ a: workspaceDeployments(workspaceUuid: "w1") b: workspaceDeployments(workspaceUuid: "w2") }',
    allowed: false,
    reason: 'missing_permission',
    denied: ['b:workspaceDeployments'],
  },
  {
    who: 'WORKSPACE_VIEWER@natural',
    query: 'fragment F on Query { workspaceUsers(workspaceUuid: "w2") }\nquery Q { self ...F }',
    allowed: false,
    reason: 'missing_permission',
    denied: ['workspaceUsers'],
  },
  // the operation chosen by name is the one decided
  { who: 'bare-user', query: 'query A { users } query B { self }', operationName: 'B', allowed: true, reason: 'allowed' },
  { who: 'bare-user', query: 'query A { users } query B { self }', operationName: 'A', allowed: false, reason: 'missing_permission' },
]

describe.each([
  ['rules.yaml', AUTHZ_RULES, RULES_POLICY],
  ['schema.graphql', AUTHZ_SDL, SDL_POLICY],
] as const)('policies/houston pinned decisions (rules from %s)', (_file, authz, policy) => {
  it.each(ROWS.map((r) => [`${r.who}: ${r.query.replace(/\s+/g, ' ')}${r.variables ? ` ${show(r.variables)}` : ''}${r.operationName ? ` [${r.operationName}]` : ''}`, r] as const))(
    '%s',
    (_label, row) => {
      const got = permgate(authz, policy, who(row.who), row).decision
      expect({ allowed: got.allowed, reason: got.reason }).toEqual({ allowed: row.allowed, reason: row.reason })
      if (row.denied) expect(got.denied.map((d) => (d.alias !== null ? `${d.alias}:${d.field}` : d.field))).toEqual(row.denied)
      if (row.allowed) expect(got.denied).toEqual([])
      else expect(got.denied.length).toBeGreaterThan(0)
    },
  )
})

describe('policies/houston: the reference model agrees with the pinned rows it can express', () => {
  // Rows whose document is one field with literal string arguments: the model decides them too,
  // which checks the model itself against the hand-written expectations.
  const simple = /^(?:(query|mutation|subscription) )?\{ (\w+)(?:\(([^)]*)\))? \}$/
  const expressible = ROWS.flatMap((r) => {
    const m = r.variables === undefined && r.operationName === undefined ? simple.exec(r.query) : null
    if (!m) return []
    const type: OpType = m[1] === 'mutation' ? 'Mutation' : m[1] === 'subscription' ? 'Subscription' : 'Query'
    const args: Record<string, string | null> = {}
    for (const part of (m[3] ?? '').split(/,\s*/).filter((s) => s !== '')) {
      const am = /^(\w+): (.*)$/.exec(part)
      if (!am) return []
      const value = am[2] ?? ''
      if (value === 'null') args[am[1]!] = null
      else if (/^"[^"]+"$/.test(value)) args[am[1]!] = value.slice(1, -1)
      else if (/^[A-Z_]+$/.test(value)) args[am[1]!] = value // an enum value (a role, an entity type)
      else if (SCOPE_ARG_NAMES.has(am[1]!)) return [] // a scope value that is no id string
    }
    return [[`${r.who}: ${r.query}`, r, type, { name: m[2]!, alias: null, args }] as const]
  })

  it('covers most rows', () => {
    expect(expressible.length).toBeGreaterThan(ROWS.length / 2)
  })

  it.each(expressible)('%s', (_label, row, type, field) => {
    const d = MODEL.decide(refPrincipalOf(who(row.who)), type, [field])
    expect({ allowed: d.allowed, reason: d.reason }).toEqual({ allowed: row.allowed, reason: row.reason })
  })
})
