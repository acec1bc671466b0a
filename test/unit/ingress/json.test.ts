import { describe, expect, it } from 'vitest'
import { checkJsonDepth, parseClientJson } from '../../../src/ingress/json.js'
import { thrown } from '../../helpers/errors.js'

const code = (text: string | Buffer, max: number): string | undefined => {
  try {
    checkJsonDepth(text, max)
    return undefined
  } catch (e) {
    return (e as { code?: string }).code
  }
}

describe('checkJsonDepth', () => {
  it.each([
    ['[]', 1, undefined],
    ['[[]]', 1, 'PERMGATE_ERR_JSON_TOO_DEEP'],
    ['{"a":{"b":[1]}}', 3, undefined],
    ['{"a":{"b":[1]}}', 2, 'PERMGATE_ERR_JSON_TOO_DEEP'],
    // brackets inside strings do not count, whatever their escapes
    ['["[[[[{{{{"]', 1, undefined],
    ['["\\"[[[["]', 1, undefined],
    ['["\\\\",[[]]]', 2, 'PERMGATE_ERR_JSON_TOO_DEEP'],
    ['["\\\\",[]]', 2, undefined],
    // siblings do not add up: depth is nesting, not count
    ['[[],[],[],[]]', 2, undefined],
  ])('%s with at most %d levels: %s', (text, max, expected) => {
    expect(code(text, max)).toBe(expected)
    expect(code(Buffer.from(text), max)).toBe(expected)
  })

  it('a UTF-8 buffer is scanned as bytes: multi-byte characters never look like brackets', () => {
    expect(code(Buffer.from('["\u5b5b\u7b7b", "\u{1F600}"]'), 1)).toBeUndefined()
  })

  it('parseClientJson refuses before parsing, and parses what it accepts', () => {
    expect(thrown(() => parseClientJson('['.repeat(100_000), 64)).code).toBe('PERMGATE_ERR_JSON_TOO_DEEP')
    expect(parseClientJson('{"a":[1,{"b":2}]}', 3)).toEqual({ a: [1, { b: 2 }] })
  })
})
