/**
 * fast-check generators for the property tests of test/property/: GraphQL documents over the
 * Houston v0.12.1 schema, principals with role bindings, and a deployments -> workspace map;
 * plus the rendering of a generated document to a request (query text, variables, operation
 * name), the transformations the invariance properties apply, and the permgate harness.
 *
 * Documents are generated as a small tree (see `Doc`) and rendered to text: the reference model
 * reads the rendered text (it parses it itself), never the tree.
 */
import fc from 'fast-check'
import { isPermgateError } from '../../src/errors.js'
import { FileBindingsStore } from '../../src/bindings/file.js'
import type { Binding, SubjectEntry } from '../../src/bindings/types.js'
import type { Principal } from '../../src/identity/types.js'
import { DocumentCache } from '../../src/operation/cache.js'
import { Authorizer } from '../../src/policy/authorizer.js'
import { compilePolicy } from '../../src/policy/compile.js'
import type { Decision } from '../../src/policy/decide.js'
import { loadPolicy } from '../../src/policy/load.js'
import type { CompiledPolicy } from '../../src/policy/types.js'
import { houstonOperations, houstonRoles, POLICY_HOUSTON, type HoustonOperation } from '../helpers/shared.js'

// ---------------------------------------------------------------------------------------------
// Facts

export type OpType = HoustonOperation['type']
export const KEYWORD: Readonly<Record<OpType, string>> = { Query: 'query', Mutation: 'mutation', Subscription: 'subscription' }

export const OPERATIONS: readonly HoustonOperation[] = houstonOperations()
export const ROLES = houstonRoles('roles-v0.12.1.json')
export const ROLE_NAMES: readonly string[] = Object.keys(ROLES)

const OPS_BY_TYPE: Readonly<Record<OpType, readonly HoustonOperation[]>> = {
  Query: OPERATIONS.filter((o) => o.type === 'Query'),
  Mutation: OPERATIONS.filter((o) => o.type === 'Mutation'),
  Subscription: OPERATIONS.filter((o) => o.type === 'Subscription'),
}

/** Fields an engineer is guarding with extra conditions (escalation guard, invite token). */
export const GUARDED_FIELDS: ReadonlySet<string> = new Set([
  'Mutation.workspaceAddUser',
  'Mutation.workspaceUpdateUserRole',
  'Mutation.createServiceAccount',
  'Mutation.createDeploymentServiceAccount',
  'Mutation.createWorkspaceServiceAccount',
  'Mutation.createSystemServiceAccount',
  'Mutation.createSystemRoleBinding',
  'Mutation.updateServiceAccount',
  'Mutation.updateWorkspaceServiceAccount',
  'Mutation.updateDeploymentServiceAccount',
  'Mutation.createUser',
])

export const UNKNOWN_FIELDS: readonly string[] = ['notAHoustonField', 'deploymentsX', 'Self', 'user']
/** Aliases: neutral names, every Houston root field name, and a meta name. */
export const ALIASES: readonly string[] = ['a', 'b', 'x1', '__typename', ...new Set(OPERATIONS.map((o) => o.field))]

export const WORKSPACES: readonly string[] = ['w1', 'w2', 'w3']
export const DEPLOYMENTS: readonly string[] = ['d1', 'd2', 'd3', 'd4']
const SCOPE_KIND: Readonly<Record<string, 'workspace' | 'deployment'>> = { workspaceUuid: 'workspace', deploymentUuid: 'deployment' }

// ---------------------------------------------------------------------------------------------
// Values

export type Value =
  | { readonly t: 'str'; readonly v: string }
  | { readonly t: 'int'; readonly v: number }
  | { readonly t: 'float'; readonly text: string }
  | { readonly t: 'bool'; readonly v: boolean }
  | { readonly t: 'null' }
  | { readonly t: 'enum'; readonly v: string }
  | { readonly t: 'list'; readonly items: readonly Value[] }
  | { readonly t: 'obj'; readonly fields: ReadonlyArray<readonly [string, Value]> }

export type Json = null | boolean | number | string | Json[] | { [k: string]: Json }

const str = (v: string): Value => ({ t: 'str', v })
const int = (v: number): Value => ({ t: 'int', v })
const float = (text: string): Value => ({ t: 'float', text })
const bool = (v: boolean): Value => ({ t: 'bool', v })
const enumV = (v: string): Value => ({ t: 'enum', v })
const list = (...items: Value[]): Value => ({ t: 'list', items })
const obj = (...fields: Array<readonly [string, Value]>): Value => ({ t: 'obj', fields })
const NULL: Value = { t: 'null' }

