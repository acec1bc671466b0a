import { run } from '../../src/cli.js'
import type { CommandIO } from '../../src/commands/io.js'

/** Runs the CLI in-process with `stdin` as its input; what it wrote to stdout and stderr. */
export async function cli(args: string[], stdin = ''): Promise<{ code: number; out: string; err: string }> {
  let out = ''
  let err = ''
  const io: CommandIO = {
    stdin: (async function* () {
      if (stdin !== '') yield stdin
    })(),
    write: (t) => void (out += t),
    error: (t) => void (err += t),
  }
  const code = await run(args, io)
  return { code, out, err }
}
