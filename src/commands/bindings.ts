// One concept: the `permgate bindings` command, dispatching to its subcommands (migrate, import);
// their parts live in ./bindings/ (arguments, connection, import plan, writer, report).
import { PermgateError } from '../errors.js'
import type { CommandIO } from './io.js'
import { BINDINGS_IMPORT_USAGE, BINDINGS_MIGRATE_USAGE } from './bindings/args.js'
import { importCommand } from './bindings/import.js'
import { migrateCommand } from './bindings/migrate.js'

export { BINDINGS_IMPORT_USAGE, BINDINGS_MIGRATE_USAGE, DATABASE_URL_ENV } from './bindings/args.js'
export { withClient } from './bindings/connection.js'
export { maskUrl } from './bindings/mask.js'
export type { BindingsData, ImportCounts } from './bindings/plan.js'
export { BULK_NOTIFICATION, BULK_NOTIFY_THRESHOLD, INSERT_BATCH, writeBindings, type ImportOptions } from './bindings/write.js'
export { PERMGATE_TABLES } from '../bindings/pg/migrations.js'

/**
 * `permgate bindings migrate | import`: the PostgreSQL bindings store's schema, and loading a
 * bindings file (the file store's format) into it.
 *
 * import needs --policy: every role is checked against the policy (and its overlays) exactly as
 * `serve --bindings` checks the file, so a misspelt role is refused with
 * PERMGATE_ERR_BINDINGS_UNKNOWN_ROLE before the database is touched, never stored to be
 * ignored later.
 */
export async function bindings(argv: readonly string[], io: CommandIO): Promise<number> {
  const [sub, ...rest] = argv
  switch (sub) {
    case 'migrate':
      return migrateCommand(rest, io)
    case 'import':
      return importCommand(rest, io)
    default:
      throw new PermgateError(
        'PERMGATE_ERR_CLI_USAGE',
        `${sub === undefined ? 'missing' : `unknown`} bindings subcommand${sub === undefined ? '' : ` "${sub}"`}\nusage: ${BINDINGS_MIGRATE_USAGE}\n       ${BINDINGS_IMPORT_USAGE}`,
      )
  }
}
