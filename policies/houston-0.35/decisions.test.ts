import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { isDeepStrictEqual } from 'node:util'
import { buildSchema, isInputObjectType, isObjectType, type GraphQLSchema } from 'graphql'
import { afterAll, describe, expect, it } from 'vitest'
import { stringify } from 'yaml'
import { loadBindingsFile } from '../../src/bindings/file.js'
import { ANONYMOUS, type Principal } from '../../src/identity/types.js'
import { DocumentCache } from '../../src/operation/index.js'
import { Authorizer } from '../../src/policy/authorizer.js'
import { compilePolicy } from '../../src/policy/compile.js'
import type { Decision } from '../../src/policy/decide.js'
import { loadPolicy } from '../../src/policy/load.js'
import type { CompiledPolicy } from '../../src/policy/types.js'
import { POLICY_HOUSTON_035 } from '../../test/helpers/shared.js'
import { guardsOf, loadFacts, READINGS, ReferenceModel, type Op03, type OpType, type RefBinding, type RefPrincipal } from './reference-model.js'

// Conformance of policies/houston-0.35: every root field of Houston on Astronomer Software 0.3x
// (operations-0.3x.json), for a range of principals (users, service accounts, teams), scope
// targets, roles granted and two request shapes, decided by permgate with rules.yaml, by permgate
// with the @auth directives of schema.graphql, and by the reference model written from the facts.
// All three must agree. Hand-written rows pin the escalation guards, teams and release lookups.

const FACTS = loadFacts()
const OPERATIONS = FACTS.operations
const KEY = (o: Op03): string => `${o.type}.${o.field}`

// ---------------------------------------------------------------------------------------------
// The world: deployments (with release names), principals, teams

const DEPLOYMENTS = new Map([
  ['d1', { workspace: 'w1', releaseName: 'r-d1' }],
  ['d2', { workspace: 'w2', releaseName: 'r-d2' }],
  ['d3', { workspace: 'w1', releaseName: 'r-d3' }],
])

/** Teams (IdP groups): a member holds the team's bindings as its own. */
const TEAMS: Readonly<Record<string, readonly RefBinding[]>> = {
  'team-w2-admins': [{ role: 'WORKSPACE_ADMIN', workspace: 'w2' }],
  'team-d1-admins': [{ role: 'DEPLOYMENT_ADMIN', deployment: 'd1' }],
  'team-sys-editors': [{ role: 'SYSTEM_EDITOR' }],
  'team-empty': [],
}

interface Who {
  readonly name: string
  readonly kind: Principal['kind']
  readonly own: readonly RefBinding[]
  readonly teams: readonly string[]
  /** False: the principal has no entry under `subjects`. */
  readonly inStore: boolean
}

function natural(role: string): RefBinding {
  if (role.startsWith('WORKSPACE_')) return { role, workspace: 'w1' }
  if (role.startsWith('DEPLOYMENT_')) return { role, deployment: 'd1' }
  return { role }
}

const user = (name: string, own: readonly RefBinding[], extra: Partial<Who> = {}): Who => ({ name, kind: 'user', own, teams: [], inStore: true, ...extra })

const WHO: readonly Who[] = [
  { name: 'anonymous', kind: 'anonymous', own: [], teams: [], inStore: false },
  ...Object.keys(FACTS.roles).map((role) => user(`${role}@natural`, [natural(role)])),
  user('bare-user', []),
  user('stranger', [], { inStore: false }),
  user('sa-WORKSPACE_EDITOR@w1', [{ role: 'WORKSPACE_EDITOR', workspace: 'w1' }], { kind: 'serviceAccount' }),
  user('sa-DEPLOYMENT_EDITOR@d1', [{ role: 'DEPLOYMENT_EDITOR', deployment: 'd1' }], { kind: 'serviceAccount' }),
  user('team-w2-admins member', [], { teams: ['team-w2-admins'], inStore: false }),
  user('team-d1-admins member+DEPLOYMENT_VIEWER@d2', [{ role: 'DEPLOYMENT_VIEWER', deployment: 'd2' }], { teams: ['team-empty', 'team-d1-admins', 'no-such-team'] }),
  user('team-sys-editors member', [], { teams: ['team-sys-editors'] }),
  user('SYSTEM_ADMIN@w1', [{ role: 'SYSTEM_ADMIN', workspace: 'w1' }]),
  user('DEPLOYMENT_VIEWER@d1+WORKSPACE_ADMIN@w1', [
    { role: 'DEPLOYMENT_VIEWER', deployment: 'd1' },
    { role: 'WORKSPACE_ADMIN', workspace: 'w1' },
  ]),
  user('WORKSPACE_VIEWER@w1+WORKSPACE_ADMIN@w2', [
    { role: 'WORKSPACE_VIEWER', workspace: 'w1' },
    { role: 'WORKSPACE_ADMIN', workspace: 'w2' },
  ]),
  user('DEPLOYMENT_ADMIN@d1+d2', [
    { role: 'DEPLOYMENT_ADMIN', deployment: 'd1' },
    { role: 'DEPLOYMENT_ADMIN', deployment: 'd2' },
  ]),
  user('WORKSPACE_VIEWER+DEPLOYMENT_EDITOR@system', [{ role: 'WORKSPACE_VIEWER' }, { role: 'DEPLOYMENT_EDITOR' }]),
]

