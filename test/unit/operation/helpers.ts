import { isPermgateError, type ErrorCode } from '../../../src/errors.js'
import { DEFAULT_LIMITS } from '../../../src/operation/limits.js'
import { parseDocument } from '../../../src/operation/parse.js'
import { extractOperation } from '../../../src/operation/select.js'
import type { ParseLimits } from '../../../src/operation/types.js'
import type { ExtractedOperation } from '../../../src/policy/operation.js'

export function extract(
  query: string,
  operationName?: string | null,
  limits: Partial<ParseLimits> = {},
): ExtractedOperation {
  const all = { ...DEFAULT_LIMITS, ...limits }
  return extractOperation(parseDocument(query, all), operationName, all)
}

/** The `.code` of the PermgateError `fn` throws; fails the test if it returns or throws anything else. */
export function codeOf(fn: () => unknown): ErrorCode {
  try {
    fn()
  } catch (e) {
    if (isPermgateError(e)) return e.code
    throw e
  }
  throw new Error('expected a PermgateError, nothing was thrown')
}

export function names(op: ExtractedOperation): string[] {
  return op.fields.map((f) => f.name)
}
