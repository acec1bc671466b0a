// One concept: what `permgate bindings import` prints once the import is committed.
import { relative } from 'node:path'
import type { ImportCounts } from './plan.js'

/** The import's report: where from, where to, how long, and per table what the file held and what changed. */
export function importReport(file: string, url: string, replace: boolean, c: ImportCounts, ms: number): string {
  const d = c.changed
  return [
    `imported ${file} into ${url} (${replace ? 'replace: everything else removed' : 'merge'}) in ${(ms / 1000).toFixed(2)} s`,
    `  deployments:   ${c.deployments} (${d.deployments} new or changed)${c.releaseNames > 0 ? `, ${c.releaseNames} with a release name` : ''}`,
    `  subjects:      ${c.subjects}, ${c.serviceAccounts} service account(s) (${d.subjects} new or changed)`,
    `  API keys:      ${c.apiKeys} (+${d.apiKeysAdded} -${d.apiKeysRemoved})`,
    `  role bindings: ${c.roleBindings} (+${d.roleBindingsAdded} -${d.roleBindingsRemoved})`,
    `  teams:         ${c.teams} (+${d.teamsAdded})`,
    `  team bindings: ${c.teamBindings} (+${d.teamBindingsAdded} -${d.teamBindingsRemoved})`,
    c.bulk ? '  notified: everything changed (bulk import)' : '',
    '',
  ]
    .filter((l, i, a) => l !== '' || i === a.length - 1)
    .join('\n')
}

/** `file` relative to `cwd` when it lies below it, else as given. */
export function displayPath(file: string, cwd: string = process.cwd()): string {
  const rel = relative(cwd, file)
  return rel.startsWith('..') ? file : rel
}
