/** Command-line options and the run plans of the end-to-end benchmark. */

export interface Plan {
  readonly rounds: number
  /** Length of one measured run of one configuration. */
  readonly roundS: number
  /** One unrecorded run per configuration before round 1 (JIT, caches, connection pools). */
  readonly warmupS: number
  /** Concurrent connections of the driver. */
  readonly connections: number
  /** Distinct tokens sent through permgate by the memory check. */
  readonly tokens: number
}

/** `npm run bench`: kept under 3 minutes with the build. */
export const FULL_PLAN: Plan = { rounds: 5, roundS: 2, warmupS: 1.5, connections: 32, tokens: 100_000 }
/** `--quick`: a smoke run for CI, about 30 s; no thresholds. */
export const QUICK_PLAN: Plan = { rounds: 1, roundS: 1, warmupS: 0, connections: 32, tokens: 2_000 }
/** `npm run bench:tokens`: the memory check alone, with a million tokens. */
export const MILLION_TOKENS = 1_000_000
/** Memory is sampled after every this many tokens. */
export const TOKEN_CHECKPOINT = 100_000

export const USAGE = `usage: node dist/bench/e2e/run.js [--quick] [--tokens N] [--tokens-only] [--cpu-prof]
  --quick        one short round per configuration and a 2,000-token memory check (a smoke
                 run); writes bench/results/e2e-<date>-quick.json and leaves e2e-latest.json alone
  --tokens N     distinct tokens the memory check sends through permgate (default ${FULL_PLAN.tokens.toLocaleString('en-US')};
                 npm run bench:tokens sends ${MILLION_TOKENS.toLocaleString('en-US')})
  --tokens-only  the memory check alone; writes e2e-tokens-<date>.json and e2e-tokens-latest.json
  --cpu-prof     CPU profiles of every proxy over the rounds (slower: figures for where the time
                 goes, not for speed); prints self time by package and function, keeps the
                 .cpuprofile files in a temporary directory, skips the memory check and writes
                 no results file`

export interface Options {
  readonly quick: boolean
  readonly tokensOnly: boolean
  readonly cpuProf: boolean
  readonly plan: Plan
}

export function parseArgs(argv: readonly string[]): Options {
  let quick = false
  let tokensOnly = false
  let cpuProf = false
  let tokens: number | undefined
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]
    if (a === '--quick') quick = true
    else if (a === '--tokens-only') tokensOnly = true
    else if (a === '--cpu-prof') cpuProf = true
    else if (a === '--tokens') {
      const n = Number(argv[++i])
      if (!Number.isSafeInteger(n) || n < 1 || n > 10 * MILLION_TOKENS) usage(`--tokens takes a count from 1 to ${10 * MILLION_TOKENS}`)
      tokens = n
    } else if (a === '--help' || a === '-h') {
      console.log(USAGE)
      process.exit(0)
    } else usage(`unknown argument ${a}`)
  }
  if (tokensOnly && cpuProf) usage('--cpu-prof profiles the rounds, which --tokens-only skips')
  const base = quick ? QUICK_PLAN : FULL_PLAN
  return { quick, tokensOnly, cpuProf, plan: tokens === undefined ? base : { ...base, tokens } }
}

function usage(message: string): never {
  console.error(`${message}\n${USAGE}`)
  process.exit(2)
}
