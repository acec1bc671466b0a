import { describe, expect, it } from 'vitest'
import type { Binding, BindingsChange, BindingsStore, SubjectEntry } from '../../../src/bindings/types.js'
import { DocumentCache } from '../../../src/operation/cache.js'
import { Authorizer } from '../../../src/policy/authorizer.js'
import { compilePolicy } from '../../../src/policy/compile.js'
import { decide } from '../../../src/policy/decide.js'
import type { DeploymentMasks } from '../../../src/policy/holds.js'
import { loadPolicy } from '../../../src/policy/load.js'
import { POLICY_HOUSTON } from '../../helpers/shared.js'

const policy = compilePolicy(loadPolicy(POLICY_HOUSTON))
const docs = new DocumentCache()
const ALL: BindingsChange = { all: true }
const subjects = (...ids: string[]): BindingsChange => ({ all: false, subjects: ids, groups: [] })
const groups = (...names: string[]): BindingsChange => ({ all: false, subjects: [], groups: names })

/** A store that changes while in use and says what changed, as the PostgreSQL store does. */
class ChangingStore implements BindingsStore {
  version = 1
  readonly deployments = new Map([['d1', 'w1']])
  readonly subjects = new Map<string, SubjectEntry>()
  readonly groups = new Map<string, readonly Binding[]>()
  readonly #listeners = new Set<(c: BindingsChange) => void>()
  deploymentByReleaseName(): string | undefined {
    return undefined
  }
  subject(id: string): SubjectEntry | undefined {
    return this.subjects.get(id)
  }
  group(name: string): readonly Binding[] | undefined {
    return this.groups.get(name)
  }
  subjectByApiKeySha256(): string | undefined {
    return undefined
  }
  onChange(l: (c: BindingsChange) => void): () => void {
    this.#listeners.add(l)
    return () => this.#listeners.delete(l)
  }
  get listeners(): number {
    return this.#listeners.size
  }
  /** Changes `apply` makes, then says what they touched (and bumps the version, as a store does). */
  change(c: BindingsChange, apply: () => void = () => {}): void {
    apply()
    this.version++
    for (const l of this.#listeners) l(c)
  }
}

const user = (id: string, gs: string[] = []) => ({ kind: 'user' as const, id, groups: gs })
const admin: SubjectEntry = { kind: 'user', bindings: [{ role: 'SYSTEM_ADMIN' }] }
const nobody: SubjectEntry = { kind: 'user', bindings: [] }

function setup() {
  const store = new ChangingStore()
  store.subjects.set('a', admin)
  store.subjects.set('b', admin)
  store.groups.set('ops', [{ role: 'SYSTEM_ADMIN' }])
  return { store, authz: new Authorizer(policy, store) }
}

describe('an Authorizer over a store with change events', () => {
  const op = docs.get('{ deployments }', undefined)

  it('a change naming subject A refreshes A and leaves B’s cached masks and decisions in place', () => {
    const { store, authz } = setup()
    const a = user('a')
    const b = user('b')
    expect(authz.decide(a, op, undefined).allowed).toBe(true)
    const bDecision = authz.decide(b, op, undefined)
    const bMasks = authz.masks(b)
    const aMasks = authz.masks(a)

    store.change(subjects('a'), () => store.subjects.set('a', nobody))
    expect(authz.decide(a, op, undefined)).toMatchObject({ allowed: false, reason: 'missing_permission' })
    expect(authz.masks(a)).not.toBe(aMasks)
    expect(authz.masks(b)).toBe(bMasks)
    expect(authz.decide(b, op, undefined)).toBe(bDecision)
    // the version moved, yet that is not what the Authorizer follows when the store says what changed
    expect(authz.stats()).toMatchObject({ size: 2, decisions: { misses: 3 } })
  })

  it('a change naming a group drops the principals whose groups include it, and only them', () => {
    const { store, authz } = setup()
    const viaGroup = user('c', ['ops'])
    const other = user('b', ['dev'])
    expect(authz.decide(viaGroup, op, undefined).allowed).toBe(true)
    const otherMasks = authz.masks(other)
    store.change(groups('ops'), () => store.groups.set('ops', []))
    expect(authz.decide(viaGroup, op, undefined).allowed).toBe(false)
    expect(authz.masks(other)).toBe(otherMasks)
  })

  it('the same principal object is not answered from its old entry once dropped', () => {
    const { store, authz } = setup()
    const a = user('a')
    const before = authz.masks(a)
    expect(authz.masks(a)).toBe(before)
    store.change(subjects('a'))
    expect(authz.masks(a)).not.toBe(before)
  })

  it('everything is dropped when the change says so; a change naming no one drops nothing', () => {
    const { store, authz } = setup()
    const a = user('a')
    const b = user('b')
    const masks = [authz.masks(a), authz.masks(b)]
    store.change(subjects())
    expect(authz.masks(a)).toBe(masks[0])
    expect(authz.masks(b)).toBe(masks[1])
    store.change(ALL)
    expect(authz.masks(a)).not.toBe(masks[0])
    expect(authz.masks(b)).not.toBe(masks[1])
    expect(authz.stats().size).toBe(2)
  })

  it('a change naming an evicted subject, or one never seen, is harmless', () => {
    const store = new ChangingStore()
    store.subjects.set('a', admin)
    const authz = new Authorizer(policy, store, { principalCacheSize: 1 })
    authz.masks(user('a'))
    authz.masks(user('b'))
    expect(authz.stats()).toMatchObject({ size: 1, evictions: 1 })
    store.change(subjects('a', 'ghost'))
    expect(authz.decide(user('a'), op, undefined).allowed).toBe(true)
  })

  it('each Authorizer over the store listens (a reload makes a new one over the same store)', () => {
    const { store, authz } = setup()
    const second = new Authorizer(policy, store)
    expect(store.listeners).toBe(2)
    const m1 = authz.masks(user('a'))
    const m2 = second.masks(user('a'))
    store.change(subjects('a'))
    expect(authz.masks(user('a'))).not.toBe(m1)
    expect(second.masks(user('a'))).not.toBe(m2)
  })
})

describe('decide() writes nothing', () => {
  it('the masks are frozen, and what a decision resolves on a deployment goes to the resolver it is given', () => {
    const store = new ChangingStore()
    store.subjects.set('ed', { kind: 'user', bindings: [{ role: 'DEPLOYMENT_VIEWER', deployment: 'd1' }, { role: 'WORKSPACE_EDITOR', workspace: 'w1' }] })
    const authz = new Authorizer(policy, store)
    const pm = authz.masks(user('ed'))
    expect(Object.isFrozen(pm)).toBe(true)
    expect(Object.keys(pm)).not.toContain('decisions')
    const asked: string[] = []
    const spy: DeploymentMasks = {
      deploymentMask(m, id) {
        asked.push(id)
        const direct = m.deployments.get(id)
        const cascaded = m.cascaded.get(m.parentOf.get(id) ?? '')
        if (direct === undefined || cascaded === undefined) return direct ?? cascaded ?? null
        return direct.map((w, i) => w | (cascaded[i] as number))
      },
    }
    const q = docs.get('mutation { updateDeployment(deploymentUuid: "d1") }', undefined)
    const sizes = [pm.deployments.size, pm.workspaces.size, pm.cascaded.size]
    const d = decide(policy, pm, q, undefined, undefined, spy)
    expect(d.allowed).toBe(true)
    expect(asked).toEqual(['d1'])
    expect([pm.deployments.size, pm.workspaces.size, pm.cascaded.size]).toEqual(sizes)
    // the Authorizer's own resolver agrees, and so does the uncached one
    expect(authz.decide(user('ed'), q, undefined)).toEqual(d)
    expect(decide(policy, pm, q, undefined)).toEqual(d)
  })
})
