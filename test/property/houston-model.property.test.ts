/**
 * Property-based tests of permgate's Houston policy against a small reference model written here,
 * from ../shared/houston/README.md and permgate's README ("How a request is decided"):
 *
 * 1. Safety: permgate never allows a request the reference denies (random documents, junk scope
 *    values, broken documents, random principals and bindings).
 * 2. Agreement: on well-formed documents with id-or-null scope values and no field under an extra
 *    rule condition (escalation guard, invite token), permgate's decision and denied fields (with
 *    their reasons) equal the reference's. A second agreement property focuses on the guarded
 *    fields with those conditions modelled too (see GUARDS below; written from the task's
 *    definition and policies/houston/conditions.yaml: update it if the guard's definition changes).
 *
 * The reference model reads only the Houston facts (operations-v0.12.1.json, roles-v0.12.1.json)
 * and the request text: it parses the document with graphql-js and walks the AST itself (no code
 * of permgate's src/operation or src/policy).
 */
import fc from 'fast-check'
import {
  Kind,
  parse,
  type DocumentNode,
  type FieldNode,
  type FragmentDefinitionNode,
  type OperationDefinitionNode,
  type SelectionSetNode,
  type ValueNode,
} from 'graphql'
import { afterAll, describe, expect, it } from 'vitest'
import type { Binding } from '../../src/bindings/types.js'
import {
  AGREEMENT_CONFIG,
  docArb,
  fieldCount,
  GUARDED_CONFIG,
  essence,
  OPERATIONS,
  permgateFresh,
  render,
  ROLES,
  SAFETY_CONFIG,
  bindingsHeld,
  worldArb,
  type Doc,
  type OpType,
  type Outcome,
  type Request,
  type World,
} from './houston-arbitraries.js'

// =============================================================================================
// The reference model

type ModelReason =
  | 'typename'
  | 'introspection'
  | 'public'
  | 'authenticated'
  | 'permission'
  | 'unauthenticated'
  | 'missing_permission'
  | 'no_rule'
  | 'invalid_scope'
  | 'escalation'
  | 'invite_required'

interface ModelField {
  readonly field: string
  readonly allowed: boolean
  readonly reason: ModelReason
}

type ModelResult =
  | { readonly valid: false; readonly why: string }
  | { readonly valid: true; readonly type: OpType; readonly allowed: boolean; readonly fields: readonly ModelField[] }

const FACTS = new Map(OPERATIONS.map((o) => [`${o.type}.${o.field}`, o]))
const TYPE_OF: Readonly<Record<string, OpType>> = { query: 'Query', mutation: 'Mutation', subscription: 'Subscription' }
/** Houston: workspaceUuid names a workspace, deploymentUuid a deployment. */
const ENTITY_OF_ARG: Readonly<Record<string, 'workspace' | 'deployment'>> = { workspaceUuid: 'workspace', deploymentUuid: 'deployment' }
const isSystem = (perm: string): boolean => perm.startsWith('system.')

class Invalid extends Error {}
const invalid = (why: string): never => {
  throw new Invalid(why)
}

/** The document's root fields for the chosen operation, as the GraphQL spec defines a valid document and its execution. */
function rootFields(doc: DocumentNode, operationName: string | undefined): { op: OperationDefinitionNode; fields: FieldNode[]; fragments: Map<string, FragmentDefinitionNode> } {
  const ops: OperationDefinitionNode[] = []
  const fragments = new Map<string, FragmentDefinitionNode>()
  for (const def of doc.definitions) {
    if (def.kind === Kind.OPERATION_DEFINITION) {
      if (def.name !== undefined && ops.some((o) => o.name?.value === def.name?.value)) invalid('operation name uniqueness')
      ops.push(def)
    } else if (def.kind === Kind.FRAGMENT_DEFINITION) {
      if (fragments.has(def.name.value)) invalid('fragment name uniqueness')
      fragments.set(def.name.value, def)
    } else {
      invalid('executable definitions')
    }
  }
  // GetOperation: by name, else the only one
  const op = operationName !== undefined ? ops.find((o) => o.name?.value === operationName) : ops.length === 1 ? ops[0] : undefined
  if (op === undefined) return invalid('no operation selected')
  const rootType = TYPE_OF[op.operation]!

  const fields: FieldNode[] = []
  const collect = (set: SelectionSetNode, path: readonly string[]): void => {
    for (const sel of set.selections) {
      // @skip / @include are not evaluated: a field under them counts as requested
      if (sel.kind === Kind.FIELD) fields.push(sel)
      else if (sel.kind === Kind.INLINE_FRAGMENT) {
        if (sel.typeCondition !== undefined && sel.typeCondition.name.value !== rootType) invalid('inline fragment on another type at the root')
        collect(sel.selectionSet, path)
      } else {
        const name = sel.name.value
        const def = fragments.get(name)
        if (def === undefined) return invalid('unknown fragment')
        if (path.includes(name)) invalid('fragment cycle')
        if (def.typeCondition.name.value !== rootType) invalid('fragment on another type at the root')
        collect(def.selectionSet, [...path, name])
      }
    }
  }
  collect(op.selectionSet, [])
  return { op, fields, fragments }
}

