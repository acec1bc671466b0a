import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { dirname } from 'node:path'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'
import { errorsReference, REGENERATE } from '../../src/errors-doc.js'
import { ERRORS } from '../../src/errors.js'
import { WARNINGS } from '../../src/warnings.js'

const DOC = fileURLToPath(new URL('../../docs/errors.md', import.meta.url))

describe('docs/errors.md', () => {
  it('is the text generated from the error and warning registries', () => {
    const generated = errorsReference()
    // the one way to write it: generated, never edited by hand
    if (process.env.PERMGATE_WRITE_DOCS === '1') {
      mkdirSync(dirname(DOC), { recursive: true })
      writeFileSync(DOC, generated)
    }
    const onDisk = existsSync(DOC) ? readFileSync(DOC, 'utf8') : '(missing)'
    expect(onDisk, `docs/errors.md differs from src/errors.ts and src/warnings.ts: regenerate it with \`${REGENERATE}\``).toBe(generated)
  })

  it('has one row per code, saying its wire mapping', () => {
    const text = errorsReference()
    for (const code of [...Object.keys(ERRORS), ...Object.keys(WARNINGS)]) expect(text.match(new RegExp(`^\\| \`${code}\` \\|`, 'gm')), code).toHaveLength(1)
    expect(text).toContain('| `PERMGATE_ERR_UPSTREAM_TIMEOUT` | 504 | GATEWAY_TIMEOUT | 1011 |')
    expect(text).toContain('| `PERMGATE_ERR_POLICY_YAML` | — | — | — |')
    // a `|` in a description would end its cell
    expect(text).toContain('{ role, workspace? \\| deployment? }')
  })
})
