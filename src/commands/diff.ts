import { PermgateError } from '../errors.js'
import { compilePolicy } from '../policy/compile.js'
import { DIFF_DEPLOYMENT, DIFF_WORKSPACE, diffPolicies, type DecisionChange, type PolicyDiff } from '../policy/diff.js'
import { loadPolicy } from '../policy/load.js'
import { readSchemaFields } from '../policy/sdl.js'
import type { CompiledPolicy } from '../policy/types.js'
import { parseFlags } from './args.js'
import { EXIT, type CommandIO } from './io.js'

export const DIFF_USAGE =
  'permgate diff --policy A --policy B [--overlay-a FILE]... [--overlay-b FILE]... [--schema SDL] [--format table|json]'

const FORMATS = ['table', 'json'] as const

/** Reports the (role, root field) decisions that differ between two policies. Exit 0 whether or not any do. */
export function diff(argv: readonly string[], io: CommandIO): number {
  const flags = parseFlags(
    argv,
    {
      policy: { type: 'string', multiple: true },
      'overlay-a': { type: 'string', multiple: true },
      'overlay-b': { type: 'string', multiple: true },
      schema: { type: 'string' },
      format: { type: 'string', default: 'table' },
    },
    ['policy'],
  )
  const [dirA, dirB, ...more] = flags.policy ?? []
  if (dirA === undefined || dirB === undefined || more.length > 0) {
    throw new PermgateError('PERMGATE_ERR_CLI_USAGE', `give --policy exactly twice (A, then B)\nusage: ${DIFF_USAGE}`)
  }
  const format = flags.format as string
  if (!(FORMATS as readonly string[]).includes(format)) {
    throw new PermgateError('PERMGATE_ERR_CLI_USAGE', `--format must be one of ${FORMATS.join(', ')}, got "${format}"`)
  }
  const a = compilePolicy(loadPolicy(dirA, { overlays: flags['overlay-a'] ?? [] }))
  const b = compilePolicy(loadPolicy(dirB, { overlays: flags['overlay-b'] ?? [] }))
  const fields = flags.schema === undefined ? undefined : readSchemaFields(flags.schema).map((f) => `${f.type}.${f.name}`)
  const d = diffPolicies(a, b, fields)

  if (format === 'json') {
    io.write(JSON.stringify({ changes: d.changes, summary: d.summary }, null, 2) + '\n')
  } else {
    io.write(table(a, b, d))
  }
  return EXIT.OK
}

function table(a: CompiledPolicy, b: CompiledPolicy, d: PolicyDiff): string {
  const s = d.summary
  const byPermissions = d.principals.filter((p) => p.scopeBy === 'permissions').map((p) => `${p.label} (${p.scope})`)
  const out = [
    `A: ${a.name} (${a.revision})${a.source.overlays.length ? ` + ${a.source.overlays.length} overlay(s)` : ''}`,
    `B: ${b.name} (${b.revision})${b.source.overlays.length ? ` + ${b.source.overlays.length} overlay(s)` : ''}`,
    `each role bound alone at its natural scope: SYSTEM_* system, WORKSPACE_* workspace ${DIFF_WORKSPACE}, ` +
      `DEPLOYMENT_* deployment ${DIFF_DEPLOYMENT} (in ${DIFF_WORKSPACE}); scoped fields decided on ${DIFF_WORKSPACE} or ${DIFF_DEPLOYMENT}`,
  ]
  if (byPermissions.length > 0) out.push(`scope chosen by the majority of the role's permissions: ${byPermissions.join(', ')}`)
  out.push(`synthetic roles: A ${a.syntheticRoles.join(', ') || 'none'}; B ${b.syntheticRoles.join(', ') || 'none'}`, '')

  if (d.changes.length > 0) {
    const cell = (c: DecisionChange, side: 'a' | 'b'): string => (c.absentIn === side ? `${c[side]} (role absent)` : c[side])
    const rows = d.changes.map((c) => [c.role, c.field, cell(c, 'a'), cell(c, 'b')] as const)
    const head = ['role', 'field', 'A', 'B'] as const
    const width = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]?.length ?? 0)))
    const line = (r: readonly string[]): string => r.map((v, i) => v.padEnd(width[i] ?? 0)).join(' | ').trimEnd()
    out.push(line(head), width.map((w) => '-'.repeat(w)).join('-+-'))
    let prev: string | undefined
    for (const r of rows) {
      // grouped by role: the role is named on its first row only
      out.push(line(r[0] === prev ? ['', r[1], r[2], r[3]] : r))
      prev = r[0]
    }
    out.push('')
  }
  out.push(
    `${s.changes} decision${s.changes === 1 ? '' : 's'} change (${s.newlyAllowed} newly allowed, ${s.newlyDenied} newly denied) ` +
      `over ${s.roles} roles x ${s.fields} fields`,
  )
  return out.join('\n') + '\n'
}
