import { expect } from 'vitest'
import { PermgateError } from '../../src/errors.js'

/** The PermgateError `fn` throws (fails the test when it throws nothing, or something else). */
export function thrown(fn: () => unknown): PermgateError {
  try {
    fn()
  } catch (e) {
    expect(e).toBeInstanceOf(PermgateError)
    return e as PermgateError
  }
  throw new Error('expected an error')
}
