import { createHash } from 'node:crypto'
import { copyFileSync, existsSync, readFileSync } from 'node:fs'
import { join, posix } from 'node:path'
import { exportSPKI, generateKeyPair } from 'jose'
import { beforeAll, describe, expect, it } from 'vitest'
import { parse, parseAllDocuments } from 'yaml'
import { isDatabaseUrl, loadServeConfig } from '../../src/config/load.js'
import { CONFIG_KEY_NAMES, KEYS, rowOf } from '../../src/config/keys.js'
import type { ServeConfig } from '../../src/config/schema.js'
import { compileActive } from '../../src/reload.js'
import { POLICY_HOUSTON_035, ROOT } from '../helpers/shared.js'
import { tempFiles } from '../helpers/tmp.js'

// deploy/houston: the Houston profile (permgate.yaml), the astronomer/astronomer chart values
// that put it in the Houston pod, and the Kubernetes example that runs it. Nothing is applied
// here (no cluster): what can be read is checked, and the profile is loaded by permgate itself.

const DIR = join(ROOT, 'deploy', 'houston')
const PROFILE_TEXT = readFileSync(join(DIR, 'permgate.yaml'), 'utf8')
type Raw = Record<string, unknown> & { routes: Record<string, unknown>[] }
const profile = parse(PROFILE_TEXT) as Raw
const fixture = parse(readFileSync(join(ROOT, 'test', 'fixtures', 'houston-routes.yaml'), 'utf8')) as { routes: Record<string, unknown>[] }
const values = parse(readFileSync(join(DIR, 'values.yaml'), 'utf8')) as { astronomer: { houston: { env: EnvVar[]; extraContainers: Container[]; extraVolumes: Volume[] } } }
const k8sDocs = parseAllDocuments(readFileSync(join(ROOT, 'deploy', 'kubernetes', 'permgate-sidecar.yaml'), 'utf8')).map((d) => d.toJS() as Record<string, any>)

interface EnvVar { name: string; value?: string }
interface Mount { name: string; mountPath: string; subPath?: string }
interface Port { name?: string; containerPort: number }
interface Probe { httpGet: { path: string; port: string | number } }
interface Container {
  name: string
  args?: string[]
  env?: EnvVar[]
  ports: Port[]
  readinessProbe: Probe
  livenessProbe: Probe
  resources?: { requests?: unknown }
  securityContext: Record<string, unknown>
  volumeMounts: Mount[]
}
type Items = { key: string; path: string }[] | undefined
interface Volume { name: string; secret?: { secretName: string; items?: Items }; configMap?: { name: string; items?: Items }; emptyDir?: unknown }

/** Where permgate.yaml is mounted in the container: its relative paths resolve against this directory. */
const CONFIG_IN_CONTAINER = '/etc/permgate/permgate.yaml'

/** Every file the profile names (file keys of the table, route secrets), as the container sees it; the policy ships in the image (/app). */
function referencedFiles(raw: Raw): string[] {
  const at = (f: string): string => posix.resolve(posix.dirname(CONFIG_IN_CONTAINER), f)
  const files: string[] = []
  for (const key of CONFIG_KEY_NAMES) {
    const v = raw[key]
    if (v === undefined) continue
    const kind = rowOf(key).kind
    if (kind === 'file' || kind === 'pem' || (kind === 'bindings' && !isDatabaseUrl(v))) files.push(at(v as string))
    if (kind === 'files') files.push(...(v as string[]).map(at))
  }
  for (const r of raw.routes) {
    const secret = r.secret as { file: string } | undefined
    if (secret !== undefined) files.push(at(secret.file))
  }
  return files.filter((f) => !f.startsWith('/app/'))
}

/** The mount and volume that put `file` in the container, checked to hold that file (subPath or item path). */
function provides(c: Container, volumes: readonly Volume[], file: string): Volume {
  const mount = c.volumeMounts.find((m) => m.mountPath === file || file.startsWith(`${m.mountPath}/`))
  expect(mount, `${c.name}: no volumeMount holds ${file}`).toBeDefined()
  const volume = volumes.find((v) => v.name === mount!.name)
  expect(volume, `${c.name}: no volume ${mount!.name}`).toBeDefined()
  const inVolume = mount!.mountPath === file ? mount!.subPath : file.slice(mount!.mountPath.length + 1)
  expect(inVolume, `${file} is a whole volume, not a file of one`).toBeTruthy()
  const items = volume!.secret?.items ?? volume!.configMap?.items
  if (items !== undefined) expect(items.map((i) => i.path), `${volume!.name} holds ${file}`).toContain(inVolume)
  return volume!
}

