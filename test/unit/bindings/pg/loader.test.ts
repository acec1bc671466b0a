import { describe, expect, it } from 'vitest'
import { BindingsLoader } from '../../../../src/bindings/pg/loader.js'
import { Q_KEY, Q_SUBJECT, Q_TEAMS } from '../../../../src/bindings/pg/queries.js'
import { Health } from '../../../../src/bindings/pg/staleness.js'
import type { BindingsChange } from '../../../../src/bindings/types.js'
import { FakeClock } from '../../../helpers/clock.js'
import { FakeDatabase } from './fake-database.js'

const TTL = 1000
const user = (id: string, groups: string[] = []) => ({ kind: 'user' as const, id, groups })
const ANONYMOUS_LIKE = { kind: 'anonymous' as const, id: null, groups: [] }
const bound = (...roles: string[]) => roles.map((a) => ({ k: 1, a, b: null, c: null }))
const member = (...teams: string[]) => teams.map((a) => ({ k: 2, a, b: null, c: null }))

function setup() {
  const db = new FakeDatabase()
  const clock = new FakeClock(0)
  const health = new Health(clock.now, 800)
  health.restore()
  const changes: BindingsChange[] = []
  const failures: unknown[] = []
  const loader = new BindingsLoader({
    query: db.query,
    health,
    now: clock.now,
    ttlMs: TTL,
    maxEntries: 100,
    failed: (e) => failures.push(e),
    changed: (c) => changes.push(c),
  })
  const roles = (id: string) => loader.subject(id)?.bindings.map((b) => b.role)
  return { db, clock, health, loader, changes, failures, roles }
}

describe('BindingsLoader: loading on demand', () => {
  it('fetches a subject once, shared by concurrent callers; then answers synchronously until the TTL', async () => {
    const { db, clock, loader, roles } = setup()
    const p1 = loader.prepare(user('alice'))
    const p2 = loader.prepare(user('alice'))
    expect(p1).toBeInstanceOf(Promise)
    expect(await db.answer(Q_SUBJECT, bound('ADMIN'))).toEqual(['alice'])
    await Promise.all([p1, p2])
    expect(db.asked).toEqual([Q_SUBJECT])
    expect(roles('alice')).toEqual(['ADMIN'])
    expect(loader.prepare(user('alice'))).toBeUndefined()
    expect([loader.hits, loader.misses]).toEqual([1, 2])
    await clock.advance(TTL)
    const again = loader.prepare(user('alice'))
    expect(again).toBeInstanceOf(Promise)
    await db.answer(Q_SUBJECT, bound('ADMIN'))
    await again
    expect(loader.prepare(ANONYMOUS_LIKE)).toBeUndefined()
  })

  it('a token’s groups: the teams not cached are fetched in one query', async () => {
    const { db, loader } = setup()
    const p = loader.prepare(user('carol', ['ops', 'ghost', 'ops']))
    await db.answer(Q_SUBJECT, [])
    expect(await db.answer(Q_TEAMS, [{ team_id: 'ops', role: 'OPS', workspace_id: null, deployment_id: null }])).toEqual([['ops', 'ghost']])
    await p
    expect(loader.subject('carol')).toBeUndefined()
    expect(loader.group('ops')).toEqual([{ role: 'OPS' }])
    expect(loader.group('ghost')).toEqual([])
    expect(loader.prepare(user('carol', ['ops']))).toBeUndefined()
  })

  it('API keys: looked up by digest, unknown ones cached too', async () => {
    const { db, loader } = setup()
    const p = loader.prepareApiKey('k1')
    await db.answer(Q_KEY, [{ subject_id: 'robot' }])
    await p
    expect(loader.keyOwner('k1')).toBe('robot')
    const q = loader.prepareApiKey('k2')
    await db.answer(Q_KEY, [])
    await q
    expect(loader.keyOwner('k2')).toBeUndefined()
    expect(loader.prepareApiKey('k2')).toBeUndefined()
  })
})

