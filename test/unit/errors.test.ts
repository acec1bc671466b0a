import { describe, expect, it } from 'vitest'
import { ERRORS, PermgateError } from '../../src/errors.js'

describe('error registry', () => {
  it.each(Object.entries(ERRORS))('%s: key equals its code', (key, entry) => {
    expect(entry.code).toBe(key)
    expect(key).toMatch(/^PERMGATE_ERR_[A-Z_]+$/)
  })

  it('carries code, status and place', () => {
    const e = new PermgateError('PERMGATE_ERR_GRAPHQL_SYNTAX', 'bad', { file: 'a.yaml', line: 3, path: 'roles.X' })
    expect(e.code).toBe('PERMGATE_ERR_GRAPHQL_SYNTAX')
    expect(e.status).toBe(400)
    expect(e.message).toBe('a.yaml:3 (roles.X): bad')
  })
})
