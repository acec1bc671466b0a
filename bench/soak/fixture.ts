import { createHash, randomBytes } from 'node:crypto'
import { mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { newSecret } from '../e2e/tokens.js'
import { bindingsYaml } from '../e2e/world.js'

/** Files of one soak run, in a temporary directory removed at the end. */
export const SOAK_FILES = {
  secret: 'jwt-secret',
  bindings: 'bindings.yaml',
  /** Written by the permgate child: its admin port (/metrics). */
  adminPort: 'admin-port',
  decisionLog: 'decisions.log',
} as const

/** The subject whose binding the reloads add and remove; the load never names it. */
export const FLIP_SUBJECT = 'u-flip'
/** What the flip subject may do while bound: `WORKSPACE_VIEWER` on this workspace. */
export const FLIP_WORKSPACE = 'w1'
/** The service account of the mix: DEPLOYMENT_EDITOR on d1 (d2 is refused). */
export const SERVICE_ACCOUNT = 'sa-soak'

export type WriteMode = 'in place' | 'rename'

export interface SoakFixture {
  readonly dir: string
  readonly secret: string
  /** The service account's API key (32 characters, no dot); the file holds its SHA-256 only. */
  readonly apiKey: string
  file(name: keyof typeof SOAK_FILES): string
  /** Rewrites the bindings file: the world, the service account, and u-flip bound or not. */
  writeBindings(flipBound: boolean, mode: WriteMode): void
  remove(): void
}

/** The HMAC secret and the bindings: the end-to-end world's 10,000 users, plus the soak's own subjects. */
export function writeSoakFixture(): SoakFixture {
  const dir = mkdtempSync(join(tmpdir(), 'permgate-soak-'))
  const secret = newSecret()
  const apiKey = randomBytes(16).toString('hex')
  const file = (name: keyof typeof SOAK_FILES): string => join(dir, SOAK_FILES[name])
  writeFileSync(file('secret'), `${secret}\n`, { mode: 0o600 })
  // bindingsYaml() ends inside `subjects:`: the soak's subjects follow
  const world = bindingsYaml()
  const own = (flipBound: boolean): string =>
    [
      `  ${SERVICE_ACCOUNT}:`,
      '    kind: serviceAccount',
      `    apiKeySha256: ${createHash('sha256').update(apiKey).digest('hex')}`,
      '    bindings: [ { role: DEPLOYMENT_EDITOR, deployment: d1 } ]',
      `  ${FLIP_SUBJECT}:`,
      `    bindings: [ ${flipBound ? `{ role: WORKSPACE_VIEWER, workspace: ${FLIP_WORKSPACE} }` : ''} ]`,
      '',
    ].join('\n')
  const writeBindings = (flipBound: boolean, mode: WriteMode): void => {
    const target = file('bindings')
    const text = world + own(flipBound)
    if (mode === 'in place') return writeFileSync(target, text)
    const tmp = `${target}.${process.pid}.tmp`
    writeFileSync(tmp, text)
    renameSync(tmp, target)
  }
  writeBindings(true, 'rename')
  return { dir, secret, apiKey, file, writeBindings, remove: () => rmSync(dir, { recursive: true, force: true }) }
}

/** The admin port the permgate child wrote, once it listens. */
export function readAdminPort(fixture: SoakFixture): number {
  const port = Number(readFileSync(fixture.file('adminPort'), 'utf8'))
  if (!Number.isSafeInteger(port) || port <= 0) throw new Error('the permgate child wrote no admin port')
  return port
}
