import { existsSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

/**
 * The nearest directory at or above `fromUrl` that holds a package.json. Walking up rather
 * than a fixed `../..` lets the same code run from `src/` (vitest) and `dist/src/` (tsc).
 */
export function findPackageRoot(fromUrl: string = import.meta.url): string {
  const start = dirname(fileURLToPath(fromUrl))
  let dir = start
  for (;;) {
    if (existsSync(join(dir, 'package.json'))) return dir
    const parent = dirname(dir)
    if (parent === dir) throw new Error(`no package.json in ${start} or any directory above it`)
    dir = parent
  }
}
