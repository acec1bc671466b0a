import { appendFileSync, mkdirSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { beforeEach, describe, expect, it } from 'vitest'
import { FilePoller } from '../../../src/file-poller.js'
import { FakeClock } from '../../helpers/clock.js'
import { tempFiles } from '../../helpers/tmp.js'

// The reload poller on a FakeClock: a change is noticed at the poll after it, never before, and
// never twice; every way a file goes away or comes back is a change.
const INTERVAL = 1000
let clock: FakeClock
let changes: number
let poller: FilePoller
let a: string
let b: string

beforeEach(() => {
  const dir = tempFiles({ 'a.yaml': 'a: 1\n', 'b.yaml': 'b: 1\n' })
  a = join(dir, 'a.yaml')
  b = join(dir, 'b.yaml')
  clock = new FakeClock(0)
  changes = 0
  poller = new FilePoller(clock, INTERVAL, () => void changes++)
})

describe('FilePoller', () => {
  it('no change, no call, however many polls', async () => {
    poller.watch([a, b])
    await clock.advance(10 * INTERVAL)
    expect(changes).toBe(0)
  })

  it('a change is noticed at the next poll, not before, and only once', async () => {
    poller.watch([a, b])
    appendFileSync(a, 'more: 2\n')
    await clock.advance(INTERVAL - 1)
    expect(changes).toBe(0)
    await clock.advance(1)
    expect(changes).toBe(1)
    await clock.advance(5 * INTERVAL)
    expect(changes).toBe(1)
  })

  it('several files changed between two polls are one call', async () => {
    poller.watch([a, b])
    appendFileSync(a, 'more: 2\n')
    appendFileSync(b, 'more: 2\n')
    await clock.advance(INTERVAL)
    expect(changes).toBe(1)
  })

  it('deleted, replaced by a directory, and back again: each is a change', async () => {
    poller.watch([a])
    rmSync(a)
    await clock.advance(INTERVAL)
    expect(changes).toBe(1)
    mkdirSync(a)
    await clock.advance(INTERVAL)
    expect(changes).toBe(2)
    rmSync(a, { recursive: true })
    writeFileSync(a, 'a: 1\n')
    await clock.advance(INTERVAL)
    expect(changes).toBe(3)
  })

  it('a file missing when watched is a change once it appears', async () => {
    const later = join(a, '..', 'later.yaml')
    poller.watch([later])
    await clock.advance(INTERVAL)
    expect(changes).toBe(0)
    writeFileSync(later, 'x: 1\n')
    await clock.advance(INTERVAL)
    expect(changes).toBe(1)
  })

  it('watch() replaces the list: a file dropped is no longer polled; one added is compared with how it was then', async () => {
    poller.watch([a])
    appendFileSync(b, 'before: 0\n')
    poller.watch([b])
    appendFileSync(a, 'more: 2\n')
    await clock.advance(INTERVAL)
    expect(changes).toBe(0)
    appendFileSync(b, 'more: 2\n')
    await clock.advance(INTERVAL)
    expect(changes).toBe(1)
  })

  it('stop() leaves no timer and sees nothing more; watch() starts again', async () => {
    poller.watch([a])
    poller.stop()
    expect(clock.pending).toBe(0)
    appendFileSync(a, 'more: 2\n')
    await clock.advance(5 * INTERVAL)
    expect(changes).toBe(0)
    poller.watch([a])
    expect(clock.pending).toBe(1)
    appendFileSync(a, 'more: 3\n')
    await clock.advance(INTERVAL)
    expect(changes).toBe(1)
  })

  it('one poll at a time: watching again does not start a second round of polls', async () => {
    poller.watch([a])
    poller.watch([a, b])
    poller.watch([b])
    expect(clock.pending).toBe(1)
  })
})