const portOf = (c: Container, port: string | number): number | undefined => (typeof port === 'number' ? port : c.ports.find((p) => p.name === port)?.containerPort)
const permgateOf = (containers: readonly Container[]): Container => containers.find((c) => c.name === 'permgate')!

describe('deploy/houston/permgate.yaml', () => {
  const registryKey = '0123456789abcdef0123456789abcdef'
  let config: ServeConfig

  // As the demo and the end-to-end tests run it: a copy with a registry-auth-key beside it, the
  // repository's policy, small bindings, a generated key and another upstream given as flags.
  beforeAll(async () => {
    const { publicKey } = await generateKeyPair('RS256')
    const dir = tempFiles({
      'registry-auth-key': `${registryKey}\n`,
      'bindings.yaml': 'deployments:\n  d1: { workspace: w1, releaseName: rel-one }\nsubjects:\n  u-1: { bindings: [ { role: WORKSPACE_VIEWER, workspace: w1 } ] }\n',
      'jwt.pem': await exportSPKI(publicKey),
    })
    copyFileSync(join(DIR, 'permgate.yaml'), join(dir, 'permgate.yaml'))
    config = loadServeConfig([
      '--config', join(dir, 'permgate.yaml'),
      '--policy', POLICY_HOUSTON_035, '--bindings', join(dir, 'bindings.yaml'), '--upstream', 'http://127.0.0.1:4000/v1',
      '--jwt-public-key', join(dir, 'jwt.pem'), '--host', '127.0.0.1', '--port', '0', '--admin-port', '0',
    ])
  })

  it("loads with permgate's loader: Houston's paths, cookie and token claim; flags win over the file", () => {
    expect(config.graphqlPath).toBe('/v1')
    expect(config.subscriptionsPath).toBe('/ws')
    expect(config.upstreamSubscriptionsPath).toBe('/ws')
    expect(config.upstream).toEqual({ origin: 'http://127.0.0.1:4000', graphqlPath: '/v1' })
    expect(config.port).toBe(0)
    expect(config.cookieName).toBe('astronomer_example_com_auth')
    expect(config.jwt?.subjectClaim).toBe('uuid')
    expect(config.jwt?.algorithms).toEqual(['RS256'])
    // the route rules compile against the 0.35 policy: every permission they name exists there
    expect(compileActive(config).routes).toHaveLength(profile.routes.length)
  })

  it('allows the UI and the other hosts of the base domain, with credentials, and nothing that only resembles them', () => {
    const cors = config.cors!
    expect(cors.credentials).toBe(true)
    expect(cors.origins).toContain('https://app.example.com')
    const allowed = (o: string) => cors.origins.includes(o) || cors.originMatchers.some((m) => m.test(o))
    for (const o of ['https://app.example.com', 'https://grafana.example.com', 'https://deployments.example.com']) expect(allowed(o), o).toBe(true)
    // Houston's own `.example.com$` lets the first two through
    for (const o of ['https://evil-example.com', 'https://evilexample.com', 'https://app.example.com.attacker.net', 'http://app.example.com', 'https://a.b.example.com']) expect(allowed(o), o).toBe(false)
  })

  it('reads the registry webhook token from registry-auth-key beside the config file', () => {
    const events = config.routes.find((r) => r.prefix === '/v1/registry/events')!
    expect(events.secret?.sha256.equals(createHash('sha256').update(registryKey).digest())).toBe(true)
    const secretFiles = profile.routes.flatMap((r) => (r.secret === undefined ? [] : [(r.secret as { file: string }).file]))
    expect(secretFiles).toEqual(['registry-auth-key'])
  })

  it('as shipped: Houston on 127.0.0.1:8872, permgate on 0.0.0.0:8871, the admin port apart, the image\'s policy, known keys only', () => {
    for (const k of Object.keys(profile)) expect(Object.hasOwn(KEYS, k), k).toBe(true)
    expect(profile).toMatchObject({ upstream: 'http://127.0.0.1:8872/v1', host: '0.0.0.0', port: 8871, adminHost: '0.0.0.0', policy: '/app/policies/houston-0.35' })
    expect(profile.adminPort).not.toBe(profile.port)
    // the image carries the repository's policies (Dockerfile: COPY policies)
    expect(existsSync(join(ROOT, 'policies', 'houston-0.35', 'policy.yaml'))).toBe(true)
    expect(profile.trustedProxies).toEqual(['10.0.0.0/8'])
  })

  it('holds every route of test/fixtures/houston-routes.yaml, in its order, and says which it adds', () => {
    const asInProfile = fixture.routes.map((r) =>
      r.secret === undefined ? r : { ...r, secret: { ...(r.secret as object), file: 'registry-auth-key' } })
    const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b)
    expect(profile.routes.filter((r) => asInProfile.some((f) => same(f, r)))).toEqual(asInProfile)
    const added = profile.routes.filter((r) => !asInProfile.some((f) => same(f, r)))
    // the Elasticsearch proxy's auth_request, in-cluster only (the fixture leaves it out)
    expect(added).toEqual([{ methods: ['GET', 'POST'], prefix: '/v1/elasticsearch', access: 'public', credentials: 'none', ipAllow: ['10.0.0.0/8'] }])
    expect(profile.routes.find((r) => r.prefix === '/v1/healthz')).toMatchObject({ access: 'public' })
    for (const r of profile.routes.filter((x) => x.ipAllow !== undefined)) expect(r.ipAllow, String(r.prefix)).toEqual(['10.0.0.0/8'])
  })
})