const principalOf = (w: Who): Principal => (w.kind === 'anonymous' ? ANONYMOUS : { kind: w.kind, id: w.name, groups: w.teams })
const refOf = (w: Who): RefPrincipal => ({
  anonymous: w.kind === 'anonymous',
  bindings: [...(w.inStore ? w.own : []), ...w.teams.flatMap((t) => TEAMS[t] ?? [])],
})
function who(name: string): Who {
  const w = WHO.find((x) => x.name === name)
  if (!w) throw new Error(`no principal ${name}`)
  return w
}

// ---------------------------------------------------------------------------------------------
// Policies: rules.yaml (shipped) and the same manifest with the rules from schema.graphql

const TMP = mkdtempSync(join(tmpdir(), 'permgate-houston-035-'))
afterAll(() => rmSync(TMP, { recursive: true, force: true }))

function sdlPolicyDir(): string {
  const dir = join(TMP, 'sdl-policy')
  const abs = (f: string): string => JSON.stringify(join(POLICY_HOUSTON_035, f))
  const manifest = readFileSync(join(POLICY_HOUSTON_035, 'policy.yaml'), 'utf8')
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
  for (const w of WHO) if (w.inStore && w.kind !== 'anonymous') subjects[w.name] = { kind: w.kind, bindings: w.own }
  const groups = Object.fromEntries(Object.entries(TEAMS).map(([t, bindings]) => [t, { bindings }]))
  const file = join(TMP, 'bindings.yaml')
  writeFileSync(file, stringify({ deployments: Object.fromEntries(DEPLOYMENTS), subjects, groups }))
  return file
}

const BINDINGS = bindingsFile()
const RULES_POLICY = compilePolicy(loadPolicy(POLICY_HOUSTON_035))
const SDL_POLICY = compilePolicy(loadPolicy(sdlPolicyDir()))
const AUTHZ_RULES = new Authorizer(RULES_POLICY, loadBindingsFile(BINDINGS, RULES_POLICY))
const AUTHZ_SDL = new Authorizer(SDL_POLICY, loadBindingsFile(BINDINGS, SDL_POLICY))
const MODEL = new ReferenceModel(FACTS, DEPLOYMENTS)
const DOCS = new DocumentCache()
const SDL = buildSchema(readFileSync(join(POLICY_HOUSTON_035, 'schema.graphql'), 'utf8'))

// ---------------------------------------------------------------------------------------------
// Requests: arguments as plain values, rendered as literals or as variables

type Args = Record<string, unknown>
/** A string that renders as a GraphQL enum literal. */
class Enum {
  constructor(readonly name: string) {}
}
const ENUMS = new Set(FACTS.types.filter((t) => t.kind === 'enum').map((t) => t.name))
const INPUTS = new Map(FACTS.types.filter((t) => t.kind === 'input').map((t) => [t.name, t.fields ?? []]))
const bare = (type: string): string => type.replace(/[[\]!]/g, '')

/** A plausible value for a required argument that names no entity. */
function filler(type: string): unknown {
  const t = type.endsWith('!') ? type.slice(0, -1) : type
  if (t.startsWith('[')) return [filler(t.slice(1, -1))]
  if (ENUMS.has(t)) return new Enum(FACTS.types.find((x) => x.name === t)?.values?.[0]?.name ?? 'X')
  const input = INPUTS.get(t)
  if (input) return Object.fromEntries(input.filter((f) => !bare(f.type).startsWith('Deployment')).slice(0, 1).map((f) => [f.name, filler(f.type)]))
  switch (t) {
    case 'Int':
      return 1
    case 'Boolean':
      return true
    case 'JSON':
      return { a: 1 }
    case 'DateTime':
      return '2024-01-01T00:00:00Z'
    default:
      return 'x'
  }
}

/** The model sees enum values as the strings they are. */
function plain(v: unknown): unknown {
  if (v instanceof Enum) return v.name
  if (Array.isArray(v)) return v.map(plain)
  if (typeof v === 'object' && v !== null) return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, plain(x)]))
  return v
}

function literal(v: unknown): string {
  if (v instanceof Enum) return v.name
  if (Array.isArray(v)) return `[${v.map(literal).join(', ')}]`
  if (typeof v === 'object' && v !== null) return `{${Object.entries(v).map(([k, x]) => `${k}: ${literal(x)}`).join(', ')}}`
  return JSON.stringify(v)
}

interface Request {
  readonly label: string
  readonly type: OpType
  readonly query: string
  readonly variables: Args | undefined
  readonly field: string
  readonly args: Args
}

function render(op: Op03, args: Args, label: string): Request[] {
  const kw = op.type.toLowerCase()
  const given = Object.entries(args).filter(([, v]) => v !== undefined)
  const lit = given.length === 0 ? op.field : `${op.field}(${given.map(([k, v]) => `${k}: ${literal(v)}`).join(', ')})`
  const typeOf = (name: string): string => op.args.find((a) => a.name === name)?.type ?? 'JSON'
  const defs = given.map(([k]) => `$${k}: ${typeOf(k)}`).join(', ')
  const withVars = given.length === 0 ? op.field : `${op.field}(${given.map(([k]) => `${k}: $${k}`).join(', ')})`
  const model = plain(args) as Args
  // an alias that takes another root field's name, and the field reached through a named and an
  // inline fragment: the decision is the field's, however it is spelled
  const alias = op.field === 'appConfig' ? 'self' : 'appConfig'
  return [
    { label: `${label} | literal`, type: op.type, query: `${kw} { ${lit} }`, variables: undefined, field: op.field, args: model },
    { label: `${label} | alias`, type: op.type, query: `${kw} { ${alias}: ${lit} }`, variables: undefined, field: op.field, args: model },
    {
      label: `${label} | named fragment`,
      type: op.type,
      query: `fragment F on ${op.type} { ... on ${op.type} { ${lit} } }\n${kw} ViaFragment { ...F }`,
      variables: undefined,
      field: op.field,
      args: model,
    },
    {
      label: `${label} | variables`,
      type: op.type,
      query: given.length === 0 ? `${kw} V { ${withVars} }` : `${kw} V(${defs}) { ${withVars} }`,
      variables: given.length === 0 ? undefined : (plain(Object.fromEntries(given)) as Args),
      field: op.field,
      args: model,
    },
  ]
}