/** A value as graphql-js reads it without a type (a variable: the value sent, else its default, else absent). */
function valueOf(node: ValueNode, variables: Readonly<Record<string, unknown>>, defaults: ReadonlyMap<string, unknown>): unknown {
  switch (node.kind) {
    case Kind.VARIABLE: {
      const name = node.name.value
      if (Object.hasOwn(variables, name)) return variables[name]
      return defaults.get(name)
    }
    case Kind.INT:
    case Kind.FLOAT:
      return Number(node.value)
    case Kind.STRING:
    case Kind.ENUM:
    case Kind.BOOLEAN:
      return node.value
    case Kind.NULL:
      return null
    case Kind.LIST:
      return node.values.map((v) => valueOf(v, variables, defaults))
    case Kind.OBJECT:
      return Object.fromEntries(node.fields.map((f) => [f.name.value, valueOf(f.value, variables, defaults)]))
  }
}

/** Spec validation of a root field's arguments: unique names, every variable used is declared. */
function checkArguments(f: FieldNode, declared: ReadonlySet<string>): void {
  const names = new Set<string>()
  const check = (v: ValueNode): void => {
    if (v.kind === Kind.VARIABLE && !declared.has(v.name.value)) invalid('undeclared variable')
    if (v.kind === Kind.LIST) v.values.forEach(check)
    if (v.kind === Kind.OBJECT) {
      const keys = new Set<string>()
      for (const of of v.fields) {
        if (keys.has(of.name.value)) invalid('input field uniqueness')
        keys.add(of.name.value)
        check(of.value)
      }
    }
  }
  for (const a of f.arguments ?? []) {
    if (names.has(a.name.value)) invalid('argument uniqueness')
    names.add(a.name.value)
    check(a.value)
  }
}

/**
 * An entity id: a non-empty string, or an integer (as GraphQL's ID reads one). Anything else is no id.
 * Values are read untyped (graphql-js valueFromASTUntyped): an enum literal `w1` reads as "w1", a
 * float literal `2.0` as 2, so as the id "2".
 */
function asId(v: unknown): string | null {
  if (typeof v === 'string' && v !== '') return v
  if (typeof v === 'number' && Number.isSafeInteger(v)) return String(v)
  return null
}

function permissionsOf(roles: readonly string[]): Set<string> {
  const out = new Set<string>()
  for (const r of roles) for (const p of ROLES[r]?.permissions ?? []) out.add(p)
  return out
}

/** What the principal holds: system permissions, and scoped permissions on one entity. */
class Holdings {
  readonly system: Set<string>
  private readonly systemRoles: string[]

  constructor(
    private readonly w: World,
    private readonly held: readonly Binding[],
  ) {
    // every authenticated principal holds USER at system scope
    this.systemRoles = ['USER', ...held.filter((b) => b.workspace === undefined && b.deployment === undefined).map((b) => b.role)]
    this.system = permissionsOf(this.systemRoles)
  }

  /** Roles bound on the entity; for a deployment, DEPLOYMENT_X for WORKSPACE_X on its workspace; plus what system roles hold anywhere. */
  on(kind: 'workspace' | 'deployment', id: string): Set<string> {
    const roles: string[] = [...this.systemRoles]
    for (const b of this.held) {
      if (kind === 'workspace' && b.workspace === id) roles.push(b.role)
      if (kind === 'deployment' && b.deployment === id) roles.push(b.role)
    }
    const ws = kind === 'deployment' ? this.w.deployments[id] : undefined
    if (ws !== undefined) {
      for (const b of this.held) {
        if (b.workspace === ws && b.role.startsWith('WORKSPACE_')) roles.push(`DEPLOYMENT_${b.role.slice('WORKSPACE_'.length)}`)
      }
    }
    return new Set([...permissionsOf(roles)].filter((p) => !isSystem(p)))
  }