export function literalText(v: Value): string {
  switch (v.t) {
    case 'str':
      return JSON.stringify(v.v)
    case 'int':
      return String(v.v)
    case 'float':
      return v.text
    case 'bool':
      return String(v.v)
    case 'null':
      return 'null'
    case 'enum':
      return v.v
    case 'list':
      return `[${v.items.map(literalText).join(', ')}]`
    case 'obj':
      return `{${v.fields.map(([k, x]) => `${k}: ${literalText(x)}`).join(', ')}}`
  }
}

/** The JSON a client would send in `variables` for the same value. */
export function toJson(v: Value): Json {
  switch (v.t) {
    case 'str':
    case 'enum':
      return v.v
    case 'int':
      return v.v
    case 'float':
      return Number.parseFloat(v.text)
    case 'bool':
      return v.v
    case 'null':
      return null
    case 'list':
      return v.items.map(toJson)
    case 'obj':
      return Object.fromEntries(v.fields.map(([k, x]) => [k, toJson(x)]))
  }
}


// ---------------------------------------------------------------------------------------------
// The document tree

/** How an argument is given. For variables: sent in `variables`, as the definition's default, both, or neither. */
export type ArgHow = 'literal' | 'provided' | 'default' | 'both' | 'none'

export interface Arg {
  readonly name: string
  readonly how: ArgHow
  /** The literal, or the value sent / defaulted (for `both`: the value sent). */
  readonly value: Value
  /** For `both`: the definition's default (overridden by the value sent). */
  readonly shadowed: Value
  /** The variable's declared type (the argument's type in the schema). */
  readonly type: string
}

export type Cond = { readonly how: 'literal'; readonly v: boolean } | { readonly how: 'var'; readonly sent: boolean | null; readonly dflt: boolean | null }

export interface Dir {
  readonly name: 'skip' | 'include'
  readonly cond: Cond
}

/** Type condition of a fragment at the root: the root type, none (inline only), or another root type (invalid). */
export type On = 'root' | 'none' | 'wrong'

export type Sel =
  | { readonly k: 'field'; readonly name: string; readonly alias: string | null; readonly args: readonly Arg[]; readonly dirs: readonly Dir[] }
  | { readonly k: 'inline'; readonly on: On; readonly dirs: readonly Dir[]; readonly sels: readonly Sel[] }
  | { readonly k: 'spread'; readonly on: On; readonly dirs: readonly Dir[]; readonly sels: readonly Sel[]; readonly twice: boolean }

export type FieldSel = Extract<Sel, { k: 'field' }>

export interface Op {
  readonly type: OpType
  readonly name: string | null
  readonly shorthand: boolean
  readonly sels: readonly Sel[]
}

/** Ways to make a document invalid (only in the "broken" share of the safety property). */
export type Breakage =
  | 'dup-arg' // an argument given twice
  | 'undeclared-var' // a variable used in an argument but not declared
  | 'unknown-fragment' // a spread of an undefined fragment
  | 'fragment-cycle' // a fragment spreading itself
  | 'dup-fragment' // two fragments of the same name (the second one with another root field)
  | 'dup-operation' // two operations of the same name as the chosen one
  | 'dup-var' // a variable declared twice
  | 'wrong-operation-name' // operationName names no operation
  | 'no-operation-name' // several operations, no operationName
  | 'syntax' // the text cut short

export interface Doc {
  readonly ops: readonly Op[]
  readonly chosen: number
  /** Send the operation name even where the document has one operation. */
  readonly sendName: boolean
  readonly breakage: Breakage | null
}

// ---------------------------------------------------------------------------------------------
// Generators

export interface GenConfig {
  /** Junk scope values (empty string, numbers, objects, lists, booleans, enum literals). */
  readonly junk: boolean
  /** Fields never generated (`Type.field`). */
  readonly exclude: ReadonlySet<string>
  /** Share of documents made invalid, 0..1. */
  readonly broken: number
  /** Root fields not in the schema of the operation's type (unknown names, other types' fields). */
  readonly unknown: boolean
  readonly maxFields: number
  /** Fields drawn more often (`Type.field`): half of the known fields picked come from here. */
  readonly focus?: ReadonlySet<string>
}

export const SAFETY_CONFIG: GenConfig = { junk: true, exclude: new Set(), broken: 0.06, unknown: true, maxFields: 5 }
export const AGREEMENT_CONFIG: GenConfig = { junk: false, exclude: GUARDED_FIELDS, broken: 0, unknown: true, maxFields: 5 }
export const VALID_CONFIG: GenConfig = { junk: true, exclude: new Set(), broken: 0, unknown: true, maxFields: 4 }
/** Agreement on the fields under extra conditions, with the conditions modelled. */
export const GUARDED_CONFIG: GenConfig = { junk: false, exclude: new Set(), broken: 0, unknown: false, maxFields: 3, focus: GUARDED_FIELDS }

const JUNK: readonly Value[] = [
  str(''),
  int(0),
  int(7),
  int(-3),
  float('1.5'),
  float('2.0'),
  bool(true),
  obj(['id', str('w1')]),
  obj(),
  list(str('w1')),
  list(),
  enumV('w1'),
  enumV('d1'),
]

