import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import { describe, expect, it } from 'vitest'
import { findPackageRoot, houstonSchema } from '../../../src/demo/upstream.js'
import { data, post, useUpstream } from './helpers.js'

describe('demo upstream schema', () => {
  it('serves the 62 Houston root fields from the shipped SDL', () => {
    const schema = houstonSchema()
    const count = [schema.getQueryType(), schema.getMutationType(), schema.getSubscriptionType()]
      .map((t) => Object.keys(t?.getFields() ?? {}).length)
      .reduce((a, b) => a + b, 0)
    expect(count).toBe(62)
    expect(schema.getDirective('auth')).toBeDefined()
  })

  it('finds the package root from src/ and from dist/src/ alike', () => {
    const root = findPackageRoot()
    expect(findPackageRoot(pathToFileURL(join(root, 'dist', 'src', 'demo', 'upstream', 'schema.js')).href)).toBe(root)
    expect(findPackageRoot(pathToFileURL(join(root, 'src', 'demo', 'upstream', 'schema.ts')).href)).toBe(root)
  })
})

describe('demo upstream data', () => {
  const upstream = useUpstream()

  it('answers a root field without its own resolver with { field, ok }', async () => {
    const d = await data(upstream().url, 'mutation { inviteUser(email: "a@example.com") }')
    expect(d['inviteUser']).toEqual({ field: 'inviteUser', ok: true })
  })

  it('answers configuration queries', async () => {
    const d = await data(upstream().url, '{ appConfig authConfig deploymentConfig(deploymentUuid: "d1") }')
    expect(d['appConfig']).toMatchObject({ version: '0.12.1' })
    expect(d['authConfig']).toMatchObject({ localEnabled: true })
    expect(d['deploymentConfig']).toMatchObject({
      executors: expect.arrayContaining(['CeleryExecutor']),
      deployment: { id: 'd1', config: { workers: { replicas: 3 } } },
    })
  })

  it('lists all deployments and never returns a secret value', async () => {
    const d = await data(upstream().url, '{ deployments }')
    const list = d['deployments'] as { id: string; env: { key: string; value: string; isSecret: boolean }[] }[]
    expect(list.map((x) => x.id)).toEqual(['d1', 'd2', 'd3'])
    expect(list[0]?.env).toContainEqual({ key: 'WAREHOUSE_PASSWORD', value: '', isSecret: true })
  })

  it('adds a workspace with createWorkspace, its creator as admin', async () => {
    const { url } = upstream()
    const created = await data(url, 'mutation { createWorkspace(label: "Finance") }', {}, { 'x-permgate-subject': 'u-viewer' })
    expect(created['createWorkspace']).toMatchObject({ id: 'w3', label: 'Finance', deploymentCount: 0 })
    const after = await data(url, '{ workspaces self }', {}, { 'x-permgate-subject': 'u-viewer' })
    expect(after['workspaces']).toHaveLength(3)
    expect(after['self']).toMatchObject({ workspaces: expect.arrayContaining([{ id: 'w3', label: 'Finance', role: 'WORKSPACE_ADMIN' }]) })
  })

  it('removes a deployment with deleteDeployment and does not reuse its id', async () => {
    const u = upstream()
    const deleted = await data(u.url, 'mutation { deleteDeployment(deploymentUuid: "d3") }')
    expect(deleted['deleteDeployment']).toMatchObject({ id: 'd3', status: 'DELETED' })
    expect((await data(u.url, '{ workspaceDeployments(workspaceUuid: "w2") }'))['workspaceDeployments']).toEqual([])
    const again = await post(u.url, { query: 'mutation { deleteDeployment(deploymentUuid: "d3") }' })
    expect(again.body).toMatchObject({ errors: [{ message: 'Deployment d3 not found' }] })
    const created = await data(u.url, 'mutation { createDeployment(workspaceUuid: "w2", type: "airflow", label: "new") }')
    expect(created['createDeployment']).toMatchObject({ id: 'd4', workspace: { id: 'w2' } })
    u.resetData()
    expect((await data(u.url, '{ deployments }'))['deployments']).toHaveLength(3)
  })

  it('answers workspaceUsers, serviceAccounts and logs with their filters', async () => {
    const d = await data(
      upstream().url,
      `{
        members: workspaceUsers(workspaceUuid: "w1")
        viewers: workspaceUsers(workspaceUuid: "w1", fullName: "victor")
        deploymentAccounts: serviceAccounts(entityType: DEPLOYMENT, entityUuid: "d1")
        workspaceAccounts: serviceAccounts(entityType: WORKSPACE)
        logs(deploymentUuid: "d1", component: "worker", search: "failed")
      }`,
    )
    expect(d['members']).toEqual([
      expect.objectContaining({ id: 'u-1', role: 'WORKSPACE_ADMIN' }),
      expect.objectContaining({ id: 'u-viewer', role: 'WORKSPACE_VIEWER' }),
    ])
    expect(d['viewers']).toEqual([expect.objectContaining({ id: 'u-viewer' })])
    expect(d['deploymentAccounts']).toEqual([expect.objectContaining({ id: 'sa-ci', roleBinding: { role: 'DEPLOYMENT_EDITOR' } })])
    expect(d['workspaceAccounts']).toEqual([expect.objectContaining({ id: 'sa-reports', entityUuid: 'w2' })])
    expect(d['logs']).toEqual([
      expect.objectContaining({ component: 'worker', level: 'error', release: 'stellar-galaxy-1234' }),
    ])
  })
})
