import { readFileSync } from 'node:fs'
import { PermgateError } from '../errors.js'
import { decideFields, type FieldReason } from '../policy/decide.js'
import { explainField } from '../policy/explain.js'
import { scopeOf } from '../policy/permissions.js'
import type { ResolvedBinding } from '../policy/principal.js'
import { isRecord } from '../config/yaml.js'
import { parseFlags, POLICY_FLAGS } from './args.js'
import { loadContext, principalFor, type DecisionContext } from './context.js'
import { EXIT, type CommandIO } from './io.js'

export const EXPLAIN_USAGE =
  'permgate explain --policy DIR --bindings FILE (--subject S | --anonymous) [--groups a,b] --query Q|@FILE ' +
  '[--variables JSON] [--operation-name NAME] [--client-ip ADDR] [--overlay FILE]...'

/** Explains one decision for a person. Exit 0 when allowed, 3 when denied. */
export function explain(argv: readonly string[], io: CommandIO): number {
  const flags = parseFlags(
    argv,
    {
      ...POLICY_FLAGS,
      bindings: { type: 'string' },
      subject: { type: 'string' },
      anonymous: { type: 'boolean' },
      groups: { type: 'string' },
      query: { type: 'string' },
      variables: { type: 'string' },
      'operation-name': { type: 'string' },
      'client-ip': { type: 'string' },
    },
    ['policy', 'bindings', 'query'],
  )
  if ((flags.subject === undefined) === (flags.anonymous !== true)) {
    throw new PermgateError('PERMGATE_ERR_CLI_USAGE', 'give either --subject S or --anonymous')
  }
  const ctx = loadContext(flags.policy as string, flags.overlay ?? [], flags.bindings as string)
  const query = flags.query as string
  const text = query.startsWith('@') ? readFileSync(query.slice(1), 'utf8') : query
  let variables: unknown
  try {
    variables = flags.variables === undefined ? undefined : JSON.parse(flags.variables)
  } catch (e) {
    throw new PermgateError('PERMGATE_ERR_GRAPHQL_VARIABLES', `--variables is not JSON: ${(e as Error).message}`)
  }
  if (variables !== undefined && !isRecord(variables)) throw new PermgateError('PERMGATE_ERR_GRAPHQL_VARIABLES', '--variables must be a JSON object')

  const groups = flags.groups === undefined ? [] : flags.groups.split(',').map((g) => g.trim()).filter(Boolean)
  const { lines, allowed } = explainLines(ctx, {
    subject: flags.anonymous ? null : (flags.subject as string),
    groups,
    query: text,
    variables: variables as Record<string, unknown> | undefined,
    operationName: flags['operation-name'],
    clientIp: flags['client-ip'],
  })
  io.write(lines.join('\n') + '\n')
  return allowed ? EXIT.OK : EXIT.DENIED
}

/** What `explain` is asked: a subject (null: anonymous) and its groups, and one GraphQL request. */
export interface ExplainInput {
  readonly subject: string | null
  readonly groups: readonly string[]
  readonly query: string
  readonly variables: Record<string, unknown> | undefined
  readonly operationName: string | undefined
  readonly clientIp: string | undefined
}

/**
 * The lines `permgate explain` prints for one request, and whether it is allowed (shared with
 * the policy explorer). Throws a PermgateError when the query cannot be parsed.
 */
export function explainLines(ctx: DecisionContext, input: ExplainInput): { lines: string[]; allowed: boolean } {
  const { policy, store } = ctx.authorizer
  const groups = [...input.groups]
  const principal = principalFor(store, input.subject, groups)
  const pm = ctx.authorizer.masks(principal)
  const op = ctx.documents.get(input.query, input.operationName)
  const out: string[] = []
  out.push(principal.kind === 'anonymous' ? 'subject: anonymous (no credential)' : `subject: ${principal.id} (${principal.kind})${groups.length ? `, groups: ${groups.join(', ')}` : ''}`)
  out.push(`policy: ${policy.name} (${policy.revision})`)
  out.push('bindings considered:')
  if (pm.bindings.length === 0) out.push('  none')
  for (const b of pm.bindings) out.push(`  ${b.role.padEnd(20)} ${where(b).padEnd(24)} from ${b.source}`)
  out.push(`operation: ${op.type.toLowerCase()} ${op.name ?? '(anonymous)'}`)

  const fields = decideFields(policy, pm, op, input.variables, { clientIp: input.clientIp })
  for (const d of fields) {
    const e = explainField(policy, pm, d)
    const alias = d.alias ? ` (alias ${d.alias})` : ''
    out.push(`  ${d.allowed ? 'ALLOW' : 'DENY '} ${d.type}.${d.field}${alias}: ${d.reason}`)
    const condition = CONDITION_TEXT[d.reason]
    if (condition !== undefined) out.push(`        condition: ${condition}`)
    if (d.required.length > 0) {
      const systemOnly = d.required.every((p) => scopeOf(p) === 'system')
      const at = d.scope ? `on ${d.scope.kind} ${d.scope.id}` : systemOnly ? 'at system scope' : 'with no workspace/deployment named'
      out.push(`        needs ${d.required.join(d.op === 'OR' ? ' OR ' : ' AND ')} (${at})`)
      if (e.held.length > 0) out.push(`        holds ${e.held.join(', ')} from ${e.grantedBy.map((b) => `${b.role} ${where(b)}`).join('; ')}`)
      if (!d.allowed && e.missing.length > 0) {
        out.push(`        missing ${e.missing.join(', ')}`)
        out.push(`        roles that would grant it: ${e.wouldGrant.length > 0 ? e.wouldGrant.join(', ') : 'none in this policy'}`)
      }
    }
  }
  const allowed = fields.every((f) => f.allowed)
  out.push(`decision: ${allowed ? 'ALLOWED' : 'DENIED'} (the request is allowed only if every root field is)`)
  return { lines: out, allowed }
}

/** What a failed condition means, for a person. */
const CONDITION_TEXT: Partial<Record<FieldReason, string>> = {
  escalation: 'the role this field grants is of another scope, unknown, or holds permissions the caller lacks there (escalation guard)',
  invite_required: 'public signups are off (publicSignups: false): an invite token argument is required',
  principal_kind: 'the field is open to other kinds of principal only (conditions.principals)',
  ip_denied: 'the client address (--client-ip) is outside the ranges of conditions.ipAllow',
  unknown_release: 'the release name (scope lookup: releaseName) is not one of a deployment in the bindings store',
}

function where(b: ResolvedBinding): string {
  if (b.workspace !== undefined) return `workspace ${b.workspace}`
  if (b.deployment !== undefined) return `deployment ${b.deployment}`
  return 'system'
}
