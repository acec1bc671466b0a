// One concept: `permgate bindings import FILE`: the file checked against the policy, then written
// to a migrated database in one transaction, then reported.
import { loadBindingsFile } from '../../bindings/file.js'
import { pendingMigrations } from '../../bindings/pg/migrate.js'
import type { SubjectEntry } from '../../bindings/types.js'
import { PermgateError } from '../../errors.js'
import { compilePolicy } from '../../policy/compile.js'
import { loadPolicy } from '../../policy/load.js'
import { EXIT, type CommandIO } from '../io.js'
import { readImportArgs } from './args.js'
import { withClient } from './connection.js'
import { maskUrl } from './mask.js'
import type { BindingsData } from './plan.js'
import { displayPath, importReport } from './report.js'
import { writeBindings } from './write.js'

export async function importCommand(argv: readonly string[], io: CommandIO): Promise<number> {
  const args = readImportArgs(argv)
  // Everything about the file is checked before the database is touched.
  const data = readBindingsData(args.file, args.policy, args.overlays)

  const started = performance.now()
  const counts = await withClient(args.url, async (c) => {
    const pending = await pendingMigrations(c)
    if (pending.length > 0) {
      throw new PermgateError('PERMGATE_ERR_BINDINGS_DATABASE', `the database has not been migrated (pending: ${pending.join(', ')}): run permgate bindings migrate first`)
    }
    return writeBindings(c, data, { replace: args.replace })
  })
  const ms = performance.now() - started
  io.write(importReport(displayPath(args.file), maskUrl(args.url), args.replace, counts, ms))
  return EXIT.OK
}

/**
 * A bindings file read and checked as `serve --bindings` reads it: every role against the policy
 * (and its overlays), so a misspelt role is refused with PERMGATE_ERR_BINDINGS_UNKNOWN_ROLE, never
 * stored to be ignored later.
 */
export function readBindingsData(file: string, policyDir: string, overlays: readonly string[]): BindingsData {
  const policy = compilePolicy(loadPolicy(policyDir, { overlays }))
  const store = loadBindingsFile(file, policy)
  const subjects = new Map<string, SubjectEntry>()
  for (const id of store.subjectIds()) subjects.set(id, store.subject(id) as SubjectEntry)
  // The loader keeps groups private; bracket access is TypeScript's type-checked way in.
  return { deployments: store.deployments, releaseNames: store.releaseNames, subjects, groups: store['groups'] }
}