  /** Everything the caller holds at a grant's scope (id null: only what holds everywhere). */
  ownAt(scope: GrantScope, id: string | null): Set<string> {
    const out = permissionsOf(this.systemRoles)
    if (scope === 'system' || id === null) return out
    const roles: string[] = []
    const cascaded = (role: string): string[] => {
      const to = cascadeOf(role)
      return to === undefined ? [] : [to]
    }
    for (const b of this.held) {
      if (scope === 'workspace' && b.workspace === id) roles.push(b.role, ...cascaded(b.role))
      if (scope === 'deployment' && b.deployment === id) roles.push(b.role)
    }
    const ws = scope === 'deployment' ? this.w.deployments[id] : undefined
    if (ws !== undefined) for (const b of this.held) if (b.workspace === ws) roles.push(...cascaded(b.role))
    for (const p of permissionsOf(roles)) if (!isSystem(p)) out.add(p)
    return out
  }
}

/**
 * permgate's extra conditions on Houston fields (optional part of the model, `conditions: true`):
 * - escalation guard: the role a field grants (argument `role`, or `role` in an update payload,
 *   where an absent role grants nothing) must be a role of the grant's scope (SYSTEM_* / WORKSPACE_*
 *   / DEPLOYMENT_*; USER is no grantable role), and everything granting it gives (its permissions,
 *   and for WORKSPACE_X those of the DEPLOYMENT_X it cascades to) must be held by the caller at that
 *   scope: USER and system-bound roles, plus on a workspace the roles bound there and what they
 *   cascade, on a deployment the roles bound there and those cascaded from its workspace.
 *   The grant's scope: fixed (system), from `entityType` (createServiceAccount, entity `entityUuid`),
 *   else the entity the field's scope argument names (none named: denied).
 * - createUser needs an invite token (Houston's publicSignups: false): a non-blank string.
 * updateServiceAccount names no workspace or deployment: a role in its payload is checked at
 * system scope (so only a system role within the caller's own can pass). A payload that is no
 * object, a list, or an object with a prototype key is denied (see grantAt).
 */
type GrantScope = 'system' | 'workspace' | 'deployment'
interface Guard {
  readonly role: readonly string[]
  readonly scope: 'system' | 'entity' | 'entityType'
  readonly optional?: true
}
const GUARDS: ReadonlyMap<string, Guard> = new Map([
  ['Mutation.workspaceAddUser', { role: ['role'], scope: 'entity' }],
  ['Mutation.workspaceUpdateUserRole', { role: ['role'], scope: 'entity' }],
  ['Mutation.createServiceAccount', { role: ['role'], scope: 'entityType' }],
  ['Mutation.createDeploymentServiceAccount', { role: ['role'], scope: 'entity' }],
  ['Mutation.createWorkspaceServiceAccount', { role: ['role'], scope: 'entity' }],
  ['Mutation.createSystemServiceAccount', { role: ['role'], scope: 'system' }],
  ['Mutation.createSystemRoleBinding', { role: ['role'], scope: 'system' }],
  ['Mutation.updateServiceAccount', { role: ['payload', 'role'], scope: 'system', optional: true }],
  ['Mutation.updateWorkspaceServiceAccount', { role: ['payload', 'role'], scope: 'entity', optional: true }],
  ['Mutation.updateDeploymentServiceAccount', { role: ['payload', 'role'], scope: 'entity', optional: true }],
] as const)
const INVITE_FIELDS: ReadonlyMap<string, string> = new Map([['Mutation.createUser', 'inviteToken']])
const ENTITY_TYPES: Readonly<Record<string, GrantScope>> = { SYSTEM: 'system', WORKSPACE: 'workspace', DEPLOYMENT: 'deployment' }

function scopeOfRole(role: string): GrantScope | undefined {
  if (!(role in ROLES)) return undefined
  if (role.startsWith('SYSTEM_')) return 'system'
  if (role.startsWith('WORKSPACE_')) return 'workspace'
  if (role.startsWith('DEPLOYMENT_')) return 'deployment'
  return undefined
}

