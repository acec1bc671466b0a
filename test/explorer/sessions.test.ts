import { describe, expect, it } from 'vitest'
import { MAX_FAILED_LOGINS_PER_MINUTE, Sessions } from '../../src/explorer/sessions.js'

describe('admin token guessing is throttled', () => {
  it(`after ${MAX_FAILED_LOGINS_PER_MINUTE} wrong tokens in a minute every attempt is refused until the minute ends`, () => {
    let now = 1_000_000
    const s = new Sessions('the-admin-token-0123456789', () => now)
    for (let i = 0; i < MAX_FAILED_LOGINS_PER_MINUTE; i++) {
      expect(s.throttled()).toBe(false)
      expect(s.tokenMatches(`guess-${i}`)).toBe(false)
      s.failed()
    }
    expect(s.throttled()).toBe(true)
    now += 59_000
    expect(s.throttled()).toBe(true)
    now += 1_000
    expect(s.throttled()).toBe(false)
    expect(s.tokenMatches('the-admin-token-0123456789')).toBe(true)
  })
})
