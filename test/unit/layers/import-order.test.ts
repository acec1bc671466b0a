import { readdirSync, readFileSync, statSync } from 'node:fs'
import { dirname, join, relative, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'

// The stages of a request, highest first: a stage may import its own and lower ones, never a
// higher one (ingress -> egress -> identity -> operation -> policy -> bindings; config,
// telemetry, the clock and the error and warning registries below all). The entry points,
// commands, the explorer and the demo wire stages together and sit above them.
const SRC = resolve(dirname(fileURLToPath(import.meta.url)), '../../../src')
const RANKS: readonly [prefix: string, rank: number][] = [
  ['errors.ts', 0],
  ['warnings.ts', 0],
  ['clock.ts', 0],
  ['config/', 0],
  ['telemetry/', 0],
  ['bindings/', 1],
  ['policy/', 2],
  ['operation/', 3],
  ['identity/', 4],
  ['egress/', 5],
  ['ingress/', 6],
]
const TOP = 7
const NAMES = ['base (errors, warnings, clock, config, telemetry)', 'bindings', 'policy', 'operation', 'identity', 'egress', 'ingress', 'wiring']

function rankOf(file: string): number {
  const rel = relative(SRC, file).split('\\').join('/')
  for (const [prefix, rank] of RANKS) if (rel === prefix || rel.startsWith(prefix)) return rank
  return TOP
}

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name)
    return statSync(p).isDirectory() ? sources(p) : p.endsWith('.ts') ? [p] : []
  })
}

/** Relative imports of a file, static and dynamic, type-only ones included. */
export function importsOf(text: string): string[] {
  const out: string[] = []
  for (const m of text.matchAll(/(?:^|\n)\s*(?:import|export)\s[^'"]*?from\s+'(\.[^']+)'/g)) out.push(m[1]!)
  for (const m of text.matchAll(/import\(\s*'(\.[^']+)'\s*\)/g)) out.push(m[1]!)
  return out
}

/** Every import that goes up a stage: `from -> to`. */
function violations(): string[] {
  const out: string[] = []
  for (const file of sources(SRC)) {
    const from = rankOf(file)
    if (from === TOP) continue
    for (const spec of importsOf(readFileSync(file, 'utf8'))) {
      const target = resolve(dirname(file), spec.replace(/\.js$/, '.ts'))
      const to = rankOf(target)
      if (to > from) out.push(`${relative(SRC, file)} (${NAMES[from]}) imports ${relative(SRC, target)} (${NAMES[to]})`)
    }
  }
  return out
}

describe('import order of the stages', () => {
  it('no stage imports a higher one', () => {
    expect(violations()).toEqual([])
  })

  it('reads static, re-exported, type-only and dynamic imports', () => {
    const text = "import { a } from './a.js'\nimport type { B } from '../b.js'\nexport { c } from './c.js'\nconst d = await import('./d.js')\nimport x from 'fastify'\n"
    expect(importsOf(text)).toEqual(['./a.js', '../b.js', './c.js', './d.js'])
  })

  it('ranks the stages in the order of a request', () => {
    const at = (p: string): number => rankOf(join(SRC, p))
    expect([at('ingress/gate.ts'), at('egress/forward.ts'), at('identity/jwt.ts'), at('operation/parse.ts'), at('policy/decide.ts'), at('bindings/file.ts'), at('config/load.ts')]).toEqual([6, 5, 4, 3, 2, 1, 0])
    expect(at('app.ts')).toBe(TOP)
  })
})
