import { serveHelp, serveUsage } from '../config/doc.js'
import { loadServeConfig } from '../config/load.js'
import { startServer } from '../serve.js'
import { EXIT, type CommandIO } from './io.js'

/** From the table of keys, like the flags themselves and `--help`. */
export const SERVE_USAGE = serveUsage()

/** Starts the proxy; the process lives on while it listens. `--help` lists every flag. */
export async function serve(argv: readonly string[], io: CommandIO): Promise<number> {
  if (argv.includes('--help') || argv.includes('-h')) {
    io.write(serveHelp())
    return EXIT.OK
  }
  await startServer(loadServeConfig(argv), { handleSignals: true })
  return EXIT.OK
}
