import { createHash, randomBytes } from 'node:crypto'
import { join } from 'node:path'
import { exportSPKI, generateKeyPair, SignJWT, type CryptoKey } from 'jose'
import { buildApp } from '../../src/app.js'
import { loadServeConfig } from '../../src/config/load.js'
import { startUpstream, type DemoUpstream } from '../../src/demo/upstream.js'
import { prepare } from '../../src/serve.js'
import { POLICY_HOUSTON } from './shared.js'
import { tempFiles } from './tmp.js'

export const API_KEY = randomBytes(16).toString('hex') // 32 characters, no dot: a Houston API key

const BINDINGS = `deployments: { d1: w1, d2: w1, d3: w2 }
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
  token(subject: string, claims?: Record<string, unknown>): Promise<string>
  close(): Promise<void>
}

/** permgate (policies/houston, RS256 PEM key, cookie) in front of the demo upstream, both on loopback port 0. */
export async function startHarness(extraArgs: string[] = [], configYaml?: string): Promise<Harness> {
  const upstream = await startUpstream({ host: '127.0.0.1', port: 0 })
  const { publicKey, privateKey } = await generateKeyPair('RS256')
  const dir = tempFiles({ 'bindings.yaml': BINDINGS, 'jwt.pem': await exportSPKI(publicKey), ...(configYaml ? { 'permgate.yaml': configYaml } : {}) })
  const config = loadServeConfig([
    '--policy', POLICY_HOUSTON,
    '--bindings', join(dir, 'bindings.yaml'),
    '--upstream', upstream.url,
    '--port', '0',
    '--jwt-public-key', join(dir, 'jwt.pem'),
    '--jwt-subject-claim', 'uuid',
    '--cookie-name', 'astronomer_example_com_auth',
    '--strip-header', 'x-user-id',
    '--log-level', 'silent',
    ...(configYaml ? ['--config', join(dir, 'permgate.yaml')] : []),
    ...extraArgs,
  ])
  const app = buildApp(config, await prepare(config))
  const url = await app.listen({ host: '127.0.0.1', port: 0 })
  return {
    url,
    graphql: `${url}/graphql`,
    upstream,
    token: (subject, claims = {}) => sign(privateKey, subject, claims),
    close: async () => {
      await app.close()
      await upstream.close()
    },
  }
}

function sign(key: CryptoKey, subject: string, claims: Record<string, unknown>): Promise<string> {
  return new SignJWT({ uuid: subject, ...claims }).setProtectedHeader({ alg: 'RS256' }).setIssuedAt().setExpirationTime('1h').sign(key)
}

export async function post(url: string, body: unknown, headers: Record<string, string> = {}): Promise<Response> {
  return fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: typeof body === 'string' ? body : JSON.stringify(body) })
}
