import { readFileSync } from 'node:fs'

/** /proc/stat counts in clock ticks of 1/100 s on Linux (USER_HZ). */
const US_PER_TICK = 10_000

export interface CoreTimes {
  /** Busy time (user, nice, system, irq, softirq, steal) per core, µs; empty where /proc/stat is missing. */
  readonly busyUs: readonly number[]
}

/** Per-core busy time so far, from /proc/stat (Linux). */
export function coreTimes(): CoreTimes {
  let text: string
  try {
    text = readFileSync('/proc/stat', 'utf8')
  } catch {
    return { busyUs: [] }
  }
  const busyUs: number[] = []
  for (const line of text.split('\n')) {
    const m = /^cpu(\d+) (.*)$/.exec(line)
    if (m === null) continue
    const f = (m[2] as string).trim().split(/\s+/).map(Number)
    // user nice system idle iowait irq softirq steal ...
    const busy = (f[0] ?? 0) + (f[1] ?? 0) + (f[2] ?? 0) + (f[5] ?? 0) + (f[6] ?? 0) + (f[7] ?? 0)
    busyUs[Number(m[1])] = busy * US_PER_TICK
  }
  return { busyUs }
}

/** The share of `wallUs` a core was busy between two readings; NaN when unknown. */
export function busyShare(a: CoreTimes, b: CoreTimes, core: number, wallUs: number): number {
  const x = a.busyUs[core]
  const y = b.busyUs[core]
  return x === undefined || y === undefined ? Number.NaN : (y - x) / wallUs
}
