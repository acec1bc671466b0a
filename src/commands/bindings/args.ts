// One concept: the arguments of `permgate bindings migrate | import`, read strictly and checked
// (flags, the one FILE, the database URL from the flag or the environment) before anything is
// read from disk or connected to.
import { parseArgs } from 'node:util'
import { PermgateError } from '../../errors.js'
import { POLICY_FLAGS } from '../args.js'
import { maskUrl } from './mask.js'

export const BINDINGS_MIGRATE_USAGE = 'permgate bindings migrate --database URL | --print'
export const BINDINGS_IMPORT_USAGE = 'permgate bindings import FILE --policy DIR [--overlay FILE]... --database URL [--replace]'
/** Where --database comes from when the flag is not given. */
export const DATABASE_URL_ENV = 'PERMGATE_DATABASE_URL'

/** The environment the database URL may come from: the process's, or a test's own. */
export type Env = Readonly<Record<string, string | undefined>>

/** `migrate --print` needs no database; `migrate` applies to one. */
export type MigrateArgs = { readonly print: true } | { readonly print: false; readonly url: string }

export interface ImportArgs {
  readonly file: string
  readonly policy: string
  readonly overlays: readonly string[]
  readonly url: string
  /** Empty every permgate table first. */
  readonly replace: boolean
}

export function readMigrateArgs(argv: readonly string[], env: Env = process.env): MigrateArgs {
  const { values } = flags(argv, { database: { type: 'string' }, print: { type: 'boolean' } }, 0, BINDINGS_MIGRATE_USAGE)
  if (values.print === true) {
    if (values.database !== undefined) throw new PermgateError('PERMGATE_ERR_CLI_USAGE', `--print and --database exclude each other\nusage: ${BINDINGS_MIGRATE_USAGE}`)
    return { print: true }
  }
  return { print: false, url: databaseUrl(values.database as string | undefined, BINDINGS_MIGRATE_USAGE, env) }
}

/** import needs --policy: every role of the file is checked against it before the database is touched. */
export function readImportArgs(argv: readonly string[], env: Env = process.env): ImportArgs {
  const { values, positionals } = flags(argv, { ...POLICY_FLAGS, database: { type: 'string' }, replace: { type: 'boolean' } }, 1, BINDINGS_IMPORT_USAGE)
  if (values.policy === undefined) {
    throw new PermgateError('PERMGATE_ERR_CLI_USAGE', `--policy is required (every role is checked against it)\nusage: ${BINDINGS_IMPORT_USAGE}`)
  }
  const url = databaseUrl(values.database as string | undefined, BINDINGS_IMPORT_USAGE, env)
  return {
    file: positionals[0] as string,
    policy: values.policy as string,
    overlays: (values.overlay as string[] | undefined) ?? [],
    url,
    replace: values.replace === true,
  }
}

type FlagOptions = NonNullable<NonNullable<Parameters<typeof parseArgs>[0]>['options']>

/** Strict flags (an unknown flag is a usage error) and exactly `positionals` arguments besides. */
function flags<O extends FlagOptions>(argv: readonly string[], options: O, positionals: number, usage: string) {
  let parsed
  try {
    parsed = parseArgs({ args: [...argv], options, strict: true, allowPositionals: true })
  } catch (e) {
    throw new PermgateError('PERMGATE_ERR_CLI_USAGE', `${(e as Error).message}\nusage: ${usage}`)
  }
  if (parsed.positionals.length !== positionals) {
    const what = positionals === 0 ? `unexpected argument "${parsed.positionals[0]}"` : `give exactly one FILE`
    throw new PermgateError('PERMGATE_ERR_CLI_USAGE', `${what}\nusage: ${usage}`)
  }
  return parsed
}

/** The --database flag, else the environment's URL; a URL that is not PostgreSQL's is refused (its password masked). */
export function databaseUrl(flag: string | undefined, usage: string, env: Env = process.env): string {
  const url = flag ?? env[DATABASE_URL_ENV]
  if (url === undefined || url === '') {
    throw new PermgateError('PERMGATE_ERR_CLI_USAGE', `--database is required (or set ${DATABASE_URL_ENV})\nusage: ${usage}`)
  }
  let protocol: string | undefined
  try {
    protocol = new URL(url).protocol
  } catch {
    protocol = undefined
  }
  if (protocol !== 'postgres:' && protocol !== 'postgresql:' && protocol !== 'socket:') {
    throw new PermgateError(
      'PERMGATE_ERR_BINDINGS_DATABASE',
      `${maskUrl(url)}: not a PostgreSQL URL (postgres://USER[:PASSWORD]@HOST[:PORT]/DATABASE[?sslmode=...])`,
    )
  }
  return url
}
