import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

/** A fresh temporary directory holding the given files (name -> text). */
export function tempFiles(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'permgate-test-'))
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text)
  return dir
}

/** A minimal policy.yaml over the given roles and rules files. */
export function manifest(extra = ''): string {
  return [
    'name: test',
    'scopes: [system, workspace, deployment]',
    'roles: roles.yaml',
    'rules: rules.yaml',
    extra,
  ].join('\n')
}
