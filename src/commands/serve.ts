import { loadServeConfig } from '../config/load.js'
import { startServer } from '../serve.js'
import { EXIT, type CommandIO } from './io.js'

export const SERVE_USAGE =
  'permgate serve --policy DIR --bindings FILE --upstream URL [--port N] [--host H] ' +
  '[--jwt-public-key PEM | --jwt-jwk FILE | --jwt-secret-file FILE | --jwks-url URL] [--jwt-algorithms LIST] ' +
  '[--jwt-subject-claim NAME] [--config permgate.yaml]'

/** Starts the proxy; the process lives on while it listens. */
export async function serve(argv: readonly string[], _io: CommandIO): Promise<number> {
  await startServer(loadServeConfig(argv), { handleSignals: true })
  return EXIT.OK
}
