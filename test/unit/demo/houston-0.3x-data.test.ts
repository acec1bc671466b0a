import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { houston03xSchema, startUpstream, SUBJECT_HEADER, type DemoUpstream } from '../../../src/demo/upstream.js'
import { data, post } from './helpers.js'
import { CASES, type Request } from './houston-0.3x-cases.js'

// The 0.3x demo answers every Query and Mutation root field with data for a realistic document,
// and its mutations change what later queries return.

let upstream: DemoUpstream
beforeAll(async () => {
  upstream = await startUpstream({ houston: '0.3x' })
})
afterAll(async () => {
  await upstream?.close()
})
beforeEach(() => upstream.resetData())

const run = (r: Request) => data(upstream.url, r.query, r.variables ?? {}, r.subject === undefined ? {} : { [SUBJECT_HEADER]: r.subject })
const as = (subject: string) => ({ [SUBJECT_HEADER]: subject })

describe('Houston 0.3x demo: one request per root field', () => {
  it('has a case for every Query and Mutation field of the schema', () => {
    const schema = houston03xSchema()
    const fields = [schema.getQueryType(), schema.getMutationType()].flatMap((t) => Object.keys(t?.getFields() ?? {}))
    expect(CASES.map((c) => c.field).sort()).toEqual(fields.sort())
  })

  it.each(CASES.map((c) => [c.field, c] as const))('%s returns data', async (field, c) => {
    if (c.setup !== undefined) await run(c.setup)
    const d = await run(c)
    const value = d[field]
    expect(value, field).not.toBeNull()
    expect(value, field).toBeDefined()
    if (Array.isArray(value)) expect(value.length, `${field} returned an empty list`).toBeGreaterThan(0)
  })
})