function scopeValueArb(kind: 'workspace' | 'deployment', cfg: GenConfig): fc.Arbitrary<Value> {
  const own = kind === 'workspace' ? WORKSPACES : DEPLOYMENTS
  const other = kind === 'workspace' ? DEPLOYMENTS : WORKSPACES
  const arbs: Array<fc.WeightedArbitrary<Value>> = [
    { weight: 16, arbitrary: fc.constantFrom(...own).map(str) },
    { weight: 2, arbitrary: fc.constantFrom(...other, 'w9', 'd9').map(str) },
    { weight: 2, arbitrary: fc.constant(NULL) },
  ]
  if (cfg.junk) arbs.push({ weight: 4, arbitrary: fc.constantFrom(...JUNK) })
  return fc.oneof(...arbs)
}

const PAYLOADS: readonly Value[] = [
  obj(),
  obj(['label', str('x')]),
  obj(['role', enumV('WORKSPACE_ADMIN')]),
  obj(['role', enumV('DEPLOYMENT_VIEWER')]),
  obj(['role', str('SYSTEM_ADMIN')]),
  obj(['a', int(1)], ['b', list(str('x'), obj(['c', NULL]))]),
  // no plain record of its fields: the escalation guard denies these
  str('{"role":"SYSTEM_ADMIN"}'),
  list(obj(['role', enumV('DEPLOYMENT_VIEWER')])),
  obj(['__proto__', obj(['role', enumV('SYSTEM_ADMIN')])]),
  obj(['label', str('x')], ['constructor', obj(['prototype', obj(['role', str('SYSTEM_ADMIN')])])]),
]

/** A plausible value for a non-scope argument of this type. */
function otherValueArb(type: string): fc.Arbitrary<Value> {
  const t = type.endsWith('!') ? type.slice(0, -1) : type
  if (t.startsWith('[') && t.endsWith(']')) return otherValueArb(t.slice(1, -1)).map((v) => list(v))
  switch (t) {
    case 'Uuid':
      return fc.constantFrom(str('00000000-0000-4000-8000-000000000001'), str('w1'), str('d1'))
    case 'ID':
      return fc.constantFrom(str('u1'), int(5))
    case 'String':
      return fc.constantFrom(str('x'), str(''), str(' '), str('tok-1'))
    case 'Int':
      return fc.constantFrom(int(1), int(30))
    case 'Boolean':
      return fc.boolean().map(bool)
    case 'JSON':
      return fc.constantFrom(...PAYLOADS)
    case 'DateTime':
      return fc.constant(str('2020-01-01T00:00:00Z'))
    case 'EntityType':
      return fc.constantFrom(enumV('SYSTEM'), enumV('WORKSPACE'), enumV('DEPLOYMENT'))
    case 'Role':
      return fc.constantFrom(...ROLE_NAMES.map(enumV))
    case 'MetricType':
      return fc.constantFrom(enumV('DEPLOYMENT_STATUS'), enumV('DEPLOYMENT_DATABASE'))
    default:
      throw new Error(`no value for type ${type}`)
  }
}

const howArb: fc.Arbitrary<ArgHow> = fc.oneof(
  { weight: 10, arbitrary: fc.constant<ArgHow>('literal') },
  { weight: 4, arbitrary: fc.constant<ArgHow>('provided') },
  { weight: 2, arbitrary: fc.constant<ArgHow>('default') },
  { weight: 1, arbitrary: fc.constant<ArgHow>('both') },
  { weight: 1, arbitrary: fc.constant<ArgHow>('none') },
)

function argArb(def: HoustonOperation['args'][number], cfg: GenConfig): fc.Arbitrary<Arg | null> {
  const kind = SCOPE_KIND[def.name]
  const value =
    kind !== undefined
      ? scopeValueArb(kind, cfg)
      : def.name === 'entityUuid' // the entity a service account is created on
        ? fc.oneof(scopeValueArb('workspace', cfg), scopeValueArb('deployment', cfg))
        : otherValueArb(def.type)
  const given = fc.record({ how: howArb, value, shadowed: value }).map(({ how, value: v, shadowed }): Arg => ({ name: def.name, how, value: v, shadowed, type: def.type }))
  // scope arguments and required ones are mostly given; optional others mostly not
  const pGiven = kind !== undefined ? 0.9 : def.type.endsWith('!') ? 0.95 : def.name === 'inviteToken' || def.name === 'entityUuid' ? 0.6 : 0.2
  const w = Math.round(pGiven * 20)
  return fc.oneof({ weight: w, arbitrary: given }, { weight: 20 - w, arbitrary: fc.constant(null) })
}

