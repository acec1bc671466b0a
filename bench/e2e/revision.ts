import { spawnSync } from 'node:child_process'

/** The commit the measured code is from, and whether src/ had uncommitted changes; undefined outside git. */
export function sourceRevision(root: string): string | undefined {
  const git = (...args: string[]): string | undefined => {
    const r = spawnSync('git', args, { cwd: root, encoding: 'utf8' })
    return r.status === 0 ? r.stdout.trim() : undefined
  }
  const head = git('rev-parse', '--short', 'HEAD')
  if (head === undefined) return undefined
  const dirty = git('status', '--porcelain', '--', 'src', 'package.json', 'package-lock.json')
  return dirty ? `${head} with uncommitted changes` : head
}
