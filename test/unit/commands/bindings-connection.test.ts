import { describe, expect, it } from 'vitest'
import { databaseError, withClient } from '../../../src/commands/bindings/connection.js'
import { maskSecrets, maskUrl } from '../../../src/commands/bindings/mask.js'
import { PermgateError } from '../../../src/errors.js'

// What the bindings commands print about a database never holds its password, and a failure is
// one coded line. No PostgreSQL server: the errors are the driver's shapes, made here.
const URL = 'postgres://permgate:hunter2@db.example:5432/bindings'

describe('maskUrl', () => {
  it.each([
    [URL, 'postgres://permgate:***@db.example:5432/bindings'],
    ['postgres://permgate@db.example/bindings', 'postgres://permgate@db.example/bindings'],
    ['postgres://permgate@db.example/bindings?password=hunter2&sslmode=require', 'postgres://permgate@db.example/bindings?password=***&sslmode=require'],
    ['postgres://permgate:p%40ss@h/db', 'postgres://permgate:***@h/db'],
    // not parseable as a URL: the password is still cut out, never echoed
    ['postgres://permgate:hunter2@[bad/db', 'postgres://permgate:***@[bad/db'],
    ['host=h password=hunter2 dbname=x', 'host=h password=*** dbname=x'],
  ])('%s -> %s', (url, masked) => {
    expect(maskUrl(url)).toBe(masked)
  })
})

describe('maskSecrets', () => {
  it('removes the password however the driver quotes it: as given, percent-decoded, or from the query', () => {
    expect(maskSecrets('auth failed for p%40ss and p@ss', 'postgres://u:p%40ss@h/db')).toBe('auth failed for *** and ***')
    expect(maskSecrets('bad password hunter2', 'postgres://u@h/db?password=hunter2')).toBe('bad password ***')
    expect(maskSecrets('no secret here', 'postgres://u@h/db')).toBe('no secret here')
  })
})

describe('databaseError', () => {
  it('is one coded line: masked URL, what failed, the message, the SQLSTATE and the detail', () => {
    const server = Object.assign(new Error('duplicate key value violates unique constraint "k"'), { code: '23505', detail: 'Key (id)=(x) already exists.' })
    const e = databaseError(URL, server)
    expect(e.code).toBe('PERMGATE_ERR_BINDINGS_DATABASE')
    expect(e.message).toBe('postgres://permgate:***@db.example:5432/bindings: duplicate key value violates unique constraint "k" (SQLSTATE 23505): Key (id)=(x) already exists.')
  })

  it('names a system error code the message does not already hold, and says what failed', () => {
    const refused = Object.assign(new Error('connect failed'), { code: 'ECONNREFUSED' })
    expect(databaseError(URL, refused, 'cannot connect').message).toBe('postgres://permgate:***@db.example:5432/bindings: cannot connect: connect failed (ECONNREFUSED)')
    const named = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1'), { code: 'ECONNREFUSED' })
    expect(databaseError(URL, named).message).toBe('postgres://permgate:***@db.example:5432/bindings: connect ECONNREFUSED 127.0.0.1:1')
  })

  it('never repeats the password a driver message quotes', () => {
    expect(databaseError(URL, new Error('password authentication failed: hunter2')).message).not.toContain('hunter2')
  })

  it('passes a coded error through unchanged', () => {
    const coded = new PermgateError('PERMGATE_ERR_BINDINGS_DATABASE', 'the database has not been migrated')
    expect(databaseError(URL, coded)).toBe(coded)
  })
})

describe('withClient', () => {
  it('a server that refuses the connection is a coded error, and the function is never run', async () => {
    let ran = false
    const e = await withClient('postgres://permgate:hunter2@127.0.0.1:1/db', async () => {
      ran = true
    }).catch((x: unknown) => x as PermgateError)
    expect(ran).toBe(false)
    expect(e).toBeInstanceOf(PermgateError)
    expect((e as PermgateError).code).toBe('PERMGATE_ERR_BINDINGS_DATABASE')
    expect((e as PermgateError).message).toMatch(/^postgres:\/\/permgate:\*\*\*@127\.0\.0\.1:1\/db: cannot connect: .*ECONNREFUSED/)
    expect((e as PermgateError).message).not.toContain('hunter2')
  })
})
