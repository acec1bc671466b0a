/** Command-line options of the soak run, its plans, and the memory bound it enforces. */

export interface SoakPlan {
  /** Load before the first memory sample that counts (caches fill, JIT settles). */
  readonly warmupS: number
  /** Load measured after the warm-up. */
  readonly durationS: number
  /** Requests/s and permgate's RSS are sampled once per interval. */
  readonly intervalS: number
  /** A hot reload of the bindings file this often. */
  readonly reloadEveryS: number
  readonly connections: number
}

/**
 * `npm run soak`: 5 minutes of load after a 15 s warm-up. Reloads are 30 s apart: reloading
 * the 10,000-user bindings file blocks permgate for seconds (the YAML parse; see the README).
 */
export const FULL_PLAN: SoakPlan = { warmupS: 15, durationS: 300, intervalS: 5, reloadEveryS: 30, connections: 32 }
/** `--quick`: a smoke run for CI, 12 s of load; memory is reported, never judged. */
export const QUICK_PLAN: SoakPlan = { warmupS: 2, durationS: 10, intervalS: 1, reloadEveryS: 4, connections: 32 }

/**
 * The memory bound (full runs only): the run fails when the median RSS of the last quarter of
 * the measured samples is both more than GROWTH_RATIO times and more than GROWTH_MB above the
 * median of the first quarter. Every cache is bounded and full within seconds of load, and
 * permgate runs with a fixed heap limit (run.ts: without one V8 let garbage pile up, and RSS
 * read 1.83x in 120 s with 43 to 64 MB retained), so steady traffic leaves RSS flat (120 s:
 * quarter medians 206 and 176 MB). Medians of quarters ride out GC cycles and the reloads,
 * which hold two versions of the bindings for a moment (RSS spikes of about +110 MB); a 2-core
 * machine's noise stays far inside the bound, while a leak of about 120 bytes per request
 * (about 3,700 req/s, 5 minutes) exceeds it.
 */
export const GROWTH_RATIO = 1.5
export const GROWTH_MB = 64

export const USAGE = `usage: node dist/bench/soak/run.js [--quick] [--duration SECONDS] [--connections N]
  --duration S     measured load after a ${FULL_PLAN.warmupS} s warm-up (default ${FULL_PLAN.durationS})
  --quick          ${QUICK_PLAN.warmupS + QUICK_PLAN.durationS} s of load, reloads every ${QUICK_PLAN.reloadEveryS} s, memory reported but not judged;
                   writes bench/results/soak-quick-latest.json instead of soak-latest.json
  --connections N  concurrent connections of the load (default ${FULL_PLAN.connections})
Exits 1 when any answer was not the one intended for its request (or a reload was not applied),
and, outside --quick, when RSS grew past the bound (last quarter's median > ${GROWTH_RATIO}x and
> +${GROWTH_MB} MB over the first quarter's).`

export interface SoakOptions {
  readonly quick: boolean
  readonly plan: SoakPlan
}

export function parseSoakArgs(argv: readonly string[]): SoakOptions {
  let quick = false
  let durationS: number | undefined
  let connections: number | undefined
  const count = (flag: string, v: string | undefined, max: number): number => {
    const n = Number(v)
    if (!Number.isSafeInteger(n) || n < 1 || n > max) usage(`${flag} takes a whole number from 1 to ${max}`)
    return n
  }
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]
    if (a === '--quick') quick = true
    else if (a === '--duration') durationS = count(a, argv[++i], 24 * 3600)
    else if (a === '--connections') connections = count(a, argv[++i], 1024)
    else if (a === '--help' || a === '-h') {
      console.log(USAGE)
      process.exit(0)
    } else usage(`unknown argument ${a}`)
  }
  const base = quick ? QUICK_PLAN : FULL_PLAN
  return { quick, plan: { ...base, ...(durationS === undefined ? {} : { durationS }), ...(connections === undefined ? {} : { connections }) } }
}

function usage(message: string): never {
  console.error(`${message}\n${USAGE}`)
  process.exit(2)
}
