import { join } from 'node:path'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { DATABASE_URL_ENV } from '../../../src/commands/bindings/args.js'
import { readBindingsData } from '../../../src/commands/bindings/import.js'
import { cli } from '../../helpers/cli.js'
import { thrown } from '../../helpers/errors.js'
import { POLICY_HOUSTON } from '../../helpers/shared.js'
import { tempFiles } from '../../helpers/tmp.js'

// `permgate bindings` up to the database: reading and checking the file, and every refusal that
// comes before a connection. Nothing here listens on 127.0.0.1:1, so a command that tried to
// connect would fail with PERMGATE_ERR_BINDINGS_DATABASE, not with the error expected.
const EXAMPLE = join(POLICY_HOUSTON, 'bindings.example.yaml')
const NOWHERE = 'postgres://permgate@127.0.0.1:1/db'

afterEach(() => {
  vi.unstubAllEnvs()
})

describe('readBindingsData', () => {
  it('reads the Houston example as the file store reads it: deployments, subjects with their bindings, teams', () => {
    const data = readBindingsData(EXAMPLE, POLICY_HOUSTON, [])
    expect([...data.deployments]).toEqual([['d1', 'w1'], ['d2', 'w1'], ['d3', 'w2']])
    expect([...data.subjects.keys()].sort()).toEqual(['sa-ci', 'u-1', 'u-admin', 'u-viewer'])
    expect(data.subjects.get('sa-ci')).toMatchObject({ kind: 'serviceAccount', bindings: [{ role: 'DEPLOYMENT_EDITOR', deployment: 'd1' }] })
    expect([...data.groups]).toEqual([['data-eng', [{ role: 'WORKSPACE_EDITOR', workspace: 'w2' }]]])
  })

  it('refuses a role the policy does not have, naming the file and line', () => {
    const file = join(tempFiles({ 'b.yaml': 'subjects:\n  u-1:\n    bindings: [ { role: SYSTEM_VEIWER } ]\n' }), 'b.yaml')
    const e = thrown(() => readBindingsData(file, POLICY_HOUSTON, []))
    expect(e.code).toBe('PERMGATE_ERR_BINDINGS_UNKNOWN_ROLE')
    expect(e.message).toMatch(/b\.yaml:3.*SYSTEM_VEIWER/)
  })
})

describe('permgate bindings, before the database', () => {
  it('import checks the file first: an unknown role fails coded, exit 1, before any connection', async () => {
    const file = join(tempFiles({ 'b.yaml': 'subjects:\n  u-1:\n    bindings: [ { role: SYSTEM_VEIWER } ]\n' }), 'b.yaml')
    const r = await cli(['bindings', 'import', file, '--policy', POLICY_HOUSTON, '--database', NOWHERE])
    expect(r).toMatchObject({ code: 1, out: '' })
    expect(r.err).toMatch(/^error PERMGATE_ERR_BINDINGS_UNKNOWN_ROLE: /)
  })

  it('migrate --print writes the SQL with no database at all', async () => {
    vi.stubEnv(DATABASE_URL_ENV, '')
    const r = await cli(['bindings', 'migrate', '--print'])
    expect(r).toMatchObject({ code: 0, err: '' })
    expect(r.out).toContain('CREATE TABLE permgate_role_bindings')
  })

  it.each([
    [['bindings'], /^error PERMGATE_ERR_CLI_USAGE: missing bindings subcommand\nusage: permgate bindings migrate/],
    [['bindings', 'frobnicate'], /^error PERMGATE_ERR_CLI_USAGE: unknown bindings subcommand "frobnicate"\nusage: /],
    [['bindings', 'migrate'], /^error PERMGATE_ERR_CLI_USAGE: --database is required/],
    [['bindings', 'import', EXAMPLE, '--database', NOWHERE], /^error PERMGATE_ERR_CLI_USAGE: --policy is required/],
    [['bindings', 'import', EXAMPLE, '--policy', POLICY_HOUSTON, '--database', NOWHERE, '--bogus'], /^error PERMGATE_ERR_CLI_USAGE: .*--bogus/],
  ])('%j exits 2 with the usage', async (args, err) => {
    vi.stubEnv(DATABASE_URL_ENV, '')
    const r = await cli(args)
    expect(r.code).toBe(2)
    expect(r.err).toMatch(err)
  })

  it('a URL that is not PostgreSQL\'s exits 1, coded, with its password masked', async () => {
    const r = await cli(['bindings', 'import', EXAMPLE, '--policy', POLICY_HOUSTON, '--database', 'mysql://root:hunter2@127.0.0.1/x'])
    expect(r.code).toBe(1)
    expect(r.err).toBe('error PERMGATE_ERR_BINDINGS_DATABASE: mysql://root:***@127.0.0.1/x: not a PostgreSQL URL (postgres://USER[:PASSWORD]@HOST[:PORT]/DATABASE[?sslmode=...])\n')
  })
})