const condArb: fc.Arbitrary<Cond> = fc.oneof(
  { weight: 3, arbitrary: fc.boolean().map((v): Cond => ({ how: 'literal', v })) },
  {
    weight: 2,
    arbitrary: fc.record({ sent: fc.option(fc.boolean(), { nil: null }), dflt: fc.option(fc.boolean(), { nil: null }) }).map((c): Cond => ({ how: 'var', ...c })),
  },
)

const dirsArb: fc.Arbitrary<readonly Dir[]> = fc.oneof(
  { weight: 8, arbitrary: fc.constant([]) },
  { weight: 2, arbitrary: fc.array(fc.record({ name: fc.constantFrom<'skip' | 'include'>('skip', 'include'), cond: condArb }), { minLength: 1, maxLength: 2 }) },
)

const aliasArb: fc.Arbitrary<string | null> = fc.oneof({ weight: 3, arbitrary: fc.constant(null) }, { weight: 1, arbitrary: fc.constantFrom(...ALIASES) })

function knownFieldArb(op: HoustonOperation, cfg: GenConfig): fc.Arbitrary<FieldSel> {
  const args = fc.tuple(...op.args.map((a) => argArb(a, cfg))).map((xs) => xs.filter((x): x is Arg => x !== null))
  return fc.record({ alias: aliasArb, args, dirs: dirsArb }).map(({ alias, args: a, dirs }): FieldSel => ({ k: 'field', name: op.field, alias, args: a, dirs }))
}

function bareFieldArb(names: readonly string[]): fc.Arbitrary<FieldSel> {
  return fc
    .record({ name: fc.constantFrom(...names), alias: aliasArb, dirs: dirsArb })
    .map(({ name, alias, dirs }): FieldSel => ({ k: 'field', name, alias, args: name === '__type' ? [{ name: 'name', how: 'literal', value: str('Query'), shadowed: NULL, type: 'String!' }] : [], dirs }))
}

export function fieldArb(type: OpType, cfg: GenConfig): fc.Arbitrary<FieldSel> {
  const known = OPS_BY_TYPE[type].filter((o) => !cfg.exclude.has(`${o.type}.${o.field}`))
  const focused = known.filter((o) => cfg.focus?.has(`${o.type}.${o.field}`))
  const arbs: Array<fc.WeightedArbitrary<FieldSel>> = [
    { weight: 60, arbitrary: fc.constantFrom(...known).chain((o) => knownFieldArb(o, cfg)) },
    ...(focused.length > 0 ? [{ weight: 60, arbitrary: fc.constantFrom(...focused).chain((o) => knownFieldArb(o, cfg)) }] : []),
    { weight: 3, arbitrary: bareFieldArb(['__typename']) },
    { weight: 2, arbitrary: bareFieldArb(['__schema', '__type']) },
  ]
  if (cfg.unknown) {
    // fields of another root type, with their arguments; unknown names
    const others = OPERATIONS.filter((o) => o.type !== type && !cfg.exclude.has(`${o.type}.${o.field}`))
    arbs.push({ weight: 1, arbitrary: fc.constantFrom(...others).chain((o) => knownFieldArb(o, cfg)) })
    arbs.push({ weight: 1, arbitrary: bareFieldArb(UNKNOWN_FIELDS) })
  }
  return fc.oneof(...arbs)
}

const onArb = (cfg: GenConfig, inline: boolean): fc.Arbitrary<On> => {
  const arbs: Array<fc.WeightedArbitrary<On>> = [{ weight: 10, arbitrary: fc.constant<On>('root') }]
  if (inline) arbs.push({ weight: 10, arbitrary: fc.constant<On>('none') })
  if (cfg.broken > 0) arbs.push({ weight: 1, arbitrary: fc.constant<On>('wrong') })
  return fc.oneof(...arbs)
}

/** The selections of one operation: fields, inline fragments and named fragments, nested. */
export function selsArb(type: OpType, cfg: GenConfig): fc.Arbitrary<readonly Sel[]> {
  const field = fieldArb(type, cfg)
  const { sels, sel } = fc.letrec<{ sels: readonly Sel[]; sel: Sel }>((tie) => ({
    sels: fc.array(tie('sel'), { minLength: 1, maxLength: cfg.maxFields, size: 'xsmall' }),
    sel: fc.oneof(
      { maxDepth: 3, depthIdentifier: 'sel' },
      { weight: 8, arbitrary: field },
      { weight: 1, arbitrary: fc.record({ k: fc.constant('inline' as const), on: onArb(cfg, true), dirs: dirsArb, sels: tie('sels') }) },
      {
        weight: 1,
        arbitrary: fc.record({ k: fc.constant('spread' as const), on: onArb(cfg, false), dirs: dirsArb, sels: tie('sels'), twice: fc.boolean() }),
      },
    ),
  }))
  // the operation's own selections: mostly one or two, sometimes more
  return fc.oneof({ weight: 3, arbitrary: sels }, { weight: 2, arbitrary: fc.array(sel, { minLength: 1, maxLength: cfg.maxFields }) })
}

