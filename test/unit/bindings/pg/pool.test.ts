import pg from 'pg'
import { describe, expect, it } from 'vitest'
import { describer, isConnectionError, where } from '../../../../src/bindings/pg/pool.js'

const dbError = (code: string): pg.DatabaseError => Object.assign(new pg.DatabaseError('x', 1, 'error'), { code })

describe('isConnectionError', () => {
  it.each([
    ['a refused connection (no server answer)', new Error('connect ECONNREFUSED'), true],
    ['admin shutdown', dbError('57P01'), true],
    ['a connection exception class', dbError('08006'), true],
    ['too many connections', dbError('53300'), true],
    ['an undefined table (a bad query)', dbError('42P01'), false],
    ['a unique violation', dbError('23505'), false],
  ] as const)('%s', (_name, e, want) => {
    expect(isConnectionError(e)).toBe(want)
  })
})

describe('the URL as it may be shown', () => {
  it('where() names host, port and database, never the password', () => {
    expect(where('postgres://u:secret@db.example:6543/bindings')).toBe('db.example:6543/bindings')
    expect(where('postgres://u@db.example/bindings')).toBe('db.example:5432/bindings')
    expect(where('not a url')).toBe('the configured URL')
  })

  it('describer() removes the password as written and decoded, from the URL and its query', () => {
    const d = describer('postgres://u:p%40ss@h/db?password=other')
    expect(d(new Error('auth failed for p%40ss, p@ss and other'))).toBe('auth failed for ***, *** and ***')
    expect(d(Object.assign(new Error(''), { code: 'ECONNRESET' }))).toBe('ECONNRESET')
    expect(d('plain p@ss')).toBe('plain ***')
  })
})
