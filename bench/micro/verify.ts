import { decideFields } from '../../src/policy/decide.js'
import type { Authorizer } from '../../src/policy/authorizer.js'
import type { Case } from './cases.js'

/** One engine's answer to case i. */
export interface Answerer {
  readonly name: string
  decide(i: number): boolean
}

export interface Agreement {
  readonly cases: number
  readonly allowed: Record<string, number>
  /** Cases the engines answer differently (the first few, described). */
  readonly mismatches: number
  readonly examples: string[]
  /** Cases where permgate resolved another scope entity than the peers were given. */
  readonly scopeErrors: string[]
}

function describe(c: Case): string {
  const who = c.principal.id === null ? 'anonymous' : `${c.principal.kind} ${c.principal.id}`
  const on = c.entity === null ? '' : ` on ${c.entity.kind} ${c.entity.id}`
  return `${who}: ${c.rule.key}${on} [${c.rule.permissions.join(` ${c.rule.op} `)}]`
}

/**
 * Every engine answers every case once (this also warms their caches), and the answers are
 * compared case by case; permgate's resolved scope is checked against the peers' entity.
 */
export function verify(cases: readonly Case[], engines: readonly Answerer[], authorizer: Authorizer): Agreement {
  const allowed: Record<string, number> = Object.fromEntries(engines.map((e) => [e.name, 0]))
  const examples: string[] = []
  const scopeErrors: string[] = []
  let mismatches = 0
  cases.forEach((c, i) => {
    const answers = engines.map((e) => e.decide(i))
    engines.forEach((e, j) => {
      if (answers[j]) allowed[e.name] = (allowed[e.name] ?? 0) + 1
    })
    if (answers.some((a) => a !== answers[0])) {
      mismatches++
      if (examples.length < 5) {
        examples.push(`${describe(c)}: ${engines.map((e, j) => `${e.name} ${answers[j] ? 'allows' : 'denies'}`).join(', ')}`)
      }
    }
    if (c.principal.kind !== 'anonymous' && c.rule.access === 'permission' && c.rule.scoped) {
      const scope = decideFields(authorizer.policy, authorizer.masks(c.principal), c.op, c.variables)[0]?.scope ?? null
      const same = scope === null ? c.entity === null : c.entity !== null && scope.kind === c.entity.kind && scope.id === c.entity.id
      if (!same && scopeErrors.length < 5) scopeErrors.push(`${describe(c)}: permgate resolved ${JSON.stringify(scope)}`)
    }
  })
  return { cases: cases.length, allowed, mismatches, examples, scopeErrors }
}
