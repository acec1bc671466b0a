import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { configTableMarkdown, readmeTable, TABLE_END, TABLE_START, withConfigTable } from '../../../src/config/doc.js'
import { CONFIG_KEY_NAMES } from '../../../src/config/keys.js'
import { ROOT } from '../../helpers/shared.js'

const README = join(ROOT, 'README.md')

describe("the README's configuration table", () => {
  // UPDATE_README=1 npx vitest run test/unit/config/readme-table.test.ts writes the generated table into README.md
  it('is the one generated from the table of keys', () => {
    let readme = readFileSync(README, 'utf8')
    if (process.env.UPDATE_README === '1') {
      readme = withConfigTable(readme)
      writeFileSync(README, readme)
    }
    expect(readmeTable(readme), `README.md differs from src/config/keys.ts: run UPDATE_README=1 npx vitest run ${'test/unit/config/readme-table.test.ts'}`).toBe(configTableMarkdown())
  })

  it('has one row per key, in the order of the table', () => {
    const rows = configTableMarkdown().trim().split('\n').slice(2)
    expect(rows.map((r) => /^\| `([A-Za-z0-9]+)` \|/.exec(r)?.[1])).toEqual(CONFIG_KEY_NAMES)
  })

  it('a README without the markers is reported, not silently rewritten', () => {
    expect(readmeTable('# no table here\n')).toBeUndefined()
    expect(() => withConfigTable('# no table here\n')).toThrow(TABLE_START)
    const doc = `before\n${TABLE_START}\nold\n${TABLE_END}\nafter\n`
    expect(withConfigTable(doc)).toBe(`before\n${TABLE_START}\n${configTableMarkdown()}${TABLE_END}\nafter\n`)
  })
})
