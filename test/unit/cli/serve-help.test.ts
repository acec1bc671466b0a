import { describe, expect, it } from 'vitest'
import { flagLabel, serveHelp, serveUsage } from '../../../src/config/doc.js'
import { CONFIG_KEY_NAMES, rowOf } from '../../../src/config/keys.js'
import { cli } from '../../helpers/cli.js'

describe('permgate serve --help', () => {
  it('lists every flag of the table of keys, with its default and range', () => {
    const lines = serveHelp().split('\n')
    for (const key of CONFIG_KEY_NAMES) {
      const row = rowOf(key)
      if (row.flag === undefined) {
        expect(serveHelp()).toMatch(new RegExp(`config file only: [^\\n]*\\b${key}\\b`))
        continue
      }
      const line = lines.find((l) => l.startsWith(`  ${flagLabel(row)} `))
      expect(line, key).toBeDefined()
      if (row.kind === 'integer') expect(line).toContain(`default ${row.default}`)
      if (row.required) expect(line).toContain('[required]')
    }
    expect(lines.find((l) => l.startsWith('  --max-body-bytes BYTES'))).toContain('[default 1048576 bytes (1 MiB); 1 B to 64 MiB]')
  })

  it('is what the command prints, exit 0; the usage line names the required flags', async () => {
    const r = await cli(['serve', '--help'])
    expect([r.code, r.out, r.err]).toEqual([0, serveHelp(), ''])
    expect(serveUsage()).toMatch(/^permgate serve --policy DIR --bindings FILE\|URL --upstream URL /)
    const usage = await cli(['--help'])
    expect(usage.out).toContain(serveUsage())
  })
})
