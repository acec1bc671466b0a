// One concept: `permgate bindings migrate`: the store's schema, applied to a database or printed.
import { migrate, migrationsSql } from '../../bindings/pg/migrate.js'
import { EXIT, type CommandIO } from '../io.js'
import { readMigrateArgs } from './args.js'
import { withClient } from './connection.js'
import { maskUrl } from './mask.js'

export async function migrateCommand(argv: readonly string[], io: CommandIO): Promise<number> {
  const args = readMigrateArgs(argv)
  if (args.print) {
    io.write(migrationsSql())
    return EXIT.OK
  }
  const { applied } = await withClient(args.url, (c) => migrate(c))
  io.write(applied.length === 0 ? `${maskUrl(args.url)}: already up to date\n` : `${maskUrl(args.url)}: applied migration(s) ${applied.join(', ')}\n`)
  return EXIT.OK
}