const opTypeArb: fc.Arbitrary<OpType> = fc.oneof(
  { weight: 9, arbitrary: fc.constant<OpType>('Query') },
  { weight: 9, arbitrary: fc.constant<OpType>('Mutation') },
  { weight: 2, arbitrary: fc.constant<OpType>('Subscription') },
)

export function opArb(cfg: GenConfig): fc.Arbitrary<Op> {
  return opTypeArb.chain((type) =>
    fc.record({ type: fc.constant(type), name: fc.option(fc.constantFrom('Q', 'Get', 'Do', 'Main'), { nil: null }), shorthand: fc.boolean(), sels: selsArb(type, cfg) }),
  )
}

const BREAKAGES: readonly Breakage[] = [
  'dup-arg',
  'undeclared-var',
  'unknown-fragment',
  'fragment-cycle',
  'dup-fragment',
  'dup-operation',
  'dup-var',
  'wrong-operation-name',
  'no-operation-name',
  'syntax',
]

export function docArb(cfg: GenConfig): fc.Arbitrary<Doc> {
  const w = Math.round(cfg.broken * 100)
  const breakage: fc.Arbitrary<Breakage | null> =
    w > 0 ? fc.oneof({ weight: 100 - w, arbitrary: fc.constant(null) }, { weight: w, arbitrary: fc.constantFrom(...BREAKAGES) }) : fc.constant(null)
  return fc
    .record({
      ops: fc.oneof({ weight: 4, arbitrary: fc.array(opArb(cfg), { minLength: 1, maxLength: 1 }) }, { weight: 1, arbitrary: fc.array(opArb(cfg), { minLength: 2, maxLength: 3 }) }),
      chosen: fc.nat(),
      sendName: fc.boolean(),
      breakage,
    })
    .map(({ ops, chosen, sendName, breakage: b }): Doc => {
      // several operations: each named, names unique (Op0, Op1, ...)
      const named = ops.length > 1 ? ops.map((o, i): Op => ({ ...o, name: `Op${i}` })) : ops
      return { ops: named, chosen: chosen % named.length, sendName, breakage: b }
    })
    .filter((d) => withinLimits(d))
}

/** Root fields and aliases of the chosen operation (fragments expanded), within permgate's limits. */
export function withinLimits(d: Doc): boolean {
  const op = d.ops[d.chosen]!
  let fields = 0
  let aliases = 0
  const walk = (sels: readonly Sel[], times: number): void => {
    for (const s of sels) {
      if (s.k === 'field') {
        fields += times
        if (s.alias !== null) aliases += times
      } else walk(s.sels, s.k === 'spread' && s.twice ? 2 * times : times)
    }
  }
  walk(op.sels, 1)
  return fields <= 32 && aliases <= 50
}

// ---------------------------------------------------------------------------------------------
// Principals and the bindings store

export type PrincipalSpec =
  | { readonly kind: 'anonymous' }
  | {
      readonly kind: 'user' | 'serviceAccount'
      readonly id: string
      /** Has an entry under `subjects` (else: authenticated with no bindings of its own). */
      readonly inStore: boolean
      readonly own: readonly Binding[]
      readonly groups: readonly string[]
    }

export interface World {
  /** deployment -> workspace */
  readonly deployments: Readonly<Record<string, string>>
  readonly groups: Readonly<Record<string, readonly Binding[]>>
  readonly principal: PrincipalSpec
}

/** Group names a principal may claim; `g-none` is not in the store. */
export const GROUP_NAMES: readonly string[] = ['g1', 'g2', 'g-none']

export const bindingArb: fc.Arbitrary<Binding> = fc.oneof(
  { weight: 2, arbitrary: fc.constantFrom(...ROLE_NAMES).map((role): Binding => ({ role })) },
  { weight: 3, arbitrary: fc.record({ role: fc.constantFrom(...ROLE_NAMES), workspace: fc.constantFrom(...WORKSPACES) }) },
  { weight: 3, arbitrary: fc.record({ role: fc.constantFrom(...ROLE_NAMES), deployment: fc.constantFrom(...DEPLOYMENTS) }) },
)

/** Bindings biased to each role's natural scope, so that scoped fields are often allowed. */
const naturalBindingArb: fc.Arbitrary<Binding> = fc.constantFrom(...ROLE_NAMES).chain((role): fc.Arbitrary<Binding> => {
  if (role.startsWith('WORKSPACE_')) return fc.constantFrom(...WORKSPACES).map((workspace) => ({ role, workspace }))
  if (role.startsWith('DEPLOYMENT_')) return fc.constantFrom(...DEPLOYMENTS).map((deployment) => ({ role, deployment }))
  return fc.constant({ role })
})

