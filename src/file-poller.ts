// One concept: noticing that watched files changed, by comparing their size and modification
// time at every poll (polling survives editors' rename-replace, which fs.watch loses). The polls
// run on a Clock, so a test advances it instead of waiting for one.
import { statSync } from 'node:fs'
import { stat } from 'node:fs/promises'
import type { Clock, TimerHandle } from './clock.js'

interface Seen {
  readonly mtimeMs: number
  readonly size: number
}

/** How a file that cannot be stat'ed (deleted, unreadable directory) is seen: like fs.watchFile, zeroes. */
const MISSING: Seen = Object.freeze({ mtimeMs: 0, size: 0 })

/**
 * Polls a list of files every `intervalMs` of `clock` and calls `onChange` once per poll that
 * finds any of them different from the poll before (a file deleted, replaced, rewritten).
 */
export class FilePoller {
  readonly #clock: Clock
  readonly #intervalMs: number
  readonly #onChange: () => void
  #seen = new Map<string, Seen>()
  #timer: TimerHandle | undefined
  /** Bumped by stop(): a poll in flight when it stopped schedules no other. */
  #generation = 0

  constructor(clock: Clock, intervalMs: number, onChange: () => void) {
    this.#clock = clock
    this.#intervalMs = intervalMs
    this.#onChange = onChange
  }

  /** Watches exactly `files` from now on (polling starts with the first call); a file new to the list is compared with how it is now. */
  watch(files: readonly string[]): void {
    const next = new Map<string, Seen>()
    for (const f of files) next.set(f, this.#seen.get(f) ?? seenNowSync(f))
    this.#seen = next
    if (this.#timer === undefined) this.#schedule(this.#generation)
  }

  stop(): void {
    this.#generation += 1
    if (this.#timer !== undefined) this.#clock.clearTimeout(this.#timer)
    this.#timer = undefined
    this.#seen = new Map()
  }

  /** One poll now: every watched file stat'ed, `onChange` called if any is not as the last poll saw it. */
  async poll(): Promise<void> {
    const files = [...this.#seen.keys()]
    const now = await Promise.all(files.map(seenNow))
    let changed = false
    files.forEach((f, i) => {
      const prev = this.#seen.get(f)
      const cur = now[i] as Seen
      // a file dropped from the list while the poll ran is no longer of interest
      if (prev === undefined || (cur.mtimeMs === prev.mtimeMs && cur.size === prev.size)) return
      this.#seen.set(f, cur)
      changed = true
    })
    if (changed) this.#onChange()
  }

  #schedule(generation: number): void {
    this.#timer = this.#clock.setTimeout(async () => {
      try {
        await this.poll()
      } finally {
        if (generation === this.#generation) this.#schedule(generation)
      }
    }, this.#intervalMs)
  }
}

async function seenNow(file: string): Promise<Seen> {
  try {
    const s = await stat(file)
    return { mtimeMs: s.mtimeMs, size: s.size }
  } catch {
    return MISSING
  }
}

function seenNowSync(file: string): Seen {
  try {
    const s = statSync(file)
    return { mtimeMs: s.mtimeMs, size: s.size }
  } catch {
    return MISSING
  }
}
