import { describe, expect, it } from 'vitest'
import { isFresh, Table, TeamIndex, trustOf, type TeamRecord } from '../../../../src/bindings/pg/cache.js'

const record = (fetchedAt: number, trustedUntil = Infinity): TeamRecord => ({ fetchedAt, trustedUntil, bindings: [] })

describe('freshness', () => {
  it('an entry answers without a refetch only while the listener is up, it is vouched for, and younger than the TTL', () => {
    expect(isFresh(record(0), 999, true, 1000)).toBe(true)
    expect(isFresh(record(0), 1000, true, 1000)).toBe(false)
    expect(isFresh(record(0), 10, false, 1000)).toBe(false)
    expect(isFresh(record(0, 5), 10, true, 1000)).toBe(false)
    expect(isFresh(undefined, 0, true, 1000)).toBe(false)
  })

  it('a fetch completing with the listener down is trusted only up to its start', () => {
    const t = new Table<TeamRecord>(10)
    const f = t.start('ops', 40)
    expect(trustOf(f, true)).toBe(Infinity)
    expect(trustOf(f, false)).toBe(40)
    t.invalidate('ops')
    expect(trustOf(f, true)).toBe(-Infinity)
  })
})

describe('Table', () => {
  it('invalidate marks the entry and the fetch in flight; invalidateAll every one', () => {
    const t = new Table<TeamRecord>(10)
    t.lru.set('a', record(0))
    t.lru.set('b', record(0))
    const fa = t.start('a', 1)
    t.invalidate('a')
    expect(t.lru.peek('a')?.trustedUntil).toBe(-Infinity)
    expect(fa.trust).toBe(-Infinity)
    expect(t.lru.peek('b')?.trustedUntil).toBe(Infinity)
    t.invalidateAll()
    expect(t.lru.peek('b')?.trustedUntil).toBe(-Infinity)
  })

  it('unconfirm caps what is trusted at the loss, and what is in flight at its start', () => {
    const t = new Table<TeamRecord>(10)
    t.lru.set('a', record(0))
    t.lru.set('b', record(0, 3))
    const f = t.start('c', 20)
    t.unconfirm(10)
    expect(t.lru.peek('a')?.trustedUntil).toBe(10)
    expect(t.lru.peek('b')?.trustedUntil).toBe(3)
    expect(f.trust).toBe(20)
  })

  it('a settled flight leaves the table, but not a newer one for the same id', async () => {
    const t = new Table<TeamRecord>(10)
    const first = t.start('a', 0)
    const p = t.settle('a', first, Promise.resolve())
    const second = t.start('a', 1)
    await p
    expect(t.flights.get('a')).toBe(second)
    await t.settle('a', second, Promise.resolve())
    expect(t.flights.has('a')).toBe(false)
  })

  it('is bounded: the least recently used entry goes, through dispose', () => {
    const gone: string[] = []
    const t = new Table<TeamRecord>(2, (_r, id) => gone.push(id))
    t.lru.set('a', record(0))
    t.lru.set('b', record(0))
    t.lru.get('a')
    t.lru.set('c', record(0))
    expect([...t.lru.keys()].sort()).toEqual(['a', 'c'])
    expect(gone).toEqual(['b'])
  })
})

describe('TeamIndex', () => {
  it('follows memberships added and removed', () => {
    const ix = new TeamIndex()
    ix.add('bob', ['ops', 'dev'])
    ix.add('eve', ['ops'])
    expect([...ix.members('ops')]).toEqual(['bob', 'eve'])
    ix.remove('bob', ['ops', 'dev'])
    expect([...ix.members('ops')]).toEqual(['eve'])
    expect([...ix.members('dev')]).toEqual([])
  })
})