/** Where a request points: a workspace, a deployment, a release name (undefined: leave optional ones out). */
interface Target {
  readonly label: string
  readonly ws?: string
  readonly dep?: string
  readonly release?: string
}

const TARGETS: readonly Target[] = [
  { label: 'w1/d1', ws: 'w1', dep: 'd1', release: 'r-d1' },
  { label: 'w1/d3', ws: 'w1', dep: 'd3', release: 'r-d3' },
  { label: 'w2/d2', ws: 'w2', dep: 'd2', release: 'r-d2' },
  { label: 'w1 beside d2 of w2', ws: 'w1', dep: 'd2', release: 'r-d2' },
  { label: 'd1 beside the release of d2', ws: 'w1', dep: 'd1', release: 'r-d2' },
  { label: 'unknown entities', ws: 'w-unknown', dep: 'd-unknown', release: 'r-unknown' },
  { label: 'none named' },
]

const WORKSPACE_ARGS = new Set(['workspaceUuid'])
const DEPLOYMENT_ARGS = new Set(['deploymentUuid', 'deploymentId'])

/** The arguments of one request: entity arguments from the target, other required ones filled. */
function argsFor(op: Op03, t: Target): Args {
  const out: Args = {}
  for (const a of op.args) {
    const required = a.type.endsWith('!')
    if (WORKSPACE_ARGS.has(a.name)) out[a.name] = t.ws ?? (required ? 'w1' : undefined)
    else if (DEPLOYMENT_ARGS.has(a.name)) out[a.name] = t.dep ?? (required ? 'd1' : undefined)
    else if (a.name === 'releaseName') out[a.name] = t.release ?? (required ? 'r-d1' : undefined)
    else if (a.name === 'where' && bare(a.type) === 'DeploymentWhereUniqueInput') {
      out[a.name] = t.dep === undefined ? {} : t.release === `r-${t.dep}` ? { id: t.dep } : { id: t.dep, releaseName: t.release }
    } else if (a.name === 'entityUuid') out[a.name] = t.dep ?? t.ws
    else if (a.name === 'entityType') out[a.name] = new Enum(t.dep !== undefined ? 'DEPLOYMENT' : t.ws !== undefined ? 'WORKSPACE' : 'SYSTEM')
    else if (a.name === 'role' && bare(a.type) === 'Role') out[a.name] = required ? new Enum('WORKSPACE_VIEWER') : undefined
    else if (a.name === 'inviteToken') out[a.name] = undefined
    else if (required) out[a.name] = filler(a.type)
  }
  return out
}

const GRANTABLE = Object.keys(FACTS.roles).filter((r) => r !== 'USER')
const ROLE_VALUES = [...GRANTABLE, 'USER', 'NOT_A_ROLE']

/** More requests for a field that grants roles: each role value, payloads, lists of grants. */
function grantVariants(op: Op03, base: Args, t: Target): { label: string; args: Args }[] {
  const guards = guardsOf(op, FACTS.types)
  if (guards.length === 0) return []
  const out: { label: string; args: Args }[] = []
  const top = guards.find((g) => g.each === null)
  if (top !== undefined && top.role.length === 1) {
    for (const r of ROLE_VALUES) out.push({ label: `role ${r}`, args: { ...base, [top.role[0] as string]: new Enum(r) } })
    if (!op.args.find((a) => a.name === top.role[0])?.type.endsWith('!') || top.default !== null) out.push({ label: 'role absent', args: { ...base, [top.role[0] as string]: undefined } })
    if (op.field === 'createServiceAccount') {
      for (const [type, entity] of [['SYSTEM', undefined], ['WORKSPACE', t.ws], ['DEPLOYMENT', t.dep]] as const) {
        for (const r of ['SYSTEM_ADMIN', 'WORKSPACE_EDITOR', 'DEPLOYMENT_VIEWER']) {
          out.push({ label: `${type} ${r}`, args: { ...base, entityType: new Enum(type), entityUuid: entity, role: new Enum(r) } })
        }
      }
    }
  }
  if (top !== undefined && top.role.length === 2) {
    const [payload, key] = top.role as [string, string]
    for (const r of ROLE_VALUES) out.push({ label: `${payload}.${key} ${r}`, args: { ...base, [payload]: { label: 'x', [key]: new Enum(r) } } })
    out.push({ label: `${payload} without a role`, args: { ...base, [payload]: { label: 'x' } } })
    out.push({ label: `${payload} a JSON string`, args: { ...base, [payload]: JSON.stringify({ [key]: 'SYSTEM_ADMIN' }) } })
  }
  for (const g of guards.filter((x) => x.each !== null)) {
    const [roleKey, idKey] = [g.role[0] as string, (g.entity ?? [])[0] as string]
    const el = (dep: string | undefined, role: string, key = idKey): Args => ({ [key]: dep, [roleKey]: new Enum(role) })
    const lists: [string, unknown][] = [
      ['[]', []],
      ['[DEPLOYMENT_VIEWER at d1]', [el('d1', 'DEPLOYMENT_VIEWER')]],
      ['[DEPLOYMENT_ADMIN at d1, DEPLOYMENT_EDITOR at d3]', [el('d1', 'DEPLOYMENT_ADMIN'), el('d3', 'DEPLOYMENT_EDITOR')]],
      ['[DEPLOYMENT_VIEWER at d2]', [el('d2', 'DEPLOYMENT_VIEWER')]],
      ['[DEPLOYMENT_ADMIN at the target]', [el(t.dep, 'DEPLOYMENT_ADMIN')]],
      ['[WORKSPACE_ADMIN at d1]', [el('d1', 'WORKSPACE_ADMIN')]],
      ['[SYSTEM_ADMIN at d1]', [el('d1', 'SYSTEM_ADMIN')]],
      ['[a role, no deployment]', [{ [roleKey]: new Enum('DEPLOYMENT_VIEWER') }]],
      ['[deploymentId instead]', [el('d1', 'DEPLOYMENT_VIEWER', 'deploymentId')]],
      ['[unknown deployment]', [el('d-unknown', 'DEPLOYMENT_VIEWER')]],
    ]
    for (const [label, list] of lists) out.push({ label: `${g.each} ${label}`, args: { ...base, role: new Enum('WORKSPACE_VIEWER'), [g.each as string]: list } })
  }
  return out
}

