import { createHash, randomBytes } from 'node:crypto'
import { join } from 'node:path'
import { exportSPKI, generateKeyPair, SignJWT, type KeyLike, type JWTHeaderParameters, type JWTPayload } from 'jose'
import { buildApp } from '../../src/app.js'
import type { Clock } from '../../src/clock.js'
import { loadServeConfig } from '../../src/config/load.js'
import { startUpstream, type DemoUpstream, type StartUpstreamOptions } from '../../src/demo/upstream.js'
import type { ReloadResult } from '../../src/reload.js'
import { prepare } from '../../src/serve.js'
import { POLICY_HOUSTON } from './shared.js'
import { tempFiles } from './tmp.js'

export const API_KEY = randomBytes(16).toString('hex') // 32 characters, no dot: a Houston API key

/** The bindings the harnesses serve (u-admin, u-viewer on w1, sa-ci with API_KEY on d1). */
export const BINDINGS = `deployments: { d1: w1, d2: w1, d3: w2 }
subjects:
  u-admin:
    bindings: [ { role: SYSTEM_ADMIN } ]
  u-viewer:
    bindings: [ { role: WORKSPACE_VIEWER, workspace: w1 } ]
  sa-ci:
    kind: serviceAccount
    apiKeySha256: ${createHash('sha256').update(API_KEY).digest('hex')}
    bindings: [ { role: DEPLOYMENT_EDITOR, deployment: d1 } ]
`

export interface Harness {
  readonly url: string
  readonly graphql: string
  readonly upstream: DemoUpstream
  /** The bindings file permgate serves (rewrite it, then `reload`). */
  readonly bindingsFile: string
  /** Reloads the policy and bindings now, as a file change or SIGHUP would. */
  reload(): ReloadResult
  /** The metrics exposition, as the admin port's /metrics serves it. */
  metrics(): Promise<string>
  /** A token for `subject` (claim `uuid`), valid for an hour, signed with the harness key. */
  token(subject: string, claims?: Record<string, unknown>): Promise<string>
  /** Exactly `payload` (no claim added) signed with the harness key; the header gets `alg` unless it names one. */
  signRaw(payload: JWTPayload, header?: Partial<JWTHeaderParameters>): Promise<string>
  /** What permgate verifies with: the public key PEM (RS256, ES256) or the secret file's text (HS256); '' for `jwt: 'none'`. */
  readonly keyText: string
  close(): Promise<void>
}

/**
 * The JWT key permgate is given: an SPKI PEM public key for RS256 (the default) or ES256, an
 * HS256 secret file, or none at all (then extraArgs may name a key source such as --jwks-url,
 * and `token`/`signRaw` reject).
 */
export type HarnessJwt = 'RS256' | 'ES256' | 'HS256' | 'none'

export interface HarnessOptions {
  /** @default 'RS256' */
  readonly jwt?: HarnessJwt
  /** Collects every log line (give a --log-level too: the harness is silent by default). */
  readonly logLines?: string[]
  /** What identity and the reload poller run on (a FakeClock: the JWK set's refetching moves only when advanced). @default SYSTEM_CLOCK */
  readonly clock?: Clock
  /** How the demo upstream is laid out (Houston: GraphQL on /v1, subscriptions on /ws). @default its defaults */
  readonly upstream?: StartUpstreamOptions
}

/** permgate (policies/houston, RS256 PEM key unless `opts.jwt` says otherwise, cookie) in front of the demo upstream, both on loopback port 0. */
export async function startHarness(extraArgs: string[] = [], configYaml?: string, opts: HarnessOptions = {}): Promise<Harness> {
  const jwt = opts.jwt ?? 'RS256'
  const upstream = await startUpstream({ ...opts.upstream, host: '127.0.0.1', port: 0 })
  try {
    return await listen(upstream, jwt, extraArgs, configYaml, opts)
  } catch (e) {
    // A start that fails (a bad config under test) must not leave the upstream listening.
    await upstream.close()
    throw e
  }
}