describe('Houston 0.3x demo data', () => {
  it('lists the deployments of w1 with selection sets, release names and workspace', async () => {
    const d = await data(upstream.url, '{ workspaceDeployments(workspaceUuid: "w1") { id label releaseName workspace { id label } } }')
    expect(d['workspaceDeployments']).toEqual([
      { id: 'd1', label: 'etl-prod', releaseName: 'stellar-galaxy-1234', workspace: { id: 'w1', label: 'Data Platform' } },
      { id: 'd2', label: 'etl-dev', releaseName: 'nebular-comet-5678', workspace: { id: 'w1', label: 'Data Platform' } },
    ])
  })

  it('answers self and workspaces for the x-permgate-subject, and null/none without it', async () => {
    const q = '{ self { user { id username roleBindings { role workspace { id } deployment { id } } } isAdmin } workspaces { id } }'
    const u1 = await data(upstream.url, q, {}, as('u-1'))
    expect(u1['self']).toEqual({
      user: {
        id: 'u-1',
        username: 'jdoe',
        roleBindings: [
          { role: 'WORKSPACE_ADMIN', workspace: { id: 'w1' }, deployment: null },
          { role: 'DEPLOYMENT_EDITOR', workspace: null, deployment: { id: 'd3' } },
          { role: 'SYSTEM_VIEWER', workspace: null, deployment: null },
        ],
      },
      isAdmin: false,
    })
    // w2 through team data-eng and the d3 binding
    expect(u1['workspaces']).toEqual([{ id: 'w1' }, { id: 'w2' }])
    expect((await data(upstream.url, '{ self { isAdmin } }', {}, as('u-admin')))['self']).toEqual({ isAdmin: true })
    expect(await data(upstream.url, '{ self { isAdmin } workspaces { id } }')).toEqual({ self: null, workspaces: [] })
  })

  it('never returns a secret value', async () => {
    const masked = [
      { key: 'AIRFLOW__CORE__PARALLELISM', value: '32', isSecret: false },
      { key: 'WAREHOUSE_PASSWORD', value: '', isSecret: true },
    ]
    const q = '{ deployment(where: {id: "d1"}) { environmentVariables { key value isSecret } } deploymentVariables(workspaceUuid: "w1", releaseName: "stellar-galaxy-1234") { key value isSecret } }'
    expect(await data(upstream.url, q)).toEqual({ deployment: { environmentVariables: masked }, deploymentVariables: masked })
    const updated = await data(upstream.url, 'mutation($vars: [InputEnvironmentVariable!]!) { updateDeploymentVariables(deploymentUuid: "d1", releaseName: "stellar-galaxy-1234", environmentVariables: $vars) { key value isSecret } }', {
      vars: [{ key: 'TOKEN', value: 'sekrit', isSecret: true }, { key: 'MODE', value: 'batch', isSecret: false }],
    })
    expect(updated['updateDeploymentVariables']).toEqual([{ key: 'TOKEN', value: '', isSecret: true }, { key: 'MODE', value: 'batch', isSecret: false }])
  })

  it('createDeployment adds a deployment with a fresh id and a release name of the seed\'s scheme', async () => {
    const created = await data(upstream.url, 'mutation { createDeployment(workspaceUuid: "w2", label: "ml", type: "airflow", executor: KubernetesExecutor, runtimeVersion: "9.6.0") { id releaseName airflowVersion executor namespace } }')
    expect(created['createDeployment']).toEqual({ id: 'd4', releaseName: expect.stringMatching(/^[a-z]+-[a-z]+-\d{4}$/), airflowVersion: '2.7.3', executor: 'KubernetesExecutor', namespace: expect.stringMatching(/^astronomer-/) })
    const { releaseName } = created['createDeployment'] as { releaseName: string }
    const listed = await data(upstream.url, '{ workspaceDeployments(workspaceUuid: "w2") { id releaseName } }')
    expect(listed['workspaceDeployments']).toEqual([{ id: 'd3', releaseName: 'lunar-orbit-9012' }, { id: 'd4', releaseName }])
    const again = await post(upstream.url, { query: `mutation { createDeployment(workspaceUuid: "w2", label: "x", type: "airflow", releaseName: "${releaseName}") { id } }` })
    expect(again.body).toMatchObject({ errors: [{ message: `Release name ${releaseName} is already taken` }] })
    const invalid = await post(upstream.url, { query: 'mutation { createDeployment(workspaceUuid: "w2", label: "x", type: "airflow", releaseName: "-bad-") { id } }' })
    expect(invalid.body).toMatchObject({ errors: [{ message: expect.stringMatching(/^Release name -bad- is not valid/) }] })
  })

  it('updateDeployment changes what deployment and workspaceDeployments return', async () => {
    await data(upstream.url, 'mutation { updateDeployment(deploymentUuid: "d2", payload: {label: "etl-staging"}, workers: {replicas: 4}, executor: LocalExecutor) { id } }')
    const d = await data(upstream.url, '{ deployment(where: {releaseName: "nebular-comet-5678"}) { label executor config } }')
    expect(d['deployment']).toEqual({ label: 'etl-staging', executor: 'LocalExecutor', config: expect.objectContaining({ executor: 'LocalExecutor', workers: { replicas: 4 } }) })
  })

  it('deleteDeployment removes it: lookups by id and release name then fail', async () => {
    await data(upstream.url, 'mutation { deleteDeployment(deploymentUuid: "d3") { id } }')
    const byId = await post(upstream.url, { query: '{ deployment(where: {id: "d3"}) { id } }' })
    expect(byId.body).toMatchObject({ data: { deployment: null }, errors: [{ message: 'Deployment d3 not found', path: ['deployment'] }] })
    const byRelease = await post(upstream.url, { query: '{ workspaceDeployment(workspaceUuid: "w2", releaseName: "lunar-orbit-9012") { id } }' })
    expect(byRelease.body).toMatchObject({ errors: [{ message: 'Deployment with release name lunar-orbit-9012 not found' }] })
    expect((await data(upstream.url, '{ deploymentServiceAccounts(deploymentUuid: "d1") { id } }'))['deploymentServiceAccounts']).toEqual([{ id: 'sa-ci' }])
  })

  it('workspace membership: add, change role, remove', async () => {
    const members = async () => (await data(upstream.url, '{ workspaceUsers(workspaceUuid: "w2") { id roleBindings { role workspace { id } } } }'))['workspaceUsers']
    await data(upstream.url, 'mutation { workspaceAddUser(workspaceUuid: "w2", email: "vroe@example.com", role: WORKSPACE_EDITOR) { id } }')
    expect(await members()).toContainEqual({ id: 'u-viewer', roleBindings: expect.arrayContaining([{ role: 'WORKSPACE_EDITOR', workspace: { id: 'w2' } }]) })
    expect(await data(upstream.url, 'mutation { workspaceUpsertUserRole(workspaceUuid: "w2", email: "vroe@example.com", role: WORKSPACE_ADMIN) }')).toEqual({ workspaceUpsertUserRole: 'WORKSPACE_ADMIN' })
    expect(await members()).toContainEqual({ id: 'u-viewer', roleBindings: expect.arrayContaining([{ role: 'WORKSPACE_ADMIN', workspace: { id: 'w2' } }]) })
    await data(upstream.url, 'mutation { workspaceRemoveUser(workspaceUuid: "w2", userUuid: "u-viewer") { id } }')
    expect(await members()).toEqual([{ id: 'u-admin', roleBindings: expect.any(Array) }])
  })

  it('workspaceAddUser for an unknown e-mail invites it; createUser with the token joins the workspace', async () => {
    await data(upstream.url, 'mutation { workspaceAddUser(workspaceUuid: "w2", email: "analyst@example.com", role: WORKSPACE_VIEWER) { id } }')
    const invites = (await data(upstream.url, '{ workspaceInvites(workspaceUuid: "w2") { email role token } }'))['workspaceInvites'] as { email: string; role: string; token: string }[]
    expect(invites).toEqual([{ email: 'analyst@example.com', role: 'WORKSPACE_VIEWER', token: expect.stringMatching(/^[0-9a-f]{32}$/) }])
    const created = await data(upstream.url, 'mutation($t: String) { createUser(email: "analyst@example.com", password: "pw-pw-pw", inviteToken: $t) { user { id status } token { value } } }', { t: invites[0]?.token })
    expect(created['createUser']).toMatchObject({ user: { id: 'u-2', status: 'active' } })
    const users = await data(upstream.url, '{ workspaceUsers(workspaceUuid: "w2") { emails { address } } workspaceInvites(workspaceUuid: "w2") { id } }')
    expect(users['workspaceUsers']).toContainEqual({ emails: [{ address: 'analyst@example.com' }] })
    expect(users['workspaceInvites']).toEqual([])
  })

  it('service accounts: created with an API key shown once, listed, updated, deleted', async () => {
    const created = (await data(upstream.url, 'mutation { createWorkspaceServiceAccount(label: "bi", workspaceUuid: "w1", role: WORKSPACE_VIEWER) { id apiKey roleBinding { role workspace { id } } } }'))['createWorkspaceServiceAccount'] as { id: string; apiKey: string }
    expect(created).toEqual({ id: 'sa-1', apiKey: expect.stringMatching(/^[0-9a-f]{32}$/), roleBinding: { role: 'WORKSPACE_VIEWER', workspace: { id: 'w1' } } })
    const list = async () => (await data(upstream.url, '{ workspaceServiceAccounts(workspaceUuid: "w1") { id label apiKey roleBinding { role } } }'))['workspaceServiceAccounts']
    expect(await list()).toEqual([{ id: 'sa-1', label: 'bi', apiKey: null, roleBinding: { role: 'WORKSPACE_VIEWER' } }])
    await data(upstream.url, 'mutation { updateWorkspaceServiceAccount(serviceAccountUuid: "sa-1", workspaceUuid: "w1", payload: {label: "bi-reader", role: "WORKSPACE_EDITOR"}) { id } }')
    expect(await list()).toEqual([{ id: 'sa-1', label: 'bi-reader', apiKey: null, roleBinding: { role: 'WORKSPACE_EDITOR' } }])
    await data(upstream.url, 'mutation { deleteWorkspaceServiceAccount(serviceAccountUuid: "sa-1", workspaceUuid: "w1") { id } }')
    expect(await list()).toEqual([])
  })

  it('teams and system roles: bindings added and removed show in queries', async () => {
    await data(upstream.url, 'mutation { deploymentAddTeamRole(teamUuid: "t-data-eng", deploymentUuid: "d1", role: DEPLOYMENT_VIEWER) { id } }')
    expect((await data(upstream.url, '{ deploymentTeams(deploymentUuid: "d1") { name } }'))['deploymentTeams']).toEqual([{ name: 'data-eng' }])
    await data(upstream.url, 'mutation { createSystemRoleBinding(userId: "u-viewer", role: SYSTEM_ADMIN) { id } }')
    expect((await data(upstream.url, '{ self { isAdmin } }', {}, as('u-viewer')))['self']).toEqual({ isAdmin: true })
    await data(upstream.url, 'mutation { deleteSystemRoleBinding(userId: "u-viewer", role: SYSTEM_ADMIN) { id } }')
    expect((await data(upstream.url, '{ self { isAdmin } }', {}, as('u-viewer')))['self']).toEqual({ isAdmin: false })
    const wrongScope = await post(upstream.url, { query: 'mutation { createSystemRoleBinding(userId: "u-viewer", role: WORKSPACE_ADMIN) { id } }' })
    expect(wrongScope.body).toMatchObject({ errors: [{ message: 'Role WORKSPACE_ADMIN is not a SYSTEM_* role' }] })
  })

  it('accounts: sign-up is pending until the e-mail is confirmed; login then works', async () => {
    const signup = await data(upstream.url, 'mutation { createUser(email: "solo@example.com", password: "pw-solo-pw") { user { id status } } }')
    const id = (signup['createUser'] as { user: { id: string } }).user.id
    expect(signup['createUser']).toEqual({ user: { id, status: 'pending' } })
    const login = { query: 'mutation { createToken(identity: "solo@example.com", password: "pw-solo-pw") { user { id } token { value } } }' }
    expect((await post(upstream.url, login)).body).toMatchObject({ errors: [{ message: expect.stringMatching(/pending/) }] })
    const { email } = await data(upstream.url, '{ email(where: {address: "solo@example.com"}) { token } }')
    await data(upstream.url, 'mutation($t: String!) { confirmEmail(token: $t) { user { status } } }', { t: (email as { token: string }).token })
    expect((await data(upstream.url, login.query))['createToken']).toEqual({ user: { id }, token: { value: expect.stringMatching(/^demo-session-/) } })
    const wrong = await post(upstream.url, { query: 'mutation { createToken(identity: "solo", password: "nope") { user { id } } }' })
    expect(wrong.body).toMatchObject({ errors: [{ message: 'Invalid password and email combination' }] })
  })

  it('unknown ids are GraphQL errors, as in Houston', async () => {
    const cases = [
      ['{ workspace(workspaceUuid: "w404") { id } }', 'Workspace w404 not found'],
      ['{ deploymentUsers(deploymentId: "d404") { id } }', 'Deployment d404 not found'],
      ['{ team(teamUuid: "t404") { id } }', 'Team t404 not found'],
      ['mutation { deleteInviteToken(inviteUuid: "inv-404") { id } }', 'Invite inv-404 not found'],
      ['mutation { updateServiceAccount(serviceAccountUuid: "sa-404", payload: {}) { id } }', 'Service account sa-404 not found'],
      ['mutation { removeUser(userUuid: "u-404") { id } }', 'User u-404 not found'],
    ] as const
    for (const [query, message] of cases) {
      const res = await post(upstream.url, { query })
      expect(res.status, query).toBe(200)
      expect(res.body, query).toMatchObject({ errors: [{ message }] })
    }
  })

  it('refuses an unknown houston option', async () => {
    await expect(startUpstream({ houston: '0.4x' as never })).rejects.toThrow(RangeError)
  })

  it('validates documents: a selection set is required on object fields', async () => {
    const res = await post(upstream.url, { query: '{ workspaceDeployments(workspaceUuid: "w1") }' })
    expect(res.status).toBe(400)
    expect(res.body).toMatchObject({ errors: [{ message: expect.stringMatching(/must have a selection of subfields/) }] })
  })
})
