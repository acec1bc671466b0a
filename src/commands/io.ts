import { isPermgateError } from '../errors.js'

/** Where a command reads and writes: the process's streams, or buffers in tests. */
export interface CommandIO {
  readonly stdin: AsyncIterable<string | Buffer>
  write(text: string): void
  error(text: string): void
}

/** Exit codes of every command. */
export const EXIT = { OK: 0, FAILED: 1, USAGE: 2, DENIED: 3 } as const

/** Prints an error the way every command does: `error CODE: place: message`. */
export function reportError(io: CommandIO, e: unknown): number {
  if (isPermgateError(e)) {
    io.error(`error ${e.code}: ${e.message}\n`)
    return e.code === 'PERMGATE_ERR_CLI_USAGE' ? EXIT.USAGE : EXIT.FAILED
  }
  io.error(`error: ${(e as Error).stack ?? String(e)}\n`)
  return EXIT.FAILED
}