describe('BindingsLoader: notifications and what they change', () => {
  it('a subject named: stale (answering until refetched), and the change names it; a refetch that finds it changed says so again', async () => {
    const { db, loader, changes, roles } = setup()
    const p = loader.prepare(user('alice'))
    await db.answer(Q_SUBJECT, bound('ADMIN', 'VIEWER'))
    await p
    expect(loader.invalidate({ kind: 'subject', id: 'alice' })).toEqual({ all: false, subjects: ['alice'], groups: [] })
    expect(roles('alice')).toEqual(['ADMIN', 'VIEWER'])
    const q = loader.prepare(user('alice'))
    expect(q).toBeInstanceOf(Promise)
    await db.answer(Q_SUBJECT, bound('VIEWER'))
    await q
    expect(roles('alice')).toEqual(['VIEWER'])
    expect(changes).toEqual([{ all: false, subjects: ['alice'], groups: [] }])
    // an unchanged refetch says nothing
    loader.invalidate({ kind: 'subject', id: 'alice' })
    const r = loader.prepare(user('alice'))
    await db.answer(Q_SUBJECT, bound('VIEWER'))
    await r
    expect(changes).toHaveLength(1)
  })

  it('a team named: the change names the team and its cached members, who are refetched', async () => {
    const { db, loader } = setup()
    const p = loader.prepare(user('bob'))
    await db.answer(Q_SUBJECT, [...member('ops'), ...bound('OPS')])
    await p
    expect(loader.invalidate({ kind: 'team', team: 'ops' })).toEqual({ all: false, subjects: ['bob'], groups: ['ops'] })
    expect(loader.prepare(user('bob'))).toBeInstanceOf(Promise)
  })

  it('a team changed while a subject fetch was in flight: a member’s answer is not trusted past it', async () => {
    const { db, loader } = setup()
    const p = loader.prepare(user('bob'))
    loader.invalidate({ kind: 'team', team: 'ops' })
    await db.answer(Q_SUBJECT, [...member('ops'), ...bound('OPS')])
    await p
    expect(loader.prepare(user('bob'))).toBeInstanceOf(Promise)
  })

  it('a notification during a fetch: its answer may predate the change, and is refetched next time', async () => {
    const { db, loader } = setup()
    const p = loader.prepare(user('alice'))
    loader.invalidate({ kind: 'subject', id: 'alice' })
    await db.answer(Q_SUBJECT, bound('ADMIN'))
    await p
    expect(loader.prepare(user('alice'))).toBeInstanceOf(Promise)
  })

  it('an API key named: the key is stale and the change names its subject', async () => {
    const { db, loader, changes } = setup()
    const p = loader.prepareApiKey('k1')
    await db.answer(Q_KEY, [{ subject_id: 'robot' }])
    await p
    expect(loader.invalidate({ kind: 'key', key: 'k1', subject: 'robot' })).toEqual({ all: false, subjects: ['robot'], groups: [] })
    const q = loader.prepareApiKey('k1')
    await db.answer(Q_KEY, [])
    await q
    expect(loader.keyOwner('k1')).toBeUndefined()
    expect(changes).toEqual([{ all: false, subjects: ['robot'], groups: [] }])
  })

  it('everything: every entry stale', async () => {
    const { db, loader } = setup()
    const p = loader.prepare(user('alice', ['ops']))
    await db.answer(Q_SUBJECT, [])
    await db.answer(Q_TEAMS, [])
    await p
    expect(loader.invalidate({ kind: 'all' })).toEqual({ all: true })
    expect(loader.prepare(user('alice', ['ops']))).toBeInstanceOf(Promise)
  })

  it('a reconnection: what was cached before the loss is refetched', async () => {
    const { db, clock, health, loader } = setup()
    const p = loader.prepare(user('alice'))
    await db.answer(Q_SUBJECT, bound('ADMIN'))
    await p
    await clock.advance(10)
    health.lose(clock.now())
    health.restore()
    loader.unconfirm(10)
    expect(loader.prepare(user('alice'))).toBeInstanceOf(Promise)
  })
})

describe('BindingsLoader: a failed fetch', () => {
  it('with the listener up: 503, even for a cached subject whose entry expired', async () => {
    const { db, clock, loader, failures } = setup()
    const boom = new Error('relation does not exist')
    const p = loader.prepare(user('alice'))
    await db.fail(Q_SUBJECT, boom)
    await expect(p).rejects.toMatchObject({ code: 'PERMGATE_ERR_BINDINGS_UNAVAILABLE', status: 503 })
    expect(failures).toEqual([boom])
    const q = loader.prepare(user('bob'))
    await db.answer(Q_SUBJECT, bound('B'))
    await q
    await clock.advance(TTL)
    const r = loader.prepare(user('bob'))
    await db.fail(Q_SUBJECT, boom)
    await expect(r).rejects.toMatchObject({ code: 'PERMGATE_ERR_BINDINGS_UNAVAILABLE' })
  })

  it('with the listener lost: the cached entry answers within the staleness; an uncached one is 503', async () => {
    const { db, clock, health, loader, roles } = setup()
    const p = loader.prepare(user('eve'))
    await db.answer(Q_SUBJECT, bound('EVE'))
    await p
    health.lose(clock.now())
    const q = loader.prepare(user('eve'))
    await db.fail(Q_SUBJECT, new Error('connection refused'))
    await q
    expect(roles('eve')).toEqual(['EVE'])
    const r = loader.prepare(user('stranger'))
    await db.fail(Q_SUBJECT, new Error('connection refused'))
    await expect(r).rejects.toMatchObject({ message: expect.stringMatching(/no bindings are cached/) })
  })
})