async function listen(upstream: DemoUpstream, jwt: HarnessJwt, extraArgs: string[], configYaml: string | undefined, opts: HarnessOptions): Promise<Harness> {
  const key = await harnessKey(jwt)
  const dir = tempFiles({ 'bindings.yaml': BINDINGS, ...(key.file ? { [key.file]: key.text } : {}), ...(configYaml ? { 'permgate.yaml': configYaml } : {}) })
  const config = loadServeConfig([
    '--policy', POLICY_HOUSTON,
    '--bindings', join(dir, 'bindings.yaml'),
    '--upstream', upstream.url,
    '--port', '0',
    ...(key.file ? [key.flag, join(dir, key.file)] : []),
    ...(key.file && jwt !== 'RS256' ? ['--jwt-algorithms', jwt] : []),
    '--jwt-subject-claim', 'uuid',
    '--cookie-name', 'astronomer_example_com_auth',
    '--strip-header', 'x-user-id',
    '--log-level', 'silent',
    '--decision-log', 'off',
    ...(configYaml ? ['--config', join(dir, 'permgate.yaml')] : []),
    ...extraArgs,
  ])
  const deps = await prepare(config, opts.clock)
  const app = buildApp(config, opts.logLines === undefined ? deps : { ...deps, logStream: { write: (line: string) => void opts.logLines!.push(line) } })
  const url = await app.listen({ host: '127.0.0.1', port: 0 })
  return {
    url,
    graphql: `${url}/graphql`,
    upstream,
    bindingsFile: join(dir, 'bindings.yaml'),
    reload: () => deps.reloader!.reload(),
    metrics: () => deps.metrics!.registry.metrics(),
    token: (subject, claims = {}) => sign(key, subject, claims),
    signRaw: (payload, header = {}) => signRaw(key, payload, header),
    keyText: key.text,
    close: async () => {
      await app.close()
      await upstream.close()
    },
  }
}

interface HarnessKey {
  readonly alg: HarnessJwt
  readonly signing: KeyLike | Uint8Array | undefined
  /** The file permgate reads the key from, and the flag naming it (none for 'none'). */
  readonly file: string | undefined
  readonly flag: string
  readonly text: string
}

async function harnessKey(alg: HarnessJwt): Promise<HarnessKey> {
  if (alg === 'none') return { alg, signing: undefined, file: undefined, flag: '', text: '' }
  if (alg === 'HS256') {
    const secret = randomBytes(32).toString('hex')
    // The trailing newline is how a secret file is usually written; it is not part of the secret.
    return { alg, signing: new TextEncoder().encode(secret), file: 'jwt.secret', flag: '--jwt-secret-file', text: `${secret}\n` }
  }
  const { publicKey, privateKey } = await generateKeyPair(alg)
  return { alg, signing: privateKey, file: 'jwt.pem', flag: '--jwt-public-key', text: await exportSPKI(publicKey) }
}

function sign(key: HarnessKey, subject: string, claims: Record<string, unknown>): Promise<string> {
  if (key.signing === undefined) return Promise.reject(new Error('this harness has no signing key'))
  return new SignJWT({ uuid: subject, ...claims }).setProtectedHeader({ alg: key.alg }).setIssuedAt().setExpirationTime('1h').sign(key.signing)
}

function signRaw(key: HarnessKey, payload: JWTPayload, header: Partial<JWTHeaderParameters>): Promise<string> {
  if (key.signing === undefined) return Promise.reject(new Error('this harness has no signing key'))
  return new SignJWT(payload).setProtectedHeader({ alg: key.alg, ...header }).sign(key.signing)
}

export async function post(url: string, body: unknown, headers: Record<string, string> = {}): Promise<Response> {
  return fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: typeof body === 'string' ? body : JSON.stringify(body) })
}
