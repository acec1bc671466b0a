import { relative } from 'node:path'
import { PermgateError } from '../errors.js'
import { compilePolicy } from '../policy/compile.js'
import { loadPolicy } from '../policy/load.js'
import { readSchemaFields } from '../policy/sdl.js'
import type { CompiledCondition, CompiledPolicy } from '../policy/types.js'
import { parseFlags, POLICY_FLAGS } from './args.js'
import { EXIT, type CommandIO } from './io.js'

export const CHECK_USAGE = 'permgate check --policy DIR [--overlay FILE]... [--schema SDL] [--strict]'

/** Validates a policy, prints its summary and, with --schema, its coverage of the schema's root fields. */
export function check(argv: readonly string[], io: CommandIO): number {
  const flags = parseFlags(argv, { ...POLICY_FLAGS, schema: { type: 'string' }, strict: { type: 'boolean' } }, ['policy'])
  const policy = compilePolicy(loadPolicy(flags.policy as string, { overlays: flags.overlay ?? [] }))
  io.write(summary(policy))
  for (const w of policy.warnings) {
    const at = w.place ? `${display(w.place.file ?? '')}${w.place.line === undefined ? '' : `:${w.place.line}`}: ` : ''
    io.write(`warning ${w.code}: ${at}${w.message}\n`)
  }
  if (flags.schema === undefined) return EXIT.OK

  const fields = readSchemaFields(flags.schema)
  const inSchema = new Set(fields.map((f) => `${f.type}.${f.name}`))
  const unmapped = fields.filter((f) => !policy.rules.has(`${f.type}.${f.name}`))
  const extra = [...policy.rules.keys()].filter((k) => !inSchema.has(k))
  io.write(`coverage of ${display(flags.schema)}: ${fields.length - unmapped.length}/${fields.length} root fields have a rule\n`)
  for (const f of unmapped) io.write(`  unmapped (denied to everyone): ${f.type}.${f.name}\n`)
  for (const k of extra) io.write(`  rule for a field the schema does not have: ${k}\n`)
  for (const f of fields) {
    const rule = policy.rules.get(`${f.type}.${f.name}`)
    for (const s of rule?.scope ?? []) {
      if (!f.args.includes(s.path[0] as string)) {
        io.write(`warning PERMGATE_WARN_SCOPE_ARGUMENT: rule ${rule?.key} scopes on "${s.path.join('.')}", which ${f.type}.${f.name} does not take\n`)
      }
    }
  }
  if (flags.strict && unmapped.length > 0) {
    throw new PermgateError(
      'PERMGATE_ERR_POLICY_UNMAPPED_FIELD',
      `${unmapped.length} root field(s) of the schema have no rule (--strict): ${unmapped.map((f) => `${f.type}.${f.name}`).join(', ')}`,
      { file: flags.schema },
    )
  }
  return EXIT.OK
}

function summary(p: CompiledPolicy): string {
  const byType = { Query: 0, Mutation: 0, Subscription: 0 }
  for (const r of p.rules.values()) byType[r.type]++
  const custom = [...p.roles.values()].filter((r) => r.overriddenBy.length > 0).map((r) => r.id)
  return [
    `policy ${p.name} (${p.revision}): OK`,
    `  roles:       ${p.roles.size} (${[...p.roles.keys()].join(', ')})`,
    `  permissions: ${p.permissions.length}, in ${p.words} x 32-bit words`,
    `  rules:       ${p.rules.size} (Query ${byType.Query}, Mutation ${byType.Mutation}, Subscription ${byType.Subscription}) from ${display(p.source.rulesFrom)}`,
    `  overlays:    ${p.source.overlays.length === 0 ? 'none' : p.source.overlays.map(display).join(', ')}` +
      (custom.length > 0 ? ` (changed roles: ${custom.join(', ')})` : ''),
    `  synthetic:   ${p.syntheticRoles.join(', ') || 'none'}; cascades: ${[...p.cascade].map(([a, b]) => `${a}->${b}`).join(', ') || 'none'}`,
    `  introspection: ${p.introspection}`,
    `  conditions:  ${conditionSummary(p)}`,
    '',
  ].join('\n')
}

function display(file: string): string {
  const rel = relative(process.cwd(), file)
  return rel.startsWith('..') ? file : rel
}

/** `escalation guard on 9 fields, invite on 1; publicSignups false; ipAllow any` */
function conditionSummary(p: CompiledPolicy): string {
  const rules = [...p.rules.values()]
  const n = (f: (c: CompiledCondition) => unknown): number => rules.filter((r) => r.condition !== undefined && f(r.condition) !== undefined).length
  const parts = [
    `escalation guard on ${n((c) => c.grants)} fields`,
    `invite on ${n((c) => c.invite)}`,
    `principal kinds on ${n((c) => c.principals)}`,
    `IP ranges on ${n((c) => c.ipAllow)}`,
  ]
  return `${parts.join(', ')}; publicSignups ${p.source.publicSignups}; ipAllow ${p.ipAllow === undefined ? 'any address' : p.ipAllow.ranges.join(', ')}`
}