/** WORKSPACE_X bound on a workspace grants DEPLOYMENT_X on its deployments. */
function cascadeOf(role: string): string | undefined {
  const to = role.startsWith('WORKSPACE_') ? `DEPLOYMENT_${role.slice('WORKSPACE_'.length)}` : undefined
  return to !== undefined && to in ROLES ? to : undefined
}

/** Walks plain-object keys from a value; anything else is absent. */
function at(v: unknown, path: readonly string[]): unknown {
  let cur = v
  for (const k of path) {
    if (typeof cur !== 'object' || cur === null || Array.isArray(cur) || !Object.hasOwn(cur, k)) return undefined
    cur = (cur as Record<string, unknown>)[k]
  }
  return cur
}

/**
 * The escalation guard's reading of `payload.role`: each value before the last key must be an
 * object (not a list) without a `__proto__`, `constructor` or `prototype` own key, else UNREADABLE
 * (denied: a resolver that parses or merges it may find a role); null or absent on the way is absent.
 */
const UNREADABLE = Symbol('unreadable')
function grantAt(v: unknown, path: readonly string[]): unknown {
  let cur = v
  for (const k of path) {
    if (cur === undefined || cur === null) return cur
    if (typeof cur !== 'object' || Array.isArray(cur)) return UNREADABLE
    if (['__proto__', 'constructor', 'prototype'].some((p) => Object.hasOwn(cur as object, p))) return UNREADABLE
    if (!Object.hasOwn(cur, k)) return undefined
    cur = (cur as Record<string, unknown>)[k]
  }
  return cur
}

interface ModelOptions {
  /** Model permgate's extra conditions (escalation guard, invite token). */
  readonly conditions: boolean
}

function model(w: World, r: Request, opts: ModelOptions = { conditions: false }): ModelResult {
  let doc: DocumentNode
  try {
    doc = parse(r.query)
  } catch {
    return { valid: false, why: 'syntax' }
  }
  try {
    const { op, fields } = rootFields(doc, r.operationName)
    const type = TYPE_OF[op.operation]!
    const declared = new Set<string>()
    const defaults = new Map<string, unknown>()
    for (const def of op.variableDefinitions ?? []) {
      const name = def.variable.name.value
      if (declared.has(name)) invalid('variable uniqueness')
      declared.add(name)
      if (def.defaultValue !== undefined) defaults.set(name, valueOf(def.defaultValue, {}, new Map()))
    }
    const variables = r.variables ?? {}
    const anonymous = w.principal.kind === 'anonymous'
    const holdings = new Holdings(w, bindingsHeld(w))

    const decideField = (f: FieldNode): ModelField => {
      checkArguments(f, declared)
      const name = f.name.value
      const out = (allowed: boolean, reason: ModelReason): ModelField => ({ field: name, allowed, reason })
      if (name === '__typename') return out(true, 'typename')
      if (name === '__schema' || name === '__type') return anonymous ? out(false, 'unauthenticated') : out(true, 'introspection')
      const facts = FACTS.get(`${type}.${name}`)
      if (facts === undefined) return out(false, 'no_rule')
      const invite = opts.conditions ? INVITE_FIELDS.get(`${type}.${name}`) : undefined
      if (invite !== undefined) {
        const token = arg(f, [invite])
        if (typeof token !== 'string' || token.trim() === '') return out(false, 'invite_required')
      }
      if (facts.access === 'public') return out(true, 'public')
      if (anonymous) return out(false, 'unauthenticated')
      if (facts.access === 'authenticated') return opts.conditions && !grantWithin(f, `${type}.${name}`, null) ? out(false, 'escalation') : out(true, 'authenticated')

      // a scoped permission is checked on the entity the first present scope argument names
      let entity: Set<string> | null = null
      let named: { kind: GrantScope; id: string } | null = null
      if (facts.permissions.some((p) => !isSystem(p))) {
        for (const argName of facts.scopeArgs) {
          const v = arg(f, [argName])
          if (v === undefined || v === null) continue
          const id = asId(v)
          if (id === null) return out(false, 'invalid_scope') // no id: deny on doubt
          const kind = ENTITY_OF_ARG[argName]!
          named = { kind, id }
          entity = holdings.on(kind, id)
          break
        }
      }
      const holds = (p: string): boolean => (isSystem(p) ? holdings.system.has(p) : entity !== null && entity.has(p))
      const ok = facts.combinator === 'OR' ? facts.permissions.some(holds) : facts.permissions.every(holds)
      if (!ok) return out(false, 'missing_permission')
      if (opts.conditions && !grantWithin(f, `${type}.${name}`, named)) return out(false, 'escalation')
      return out(true, 'permission')
    }

    /** An argument's value, or a value inside an input object (`payload.role`). */
    const arg = (f: FieldNode, path: readonly string[]): unknown => {
      const node = f.arguments?.find((a) => a.name.value === path[0])
      return node === undefined ? undefined : at(valueOf(node.value, variables, defaults), path.slice(1))
    }

    const grantWithin = (f: FieldNode, key: string, named: { kind: GrantScope; id: string } | null): boolean => {
      const g = GUARDS.get(key)
      if (g === undefined) return true
      const node = f.arguments?.find((a) => a.name.value === g.role[0])
      const role = node === undefined ? undefined : grantAt(valueOf(node.value, variables, defaults), g.role.slice(1))
      if (role === UNREADABLE) return false
      if (role === undefined || role === null) return g.optional === true
      if (typeof role !== 'string') return false
      let scope: GrantScope | undefined
      let id: string | null = null
      if (g.scope === 'system') scope = 'system'
      else if (g.scope === 'entityType') {
        const t = arg(f, ['entityType'])
        scope = typeof t === 'string' ? ENTITY_TYPES[t] : undefined
        const e = arg(f, ['entityUuid'])
        if (e !== undefined && e !== null) {
          id = asId(e)
          if (id === null && scope !== 'system') return false
        }
      } else {
        scope = named?.kind
        id = named?.id ?? null
      }
      if (scope === undefined || scopeOfRole(role) !== scope) return false
      const own = holdings.ownAt(scope, scope === 'system' ? null : id)
      const to = cascadeOf(role)
      const gives = permissionsOf(to === undefined ? [role] : [role, to])
      return [...gives].every((p) => own.has(p))
    }
    const decided = fields.map(decideField)
    return { valid: true, type, allowed: decided.every((d) => d.allowed), fields: decided }
  } catch (e) {
    if (e instanceof Invalid) return { valid: false, why: e.message }
    throw e
  }
}