describe('deploy/houston/values.yaml (astronomer/astronomer chart)', () => {
  const houston = values.astronomer.houston
  const permgate = permgateOf(houston.extraContainers)

  it('moves Houston to the port permgate forwards to', () => {
    const port = new URL(profile.upstream as string).port
    expect(houston.env).toContainEqual({ name: 'WEBSERVER__PORT', value: port })
    expect(port).toBe('8872')
  })

  it('adds the permgate sidecar on 8871, probes on the admin port, non-root with a read-only root', () => {
    expect(permgate.args).toEqual(['--config', CONFIG_IN_CONTAINER])
    expect(permgate.ports.map((p) => p.containerPort)).toContain(profile.port)
    expect(permgate.readinessProbe.httpGet.path).toBe('/readyz')
    expect(permgate.livenessProbe.httpGet.path).toBe('/healthz')
    expect(portOf(permgate, permgate.readinessProbe.httpGet.port)).toBe(profile.adminPort)
    expect(portOf(permgate, permgate.livenessProbe.httpGet.port)).toBe(profile.adminPort)
    expect(permgate.securityContext).toMatchObject({ runAsNonRoot: true, readOnlyRootFilesystem: true, allowPrivilegeEscalation: false })
    expect(permgate.resources?.requests).toBeDefined()
  })

  it("mounts permgate.yaml and every file it names, from the chart's own Secrets where the chart makes them", () => {
    provides(permgate, houston.extraVolumes, CONFIG_IN_CONTAINER)
    const files = referencedFiles(profile)
    expect(files).toEqual(expect.arrayContaining(['/etc/permgate/jwt/tls.crt', '/etc/permgate/bindings/bindings.yaml', '/etc/permgate/registry-auth-key']))
    const byFile = Object.fromEntries(files.map((f) => [f, provides(permgate, houston.extraVolumes, f)]))
    expect(byFile['/etc/permgate/registry-auth-key']?.secret).toMatchObject({ secretName: expect.stringMatching(/-registry-auth-key$/), items: [{ key: 'token' }] })
    expect(byFile['/etc/permgate/jwt/tls.crt']?.secret).toMatchObject({ secretName: expect.stringMatching(/-houston-jwt-signing-certificate$/), items: [{ key: 'tls.crt' }] })
  })
})

describe('deploy/kubernetes runs the Houston profile', () => {
  const cm = k8sDocs.find((d) => d.kind === 'ConfigMap' && d.metadata.name === 'permgate-config')
  const pod = k8sDocs.find((d) => d.kind === 'Deployment')?.spec.template.spec as { containers: Container[]; volumes: Volume[] }

  it('its ConfigMap holds deploy/houston/permgate.yaml as it is', () => {
    expect(cm?.data['permgate.yaml']).toBe(PROFILE_TEXT)
  })

  it('mounts every file the profile names, and moves Houston to the upstream port', () => {
    const permgate = permgateOf(pod.containers)
    for (const f of [CONFIG_IN_CONTAINER, ...referencedFiles(profile)]) provides(permgate, pod.volumes, f)
    const houston = pod.containers.find((c) => c.name !== 'permgate')!
    expect(houston.env).toContainEqual({ name: 'WEBSERVER__PORT', value: new URL(profile.upstream as string).port })
  })
})

