// The Houston profile (deploy/houston/permgate.yaml) run as an operator runs it: the file copied
// into a directory with the registry's `registry-auth-key` beside it (the profile names that file
// relative to itself), and `permgate serve --config <copy>` with flags for only what differs per
// installation (policy, bindings, upstream, JWT key, hosts, ports; and quiet logs). Behind it, the
// demo upstream laid out like Houston 0.3x: GraphQL on /v1, subscriptions on /ws, stand-ins for the
// REST routes.
import { createHash, randomBytes } from 'node:crypto'
import { copyFileSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { exportSPKI, generateKeyPair, SignJWT, type KeyLike } from 'jose'
import { parse, stringify } from 'yaml'
import { loadServeConfig } from '../../src/config/load.js'
import { withReleaseNames } from '../../src/demo/start.js'
import { startUpstream } from '../../src/demo/upstream.js'
import { seed } from '../../src/demo/upstream/seed.js'
import { startServer } from '../../src/serve.js'
import type { Gateway } from './houston-rest.js'
import { API_KEY } from './proxy.js'
import { POLICY_HOUSTON_035, ROOT } from './shared.js'
import { tempFiles } from './tmp.js'

export { API_KEY }

/** The profile as shipped. */
export const PROFILE = join(ROOT, 'deploy', 'houston', 'permgate.yaml')
/** The file beside the profile that holds the registry's notification token. */
export const REGISTRY_AUTH_KEY_FILE = 'registry-auth-key'
/** The registry's notification token: 32 random characters, as the chart's `<release>-registry-auth-key` secret holds. */
export const REGISTRY_AUTH_KEY = randomBytes(16).toString('hex')
/** Houston's cookie for base domain example.com (`astronomer_<snakeCase(baseDomain)>_auth`). */
export const HOUSTON_COOKIE = 'astronomer_example_com_auth'

/** The demo's release name of each deployment (d1, d2, d3), as the bindings carry it. */
export const RELEASE: Readonly<Record<string, string>> = Object.fromEntries(seed().deployments.map((d) => [d.id, d.releaseName]))

/** The profile as a document, for a variant (CI/CD enforcement, another CORS origin). */
export interface ProfileDoc {
  routes: Record<string, unknown>[]
  cors?: { origins?: string[] } & Record<string, unknown>
  [key: string]: unknown
}

/**
 * A copy of deploy/houston/permgate.yaml in a fresh directory, with `registry-auth-key` beside it;
 * `edit` makes a variant of it (the comments are then lost). Returns the copy's path.
 */
export function copyProfile(edit?: (doc: ProfileDoc) => void): string {
  const dir = tempFiles({ [REGISTRY_AUTH_KEY_FILE]: `${REGISTRY_AUTH_KEY}\n` })
  const copy = join(dir, 'permgate.yaml')
  if (edit === undefined) {
    copyFileSync(PROFILE, copy)
    return copy
  }
  const doc = parse(readFileSync(PROFILE, 'utf8')) as ProfileDoc
  edit(doc)
  writeFileSync(copy, stringify(doc))
  return copy
}

/** The rule for a deployment's image push (Docker asks pull,push); CI/CD enforcement goes on it. */
export function pushRule(doc: ProfileDoc): Record<string, unknown> {
  const rules = doc.routes.filter((r) => {
    const when = r.when as { query?: string; pattern?: string }[] | undefined
    const scope = when?.find((c) => c.query === 'scope')?.pattern ?? ''
    return r.prefix === '/v1/registry/authorization' && scope.includes('(?<release>') && scope.includes('push')
  })
  if (rules.length !== 1) throw new Error(`expected one push rule for a release's repository, found ${rules.length}`)
  return rules[0]!
}

export interface StartedProfile extends Gateway {
  /** The admin server (/metrics, /healthz, /readyz). */
  readonly adminUrl: string
  /** A Houston JWT for `subject` (claim `uuid`), valid for an hour. */
  token(subject: string): Promise<string>
  close(): Promise<void>
}

export interface StartProfileOptions {
  /** Subjects added to the demo's bindings (`name -> { bindings: [...] }`). */
  readonly subjects?: Readonly<Record<string, unknown>>
  /** More `permgate serve` flags, after the installation's (they win). */
  readonly extraArgs?: readonly string[]
}

/**
 * permgate serving `configFile` in front of the demo upstream (Houston 0.3x: /v1, /ws), with the
 * demo's bindings (policies/houston/bindings.example.yaml with release names; sa-ci's API key is
 * API_KEY) and an RS256 key made for this run. Quiet: no log, no decision log.
 */
export async function startProfile(configFile: string, opts: StartProfileOptions = {}): Promise<StartedProfile> {
  const { publicKey, privateKey } = await generateKeyPair('RS256')
  const dir = tempFiles({ 'jwt.pem': await exportSPKI(publicKey), 'bindings.yaml': demoBindings(opts.subjects ?? {}) })
  const upstream = await startUpstream({ host: '127.0.0.1', port: 0, houston: '0.3x', graphqlPath: '/v1', subscriptionsPath: '/ws' })
  try {
    const server = await startServer(loadServeConfig([
      '--config', configFile,
      '--policy', POLICY_HOUSTON_035,
      '--bindings', join(dir, 'bindings.yaml'),
      '--upstream', upstream.url,
      '--jwt-public-key', join(dir, 'jwt.pem'),
      '--host', '127.0.0.1',
      '--port', '0',
      // the profile's adminHost is 0.0.0.0 (the kubelet's probes): a test listens on loopback only
      '--admin-host', '127.0.0.1',
      '--admin-port', '0',
      '--log-level', 'silent',
      '--decision-log', 'off',
      ...(opts.extraArgs ?? []),
    ]))
    return {
      url: server.url,
      adminUrl: server.adminUrl,
      upstream,
      token: (subject) => sign(privateKey, subject),
      close: async () => {
        await server.close()
        await upstream.close()
      },
    }
  } catch (e) {
    await upstream.close()
    throw e
  }
}

/** The demo's bindings, as src/demo/start.ts serves them, with `extra` subjects. */
function demoBindings(extra: Readonly<Record<string, unknown>>): string {
  const bindings = parse(readFileSync(join(ROOT, 'policies', 'houston', 'bindings.example.yaml'), 'utf8')) as {
    deployments?: Record<string, unknown>
    subjects: Record<string, Record<string, unknown>>
  }
  withReleaseNames(bindings)
  bindings.subjects['sa-ci']!.apiKeySha256 = createHash('sha256').update(API_KEY).digest('hex')
  Object.assign(bindings.subjects, extra)
  return stringify(bindings)
}

function sign(key: KeyLike, uuid: string): Promise<string> {
  return new SignJWT({ uuid }).setProtectedHeader({ alg: 'RS256' }).setIssuedAt().setExpirationTime('1h').sign(key)
}
