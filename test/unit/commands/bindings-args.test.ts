import { describe, expect, it } from 'vitest'
import { BINDINGS_IMPORT_USAGE, BINDINGS_MIGRATE_USAGE, databaseUrl, DATABASE_URL_ENV, readImportArgs, readMigrateArgs } from '../../../src/commands/bindings/args.js'
import { thrown } from '../../helpers/errors.js'

// The arguments of `permgate bindings migrate | import`, read without a database.
const URL = 'postgres://permgate@127.0.0.1:5432/db'
const NO_ENV = {}

describe('bindings migrate: arguments', () => {
  it('--print needs no database; otherwise the URL comes from --database, else the environment', () => {
    expect(readMigrateArgs(['--print'], NO_ENV)).toEqual({ print: true })
    expect(readMigrateArgs(['--database', URL], NO_ENV)).toEqual({ print: false, url: URL })
    expect(readMigrateArgs([], { [DATABASE_URL_ENV]: URL })).toEqual({ print: false, url: URL })
    expect(readMigrateArgs(['--database', URL], { [DATABASE_URL_ENV]: 'postgres://other@h/x' })).toEqual({ print: false, url: URL })
  })

  it.each([
    [[], /^--database is required \(or set PERMGATE_DATABASE_URL\)$/m],
    [['--print', '--database', URL], /^--print and --database exclude each other$/m],
    [['--database', URL, 'extra'], /^unexpected argument "extra"$/m],
    [['--bogus'], /--bogus/],
    [['--database'], /--database/],
  ])('%j is a usage error that shows the usage', (argv, message) => {
    const e = thrown(() => readMigrateArgs(argv, NO_ENV))
    expect(e.code).toBe('PERMGATE_ERR_CLI_USAGE')
    expect(e.message).toMatch(message)
    expect(e.message).toContain(`\nusage: ${BINDINGS_MIGRATE_USAGE}`)
  })

  it('an empty PERMGATE_DATABASE_URL counts as not set', () => {
    expect(thrown(() => readMigrateArgs([], { [DATABASE_URL_ENV]: '' })).code).toBe('PERMGATE_ERR_CLI_USAGE')
  })
})

describe('bindings import: arguments', () => {
  it('reads FILE wherever it stands among the flags, the overlays in order, and --replace', () => {
    expect(readImportArgs(['--database', URL, '--policy', 'p', 'b.yaml'], NO_ENV)).toEqual({ file: 'b.yaml', policy: 'p', overlays: [], url: URL, replace: false })
    expect(readImportArgs(['b.yaml', '--policy', 'p', '--overlay', 'o1', '--overlay', 'o2', '--replace'], { [DATABASE_URL_ENV]: URL })).toEqual({
      file: 'b.yaml',
      policy: 'p',
      overlays: ['o1', 'o2'],
      url: URL,
      replace: true,
    })
  })

  it.each([
    [['--policy', 'p', '--database', URL], /^give exactly one FILE$/m],
    [['a.yaml', 'b.yaml', '--policy', 'p', '--database', URL], /^give exactly one FILE$/m],
    [['a.yaml', '--database', URL], /^--policy is required \(every role is checked against it\)$/m],
    [['a.yaml', '--policy', 'p'], /^--database is required/m],
    [['a.yaml', '--policy', 'p', '--database', URL, '--bogus'], /--bogus/],
  ])('%j is a usage error that shows the usage', (argv, message) => {
    const e = thrown(() => readImportArgs(argv, NO_ENV))
    expect(e.code).toBe('PERMGATE_ERR_CLI_USAGE')
    expect(e.message).toMatch(message)
    expect(e.message).toContain(`\nusage: ${BINDINGS_IMPORT_USAGE}`)
  })

  it('a usage error is reported before a bad URL: the command line is read whole first', () => {
    expect(thrown(() => readImportArgs(['a.yaml', '--database', 'mysql://x'], NO_ENV)).code).toBe('PERMGATE_ERR_CLI_USAGE')
  })
})

describe('the database URL', () => {
  it.each(['postgres://u@h/db', 'postgresql://u:p@h:5433/db?sslmode=require', 'socket:/var/run/postgresql?db=x'])('%s is a PostgreSQL URL', (url) => {
    expect(databaseUrl(url, 'usage', NO_ENV)).toBe(url)
  })

  it.each([
    ['not a url', 'not a url'],
    ['mysql://root:hunter2@127.0.0.1/x', 'mysql://root:***@127.0.0.1/x'],
    ['postgres://permgate:hunter2@[bad/db', 'postgres://permgate:***@[bad/db'],
    ['http://h/db?password=hunter2', 'http://h/db?password=***'],
  ])('%s is refused, coded, naming it with its password masked', (url, shown) => {
    const e = thrown(() => databaseUrl(url, 'usage', NO_ENV))
    expect(e.code).toBe('PERMGATE_ERR_BINDINGS_DATABASE')
    expect(e.message).toBe(`${shown}: not a PostgreSQL URL (postgres://USER[:PASSWORD]@HOST[:PORT]/DATABASE[?sslmode=...])`)
    expect(e.message).not.toContain('hunter2')
  })
})