const modelEssence = (m: ModelResult): string =>
  m.valid
    ? `${m.allowed ? 'allow' : 'deny'} ${m.fields
        .filter((f) => !f.allowed)
        .map((f) => `${f.field}:${f.reason}`)
        .sort()
        .join(' ')}`
    : `invalid ${m.why}`

// =============================================================================================
// Counting what the generators produce

interface Tally {
  runs: number
  decided: number
  allowed: number
  modelInvalid: number
  modelAllowed: number
}
const tally = (): Tally => ({ runs: 0, decided: 0, allowed: 0, modelInvalid: 0, modelAllowed: 0 })
const TALLIES: Record<string, Tally> = {}

/** Features of the generated requests, counted over the safety property's runs. */
const FEATURES: Record<string, number> = {}
const FEATURE_TESTS: ReadonlyArray<readonly [string, (d: Doc, r: Request) => boolean]> = [
  ['mutation', (d) => d.ops[d.chosen]!.type === 'Mutation'],
  ['subscription', (d) => d.ops[d.chosen]!.type === 'Subscription'],
  ['several root fields', (d) => fieldCount(d) > 1],
  ['named fragment', (_d, r) => /\.\.\.F\d/.test(r.query)],
  ['inline fragment', (_d, r) => /\.\.\. ?(on |\{|@)/.test(r.query)],
  ['@skip/@include', (_d, r) => /@(skip|include)/.test(r.query)],
  ['variables', (_d, r) => r.query.includes('$')],
  ['alias', (_d, r) => /[\w_]+: [\w_]+[( @{}]/.test(r.query.replace(/\$?\w+: [A-Z][\w!\[\]]*/g, ''))],
  ['several operations', (d) => d.ops.length > 1],
  ['broken', (d) => d.breakage !== null],
]

function count(t: Tally, o: Outcome, m: ModelResult, d?: Doc, r?: Request): void {
  if (d !== undefined && r !== undefined) for (const [k, test] of FEATURE_TESTS) if (test(d, r)) FEATURES[k] = (FEATURES[k] ?? 0) + 1
  t.runs++
  if (o.rejected === null) t.decided++
  if (o.rejected === null && o.decision.allowed) t.allowed++
  if (!m.valid) t.modelInvalid++
  if (m.valid && m.allowed) t.modelAllowed++
}

afterAll(() => {
  const pct = (n: number, d: number): string => `${((100 * n) / Math.max(d, 1)).toFixed(1)}%`
  for (const [name, t] of Object.entries(TALLIES)) {
    console.log(
      `${name}: ${t.runs} runs; permgate decided ${pct(t.decided, t.runs)}, allowed ${pct(t.allowed, t.decided)} of decided ` +
        `(${t.allowed} allow / ${t.decided - t.allowed} deny); model: ${pct(t.modelInvalid, t.runs)} invalid, ${t.modelAllowed} allowed`,
    )
  }
  const runs = TALLIES.safety?.runs ?? 0
  console.log(`safety requests with: ${Object.entries(FEATURES).map(([k, n]) => `${k} ${pct(n, runs)}`).join(', ')}`)
})

const show = (w: World, r: Request, o: Outcome, m: ModelResult): string =>
  `\nprincipal ${JSON.stringify(w.principal)} groups ${JSON.stringify(w.groups)} deployments ${JSON.stringify(w.deployments)}` +
  `\nquery ${r.query}\nvariables ${JSON.stringify(r.variables)} operationName ${r.operationName}` +
  `\npermgate: ${essence(o)}\nmodel:    ${modelEssence(m)}`

// =============================================================================================

const SAFETY_RUNS = 5000
const AGREEMENT_RUNS = 3000
const GUARDED_RUNS = 2000

describe('property: permgate never allows what the reference model denies', () => {
  it(`safety, ${SAFETY_RUNS} runs: any document (junk scope values, broken documents), any principal`, () => {
    const t = (TALLIES.safety = tally())
    fc.assert(
      fc.property(worldArb, docArb(SAFETY_CONFIG), (w, d) => {
        const r = render(d)
        const o = permgateFresh(w, r)
        const m = model(w, r)
        count(t, o, m, d, r)
        if (o.rejected === null && o.decision.allowed && !(m.valid && m.allowed)) throw new Error(`permgate allows, the model denies:${show(w, r, o, m)}`)
      }),
      { numRuns: SAFETY_RUNS },
    )
    // the generators must mostly produce documents that reach a decision, and both outcomes
    expect(t.decided / t.runs).toBeGreaterThan(0.85)
    expect(t.allowed / t.decided).toBeGreaterThan(0.15)
    expect(t.allowed / t.decided).toBeLessThan(0.85)
  })
})

describe('property: permgate agrees with the reference model on well-formed requests', () => {
  it(`agreement, ${AGREEMENT_RUNS} runs: ids or null as scope values, no field under an extra condition`, () => {
    const t = (TALLIES.agreement = tally())
    fc.assert(
      fc.property(worldArb, docArb(AGREEMENT_CONFIG), (w, d) => {
        const r = render(d)
        const o = permgateFresh(w, r)
        const m = model(w, r)
        count(t, o, m)
        if (essence(o) !== modelEssence(m)) throw new Error(`permgate and the model disagree:${show(w, r, o, m)}`)
      }),
      { numRuns: AGREEMENT_RUNS },
    )
    expect(t.decided).toBe(t.runs)
    expect(t.allowed / t.decided).toBeGreaterThan(0.15)
  })
})

describe('property: permgate agrees with the reference model, extra conditions included', () => {
  it(`agreement on the guarded fields, ${GUARDED_RUNS} runs: escalation guard and invite token modelled`, () => {
    const t = (TALLIES.guarded = tally())
    const reasons: Record<string, number> = {}
    fc.assert(
      fc.property(worldArb, docArb(GUARDED_CONFIG), (w, d) => {
        const r = render(d)
        const o = permgateFresh(w, r)
        const m = model(w, r, { conditions: true })
        count(t, o, m)
        if (o.rejected === null) for (const f of o.decision.denied) reasons[f.reason] = (reasons[f.reason] ?? 0) + 1
        if (essence(o) !== modelEssence(m)) throw new Error(`permgate and the model disagree:${show(w, r, o, m)}`)
      }),
      { numRuns: GUARDED_RUNS },
    )
    console.log(`guarded: denied fields by reason ${JSON.stringify(reasons)}`)
    expect(t.decided).toBe(t.runs)
    expect(reasons.escalation ?? 0).toBeGreaterThan(GUARDED_RUNS / 20)
    expect(reasons.invite_required ?? 0).toBeGreaterThan(GUARDED_RUNS / 100)
    expect(t.allowed / t.decided).toBeGreaterThan(0.1)
  })
})

describe('the reference model on hand-written requests', () => {
  const world = (own: Binding[], extra: Partial<World> = {}): World => ({
    deployments: { d1: 'w1', d2: 'w2' },
    groups: {},
    principal: { kind: 'user', id: 'alice', inStore: true, own, groups: [] },
    ...extra,
  })
  const anon: World = { deployments: {}, groups: {}, principal: { kind: 'anonymous' } }
  const decide = (w: World, query: string, variables?: Record<string, unknown>, operationName?: string): string =>
    modelEssence(model(w, { query, variables: variables as never, operationName }))

  it.each([
    ['WORKSPACE_VIEWER@w1', '{ workspaceDeployments(workspaceUuid: "w1") }', world([{ role: 'WORKSPACE_VIEWER', workspace: 'w1' }]), 'allow '],
    ['WORKSPACE_VIEWER@w1', '{ workspaceDeployments(workspaceUuid: "w2") }', world([{ role: 'WORKSPACE_VIEWER', workspace: 'w1' }]), 'deny workspaceDeployments:missing_permission'],
    ['WORKSPACE_EDITOR@w1', 'mutation { updateDeployment(deploymentUuid: "d1") }', world([{ role: 'WORKSPACE_EDITOR', workspace: 'w1' }]), 'allow '],
    ['WORKSPACE_EDITOR@w1', 'mutation { updateDeployment(deploymentUuid: "d2") }', world([{ role: 'WORKSPACE_EDITOR', workspace: 'w1' }]), 'deny updateDeployment:missing_permission'],
    ['SYSTEM_ADMIN@w1', '{ users }', world([{ role: 'SYSTEM_ADMIN', workspace: 'w1' }]), 'deny users:missing_permission'],
    ['SYSTEM_ADMIN', '{ workspaceUsers(workspaceUuid: "w1") }', world([{ role: 'SYSTEM_ADMIN' }]), 'deny workspaceUsers:missing_permission'],
    ['WORKSPACE_VIEWER@system', '{ workspaceUsers(workspaceUuid: "w3") }', world([{ role: 'WORKSPACE_VIEWER' }]), 'allow '],
    ['SYSTEM_ADMIN', '{ workspaceDeployments(workspaceUuid: {id: "w1"}) }', world([{ role: 'SYSTEM_ADMIN' }]), 'deny workspaceDeployments:invalid_scope'],
    ['no bindings', 'query Q($w: Uuid = "w1") { workspaceDeployments(workspaceUuid: $w) }', world([]), 'deny workspaceDeployments:missing_permission'],
    ['WORKSPACE_VIEWER@w1', 'query Q($w: Uuid = "w2") { a: workspaceDeployments(workspaceUuid: $w) @skip(if: true) }', world([{ role: 'WORKSPACE_VIEWER', workspace: 'w1' }]), 'deny workspaceDeployments:missing_permission'],
    ['no bindings', 'fragment F on Query { users }\nquery { ... { self } ...F }', world([]), 'deny users:missing_permission'],
    ['no bindings', 'fragment F on Mutation { self }\nquery { ...F }', world([]), 'invalid fragment on another type at the root'],
    ['no bindings', 'query A { users } query B { self }', world([]), 'invalid no operation selected'],
    ['anonymous', '{ authConfig t: __typename self: authConfig }', anon, 'allow '],
    ['anonymous', '{ __schema { queryType { name } } }', anon, 'deny __schema:unauthenticated'],
  ] as const)('%s: %s', (_who, query, w, expected) => {
    expect(decide(w, query)).toBe(expected)
  })

  it('variables: the value sent wins over the default, an explicit null too; operationName selects', () => {
    const w = world([{ role: 'WORKSPACE_ADMIN', workspace: 'w1' }])
    const q = 'mutation M($w: Uuid = "w1") { deleteWorkspace(workspaceUuid: $w) }'
    expect(decide(w, q)).toBe('allow ')
    expect(decide(w, q, { w: null })).toBe('deny deleteWorkspace:missing_permission')
    expect(decide(w, q, { w: 'w2' })).toBe('deny deleteWorkspace:missing_permission')
    expect(decide(w, 'query A { users } query B { self }', undefined, 'B')).toBe('allow ')
  })
})
