import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { ROOT } from '../../helpers/shared.js'

const CONFIG = join(ROOT, 'src', 'config')

describe('src/config is the lowest stage', () => {
  // every stage reads its defaults and its config from here: an import upwards would be a cycle
  it.each(readdirSync(CONFIG).filter((f) => f.endsWith('.ts')))('%s imports only other config files and ../errors.js', (file) => {
    const text = readFileSync(join(CONFIG, file), 'utf8')
    const relative = [...text.matchAll(/^(?:import|export)\b[^'"]*?from\s+'(\.[^']+)'/gm)].map((m) => m[1]!)
    expect(relative.filter((s) => !s.startsWith('./') && s !== '../errors.js')).toEqual([])
  })
})
