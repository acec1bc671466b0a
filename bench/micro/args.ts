/** Command-line options of the micro-benchmark. */
export const USAGE = `usage: node dist/bench/micro/decide.js [--quick]
  --quick   one short round per part (a smoke run of a few seconds); writes
            bench/results/micro-<date>-quick.json and leaves micro-latest.json alone`

export function parseArgs(argv: readonly string[]): { quick: boolean } {
  let quick = false
  for (const a of argv) {
    if (a === '--quick') quick = true
    else if (a === '--help' || a === '-h') {
      console.log(USAGE)
      process.exit(0)
    } else {
      console.error(`unknown argument ${a}\n${USAGE}`)
      process.exit(2)
    }
  }
  return { quick }
}
