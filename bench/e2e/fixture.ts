import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { WARM_DOCUMENT } from './documents.js'
import { newSecret } from './tokens.js'
import { bindingsYaml } from './world.js'

/** Files a run writes for its permgate processes, in a temporary directory removed at the end. */
export const FILES = {
  secret: 'jwt-secret',
  bindings: 'bindings.yaml',
  publicPolicy: 'public-policy',
  emptyBindings: 'bindings-empty.yaml',
} as const

/** Root fields the "routing only" policy makes public: the ones its traffic selects. */
export const PUBLIC_FIELDS = ['Query.workspaceDeployments', 'Query.self'] as const

export interface Fixture {
  readonly dir: string
  readonly secret: string
  remove(): void
}

/**
 * Writes the HMAC secret, the world's bindings (10,000 subjects), and the "routing only"
 * policy: every field its traffic uses is public, so permgate still reads the body and
 * parses the document, but no identity is resolved and every decision is trivial.
 */
export function writeFixture(): Fixture {
  const dir = mkdtempSync(join(tmpdir(), 'permgate-bench-'))
  const secret = newSecret()
  writeFileSync(join(dir, FILES.secret), `${secret}\n`, { mode: 0o600 })
  writeFileSync(join(dir, FILES.bindings), bindingsYaml())
  writeFileSync(join(dir, FILES.emptyBindings), 'deployments: {}\nsubjects: {}\n')
  const policy = join(dir, FILES.publicPolicy)
  mkdirSync(policy)
  writeFileSync(
    join(policy, 'policy.yaml'),
    ['name: bench-public', 'revision: bench', 'scopes: [system]', 'roles: roles.yaml', 'rules: rules.yaml', 'introspection: denied', ''].join('\n'),
  )
  writeFileSync(join(policy, 'roles.yaml'), 'roles:\n  USER:\n    name: User\n    permissions: {}\n')
  writeFileSync(join(policy, 'rules.yaml'), `rules:\n${PUBLIC_FIELDS.map((f) => `  - field: ${f}\n    access: public\n`).join('')}`)
  return { dir, secret, remove: () => rmSync(dir, { recursive: true, force: true }) }
}

/** The routing-only configuration's body: the warm document, sent with no credential. */
export const ROUTING_DOCUMENT = WARM_DOCUMENT
