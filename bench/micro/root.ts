import { existsSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

/**
 * The repository root: the nearest directory above this module holding a package.json.
 * Works from the source tree (bench/micro) and from the build (dist/bench/micro) alike, and
 * never depends on the working directory.
 */
export function repoRoot(from: string = import.meta.url): string {
  let dir = dirname(fileURLToPath(from))
  for (;;) {
    if (existsSync(join(dir, 'package.json'))) return dir
    const parent = dirname(dir)
    if (parent === dir) throw new Error(`no package.json above ${fileURLToPath(from)}`)
    dir = parent
  }
}
