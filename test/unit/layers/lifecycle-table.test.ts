import { existsSync, readFileSync } from 'node:fs'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'
import { ERRORS, type ErrorCode } from '../../../src/errors.js'

// The README's lifecycle table (stage -> file -> the codes it can answer) kept true: every code a
// client can receive is answered by some stage, every code named exists, every file named exists.
const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../../..')
const readme = readFileSync(join(ROOT, 'README.md'), 'utf8')
const start = readme.indexOf('## Layout')
const end = readme.indexOf('\n## ', start + 1)
const layout = readme.slice(start, end < 0 ? undefined : end)
const rows = layout.split('\n').filter((l) => l.startsWith('| ') && !l.startsWith('| stage') && !l.startsWith('|---'))

describe("the README's lifecycle table", () => {
  it('has the stages of a request, in order', () => {
    expect(rows.map((r) => r.split('|')[1]!.trim())).toEqual(['read, HTTP', 'read, WebSocket', 'identify', 'prepare bindings', 'decide', 'record', 'answer'])
  })

  it('names every code a client can receive, once, and no code that does not exist', () => {
    const named = rows.flatMap((r) => [...r.split('|')[3]!.matchAll(/`([A-Z][A-Z_]+)`/g)].map((m) => `PERMGATE_ERR_${m[1]}`))
    const answered = (Object.keys(ERRORS) as ErrorCode[]).filter((c) => ERRORS[c].status !== undefined)
    expect([...named].sort()).toEqual([...new Set(named)].sort())
    expect(named.filter((c) => !(c in ERRORS))).toEqual([])
    expect(answered.filter((c) => !named.includes(c))).toEqual([])
  })

  it('names files and folders that exist', () => {
    const paths = rows.flatMap((r) => [...r.split('|')[2]!.matchAll(/`(src\/[^`]+)`/g)].map((m) => m[1]!))
    expect(paths.length).toBeGreaterThan(10)
    expect(paths.filter((p) => !existsSync(join(ROOT, p)))).toEqual([])
  })
})