const bindingsArb = fc.array(fc.oneof({ weight: 3, arbitrary: naturalBindingArb }, { weight: 1, arbitrary: bindingArb }), { maxLength: 6 })

export const principalArb: fc.Arbitrary<PrincipalSpec> = fc.oneof(
  { weight: 1, arbitrary: fc.constant<PrincipalSpec>({ kind: 'anonymous' }) },
  {
    weight: 6,
    arbitrary: fc.record({
      kind: fc.constantFrom<'user' | 'serviceAccount'>('user', 'serviceAccount'),
      id: fc.constantFrom('alice', 'sa-bot'),
      inStore: fc.oneof({ weight: 9, arbitrary: fc.constant(true) }, { weight: 1, arbitrary: fc.constant(false) }),
      own: bindingsArb,
      groups: fc.subarray([...GROUP_NAMES], { maxLength: 2 }),
    }),
  },
)

export const worldArb: fc.Arbitrary<World> = fc.record({
  deployments: fc
    .tuple(...DEPLOYMENTS.map((d) => fc.option(fc.constantFrom(...WORKSPACES), { nil: null }).map((w) => [d, w] as const)))
    .map((pairs) => Object.fromEntries(pairs.filter((p): p is readonly [string, string] => p[1] !== null))),
  groups: fc.record({ g1: fc.array(bindingArb, { maxLength: 2 }), g2: fc.array(bindingArb, { maxLength: 2 }) }),
  principal: principalArb,
})

/** Someone else in the store, with strong bindings that must never leak to the principal. */
const BYSTANDER: SubjectEntry = {
  kind: 'user',
  bindings: [{ role: 'SYSTEM_ADMIN' }, { role: 'WORKSPACE_ADMIN', workspace: 'w1' }, { role: 'DEPLOYMENT_ADMIN', deployment: 'd2' }],
}

export function storeOf(w: World): FileBindingsStore {
  const subjects = new Map<string, SubjectEntry>([['bystander', BYSTANDER]])
  const p = w.principal
  if (p.kind !== 'anonymous' && p.inStore) subjects.set(p.id, { kind: p.kind, bindings: p.own })
  return new FileBindingsStore(new Map(Object.entries(w.deployments)), subjects, new Map(Object.entries(w.groups)))
}

export function principalOf(w: World): Principal {
  const p = w.principal
  return p.kind === 'anonymous' ? { kind: 'anonymous', id: null, groups: [] } : { kind: p.kind, id: p.id, groups: p.groups }
}

/** Every binding the principal holds (own and its groups'), without the synthetic USER. */
export function bindingsHeld(w: World): Binding[] {
  const p = w.principal
  if (p.kind === 'anonymous') return []
  return [...(p.inStore ? p.own : []), ...p.groups.flatMap((g) => w.groups[g] ?? [])]
}

// ---------------------------------------------------------------------------------------------
// Rendering

export interface Request {
  readonly query: string
  readonly variables: Record<string, Json> | undefined
  readonly operationName: string | undefined
}

export interface Rendered extends Request {
  /** Variables declared by the chosen operation for scope arguments (for re-sending other values). */
  readonly scopeVars: readonly string[]
}

const ROOT_NAMES: Readonly<Record<OpType, string>> = { Query: 'Query', Mutation: 'Mutation', Subscription: 'Subscription' }
const WRONG_ROOT: Readonly<Record<OpType, string>> = { Query: 'Mutation', Mutation: 'Query', Subscription: 'Query' }

const SUBSELECTION: Readonly<Record<string, string>> = { __schema: ' { queryType { name } }', __type: ' { name }' }

