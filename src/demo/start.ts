import { createHash, randomBytes } from 'node:crypto'
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { exportSPKI, generateKeyPair, SignJWT } from 'jose'
import { parse, stringify } from 'yaml'
import { loadServeConfig } from '../config/load.js'
import { startServer, type Server } from '../serve.js'
import { findPackageRoot, startUpstream, type DemoUpstream } from './upstream.js'

/** One ready-to-paste request of the demo, with the status it should get. */
export interface DemoExample {
  readonly title: string
  readonly curl: string
  readonly expectStatus: number
}

export interface Demo {
  readonly server: Server
  readonly upstream: DemoUpstream
  readonly examples: readonly DemoExample[]
  close(): Promise<void>
}

export interface DemoOptions {
  /** @default 8080 (env PORT) */
  port?: number
  /** @default '127.0.0.1' (env HOST) */
  host?: string
  /** @default 9090 (env ADMIN_PORT) */
  adminPort?: number
  /** The decision log's sink. @default 'stdout' */
  decisionLog?: string
  /** Drain and exit on SIGTERM/SIGINT (the `npm start` process). @default false */
  handleSignals?: boolean
}

/**
 * The embedded default: permgate on the Houston policy in front of the demo upstream, with the
 * example bindings, a signing key generated for this run, and tokens for a few principals.
 */
export async function startDemo(opts: DemoOptions = {}): Promise<Demo> {
  const root = findPackageRoot(import.meta.url)
  const dir = mkdtempSync(join(tmpdir(), 'permgate-demo-'))
  const { publicKey, privateKey } = await generateKeyPair('RS256')
  writeFileSync(join(dir, 'jwt-public.pem'), await exportSPKI(publicKey))

  // The service account's API key exists only in this process; the bindings hold its SHA-256.
  const apiKey = randomBytes(16).toString('hex')
  const bindings = parse(readFileSync(join(root, 'policies', 'houston', 'bindings.example.yaml'), 'utf8')) as {
    subjects: Record<string, Record<string, unknown>>
  }
  const ci = bindings.subjects['sa-ci']
  if (ci) ci.apiKeySha256 = createHash('sha256').update(apiKey).digest('hex')
  writeFileSync(join(dir, 'bindings.yaml'), stringify(bindings))

  const upstream = await startUpstream({ host: '127.0.0.1', port: 0 })
  const config = loadServeConfig([
    '--policy', join(root, 'policies', 'houston'),
    '--bindings', join(dir, 'bindings.yaml'),
    '--upstream', upstream.url,
    '--host', opts.host ?? '127.0.0.1',
    '--port', String(opts.port ?? 8080),
    '--admin-port', String(opts.adminPort ?? 9090),
    '--jwt-public-key', join(dir, 'jwt-public.pem'),
    '--jwt-subject-claim', 'uuid',
    '--decision-log', opts.decisionLog ?? 'stdout',
  ])
  const server = await startServer(config, { handleSignals: opts.handleSignals ?? false })
  const sign = (uuid: string): Promise<string> =>
    new SignJWT({ uuid }).setProtectedHeader({ alg: 'RS256' }).setIssuedAt().setExpirationTime('12h').sign(privateKey)
  const url = `${server.url.replace('0.0.0.0', '127.0.0.1')}/graphql`
  const curl = (auth: string | undefined, query: string): string =>
    `curl -s -w ' -> %{http_code}\\n' ${url} -H 'content-type: application/json'` +
    (auth ? ` -H 'authorization: ${auth}'` : '') +
    ` -d '${JSON.stringify({ query }).replace(/'/g, "'\\''")}'`
  const admin = `Bearer ${await sign('u-admin')}`
  const viewer = `Bearer ${await sign('u-viewer')}`
  const examples: DemoExample[] = [
    { title: 'anonymous, a public field (authConfig): allowed', curl: curl(undefined, '{ authConfig }'), expectStatus: 200 },
    { title: 'anonymous, an authenticated field (self): 401', curl: curl(undefined, '{ self }'), expectStatus: 401 },
    { title: 'u-viewer (WORKSPACE_VIEWER on w1) lists the deployments of w1: allowed', curl: curl(viewer, '{ workspaceDeployments(workspaceUuid: "w1") }'), expectStatus: 200 },
    { title: 'u-viewer lists every deployment (needs system.deployments.get): 403', curl: curl(viewer, '{ deployments }'), expectStatus: 403 },
    { title: 'u-admin (SYSTEM_ADMIN) lists every deployment: allowed', curl: curl(admin, '{ deployments }'), expectStatus: 200 },
    { title: 'sa-ci (API key, DEPLOYMENT_EDITOR on d1) updates d1: allowed', curl: curl(apiKey, 'mutation { updateDeployment(deploymentUuid: "d1", config: {}) }'), expectStatus: 200 },
    { title: 'sa-ci updates d3 (another workspace): 403', curl: curl(apiKey, 'mutation { updateDeployment(deploymentUuid: "d3", config: {}) }'), expectStatus: 403 },
    { title: 'a forged token: 401', curl: curl('Bearer eyJhbGciOiJub25lIn0.eyJ1dWlkIjoidS1hZG1pbiJ9.', '{ authConfig }'), expectStatus: 401 },
  ]
  return {
    server,
    upstream,
    examples,
    close: async () => {
      await server.close()
      await upstream.close()
    },
  }
}

/** `npm start`: start the demo and print the requests to try. */
export async function main(): Promise<void> {
  const port = process.env.PORT === undefined ? undefined : Number(process.env.PORT)
  const adminPort = process.env.ADMIN_PORT === undefined ? undefined : Number(process.env.ADMIN_PORT)
  const demo = await startDemo({ handleSignals: true, ...(adminPort !== undefined ? { adminPort } : {}), ...(port !== undefined ? { port } : {}), ...(process.env.HOST ? { host: process.env.HOST } : {}) })
  const lines = [
    '',
    `permgate is enforcing policies/houston on ${demo.server.url}/graphql, in front of a demo Houston-shaped API on ${demo.upstream.origin}.`,
    `Metrics and probes: ${demo.server.adminUrl}/metrics, /healthz, /readyz.`,
    'Bindings: policies/houston/bindings.example.yaml. Tokens below are signed with a key generated for this run (12 h).',
    'Try (the status code follows each answer):',
    '',
    ...demo.examples.flatMap((e) => [`# ${e.title}`, e.curl, '']),
    'Ctrl-C stops it.',
    '',
  ]
  process.stdout.write(lines.join('\n'))
}
