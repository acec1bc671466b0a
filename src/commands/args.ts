import { parseArgs, type ParseArgsConfig } from 'node:util'
import { PermgateError } from '../errors.js'

type Options = NonNullable<ParseArgsConfig['options']>

/** Strict flag parsing: an unknown flag or a missing value is a usage error, never ignored. */
export function parseFlags<O extends Options>(argv: readonly string[], options: O, required: readonly (keyof O & string)[]) {
  let parsed
  try {
    parsed = parseArgs({ args: [...argv], options, strict: true, allowPositionals: false })
  } catch (e) {
    throw new PermgateError('PERMGATE_ERR_CLI_USAGE', (e as Error).message)
  }
  for (const name of required) {
    if ((parsed.values as Record<string, unknown>)[name] === undefined) throw new PermgateError('PERMGATE_ERR_CLI_USAGE', `--${name} is required`)
  }
  return parsed.values
}

export const POLICY_FLAGS = {
  policy: { type: 'string' },
  overlay: { type: 'string', multiple: true },
} as const satisfies Options
