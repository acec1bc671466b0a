import { existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { parse, parseAllDocuments } from 'yaml'
import { CONFIG_KEYS } from '../../src/config/schema.js'
import { ROOT } from '../helpers/shared.js'

// The example manifests are not applied here (no cluster): this checks what can be read.
const docs = parseAllDocuments(readFileSync(join(ROOT, 'deploy', 'kubernetes', 'permgate-sidecar.yaml'), 'utf8')).map((d) => {
  expect(d.errors).toEqual([])
  return d.toJS() as Record<string, any>
})
const byKind = (kind: string) => docs.filter((d) => d.kind === kind)

describe('deploy/kubernetes/permgate-sidecar.yaml', () => {
  const deployment = byKind('Deployment')[0]
  const pod = deployment?.spec.template.spec
  const permgate = pod?.containers.find((c: { name: string }) => c.name === 'permgate')

  it('runs permgate as a hardened sidecar with probes on the admin port', () => {
    expect(pod.containers).toHaveLength(2)
    const ports = Object.fromEntries(permgate.ports.map((p: { name: string; containerPort: number }) => [p.name, p.containerPort]))
    // Houston's port (the Houston profile: Houston itself moves to 8872)
    expect(ports).toMatchObject({ http: 8871, admin: 9090 })
    expect(permgate.readinessProbe.httpGet).toMatchObject({ path: '/readyz', port: 'admin' })
    expect(permgate.livenessProbe.httpGet).toMatchObject({ path: '/healthz', port: 'admin' })
    expect(permgate.securityContext).toMatchObject({ runAsNonRoot: true, readOnlyRootFilesystem: true, allowPrivilegeEscalation: false })
    expect(permgate.resources.requests).toBeDefined()
  })

  it('sends the Service to permgate, never to the application', () => {
    const service = byKind('Service')[0]
    expect(service?.spec.ports).toHaveLength(1)
    expect(service?.spec.ports[0]).toMatchObject({ port: 8871, targetPort: 'http' })
    // Houston listens on every address of the pod: only permgate's port is admitted from other pods
    const policy = byKind('NetworkPolicy')[0]
    const admitted = policy?.spec.ingress.flatMap((r: { ports: { port: number }[] }) => r.ports.map((p) => p.port))
    expect(admitted).toContain(8871)
    expect(admitted).not.toContain(8872)
  })

  it('its permgate.yaml uses only known keys, and the grace period fits the pod', () => {
    const cm = byKind('ConfigMap').find((c) => c.metadata.name === 'permgate-config')
    const config = parse(cm?.data['permgate.yaml']) as Record<string, unknown>
    for (const k of Object.keys(config)) expect(Object.keys(CONFIG_KEYS)).toContain(k)
    expect(config.adminPort).toBe(9090)
    expect(config.upstream).toBe('http://127.0.0.1:8872/v1')
    expect((config.shutdownGraceMs as number) / 1000).toBeLessThan(pod.terminationGracePeriodSeconds)
    // the 0.3x policy, which the image carries (Dockerfile: COPY policies)
    expect(config.policy).toBe('/app/policies/houston-0.35')
    expect(existsSync(join(ROOT, 'policies', 'houston-0.35', 'rules.yaml'))).toBe(true)
    const overlay = byKind('ConfigMap').find((c) => c.metadata.name === 'permgate-policy')
    expect(parse(overlay?.data['values.yaml'])).toHaveProperty('astronomer.houston.config.roles')
    // the overlay is a flag beside the profile, and a file the overlays ConfigMap holds
    const i = permgate.args.indexOf('--overlay')
    expect(permgate.args[i + 1]).toBe('/etc/permgate/overlays/values.yaml')
    expect(permgate.volumeMounts).toContainEqual(expect.objectContaining({ name: 'overlays', mountPath: '/etc/permgate/overlays' }))
  })
})
