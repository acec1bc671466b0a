import { createInterface } from 'node:readline'
import { Readable } from 'node:stream'
import { isPermgateError, PermgateError } from '../errors.js'
import type { Decision } from '../policy/decide.js'
import { isRecord } from '../config/yaml.js'
import { parseFlags, POLICY_FLAGS } from './args.js'
import { loadContext, principalFor, type DecisionContext } from './context.js'
import { EXIT, type CommandIO } from './io.js'

export const EVAL_USAGE = 'permgate eval --policy DIR --bindings FILE [--overlay FILE]...  < requests.jsonl'

/**
 * Decides JSON lines from stdin: `{"id", "subject": "u-1" | null, "groups"?, "request": {"query",
 * "variables"?, "operationName"?}}`, one JSON line out per line in. A bad line is answered
 * `allowed: false` with its error code; it never stops the stream.
 */
export async function evalCommand(argv: readonly string[], io: CommandIO): Promise<number> {
  const flags = parseFlags(argv, { ...POLICY_FLAGS, bindings: { type: 'string' } }, ['policy', 'bindings'])
  const ctx = loadContext(flags.policy as string, flags.overlay ?? [], flags.bindings as string)
  const lines = createInterface({ input: Readable.from(io.stdin), crlfDelay: Infinity })
  let lineNo = 0
  for await (const line of lines) {
    lineNo++
    if (line.trim() === '') continue
    io.write(JSON.stringify(evalLine(ctx, line, lineNo)) + '\n')
  }
  return EXIT.OK
}

export function evalLine(ctx: DecisionContext, line: string, lineNo: number): Record<string, unknown> {
  let id: unknown = null
  try {
    let input: unknown
    try {
      input = JSON.parse(line)
    } catch (e) {
      throw new PermgateError('PERMGATE_ERR_REQUEST_SHAPE', `line ${lineNo} is not JSON: ${(e as Error).message}`)
    }
    if (!isRecord(input)) throw new PermgateError('PERMGATE_ERR_REQUEST_SHAPE', `line ${lineNo} must be a JSON object`)
    id = input.id ?? null
    const req = input.request
    if (!isRecord(req) || typeof req.query !== 'string') {
      throw new PermgateError('PERMGATE_ERR_REQUEST_SHAPE', 'request.query must be a string')
    }
    if (req.variables !== undefined && req.variables !== null && !isRecord(req.variables)) {
      throw new PermgateError('PERMGATE_ERR_GRAPHQL_VARIABLES', 'request.variables must be a JSON object')
    }
    if (req.operationName !== undefined && req.operationName !== null && typeof req.operationName !== 'string') {
      throw new PermgateError('PERMGATE_ERR_REQUEST_SHAPE', 'request.operationName must be a string')
    }
    if (!('subject' in input)) throw new PermgateError('PERMGATE_ERR_REQUEST_SHAPE', 'subject is required (null for anonymous)')
    const principal = principalFor(ctx.authorizer.store, input.subject, input.groups)
    const op = ctx.documents.get(req.query, req.operationName as string | undefined)
    if (input.clientIp !== undefined && input.clientIp !== null && typeof input.clientIp !== 'string') {
      throw new PermgateError('PERMGATE_ERR_REQUEST_SHAPE', 'clientIp must be an IP address string')
    }
    const clientIp = typeof input.clientIp === 'string' ? input.clientIp : undefined
    const decision = ctx.authorizer.decide(principal, op, (req.variables ?? undefined) as Record<string, unknown> | undefined, { clientIp })
    return { id, ...decisionJson(decision) }
  } catch (e) {
    if (!isPermgateError(e)) {
      // an unexpected error in the decision path is a deny, never an allow
      return { id, allowed: false, reason: 'error', error: { code: 'PERMGATE_ERR_INTERNAL', message: String(e) } }
    }
    return { id, allowed: false, reason: 'error', error: { code: e.code, message: e.message } }
  }
}

export function decisionJson(d: Decision): Record<string, unknown> {
  return {
    allowed: d.allowed,
    reason: d.reason,
    operation: { type: d.operationType, name: d.operationName ?? null },
    denied: d.denied.map((f) => ({
      field: `${f.type}.${f.field}`,
      alias: f.alias ?? null,
      reason: f.reason,
      required: f.required,
      op: f.op ?? null,
      scope: f.scope,
    })),
  }
}
