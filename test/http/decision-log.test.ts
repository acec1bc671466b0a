import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { MAX_LOGGED_SCOPE_ID } from '../../src/ingress/audit.js'
import { API_KEY, post, startHarness, type Harness } from '../helpers/proxy.js'
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

  it('never holds a token, nor a variable value (an allowed decision records no scope)', () => {
    const text = readFileSync(file, 'utf8')
    expect(text).not.toContain(token)
    expect(text).not.toContain('hunter2')
    expect(text).not.toContain('not.a.jwt')
    expect(text).not.toContain('"w1"')
  })
})

// Issue 12, item 13 (SECURITY.md, README "Decision log"): the entity a denied field's scope
// argument names is logged as given, literally or through a variable; no other variable value is.
describe('the decision log and variables', () => {
  const scopedFile = join(dir, 'scoped-decisions.log')
  const SECRET_LABEL = 'label-s3cr3t-5f1d'
  const SECRET_PAYLOAD = 'payload-s3cr3t-9c2e'
  let lines: Record<string, unknown>[]
  let text: string

  beforeAll(async () => {
    const s = await startHarness(['--decision-log', scopedFile, '--decision-log-sample-rate', '1'])
    const viewer = { authorization: `Bearer ${await s.token('u-viewer')}` }
    await post(s.graphql, {
      query: 'mutation U($d: Uuid!, $p: JSON) { updateDeployment(deploymentUuid: $d, payload: $p) }',
      variables: { d: 'd-from-a-variable', p: { label: SECRET_PAYLOAD } },
    }, viewer)
    // sa-ci holds DEPLOYMENT_EDITOR on d1: granting DEPLOYMENT_ADMIN there is an escalation
    await post(s.graphql, {
      query: 'mutation C($d: Uuid!, $r: Role!, $l: String!) { createDeploymentServiceAccount(label: $l, deploymentUuid: $d, role: $r) }',
      variables: { d: 'd1', r: 'DEPLOYMENT_ADMIN', l: SECRET_LABEL },
    }, { authorization: API_KEY })
    // a client-written scope id is logged up to MAX_LOGGED_SCOPE_ID characters
    await post(s.graphql, { query: 'mutation U($d: Uuid!) { deleteDeployment(deploymentUuid: $d) { id } }', variables: { d: `x${'y'.repeat(100_000)}` } }, viewer)
    await s.close()
    text = readFileSync(scopedFile, 'utf8')
    lines = text.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>)
  })

  it('logs the scope id of a denial even when it came from a variable', () => {
    expect(lines).toMatchObject([
      { subject: 'u-viewer', reason: 'missing_permission', scope: { kind: 'deployment', id: 'd-from-a-variable' } },
      { subject: 'sa-ci', reason: 'escalation', scope: { kind: 'deployment', id: 'd1' } },
      { subject: 'u-viewer', reason: 'missing_permission', scope: { kind: 'deployment', id: `x${'y'.repeat(MAX_LOGGED_SCOPE_ID - 1)}...(100001 characters)` } },
    ])
  })

  it('logs no other variable value: not a payload, a label, nor the role an escalation would grant', () => {
    expect(text).not.toContain(SECRET_PAYLOAD)
    expect(text).not.toContain(SECRET_LABEL)
    expect(text).not.toContain('DEPLOYMENT_ADMIN')
  })
})