export function render(d: Doc): Rendered {
  const fragments: string[] = []
  const variables: Record<string, Json> = {}
  let scopeVars: string[] = []
  let fragCount = 0
  const b = d.breakage
  let broke = false // the breakage applied once, in the chosen operation
  const texts: string[] = []

  const order = [...d.ops.keys()].filter((i) => i !== d.chosen)
  order.push(d.chosen) // the chosen operation's variables are written last: they win on a shared name
  const rendered = new Map<number, string>()
  for (const i of order) {
    const op = d.ops[i]!
    const chosen = i === d.chosen
    const defs: string[] = []
    const sent: Record<string, Json> = {}
    const ownScopeVars: string[] = []
    let varCount = 0
    const newVar = (base: string): string => `${base}${i}_${varCount++}`
    const breakHere = (k: Breakage): boolean => {
      if (!chosen || b !== k || broke) return false
      broke = true
      return true
    }

    const cond = (c: Cond): string => {
      if (c.how === 'literal') return String(c.v)
      const name = newVar('if')
      defs.push(`$${name}: Boolean${c.dflt === null ? '' : ` = ${c.dflt}`}`)
      if (c.sent !== null) sent[name] = c.sent
      return `$${name}`
    }
    const dirs = (ds: readonly Dir[]): string => ds.map((x) => ` @${x.name}(if: ${cond(x.cond)})`).join('')
    const arg = (a: Arg): string => {
      if (a.how === 'literal') return `${a.name}: ${literalText(a.value)}`
      const name = newVar(a.name)
      if (a.name in SCOPE_KIND) ownScopeVars.push(name)
      const dflt = a.how === 'default' ? a.value : a.how === 'both' ? a.shadowed : undefined
      if (!breakHere('undeclared-var')) {
        defs.push(`$${name}: ${a.type}${dflt === undefined ? '' : ` = ${literalText(dflt)}`}`)
        if (breakHere('dup-var')) defs.push(`$${name}: ${a.type}`)
      }
      if (a.how === 'provided' || a.how === 'both') sent[name] = toJson(a.value)
      return `${a.name}: $${name}`
    }
    const field = (f: FieldSel): string => {
      const args = f.args.map(arg)
      if (args.length > 0 && breakHere('dup-arg')) args.push(args[0]!)
      const head = `${f.alias !== null ? `${f.alias}: ` : ''}${f.name}${args.length > 0 ? `(${args.join(', ')})` : ''}`
      return `${head}${dirs(f.dirs)}${SUBSELECTION[f.name] ?? ''}`
    }
    const on = (o: On): string => (o === 'root' ? ` on ${ROOT_NAMES[op.type]}` : o === 'wrong' ? ` on ${WRONG_ROOT[op.type]}` : '')
    const sels = (ss: readonly Sel[]): string =>
      ss
        .map((s): string => {
          if (s.k === 'field') return field(s)
          if (s.k === 'inline') return `...${on(s.on)}${dirs(s.dirs)} { ${sels(s.sels)} }`
          const name = `F${i}_${fragCount++}`
          const body = sels(s.sels)
          const fragOn = on(s.on === 'none' ? 'root' : s.on)
          if (breakHere('fragment-cycle')) fragments.push(`fragment ${name}${fragOn} { ${body} ...${name} }`)
          else fragments.push(`fragment ${name}${fragOn} { ${body} }`)
          if (breakHere('dup-fragment')) fragments.push(`fragment ${name}${fragOn} { users }`)
          const spread = `...${name}${dirs(s.dirs)}`
          return s.twice ? `${spread} ${spread}` : spread
        })
        .join(' ')
    let body = sels(op.sels)
    if (breakHere('unknown-fragment')) body += ' ...NoSuchFragment'
    const head = defs.length > 0 ? `(${defs.join(', ')})` : ''
    const bare = op.type === 'Query' && op.name === null && defs.length === 0 && op.shorthand
    rendered.set(i, bare ? `{ ${body} }` : `${KEYWORD[op.type]}${op.name !== null ? ` ${op.name}` : ''}${head} { ${body} }`)
    Object.assign(variables, sent)
    if (chosen) scopeVars = ownScopeVars
  }
  for (const i of d.ops.keys()) texts.push(rendered.get(i)!)
  const chosenOp = d.ops[d.chosen]!
  if (b === 'dup-operation' && chosenOp.name !== null) texts.push(`${KEYWORD[chosenOp.type]} ${chosenOp.name} { __typename }`)
  let query = [...texts, ...fragments].join('\n')
  if (b === 'syntax') query = query.slice(0, Math.max(1, query.length - 3))

  let operationName: string | undefined = d.ops.length > 1 || d.sendName ? (chosenOp.name ?? undefined) : undefined
  if (b === 'wrong-operation-name') operationName = 'NoSuchOperation'
  if (b === 'no-operation-name' && d.ops.length > 1) operationName = undefined
  return { query, variables: Object.keys(variables).length > 0 ? variables : undefined, operationName, scopeVars }
}

// ---------------------------------------------------------------------------------------------
// Transformations (for the invariance properties); each applies to the chosen operation only

function mapChosen(d: Doc, f: (sels: readonly Sel[]) => readonly Sel[]): Doc {
  return { ...d, ops: d.ops.map((o, i) => (i === d.chosen ? { ...o, sels: f(o.sels) } : o)) }
}

/** Maps every field of the selections (through fragments), in document order, with its index. */
function mapFields(sels: readonly Sel[], f: (x: FieldSel, i: number) => Sel): readonly Sel[] {
  let n = 0
  const go = (ss: readonly Sel[]): Sel[] => ss.map((s) => (s.k === 'field' ? f(s, n++) : { ...s, sels: go(s.sels) }))
  return go(sels)
}

export function fieldCount(d: Doc): number {
  let n = 0
  mapFields(d.ops[d.chosen]!.sels, (x) => (n++, x))
  return n
}

export const pick = <T>(xs: readonly T[], i: number): T => xs[i % xs.length]!

