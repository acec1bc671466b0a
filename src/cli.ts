#!/usr/bin/env node
import { realpathSync } from 'node:fs'
import { pathToFileURL } from 'node:url'
import { PermgateError } from './errors.js'
import { bindings, BINDINGS_IMPORT_USAGE, BINDINGS_MIGRATE_USAGE, DATABASE_URL_ENV } from './commands/bindings.js'
import { check, CHECK_USAGE } from './commands/check.js'
import { diff, DIFF_USAGE } from './commands/diff.js'
import { evalCommand, EVAL_USAGE } from './commands/eval.js'
import { explain, EXPLAIN_USAGE } from './commands/explain.js'
import { EXIT, reportError, type CommandIO } from './commands/io.js'
import { serve, SERVE_USAGE } from './commands/serve.js'

const USAGE = `usage:
  ${SERVE_USAGE}
  ${CHECK_USAGE}
  ${DIFF_USAGE}
  ${EVAL_USAGE}
  ${EXPLAIN_USAGE}
  ${BINDINGS_MIGRATE_USAGE}
  ${BINDINGS_IMPORT_USAGE}
--database defaults to $${DATABASE_URL_ENV}
exit codes: 0 ok (explain: allowed), 1 invalid policy, input or database, 2 usage, 3 denied (explain)
`

/** permgate serve | check | diff | eval | explain | bindings */
export async function run(argv: readonly string[], io: CommandIO): Promise<number> {
  const [command, ...rest] = argv
  try {
    switch (command) {
      case 'serve':
        return await serve(rest, io)
      case 'check':
        return check(rest, io)
      case 'diff':
        return diff(rest, io)
      case 'eval':
        return await evalCommand(rest, io)
      case 'explain':
        return explain(rest, io)
      case 'bindings':
        return await bindings(rest, io)
      case undefined:
      case 'help':
      case '--help':
      case '-h':
        io.write(USAGE)
        return command === undefined ? EXIT.USAGE : EXIT.OK
      default:
        throw new PermgateError('PERMGATE_ERR_CLI_USAGE', `unknown command "${command}"\n${USAGE}`)
    }
  } catch (e) {
    return reportError(io, e)
  }
}

// Run when executed (also through npm's bin symlink), not when imported by tests.
if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(realpathSync(process.argv[1])).href) {
  const io: CommandIO = {
    stdin: process.stdin,
    write: (t) => void process.stdout.write(t),
    error: (t) => void process.stderr.write(t),
  }
  process.exitCode = await run(process.argv.slice(2), io)
}
