import { describe, expect, it } from 'vitest'
import { Health } from '../../../../src/bindings/pg/staleness.js'
import { isPermgateError } from '../../../../src/errors.js'
import { FakeClock } from '../../../helpers/clock.js'

function verdict(h: Health, cached: { fetchedAt: number; trustedUntil: number } | undefined): string {
  try {
    h.answerAfterFailure(cached)
    return 'answers'
  } catch (e) {
    if (!isPermgateError(e)) throw e
    return `${e.code}: ${e.message}`
  }
}

describe('Health: may the cache answer once a refetch failed?', () => {
  it('with the listener up, a failed query is a 503: the database answered with an error, not with bindings', () => {
    const h = new Health(new FakeClock(0).now, 800)
    h.restore()
    expect(verdict(h, { fetchedAt: 0, trustedUntil: Infinity })).toMatch(/^PERMGATE_ERR_BINDINGS_UNAVAILABLE: the bindings database failed to answer/)
  })

  it('with the listener lost: the cached entry answers until maxStalenessMs from the loss, then 503', async () => {
    const clock = new FakeClock(0)
    const h = new Health(clock.now, 800)
    h.restore()
    await clock.advance(100)
    h.lose(clock.now())
    await clock.advance(50)
    h.lose(clock.now()) // a later loss does not move the first
    expect(h.staleSinceMs()).toBe(50)
    await clock.advance(749)
    expect(verdict(h, { fetchedAt: 0, trustedUntil: Infinity })).toBe('answers')
    await clock.advance(1)
    expect(verdict(h, { fetchedAt: 0, trustedUntil: Infinity })).toMatch(/older than 800 ms/)
    expect(h.staleSinceMs()).toBe(800)
  })

  it('nothing cached, or an entry a notification said changed: 503 at once', () => {
    const clock = new FakeClock(0)
    const h = new Health(clock.now, 800)
    h.lose(0)
    expect(verdict(h, undefined)).toMatch(/no bindings are cached for this caller/)
    expect(verdict(h, { fetchedAt: 0, trustedUntil: -Infinity })).toMatch(/have changed since they were fetched/)
  })

  it('an entry unconfirmed since before the loss ages from then', async () => {
    const clock = new FakeClock(0)
    const h = new Health(clock.now, 800)
    await clock.advance(1000)
    h.lose(clock.now())
    // lost 0 ms ago, but unconfirmed for 700 ms (a reconnection after an earlier loss): answers for 100 ms more
    expect(verdict(h, { fetchedAt: 0, trustedUntil: 300 })).toBe('answers')
    await clock.advance(100)
    expect(verdict(h, { fetchedAt: 0, trustedUntil: 300 })).toMatch(/older than 800 ms/)
  })

  it('restore clears the loss and the database-down mark', () => {
    const h = new Health(new FakeClock(0).now, 800)
    h.lose(0)
    h.databaseDown = true
    h.restore()
    expect([h.connected, h.lostAt, h.databaseDown, h.staleSinceMs()]).toEqual([true, undefined, false, undefined])
  })
})
