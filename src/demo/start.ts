import { createHash, randomBytes } from 'node:crypto'
import { copyFileSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { exportSPKI, generateKeyPair, SignJWT } from 'jose'
import { parse, stringify } from 'yaml'
import { loadServeConfig } from '../config/load.js'
import { startServer, type Server } from '../serve.js'
import { demoExamples, type DemoExample } from './examples.js'
import { seed } from './upstream/seed.js'
import { findPackageRoot, HOUSTON_APIS, startUpstream, type DemoUpstream, type HoustonApi } from './upstream.js'

export type { DemoExample } from './examples.js'

/** The policy each demo upstream is served with (under policies/). */
export const DEMO_POLICIES: Readonly<Record<HoustonApi, string>> = { 'v0.12.1': 'houston', '0.3x': 'houston-0.35' }

export interface Demo {
  readonly houston: HoustonApi
  /** The policy directory permgate enforces, relative to the package root. */
  readonly policy: string
  readonly server: Server
  /** Where GraphQL is served: /v1 in Houston's layout (0.3x), /graphql for v0.12.1. */
  readonly graphqlPath: string
  readonly upstream: DemoUpstream
  readonly examples: readonly DemoExample[]
  /** A command that follows a subscription as the Astro CLI does (Houston layout only). */
  readonly subscription: string | undefined
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
  /**
   * Which Houston: `0.3x`, policies/houston-0.35 in front of the platform 0.30-0.35 schema, or
   * `v0.12.1`, policies/houston in front of the v0.12.1 schema (root fields return JSON).
   * @default '0.3x' (env HOUSTON)
   */
  houston?: HoustonApi
}

/**
 * The example bindings with each deployment's release name from the demo's seed, in the long form
 * `d1: { workspace, releaseName }`, so that permgate maps a releaseName argument to the same
 * deployment the upstream does.
 */
export function withReleaseNames(bindings: { deployments?: Record<string, unknown> }): void {
  const names = new Map(seed().deployments.map((d) => [d.id, d.releaseName]))
  for (const [id, workspace] of Object.entries(bindings.deployments ?? {})) {
    const releaseName = names.get(id)
    if (releaseName !== undefined && typeof workspace === 'string') bindings.deployments![id] = { workspace, releaseName }
  }
}

/** Houston's paths (../shared/houston/endpoints.md §1). */
export const HOUSTON_GRAPHQL_PATH = '/v1'
export const HOUSTON_SUBSCRIPTIONS_PATH = '/ws'

/**
 * The Houston profile as `--config` flags: deploy/houston/permgate.yaml copied into `dir` with a
 * registry webhook token generated for the run beside it (the file its route rules name); the
 * demo's own flags (policy, bindings, upstream, key, ports) win over the profile's.
 */
function houstonProfile(root: string, dir: string): string[] {
  const file = join(dir, 'permgate.yaml')
  copyFileSync(join(root, 'deploy', 'houston', 'permgate.yaml'), file)
  writeFileSync(join(dir, 'registry-auth-key'), randomBytes(16).toString('hex'))
  return ['--config', file]
}

/**
 * The embedded default: permgate on a Houston policy in front of the demo upstream, with the
 * example bindings, a signing key generated for this run, and tokens for a few principals.
 */
export async function startDemo(opts: DemoOptions = {}): Promise<Demo> {
  const houston = opts.houston ?? '0.3x'
  if (!HOUSTON_APIS.includes(houston)) throw new RangeError(`houston must be one of ${HOUSTON_APIS.join(', ')}, got ${String(houston)}`)
  const policy = join('policies', DEMO_POLICIES[houston])
  const root = findPackageRoot(import.meta.url)
  const dir = mkdtempSync(join(tmpdir(), 'permgate-demo-'))
  const { publicKey, privateKey } = await generateKeyPair('RS256')
  writeFileSync(join(dir, 'jwt-public.pem'), await exportSPKI(publicKey))

  // The service account's API key exists only in this process; the bindings hold its SHA-256.
  const apiKey = randomBytes(16).toString('hex')
  const bindings = parse(readFileSync(join(root, 'policies', 'houston', 'bindings.example.yaml'), 'utf8')) as {
    deployments?: Record<string, unknown>
    subjects: Record<string, Record<string, unknown>>
  }
  const ci = bindings.subjects['sa-ci']
  if (ci) ci.apiKeySha256 = createHash('sha256').update(apiKey).digest('hex')
  // 0.3x fields name deployments by release name too (updateDeploymentImage, deployment(where:))
  if (houston === '0.3x') withReleaseNames(bindings)
  writeFileSync(join(dir, 'bindings.yaml'), stringify(bindings))

  // 0.3x is laid out like Houston: GraphQL on /v1 (REST routes beneath it), subscriptions on /ws,
  // behind the Houston profile (deploy/houston/permgate.yaml: routes, CORS, paths, cookie)
  const houstonLayout = houston === '0.3x'
  const upstream = await startUpstream({ host: '127.0.0.1', port: 0, houston, ...(houstonLayout ? { graphqlPath: HOUSTON_GRAPHQL_PATH, subscriptionsPath: HOUSTON_SUBSCRIPTIONS_PATH } : {}) })
  const profile = houstonLayout ? houstonProfile(root, dir) : []
  const config = loadServeConfig([
    ...profile,
    '--policy', join(root, policy),
    '--bindings', join(dir, 'bindings.yaml'),
    '--upstream', upstream.url,
    '--host', opts.host ?? '127.0.0.1',
    '--port', String(opts.port ?? 8080),
    '--admin-port', String(opts.adminPort ?? 9090),
    '--jwt-public-key', join(dir, 'jwt-public.pem'),
    '--jwt-subject-claim', 'uuid',
    '--decision-log', opts.decisionLog ?? 'stdout',
    ...(houstonLayout ? ['--admin-host', opts.host ?? '127.0.0.1'] : []),
  ])
  const server = await startServer(config, { handleSignals: opts.handleSignals ?? false })
  const sign = (uuid: string): Promise<string> =>
    new SignJWT({ uuid }).setProtectedHeader({ alg: 'RS256' }).setIssuedAt().setExpirationTime('12h').sign(privateKey)
  const origin = server.url.replace('0.0.0.0', '127.0.0.1')
  const url = `${origin}${config.graphqlPath}`
  const curl = (auth: string | undefined, query: string): string =>
    `curl -s -w ' -> %{http_code}\\n' ${url} -H 'content-type: application/json'` +
    (auth ? ` -H 'authorization: ${auth}'` : '') +
    ` -d '${JSON.stringify({ query }).replace(/'/g, "'\\''")}'`
  const examples = demoExamples(houston, {
    curl,
    origin,
    admin: `Bearer ${await sign('u-admin')}`,
    viewer: `Bearer ${await sign('u-viewer')}`,
    apiKey,
  })
  const subscription = houstonLayout ? subscriptionCommand(origin.replace(/^http/, 'ws') + config.subscriptionsPath, await sign('u-viewer')) : undefined
  return {
    houston,
    policy,
    server,
    graphqlPath: config.graphqlPath,
    upstream,
    examples,
    subscription,
    close: async () => {
      await server.close()
      await upstream.close()
    },
  }
}

/**
 * What `astro deployment logs --follow` does, as a node one-liner over the project's `ws`:
 * graphql-ws on the subscriptions path, connection_init with the token, then at once an id-less
 * start; it prints every frame and ends after the stream completes.
 */
function subscriptionCommand(url: string, token: string): string {
  const script = [
    `const ws = new (require('ws'))(${JSON.stringify(url)}, 'graphql-ws')`,
    `ws.on('open', () => { ws.send(JSON.stringify({ type: 'connection_init', payload: { authorization: ${JSON.stringify(token)} } })); ws.send(JSON.stringify({ type: 'start', payload: { query: 'subscription { log(deploymentUuid: "d1") { id message } }' } })) })`,
    `ws.on('message', (m) => { console.log(String(m)); if (JSON.parse(m).type === 'complete') ws.close() })`,
  ].join('; ')
  return `node -e '${script.replace(/'/g, "'\\''")}'`
}

/** `npm start`: start the demo and print the requests to try. */
export async function main(): Promise<void> {
  const port = process.env.PORT === undefined ? undefined : Number(process.env.PORT)
  const adminPort = process.env.ADMIN_PORT === undefined ? undefined : Number(process.env.ADMIN_PORT)
  const houston = process.env.HOUSTON as HoustonApi | undefined
  const demo = await startDemo({
    handleSignals: true,
    ...(adminPort !== undefined ? { adminPort } : {}),
    ...(port !== undefined ? { port } : {}),
    ...(process.env.HOST ? { host: process.env.HOST } : {}),
    ...(houston ? { houston } : {}),
  })
  const other = demo.houston === '0.3x' ? 'v0.12.1' : '0.3x'
  const lines = [
    '',
    `permgate is enforcing ${demo.policy} on ${demo.server.url}${demo.graphqlPath}${demo.houston === '0.3x' ? ` (subscriptions on /ws, Houston's REST routes below /v1, deploy/houston/permgate.yaml)` : ''}, in front of a demo Houston ${demo.houston} API on ${demo.upstream.origin}`,
    `(HOUSTON=${other} npm start serves ${join('policies', DEMO_POLICIES[other])} in front of the Houston ${other} schema).`,
    `Metrics and probes: ${demo.server.adminUrl}/metrics, /healthz, /readyz.`,
    `Bindings: policies/houston/bindings.example.yaml${demo.houston === '0.3x' ? ' (with the demo deployments\' release names)' : ''}. Tokens below are signed with a key generated for this run (12 h).`,
    'Try (the status code follows each answer):',
    '',
    ...demo.examples.flatMap((e) => [`# ${e.title}`, e.curl, '']),
    ...(demo.subscription !== undefined ? ['# a subscription as the Astro CLI follows logs (graphql-ws on /ws, an id-less start): its frames, then complete', demo.subscription, ''] : []),
    'Ctrl-C stops it.',
    '',
  ]
  process.stdout.write(lines.join('\n'))
}
