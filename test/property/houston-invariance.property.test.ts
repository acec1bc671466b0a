/**
 * Invariance properties of permgate's decisions (policies/houston), over random documents and
 * principals (see houston-arbitraries.ts):
 *
 * - renaming aliases, wrapping root fields into inline or named fragments, reordering root
 *   fields, and moving literal arguments into variables never change the decision;
 * - adding a root field that is denied on its own to an operation denies it (and adding any
 *   field never turns a denial into an allowance);
 * - a decision does not depend on caching: the same requests decided through one long-lived
 *   Authorizer and document cache, twice and in another order, interleaved with other principals'
 *   requests, equal the decisions of a fresh Authorizer.
 */
import fc from 'fast-check'
import { afterAll, describe, expect, it } from 'vitest'
import type { Principal } from '../../src/identity/types.js'
import { DocumentCache } from '../../src/operation/cache.js'
import { Authorizer } from '../../src/policy/authorizer.js'
import {
  addField,
  ALIASES,
  allowedBy,
  alone,
  docArb,
  essence,
  fieldArb,
  full,
  literalsToVariables,
  permgate,
  permgateFresh,
  permgateWith,
  POLICY,
  principalOf,
  render,
  renameAliases,
  reorder,
  storeOf,
  VALID_CONFIG,
  withinLimits,
  worldArb,
  wrapFields,
  type Doc,
  type Json,
  type Outcome,
  type Request,
  type World,
  type Wrap,
} from './houston-arbitraries.js'

const RUNS = 1500

const stats: Record<string, { runs: number; decided: number; allowed: number; meaningful?: number }> = {}
afterAll(() => {
  for (const [k, s] of Object.entries(stats)) {
    console.log(`${k}: ${s.runs} runs, ${s.decided} decided, ${s.allowed} allowed${s.meaningful !== undefined ? `, ${s.meaningful} meaningful` : ''}`)
  }
})
function note(name: string, o: Outcome): void {
  const s = (stats[name] ??= { runs: 0, decided: 0, allowed: 0 })
  s.runs++
  if (o.rejected === null) s.decided++
  if (allowedBy(o)) s.allowed++
}

const explain = (w: World, a: Request, b: Request, oa: Outcome, ob: Outcome): string =>
  `\nprincipal ${JSON.stringify(w.principal)} groups ${JSON.stringify(w.groups)} deployments ${JSON.stringify(w.deployments)}` +
  `\nbefore: ${a.query}\n  variables ${JSON.stringify(a.variables)} operationName ${a.operationName}\n  -> ${essence(oa)}` +
  `\nafter:  ${b.query}\n  variables ${JSON.stringify(b.variables)} operationName ${b.operationName}\n  -> ${essence(ob)}`

/** The decision of the document before and after `transform` must be the same. */
function invariant<T>(name: string, extra: fc.Arbitrary<T>, transform: (d: Doc, x: T) => Doc, unique = false): void {
  it(`${name} (${RUNS} runs)`, () => {
    fc.assert(
      fc.property(worldArb, docArb(VALID_CONFIG), extra, (w, d, x) => {
        const d2 = transform(d, x)
        fc.pre(withinLimits(d2))
        const [a, b] = [render(d), render(d2)]
        const [oa, ob] = [permgateFresh(w, a), permgateFresh(w, b)]
        note(name, oa)
        if (essence(oa, unique) !== essence(ob, unique)) throw new Error(`the decision changed:${explain(w, a, b, oa, ob)}`)
      }),
      { numRuns: RUNS },
    )
    const s = stats[name]!
    expect(s.decided / s.runs).toBeGreaterThan(0.95)
  })
}

describe('property: the shape of a document never changes the decision', () => {
  invariant('renaming aliases (to none, neutral names, other fields’ names)', fc.array(fc.option(fc.constantFrom(...ALIASES), { nil: null }), { maxLength: 8 }), renameAliases)

  const wraps = fc.array(fc.constantFrom<Wrap>('none', 'inline-root', 'inline-bare', 'named', 'named-twice'), { minLength: 1, maxLength: 8 })
  // a field spread twice is denied twice: compare each field:reason once
  invariant('wrapping root fields into inline fragments (with and without type condition) and named fragments', wraps, wrapFields, true)

  invariant('reordering root fields (at every level of fragments)', fc.array(fc.integer(), { minLength: 1, maxLength: 12 }), reorder)

  const how = fc.array(fc.constantFrom<'provided' | 'default' | 'keep'>('provided', 'default', 'keep'), { minLength: 1, maxLength: 8 })
  invariant('moving literal arguments into variables (sent, or as the default)', how, literalsToVariables)
})

