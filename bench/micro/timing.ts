/** Something timed: one pass decides every case once and returns how many were allowed. */
export interface Engine {
  readonly name: string
  readonly cases: number
  pass(): number
}

export interface RoundResult {
  readonly decisions: number
  readonly ns: number
  readonly perSecond: number
  /**
   * CPU time of the process (all its threads) over wall time. Well under 1 means another
   * process took the core for part of the round (the wall-clock rate is then low).
   */
  readonly cpuShare: number
}

export interface EngineResult {
  readonly name: string
  readonly cases: number
  /** Allowed per pass: the checksum every pass must reproduce. */
  readonly allowed: number
  readonly denied: number
  readonly rounds: RoundResult[]
  readonly median: number
  readonly min: number
  readonly max: number
}

export function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b)
  const mid = s.length >> 1
  return s.length % 2 === 1 ? (s[mid] as number) : ((s[mid - 1] as number) + (s[mid] as number)) / 2
}

/**
 * How many times faster `a` is than `b`: the median of the ratios of rounds run back to back,
 * which drifting load on the machine skews far less than a ratio of medians.
 */
export function pairedRatio(a: EngineResult, b: EngineResult): number {
  return median(a.rounds.map((r, i) => r.perSecond / (b.rounds[i]?.perSecond ?? Number.NaN)))
}

/** Whole passes until `budgetMs` has elapsed; every pass must allow the same count. */
export function runFor(engine: Engine, budgetMs: number, expectedAllowed: number): RoundResult {
  const budget = BigInt(Math.round(budgetMs * 1e6))
  const cpu = process.cpuUsage()
  const start = process.hrtime.bigint()
  let passes = 0
  let elapsed = 0n
  do {
    const allowed = engine.pass()
    if (allowed !== expectedAllowed) {
      throw new Error(`${engine.name}: a pass allowed ${allowed} cases, the first allowed ${expectedAllowed}`)
    }
    passes++
    elapsed = process.hrtime.bigint() - start
  } while (elapsed < budget)
  const ns = Number(elapsed)
  const used = process.cpuUsage(cpu)
  const decisions = passes * engine.cases
  return { decisions, ns, perSecond: (decisions * 1e9) / ns, cpuShare: ((used.user + used.system) * 1e3) / ns }
}

export interface RoundsOptions {
  readonly rounds: number
  readonly budgetMs: number
  readonly warmupMs: number
}

/**
 * Warm-up for each engine, then rounds in which the engines take turns, so a slow phase of
 * the machine (another process, a GC of a neighbour's garbage) hits all of them alike.
 */
export function alternate(engines: readonly Engine[], opts: RoundsOptions): EngineResult[] {
  const allowed = engines.map((e) => e.pass())
  engines.forEach((e, i) => runFor(e, opts.warmupMs, allowed[i] as number))
  const rounds: RoundResult[][] = engines.map(() => [])
  for (let r = 0; r < opts.rounds; r++) {
    engines.forEach((e, i) => (rounds[i] as RoundResult[]).push(runFor(e, opts.budgetMs, allowed[i] as number)))
  }
  return engines.map((e, i) => {
    const rs = rounds[i] as RoundResult[]
    const rates = rs.map((x) => x.perSecond)
    const a = allowed[i] as number
    return {
      name: e.name,
      cases: e.cases,
      allowed: a,
      denied: e.cases - a,
      rounds: rs,
      median: median(rates),
      min: Math.min(...rates),
      max: Math.max(...rates),
    }
  })
}