export function renameAliases(d: Doc, aliases: ReadonlyArray<string | null>): Doc {
  return mapChosen(d, (sels) => mapFields(sels, (x, i) => ({ ...x, alias: aliases.length > 0 ? pick(aliases, i) : null })))
}

export type Wrap = 'none' | 'inline-root' | 'inline-bare' | 'named' | 'named-twice'

export function wrapFields(d: Doc, wraps: readonly Wrap[]): Doc {
  return mapChosen(d, (sels) =>
    mapFields(sels, (x, i): Sel => {
      const w = wraps.length > 0 ? pick(wraps, i) : 'none'
      if (w === 'none') return x
      if (w === 'inline-root' || w === 'inline-bare') return { k: 'inline', on: w === 'inline-root' ? 'root' : 'none', dirs: [], sels: [x] }
      return { k: 'spread', on: 'root', dirs: [], sels: [x], twice: w === 'named-twice' }
    }),
  )
}

/** Reorders every selection list by the given sort keys. */
export function reorder(d: Doc, keys: readonly number[]): Doc {
  let n = 0
  const go = (ss: readonly Sel[]): Sel[] =>
    ss
      .map((s) => ({ s: s.k === 'field' ? s : { ...s, sels: go(s.sels) }, key: keys.length > 0 ? pick(keys, n++) : 0 }))
      .sort((a, b) => a.key - b.key)
      .map((x) => x.s)
  return mapChosen(d, go)
}

/** Literal arguments moved into variables: sent in `variables`, or as the definition's default. */
export function literalsToVariables(d: Doc, how: ReadonlyArray<'provided' | 'default' | 'keep'>): Doc {
  let n = 0
  return mapChosen(d, (sels) =>
    mapFields(sels, (x) => ({
      ...x,
      args: x.args.map((a) => {
        if (a.how !== 'literal') return a
        const h = how.length > 0 ? pick(how, n++) : 'keep'
        return h === 'keep' ? a : { ...a, how: h }
      }),
    })),
  )
}

/** The field added at the top level of the chosen operation, at `at` (mod length + 1). */
export function addField(d: Doc, f: Sel, at: number): Doc {
  return mapChosen(d, (sels) => {
    const i = at % (sels.length + 1)
    return [...sels.slice(0, i), f, ...sels.slice(i)]
  })
}

/** A document of one operation of `type` whose only selection is `f`. */
export function alone(type: OpType, f: Sel): Doc {
  return { ops: [{ type, name: null, shorthand: false, sels: [f] }], chosen: 0, sendName: false, breakage: null }
}

// ---------------------------------------------------------------------------------------------
// permgate

export const POLICY: CompiledPolicy = compilePolicy(loadPolicy(POLICY_HOUSTON))

export type Outcome = { readonly rejected: string } | { readonly rejected: null; readonly decision: Decision }

/** permgate's document cache and authorizer: extract the operation, then decide (a rejected document is a denial). */
export function permgate(authz: Authorizer, docs: DocumentCache, principal: Principal, r: Request): Outcome {
  let op
  try {
    op = docs.get(r.query, r.operationName)
  } catch (e) {
    if (isPermgateError(e)) return { rejected: e.code }
    throw e
  }
  return { rejected: null, decision: authz.decide(principal, op, r.variables) }
}

/** A fresh Authorizer and document cache for one request. */
export function permgateWith(store: FileBindingsStore, principal: Principal, r: Request): Outcome {
  // small caches: the default sizes cost more to allocate than a decision
  return permgate(new Authorizer(POLICY, store, { principalCacheSize: 8 }), new DocumentCache({ max: 8 }), principal, r)
}

export function permgateFresh(w: World, r: Request): Outcome {
  return permgateWith(storeOf(w), principalOf(w), r)
}

export const allowedBy = (o: Outcome): boolean => o.rejected === null && o.decision.allowed

/**
 * A decision as a comparable string: the rejection, or allow/deny with the denied fields and
 * their reasons, sorted (`unique`: each field:reason once, for documents that spread a field twice).
 */
export function essence(o: Outcome, unique = false): string {
  if (o.rejected !== null) return `rejected ${o.rejected}`
  const d = o.decision
  const denied = d.denied.map((f) => `${f.field}:${f.reason}`)
  return `${d.allowed ? 'allow' : 'deny'} ${(unique ? [...new Set(denied)] : denied).sort().join(' ')}`
}

/** Everything a decision says (for comparing cached and fresh decisions). */
export function full(o: Outcome): string {
  if (o.rejected !== null) return `rejected ${o.rejected}`
  const d = o.decision
  return JSON.stringify({
    allowed: d.allowed,
    reason: d.reason,
    type: d.operationType,
    name: d.operationName ?? null,
    denied: d.denied.map((f) => [f.type, f.field, f.alias ?? null, f.reason, [...f.required], f.op ?? null, f.scope]),
  })
}