describe('property: a denied root field denies the operation it is added to', () => {
  it(`adding a field (${RUNS * 2} runs)`, () => {
    const s = (stats['adding a field'] = { runs: 0, decided: 0, allowed: 0, meaningful: 0 })
    const arb = fc.tuple(worldArb, docArb(VALID_CONFIG)).chain(([w, d]) =>
      fc.record({
        w: fc.constant(w),
        d: fc.constant(d),
        f: fieldArb(d.ops[d.chosen]!.type, VALID_CONFIG),
        wrap: fc.constantFrom<Wrap>('none', 'inline-root', 'inline-bare', 'named'),
        at: fc.nat(),
      }),
    )
    fc.assert(
      fc.property(arb, ({ w, d, f, wrap, at }) => {
        const type = d.ops[d.chosen]!.type
        const wrapped = wrapFields(alone(type, f), [wrap]).ops[0]!.sels[0]!
        const d2 = addField(d, wrapped, at)
        fc.pre(withinLimits(d2))
        const [base, field, both] = [render(d), render(alone(type, f)), render(d2)]
        const [ob, of, o2] = [permgateFresh(w, base), permgateFresh(w, field), permgateFresh(w, both)]
        note('adding a field', ob)
        if (of.rejected !== null || ob.rejected !== null) return
        if (allowedBy(ob) && !allowedBy(of)) s.meaningful!++
        // allowed with the field only if allowed without it and the field is allowed on its own
        const expected = allowedBy(ob) && allowedBy(of)
        if (allowedBy(o2) !== expected) {
          throw new Error(`base ${essence(ob)}, field alone ${essence(of)} (${field.query}), together ${essence(o2)}:${explain(w, base, both, ob, o2)}`)
        }
      }),
      { numRuns: RUNS * 2 },
    )
    expect(s.meaningful).toBeGreaterThan(RUNS / 10)
  })
})

describe('property: decisions do not depend on caching', () => {
  /** A request and who sends it: the generated principal (0), a bystander with strong roles (1), anonymous (2). */
  interface Sent {
    readonly who: 0 | 1 | 2
    readonly r: Request
    /** Send a new Principal object (same id) rather than the same one. */
    readonly copy: boolean
  }
  const VALUES: readonly (Json | undefined)[] = ['w1', 'w2', 'd1', 'd2', 'd3', null, undefined, '', { id: 'w1' }, 7]

  /** Other values for the scope variables of a rendered request. */
  function variant(r: ReturnType<typeof render>, picks: readonly number[]): Request {
    if (r.scopeVars.length === 0) return r
    const variables: Record<string, Json> = { ...r.variables }
    r.scopeVars.forEach((name, i) => {
      const v = VALUES[(picks[i % Math.max(picks.length, 1)] ?? 0) % VALUES.length]
      if (v === undefined) delete variables[name]
      else variables[name] = v
    })
    return { query: r.query, variables, operationName: r.operationName }
  }

  const sentArb = fc
    .tuple(fc.array(docArb(VALID_CONFIG), { minLength: 1, maxLength: 4 }), fc.array(fc.array(fc.nat(), { maxLength: 4 }), { minLength: 1, maxLength: 3 }))
    .chain(([docs, variants]) => {
      const requests: Request[] = []
      for (const d of docs) {
        const r = render(d)
        requests.push(r)
        for (const picks of variants) requests.push(variant(r, picks))
      }
      return fc.array(
        fc.record({
          who: fc.oneof({ weight: 4, arbitrary: fc.constant<0>(0) }, { weight: 1, arbitrary: fc.constantFrom<1 | 2>(1, 2) }),
          r: fc.constantFrom(...requests),
          copy: fc.boolean(),
        }),
        { minLength: 2, maxLength: 12 },
      )
    })

  it(`one Authorizer and document cache for many requests, in two orders = a fresh Authorizer each (${RUNS / 2} runs)`, () => {
    const s = (stats.caching = { runs: 0, decided: 0, allowed: 0, meaningful: 0 })
    fc.assert(
      fc.property(worldArb, sentArb, fc.array(fc.integer(), { minLength: 1 }), (w, sent, keys) => {
        const store = storeOf(w)
        const principals: readonly Principal[] = [principalOf(w), { kind: 'user', id: 'bystander', groups: [] }, { kind: 'anonymous', id: null, groups: [] }]
        const authz = new Authorizer(POLICY, store)
        const docs = new DocumentCache()
        const shuffled = sent.map((x, i) => ({ x, k: keys[i % keys.length]! })).sort((a, b) => a.k - b.k).map((y) => y.x)
        for (const x of [...sent, ...shuffled, ...sent]) {
          const p = principals[x.who]!
          const cached = permgate(authz, docs, x.copy ? { ...p, groups: [...p.groups] } : p, x.r)
          const fresh = permgateWith(store, p, x.r)
          note('caching', fresh)
          if (x.r.variables !== undefined) s.meaningful++
          if (full(cached) !== full(fresh)) {
            throw new Error(
              `cached ${full(cached)}\nfresh  ${full(fresh)}\nprincipal ${JSON.stringify(p)} ${JSON.stringify(w)}\nquery ${x.r.query}\nvariables ${JSON.stringify(x.r.variables)}`,
            )
          }
        }
      }),
      { numRuns: RUNS / 2 },
    )
    expect(s.allowed).toBeGreaterThan(s.runs / 10)
  })
})