function requestsFor(op: Op03): Request[] {
  const out: Request[] = []
  for (const t of TARGETS) {
    const base = argsFor(op, t)
    out.push(...render(op, base, t.label))
    for (const v of grantVariants(op, base, t)) out.push(...render(op, v.args, `${t.label} | ${v.label}`).slice(0, 1))
  }
  if (op.field === 'createUser') out.push(...render(op, { ...argsFor(op, TARGETS[0]!), inviteToken: 'tok' }, 'with an invitation'))
  return out
}

// ---------------------------------------------------------------------------------------------
// Deciding

interface Got {
  readonly allowed: boolean
  readonly reason: string
  readonly fields: readonly string[]
  readonly decision: Decision
}

function permgate(authz: Authorizer, w: Who, query: string, variables?: Args, operationName?: string): Got {
  const op = DOCS.get(query, operationName)
  const d = authz.decide(principalOf(w), op, variables)
  return { allowed: d.allowed, reason: d.reason, fields: d.denied.map((f) => f.reason), decision: d }
}

const MAX_REPORTED = 25

// ---------------------------------------------------------------------------------------------

describe('policies/houston-0.35: the facts, the rules and the SDL', () => {
  it('the facts list 101 root fields and the ten 0.35 roles', () => {
    expect(OPERATIONS).toHaveLength(101)
    expect(Object.keys(FACTS.roles)).toHaveLength(10)
  })

  it.each([
    ['rules.yaml', RULES_POLICY],
    ['schema.graphql', SDL_POLICY],
  ] as const)('the policy with rules from %s has exactly one rule per root field of the facts', (file, policy) => {
    expect(policy.source.rulesFrom.endsWith(join('houston-0.35', file))).toBe(true)
    expect([...policy.rules.keys()].sort()).toEqual(OPERATIONS.map(KEY).sort())
  })

  it('rules.yaml and schema.graphql compile to the same rule for every field', () => {
    const differ: string[] = []
    for (const [key, r] of RULES_POLICY.rules) {
      const s = SDL_POLICY.rules.get(key)
      const shape = (x: typeof r | undefined): unknown => x && { access: x.access, op: x.op, permissions: x.permissions, scope: x.scope, byKind: x.byKind }
      if (!isDeepStrictEqual(shape(r), shape(s))) differ.push(`${key}: ${JSON.stringify(shape(r))} / ${JSON.stringify(shape(s))}`)
    }
    expect(differ).toEqual([])
  })

  it("every rule is the facts' rule, except the stricter readings the reference model lists (and appConfig public)", () => {
    const differ: string[] = []
    for (const o of OPERATIONS) {
      const rule = RULES_POLICY.rules.get(KEY(o))
      const want = MODEL.ruleOf(o)
      const got = {
        access: rule?.access,
        permissions: [...(rule?.permissions ?? [])].sort(),
        op: rule?.access === 'permission' ? rule.op : null,
        scope: rule?.scope.map((s) => ({ kind: s.kind, path: s.path.join('.'), ...(s.lookup ? { lookup: s.lookup } : {}) })),
      }
      const expected = { access: want.access, permissions: [...want.permissions].sort(), op: want.access === 'permission' ? want.op : null, scope: want.scope }
      if (!isDeepStrictEqual(got, expected)) differ.push(`${KEY(o)}: ${JSON.stringify(got)} / ${JSON.stringify(expected)}`)
    }
    expect(differ).toEqual([])
    expect(RULES_POLICY.rules.get('Query.appConfig')?.access).toBe('public')
    // each reading names a field of the facts and changes its rule
    for (const [key, r] of Object.entries(READINGS)) {
      const o = OPERATIONS.find((x) => KEY(x) === key)
      expect(o, key).toBeDefined()
      expect(isDeepStrictEqual(MODEL.ruleOf(o!), { access: o!.access, permissions: o!.permissions, op: o!.combinator ?? 'AND', scope: o!.scopeArgs }), `${key}: ${r.why}`).toBe(false)
    }
  })

  it("the SDL's root fields take the facts' arguments and return the facts' types", () => {
    const roots: Record<OpType, ReturnType<GraphQLSchema['getQueryType']>> = {
      Query: SDL.getQueryType(),
      Mutation: SDL.getMutationType(),
      Subscription: SDL.getSubscriptionType(),
    }
    const differ: string[] = []
    for (const o of OPERATIONS) {
      const f = roots[o.type]?.getFields()[o.field]
      const got = { args: f?.args.map((a) => `${a.name}: ${String(a.type)}`), returns: f ? String(f.type) : undefined }
      const want = { args: o.args.map((a) => `${a.name}: ${a.type}`), returns: o.returns }
      if (!isDeepStrictEqual(got, want)) differ.push(`${KEY(o)}: ${JSON.stringify(got)} / ${JSON.stringify(want)}`)
    }
    expect(differ).toEqual([])
  })

  it("the SDL declares every type of types-0.3x.json with the facts' fields", () => {
    for (const t of FACTS.types) {
      const type = SDL.getType(t.name)
      expect(type, t.name).toBeDefined()
      if (t.fields && (isObjectType(type) || isInputObjectType(type))) {
        const fields = type.getFields()
        expect(Object.keys(fields), t.name).toEqual(t.fields.map((f) => f.name))
        for (const f of t.fields) expect(String(fields[f.name]?.type), `${t.name}.${f.name}`).toBe(f.type)
      }
    }
  })

  it('every field that grants a role through an argument has an escalation guard, and so do the system role revocations', () => {
    const granting = OPERATIONS.filter((o) => o.grants !== null && o.grants.roleArg !== null).map(KEY)
    expect(granting).toHaveLength(18)
    const guarded = [...RULES_POLICY.rules.values()].filter((r) => r.condition?.grants !== undefined).map((r) => r.key)
    expect(guarded.sort()).toEqual([...granting, 'Mutation.deleteSystemRoleBinding', 'Mutation.deleteTeamSystemRoleBinding'].sort())
    for (const o of OPERATIONS.filter((x) => granting.includes(KEY(x)))) {
      const grants = RULES_POLICY.rules.get(KEY(o))?.condition?.grants ?? []
      const top = grants.find((g) => g.each === undefined)
      expect(top?.role.join('.'), KEY(o)).toBe(o.grants?.roleArg)
      if (o.grants?.entityArg !== undefined) expect(top?.entity?.join('.'), KEY(o)).toBe(o.grants.entityArg)
      // a list of grants in one argument: guarded element by element, within the workspace
      expect(grants.filter((g) => g.each !== undefined).map((g) => g.each?.join('.')), KEY(o)).toEqual((o.grants?.lists ?? []).map((l) => l.arg))
      for (const g of grants.filter((x) => x.each !== undefined)) expect({ scope: g.scope, within: g.within?.join('.') }).toEqual({ scope: 'deployment', within: 'workspaceUuid' })
    }
  })
})

