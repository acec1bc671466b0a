import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { post, startHarness, type Harness } from '../helpers/proxy.js'
import { tempFiles } from '../helpers/tmp.js'

const dir = tempFiles({})
const file = join(dir, 'decisions.log')
let h: Harness
let token: string

beforeAll(async () => {
  h = await startHarness(['--decision-log', file, '--decision-log-sample-rate', '1'])
  token = await h.token('u-viewer')
  const auth = { authorization: `Bearer ${token}` }
  await post(h.graphql, { query: 'query W($w: Uuid!) { workspaceDeployments(workspaceUuid: $w) }', variables: { w: 'w1', password: 'hunter2' }, operationName: 'W' }, auth)
  await post(h.graphql, { query: 'mutation { deleteDeployment(deploymentUuid: "d1") }' }, auth)
  await post(h.graphql, { query: '{ self }' }, { authorization: 'Bearer not.a.jwt' })
  await h.close() // flushes the log
})
afterAll(() => undefined)

describe('the decision log, wired', () => {
  const events = () => readFileSync(file, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>)

  it('records one JSON event per decision with its fields', () => {
    const [allowed, denied, bad] = events()
    expect(allowed).toMatchObject({
      subject: 'u-viewer', kind: 'user', groups: [], operationType: 'Query', operationName: 'W',
      rootFields: ['Query.workspaceDeployments'], required: ['workspace.deployments.get', 'system.deployments.get'],
      allowed: true, reason: 'allowed', policyRevision: 'v0.12.1',
    })
    expect(allowed?.decisionId).toEqual(expect.any(String))
    expect(allowed?.latencyUs).toEqual(expect.any(Number))
    expect(Date.parse(allowed?.time as string)).not.toBeNaN()
    expect(denied).toMatchObject({ allowed: false, reason: 'missing_permission', scope: { kind: 'deployment', id: 'd1' }, rootFields: ['Mutation.deleteDeployment'] })
    expect(bad).toMatchObject({ allowed: false, reason: 'PERMGATE_ERR_AUTH_TOKEN_INVALID', subject: null, operationType: 'none' })
  })

  it('never holds a token or a variable value', () => {
    const text = readFileSync(file, 'utf8')
    expect(text).not.toContain(token)
    expect(text).not.toContain('hunter2')
    expect(text).not.toContain('not.a.jwt')
    expect(text).not.toContain('"w1"')
  })
})