describe.each(['Query', 'Mutation', 'Subscription'] as const)('policies/houston-0.35 conformance: %s', (type) => {
  const ops = OPERATIONS.filter((o) => o.type === type)

  it.each(ops.map((o) => [o.field, o] as const))('%s: rules.yaml = SDL = reference model, every principal x target x role x shape', (_name, op) => {
    const mismatches: string[] = []
    let cases = 0
    for (const r of requestsFor(op)) {
      for (const w of WHO) {
        cases++
        const at = `${w.name} | ${r.label}`
        const got = permgate(AUTHZ_RULES, w, r.query, r.variables)
        const sdl = permgate(AUTHZ_SDL, w, r.query, r.variables)
        if (!isDeepStrictEqual(sdl.decision, got.decision)) mismatches.push(`${at}: SDL ${JSON.stringify(sdl.decision)} / rules.yaml ${JSON.stringify(got.decision)}`)
        const m = MODEL.decide(refOf(w), r.type, [{ name: r.field, args: r.args }])
        const want = { allowed: m.allowed, reason: m.reason }
        if (!isDeepStrictEqual({ allowed: got.allowed, reason: got.reason }, want)) mismatches.push(`${at}: permgate ${got.reason} / model ${m.reason}`)
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
  readonly variables?: Args
  readonly allowed: boolean
  readonly reason: string
}

const ok = (who: string, query: string, variables?: Args): Row => ({ who, query, allowed: true, reason: 'allowed', ...(variables ? { variables } : {}) })
const no = (who: string, query: string, reason: string, variables?: Args): Row => ({ who, query, allowed: false, reason, ...(variables ? { variables } : {}) })

const ROWS: readonly Row[] = [
  // appConfig is public from Houston v0.16 on: clients probe it before they log in
  ok('anonymous', '{ appConfig { version } }'),
  ok('anonymous', '{ appConfig { version } authConfig { publicSignup } }'),
  no('anonymous', '{ appConfig { version } self { user { id } } }', 'unauthenticated'),
  // deployment-level user roles: the role must be a deployment role within the caller's own
  ok('DEPLOYMENT_ADMIN@natural', 'mutation { deploymentAddUserRole(email: "e", deploymentId: "d1", role: DEPLOYMENT_ADMIN) { id } }'),
  ok('WORKSPACE_ADMIN@natural', 'mutation { deploymentAddUserRole(email: "e", deploymentId: "d3", role: DEPLOYMENT_ADMIN) { id } }'),
  no('DEPLOYMENT_ADMIN@natural', 'mutation { deploymentAddUserRole(email: "e", deploymentId: "d1", role: WORKSPACE_ADMIN) { id } }', 'escalation'),
  no('DEPLOYMENT_ADMIN@natural', 'mutation { deploymentAddUserRole(email: "e", deploymentId: "d1", role: SYSTEM_ADMIN) { id } }', 'escalation'),
  no('DEPLOYMENT_ADMIN@natural', 'mutation { deploymentAddUserRole(email: "e", deploymentId: "d3", role: DEPLOYMENT_VIEWER) { id } }', 'missing_permission'),
  no('DEPLOYMENT_EDITOR@natural', 'mutation { deploymentUpdateUserRole(email: "e", deploymentId: "d1", role: DEPLOYMENT_VIEWER) { id } }', 'missing_permission'),
  ok('SYSTEM_ADMIN@natural', 'mutation { deploymentUpdateUserRole(email: "e", deploymentId: "d2", role: DEPLOYMENT_ADMIN) { id } }'),
  // teams in workspaces, with their deployment roles: each element guarded at its own deployment
  ok('WORKSPACE_ADMIN@natural', 'mutation { workspaceAddTeam(workspaceUuid: "w1", teamUuid: "t", role: WORKSPACE_EDITOR, deploymentRoles: [{deploymentUuid: "d1", role: DEPLOYMENT_ADMIN}, {deploymentUuid: "d3", role: DEPLOYMENT_VIEWER}]) { id } }'),
  no('WORKSPACE_ADMIN@natural', 'mutation { workspaceAddTeam(workspaceUuid: "w1", teamUuid: "t", role: WORKSPACE_EDITOR, deploymentRoles: [{deploymentUuid: "d2", role: DEPLOYMENT_VIEWER}]) { id } }', 'escalation'),
  no('WORKSPACE_VIEWER@w1+WORKSPACE_ADMIN@w2', 'mutation { workspaceAddTeam(workspaceUuid: "w1", teamUuid: "t", role: WORKSPACE_VIEWER, deploymentRoles: [{deploymentUuid: "d2", role: DEPLOYMENT_ADMIN}]) { id } }', 'missing_permission'),
  no('WORKSPACE_VIEWER@w1+WORKSPACE_ADMIN@w2', 'mutation { workspaceAddTeam(workspaceUuid: "w2", teamUuid: "t", role: WORKSPACE_VIEWER, deploymentRoles: [{deploymentUuid: "d1", role: DEPLOYMENT_VIEWER}]) { id } }', 'escalation'),
  no('WORKSPACE_ADMIN@natural', 'mutation { workspaceAddTeam(workspaceUuid: "w1", teamUuid: "t", role: WORKSPACE_VIEWER, deploymentRoles: [{deploymentUuid: "d1", role: WORKSPACE_ADMIN}]) { id } }', 'escalation'),
  no('WORKSPACE_ADMIN@natural', 'mutation { workspaceAddTeam(workspaceUuid: "w1", teamUuid: "t", role: WORKSPACE_VIEWER, deploymentRoles: [{role: DEPLOYMENT_VIEWER}]) { id } }', 'escalation'),
  no('WORKSPACE_ADMIN@natural', 'mutation { workspaceAddTeam(workspaceUuid: "w1", teamUuid: "t", role: WORKSPACE_VIEWER, deploymentRoles: [{deploymentUuid: "d1"}]) { id } }', 'escalation'),
  no('WORKSPACE_ADMIN@natural', 'mutation { workspaceAddTeam(workspaceUuid: "w1", teamUuid: "t", role: WORKSPACE_VIEWER, deploymentRoles: ["d1"]) { id } }', 'escalation'),
  ok('WORKSPACE_ADMIN@natural', 'mutation { workspaceAddTeam(workspaceUuid: "w1", teamUuid: "t", role: WORKSPACE_ADMIN, deploymentRoles: []) { id } }'),
  no('WORKSPACE_EDITOR@natural', 'mutation { workspaceAddTeam(workspaceUuid: "w1", teamUuid: "t", role: WORKSPACE_VIEWER) { id } }', 'missing_permission'),
  no('WORKSPACE_ADMIN@natural', 'mutation { workspaceAddTeam(workspaceUuid: "w1", teamUuid: "t") { id } }', 'escalation'),
  no('WORKSPACE_ADMIN@natural', 'mutation { workspaceAddTeam(workspaceUuid: "w1", teamUuid: "t", role: SYSTEM_VIEWER) { id } }', 'escalation'),
  {
    ...no('WORKSPACE_ADMIN@natural', 'mutation M($r: [DeploymentRoles!]) { workspaceAddTeam(workspaceUuid: "w1", teamUuid: "t", role: WORKSPACE_VIEWER, deploymentRoles: $r) { id } }', 'escalation'),
    variables: { r: [{ deploymentUuid: 'd1', role: 'DEPLOYMENT_ADMIN' }, { deploymentUuid: 'd2', role: 'DEPLOYMENT_VIEWER' }] },
  },
  // users in workspaces: the same list guard; the role defaults to WORKSPACE_VIEWER (the schema's default)
  ok('WORKSPACE_ADMIN@natural', 'mutation { workspaceAddUser(workspaceUuid: "w1", email: "e", deploymentRoles: [{deploymentUuid: "d3", role: DEPLOYMENT_EDITOR}]) { id } }'),
  no('WORKSPACE_ADMIN@natural', 'mutation { workspaceAddUser(workspaceUuid: "w1", email: "e", role: WORKSPACE_ADMIN, deploymentRoles: [{deploymentUuid: "d-unknown", role: DEPLOYMENT_VIEWER}]) { id } }', 'escalation'),
  no('DEPLOYMENT_VIEWER@d1+WORKSPACE_ADMIN@w1', 'mutation { workspaceUpsertUserRole(workspaceUuid: "w1", email: "e", role: DEPLOYMENT_ADMIN) }', 'escalation'),
  ok('DEPLOYMENT_VIEWER@d1+WORKSPACE_ADMIN@w1', 'mutation { workspaceUpsertUserRole(workspaceUuid: "w1", email: "e", role: WORKSPACE_ADMIN) }'),
  // team role bindings decide like a user's own
  ok('team-w2-admins member', 'mutation { workspaceUpdateTeamRole(workspaceUuid: "w2", teamUuid: "t", role: WORKSPACE_ADMIN) }'),
  no('team-w2-admins member', 'mutation { workspaceUpdateTeamRole(workspaceUuid: "w1", teamUuid: "t", role: WORKSPACE_VIEWER) }', 'missing_permission'),
  ok('team-w2-admins member', 'mutation { deploymentAddTeamRole(teamUuid: "t", deploymentUuid: "d2", role: DEPLOYMENT_ADMIN) { id } }'),
  ok('team-d1-admins member+DEPLOYMENT_VIEWER@d2', 'mutation { deploymentUpdateTeamRole(deploymentUuid: "d1", teamUuid: "t", role: DEPLOYMENT_ADMIN) { id } }'),
  no('team-d1-admins member+DEPLOYMENT_VIEWER@d2', 'mutation { deploymentUpdateTeamRole(deploymentUuid: "d2", teamUuid: "t", role: DEPLOYMENT_VIEWER) { id } }', 'missing_permission'),
  ok('team-d1-admins member+DEPLOYMENT_VIEWER@d2', '{ deploymentTeams(deploymentUuid: "d2") { id } }'),
  no('team-sys-editors member', 'mutation { createTeamSystemRoleBinding(teamUuid: "t", role: SYSTEM_VIEWER) { id } }', 'missing_permission'),
  ok('team-sys-editors member', '{ paginatedTeams(take: -1) { count } teamUsers(teamUuid: "t") { id } }'),
  // system role bindings: grants and revocations within the caller's own system role
  ok('SYSTEM_ADMIN@natural', 'mutation { createTeamSystemRoleBinding(teamUuid: "t", role: SYSTEM_ADMIN) { id } }'),
  no('SYSTEM_ADMIN@natural', 'mutation { createTeamSystemRoleBinding(teamUuid: "t", role: WORKSPACE_ADMIN) { id } }', 'escalation'),
  no('SYSTEM_ADMIN@natural', 'mutation { deleteSystemRoleBinding(userId: "u", role: USER) { id } }', 'escalation'),
  ok('SYSTEM_ADMIN@natural', 'mutation { deleteTeamSystemRoleBinding(teamUuid: "t", role: SYSTEM_EDITOR) { id } }'),
  no('SYSTEM_ADMIN@w1', 'mutation { createSystemRoleBinding(userId: "u", role: SYSTEM_VIEWER) { id } }', 'missing_permission'),
  // service accounts: the role is capped at the caller's own on that entity
  no('DEPLOYMENT_EDITOR@natural', 'mutation { createDeploymentServiceAccount(label: "x", deploymentUuid: "d1", role: DEPLOYMENT_ADMIN) { id } }', 'escalation'),
  ok('DEPLOYMENT_EDITOR@natural', 'mutation { createDeploymentServiceAccount(label: "x", deploymentUuid: "d1", role: DEPLOYMENT_EDITOR) { id } }'),
  no('DEPLOYMENT_EDITOR@natural', 'mutation { createServiceAccount(label: "x", entityType: DEPLOYMENT, entityUuid: "d1", role: SYSTEM_ADMIN) { id } }', 'escalation'),
  no('WORKSPACE_EDITOR@natural', 'mutation { updateWorkspaceServiceAccount(serviceAccountUuid: "s", workspaceUuid: "w1", payload: {role: "WORKSPACE_ADMIN"}) { id } }', 'escalation'),
  no('SYSTEM_EDITOR@natural', 'mutation { updateServiceAccount(serviceAccountUuid: "s", payload: {role: "SYSTEM_ADMIN"}) { id } }', 'escalation'),
  ok('SYSTEM_EDITOR@natural', 'mutation { updateServiceAccount(serviceAccountUuid: "s", payload: {label: "x"}) { id } }'),
  no('WORKSPACE_ADMIN@natural', 'mutation { updateServiceAccount(serviceAccountUuid: "s", payload: {label: "x"}) { id } }', 'missing_permission'),
  no('bare-user', 'mutation { deleteServiceAccount(serviceAccountUuid: "s") { id } }', 'missing_permission'),
  no('WORKSPACE_ADMIN@natural', 'mutation { deleteInviteToken(inviteUuid: "i") { id } }', 'missing_permission'),
  // release names: looked up, must agree with the ids given beside them and with the workspace
  ok('DEPLOYMENT_VIEWER@natural', '{ deployment(where: {id: "d1"}) { id } }'),
  ok('DEPLOYMENT_VIEWER@natural', '{ deployment(where: {releaseName: "r-d1"}) { id } }'),
  no('DEPLOYMENT_VIEWER@natural', '{ deployment(where: {id: "d3"}) { id } }', 'missing_permission'),
  no('DEPLOYMENT_VIEWER@natural', '{ deployment(where: {id: "d1", releaseName: "r-d3"}) { id } }', 'invalid_scope'),
  no('SYSTEM_ADMIN@natural', '{ deployment(where: {releaseName: "r-unknown"}) { id } }', 'unknown_release'),
  ok('sa-DEPLOYMENT_EDITOR@d1', 'mutation { updateDeploymentImage(releaseName: "r-d1", image: "i") { releaseName } }'),
  no('sa-DEPLOYMENT_EDITOR@d1', 'mutation { updateDeploymentImage(releaseName: "r-d3", image: "i") { releaseName } }', 'missing_permission'),
  ok('WORKSPACE_VIEWER@natural', '{ workspaceDeployment(workspaceUuid: "w1", releaseName: "r-d3") { id } }'),
  no('WORKSPACE_VIEWER@w1+WORKSPACE_ADMIN@w2', '{ workspaceDeployment(workspaceUuid: "w1", releaseName: "r-d2") { id } }', 'invalid_scope'),
  no('WORKSPACE_VIEWER@natural', '{ deploymentVariables(workspaceUuid: "w1", releaseName: "r-d2") { key } }', 'invalid_scope'),
  no('DEPLOYMENT_ADMIN@d1+d2', 'mutation { updateDeploymentVariables(deploymentUuid: "d1", releaseName: "r-d2", environmentVariables: []) { key } }', 'invalid_scope'),
  ok('DEPLOYMENT_ADMIN@d1+d2', 'mutation { updateDeploymentVariables(deploymentUuid: "d2", releaseName: "r-d2", environmentVariables: []) { key } }'),
  no('WORKSPACE_EDITOR@natural', 'mutation { upsertDeployment(workspaceUuid: "w1", deploymentUuid: "d2") { id } }', 'invalid_scope'),
  ok('WORKSPACE_EDITOR@natural', 'mutation { upsertDeployment(workspaceUuid: "w1", label: "new") { id } }'),
  no('bare-user', 'subscription { deploymentStatus(releaseName: "r-d1") { result } }', 'missing_permission'),
  ok('DEPLOYMENT_VIEWER@natural', 'subscription { deploymentStatus(releaseName: "r-d1") { result } }'),
  // stricter than Houston: email tokens, paginated lists permgate cannot filter
  no('bare-user', '{ email(where: {address: "a"}) { token } }', 'missing_permission'),
  no('WORKSPACE_ADMIN@natural', '{ paginatedDeployments(take: -1) { id } }', 'missing_permission'),
  ok('SYSTEM_VIEWER@natural', '{ paginatedDeployments(take: -1) { id } sysWorkspaces { id } }'),
  // system roles hold their level's workspace and deployment sets everywhere (0.30+)
  ok('SYSTEM_VIEWER@natural', '{ workspaceUsers(workspaceUuid: "w2") { id } logs(deploymentUuid: "d2") { id } }'),
  no('SYSTEM_VIEWER@natural', 'mutation { updateDeployment(deploymentUuid: "d2") { id } }', 'missing_permission'),
  // billing and trial fields: no 0.35 role grants their permissions
  no('SYSTEM_ADMIN@natural', 'mutation { suspendWorkspace(workspaceUuid: "w1", isSuspended: true) { id } }', 'missing_permission'),
  // signup takes an invitation
  no('anonymous', 'mutation { createUser(email: "e", password: "p") { token { value } } }', 'invite_required'),
  ok('anonymous', 'mutation { createUser(email: "e", password: "p", inviteToken: "t") { token { value } } }'),
]

describe.each([
  ['rules.yaml', AUTHZ_RULES],
  ['schema.graphql', AUTHZ_SDL],
] as const)('policies/houston-0.35 pinned decisions (rules from %s)', (_file, authz) => {
  it.each(ROWS.map((r) => [`${r.who}: ${r.query}${r.variables ? ` ${JSON.stringify(r.variables)}` : ''}`, r] as const))('%s', (_label, row) => {
    const got = permgate(authz, who(row.who), row.query, row.variables)
    expect({ allowed: got.allowed, reason: got.reason }).toEqual({ allowed: row.allowed, reason: row.reason })
  })
})

describe('policies/houston-0.35: the reference model agrees with the pinned rows', () => {
  it.each(ROWS.map((r) => [`${r.who}: ${r.query}`, r] as const))('%s', (_label, row) => {
    const op = DOCS.get(row.query, undefined)
    const fields = op.fields.map((f) => ({ name: f.name, args: argsOfRow(row, f.name) }))
    const d = MODEL.decide(refOf(who(row.who)), op.type, fields)
    expect({ allowed: d.allowed, reason: d.reason }).toEqual({ allowed: row.allowed, reason: row.reason })
  })
})

/** The arguments of one root field of a pinned row, as plain values (via graphql-js's value reader). */
function argsOfRow(row: Row, field: string): Args {
  const doc = DOCS.get(row.query, undefined)
  const f = doc.fields.find((x) => x.name === field)
  const out: Args = {}
  for (const a of f?.args ?? []) out[a.name.value] = valueOf(a.value, row.variables ?? {})
  return out
}

function valueOf(v: import('graphql').ValueNode, vars: Args): unknown {
  switch (v.kind) {
    case 'Variable':
      return vars[v.name.value]
    case 'IntValue':
      return Number(v.value)
    case 'FloatValue':
      return Number(v.value)
    case 'StringValue':
    case 'EnumValue':
      return v.value
    case 'BooleanValue':
      return v.value
    case 'NullValue':
      return null
    case 'ListValue':
      return v.values.map((x) => valueOf(x, vars))
    case 'ObjectValue':
      return Object.fromEntries(v.fields.map((x) => [x.name.value, valueOf(x.value, vars)]))
  }
}
