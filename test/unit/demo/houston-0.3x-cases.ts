// One request per Query/Mutation root field of Houston 0.3x, with the selection sets and
// variable types clients send (the Astro CLI's where it sends the field), run against the seed
// data (src/demo/upstream/seed.ts). `setup` runs first when the field needs data the seed lacks.

export interface Request {
  readonly query: string
  readonly variables?: Record<string, unknown>
  /** x-permgate-subject; none for public fields. */
  readonly subject?: string
}

export interface Case extends Request {
  readonly field: string
  readonly setup?: Request
}

const DEPLOYMENT = `id label description releaseName type version airflowVersion runtimeVersion desiredRuntimeVersion
  desiredAirflowVersion runtimeAirflowVersion status namespace executor createdAt updatedAt
  workspace { id label } urls { type url } deployInfo { current nextCli } dagDeployment { type }
  config properties alertEmails environmentVariables { key value isSecret }`
const WORKSPACE = `id label description active createdAt updatedAt
  roleBindings { role user { id username } serviceAccount { id label } team { id name } }`
const USER = `id username fullName status createdAt updatedAt emails { address primary verified }
  roleBindings { role workspace { id } deployment { id } }`
const SERVICE_ACCOUNT = `id apiKey label category entityType entityUuid workspaceUuid deploymentUuid active
  lastUsedAt createdAt updatedAt roleBinding { id role }`
const ROLE_BINDING = `id role createdAt user { id username } team { id name } serviceAccount { id }
  workspace { id } deployment { id releaseName }`
const AUTH_USER = `user { id username emails { address verified } } token { value payload { uuid iat exp } }
  isAdmin authUserCapabilities { canSysAdmin }`
const TEAM = `id name createdAt updatedAt roleBindings { role workspace { id } deployment { id } }`
const INVITE = `id email role token createdAt updatedAt`

const ADMIN = 'u-admin'

export const CASES: readonly Case[] = [
  // --- Query -------------------------------------------------------------------------------
  { field: 'appConfig', query: `query AppConfig { appConfig { version baseDomain smtpConfigured manualReleaseNames configureDagDeployment
      nfsMountDagDeployment manualNamespaceNames hardDeleteDeployment triggererEnabled featureFlags byoUpdateRegistryHost } }` },
  { field: 'authConfig', query: `query GetAuthConfig($redirect: String) { authConfig(redirect: $redirect) {
      publicSignup initialSignup localEnabled externalSignupUrl providers { name displayName url } } }`, variables: { redirect: 'https://app.example.com' } },
  { field: 'availableNamespaces', query: '{ availableNamespaces { name } }', subject: ADMIN },
  { field: 'card', query: '{ card(workspaceUuid: "w1", stripeCustomerId: "cus_demo_w1") { name brand last4 expMonth expYear billingEmail company } }', subject: ADMIN },
  { field: 'deployment', query: `query GetDeployment($id: String!) { deployment(where: {id: $id}) { ${DEPLOYMENT} } }`, variables: { id: 'd1' }, subject: ADMIN },
  { field: 'deploymentConfig', query: `{ deploymentConfig { airflowImages { version channel tag } airflowVersions defaultAirflowImageTag
      defaultAirflowChartVersion executors defaults limits astroUnit { cpu memory pods price } maxExtraAu singleNamespace loggingEnabled latestVersion } }`, subject: ADMIN },
  { field: 'deploymentServiceAccount', query: `{ deploymentServiceAccount(deploymentUuid: "d1", serviceAccountUuid: "sa-ci") { ${SERVICE_ACCOUNT} } }`, subject: ADMIN },
  { field: 'deploymentServiceAccounts', query: `query GetDeploymentServiceAccounts($deploymentUuid: Uuid!) {
      deploymentServiceAccounts(deploymentUuid: $deploymentUuid) { ${SERVICE_ACCOUNT} } }`, variables: { deploymentUuid: 'd1' }, subject: ADMIN },
  {
    field: 'deploymentTeams',
    setup: { query: 'mutation { deploymentAddTeamRole(teamUuid: "t-data-eng", deploymentUuid: "d1", role: DEPLOYMENT_VIEWER) { id } }', subject: ADMIN },
    query: `query ListDeploymentTeams($deploymentUuid: Uuid!) { deploymentTeams(deploymentUuid: $deploymentUuid) { ${TEAM} } }`,
    variables: { deploymentUuid: 'd1' },
    subject: ADMIN,
  },
  { field: 'deploymentUsers', query: `query GetDeploymentUsers($deploymentId: Id!, $user: UserSearch) { deploymentUsers(deploymentId: $deploymentId, user: $user) { ${USER} } }`,
    variables: { deploymentId: 'd3', user: { email: 'jdoe' } }, subject: ADMIN },
  { field: 'deploymentVariables', query: '{ deploymentVariables(workspaceUuid: "w1", releaseName: "stellar-galaxy-1234") { key value isSecret } }', subject: ADMIN },
  { field: 'deployments', query: '{ deployments { id label releaseName status workspace { id label } } }', subject: ADMIN },
  { field: 'email', query: '{ email(where: {address: "jdoe@example.com"}) { id address primary verified token createdAt user { id username } } }', subject: ADMIN },
  { field: 'invites', query: `{ invites(invite: {email: "new.hire"}) { ${INVITE} } }`, subject: ADMIN },
  { field: 'logs', query: `query GetLogs($deploymentId: Uuid!, $component: String, $timestamp: DateTime, $search: String) {
      logs(deploymentUuid: $deploymentId, component: $component, timestamp: $timestamp, search: $search) { id createdAt: timestamp log: message level component release } }`,
    variables: { deploymentId: 'd1', component: 'worker', timestamp: '2024-01-15T00:00:00.000Z' }, subject: ADMIN },
  { field: 'paginatedDeployments', query: `query PaginatedDeployments($take: Int, $pageNumber: Int) { paginatedDeployments(take: $take, pageNumber: $pageNumber) {
      id label releaseName workspace { id label } deployInfo { current } status createdAt updatedAt } }`, variables: { take: -1, pageNumber: 1 }, subject: ADMIN },
  { field: 'paginatedTeams', query: `query PaginatedTeams($take: Int, $workspaceUuid: Uuid) { paginatedTeams(take: $take, workspaceUuid: $workspaceUuid) { count teams { ${TEAM} } } }`,
    variables: { take: 20, workspaceUuid: 'w2' }, subject: ADMIN },
  { field: 'paginatedWorkspaceUsers', query: `query PaginatedWorkspaceUsers($workspaceUuid: Uuid!, $take: Int) { paginatedWorkspaceUsers(workspaceUuid: $workspaceUuid, take: $take) { ${USER} } }`,
    variables: { workspaceUuid: 'w1', take: 1 }, subject: ADMIN },
  { field: 'paginatedWorkspaces', query: 'query PaginatedWorkspaces($take: Int, $pageNumber: Int) { paginatedWorkspaces(take: $take, pageNumber: $pageNumber) { id label description } }',
    variables: { take: 10, pageNumber: 1 }, subject: 'u-1' },
  { field: 'runtimeReleases', query: 'query RuntimeReleases($airflowVersion: String, $clusterId: Uuid) { runtimeReleases(airflowVersion: $airflowVersion, clusterId: $clusterId) { version airflowVersion airflowDatabaseMigrations } }', subject: ADMIN },
  { field: 'self', query: `query GetSelf { self { ${AUTH_USER} } }`, subject: 'u-1' },
  { field: 'serviceAccounts', query: `{ serviceAccounts(entityType: DEPLOYMENT, entityUuid: "d1") { ${SERVICE_ACCOUNT} } }`, subject: ADMIN },
  { field: 'sysWorkspaces', query: '{ sysWorkspaces { id label users { id username } deployments { id releaseName } } }', subject: ADMIN },
  { field: 'team', query: `query GetTeam($teamUuid: Uuid!, $workspaceUuid: Uuid) { team(teamUuid: $teamUuid, workspaceUuid: $workspaceUuid) { ${TEAM} } }`,
    variables: { teamUuid: 't-data-eng', workspaceUuid: 'w2' }, subject: ADMIN },
  { field: 'teamUsers', query: `query GetTeamUsers($teamUuid: Uuid!) { teamUsers(teamUuid: $teamUuid) { ${USER} } }`, variables: { teamUuid: 't-data-eng' }, subject: ADMIN },
  { field: 'updateAvailable', query: '{ updateAvailable { version url level description releaseDate } }', subject: ADMIN },
  { field: 'users', query: `query GetUsers($user: UserSearch) { users(user: $user) { ${USER} } }`, variables: { user: { email: 'example.com' } }, subject: ADMIN },
  { field: 'workspace', query: `{ workspace(workspaceUuid: "w1") { ${WORKSPACE} deployments { id releaseName } invites { email role }
      serviceAccounts { id } workspaceCapabilities { canUpdateIAM canCreateDeployment canGetWorkspace } } }`, subject: 'u-1' },
  { field: 'workspaceDeployment', query: `{ workspaceDeployment(workspaceUuid: "w1", releaseName: "stellar-galaxy-1234") { ${DEPLOYMENT} } }`, subject: ADMIN },
  { field: 'workspaceDeployments', query: `query WorkspaceDeployments($workspaceId: Uuid!, $releaseName: String) {
      workspaceDeployments(workspaceUuid: $workspaceId, releaseName: $releaseName) { ${DEPLOYMENT} } }`, variables: { workspaceId: 'w1' }, subject: 'u-viewer' },
  { field: 'workspaceInvites', query: `{ workspaceInvites(workspaceUuid: "w1") { ${INVITE} } }`, subject: ADMIN },
  { field: 'workspaceServiceAccount', query: `{ workspaceServiceAccount(workspaceUuid: "w2", serviceAccountUuid: "sa-reports") { ${SERVICE_ACCOUNT} } }`, subject: ADMIN },
  { field: 'workspaceServiceAccounts', query: `query GetWorkspaceServiceAccounts($workspaceUuid: Uuid!) {
      workspaceServiceAccounts(workspaceUuid: $workspaceUuid) { ${SERVICE_ACCOUNT} } }`, variables: { workspaceUuid: 'w2' }, subject: ADMIN },
  { field: 'workspaceTeams', query: `{ workspaceTeams(workspaceUuid: "w2") { ${TEAM} } }`, subject: ADMIN },
  { field: 'workspaceUser', query: `query GetWorkspaceUser($workspaceUuid: Uuid!, $email: String!) { workspaceUser(workspaceUuid: $workspaceUuid, user: {email: $email}) { ${USER} } }`,
    variables: { workspaceUuid: 'w1', email: 'vroe@example.com' }, subject: ADMIN },
  { field: 'workspaceUsers', query: `query GetWorkspaceUsers($workspaceUuid: Uuid!) { workspaceUsers(workspaceUuid: $workspaceUuid) { ${USER} } }`, variables: { workspaceUuid: 'w1' }, subject: ADMIN },
  { field: 'workspaces', query: `query GetWorkspaces { workspaces { ${WORKSPACE} } }`, subject: 'u-1' },

  // --- Mutation ----------------------------------------------------------------------------
  { field: 'addCard', query: 'mutation { addCard(workspaceUuid: "w2", billingEmail: "billing@example.com", company: "Example Corp", token: "tok_visa") { brand last4 billingEmail company } }', subject: ADMIN },
  { field: 'addCustomerId', query: 'mutation { addCustomerId(workspaceUuid: "w2", stripeCustomerId: "cus_demo_w2") { id stripeCustomerId billingEnabled } }', subject: ADMIN },
  { field: 'adoptDeployment', query: `mutation { adoptDeployment(workspaceUuid: "w2", clusterId: "c1", crNamespace: "legacy-ns", crName: "legacy-airflow", label: "legacy") {
      id label releaseName namespace clusterId status } }`, subject: ADMIN },
  { field: 'cancelRuntimeUpdate', query: 'mutation CancelUpdate($deploymentUuid: Uuid!) { cancelRuntimeUpdate(deploymentUuid: $deploymentUuid) { id label releaseName runtimeVersion desiredRuntimeVersion } }',
    variables: { deploymentUuid: 'd2' }, subject: ADMIN },
  { field: 'confirmEmail', query: `mutation ConfirmEmail($token: String!) { confirmEmail(token: $token) { ${AUTH_USER} } }`, variables: { token: 'email-token-u-1' } },
  {
    field: 'createDeployment',
    query: `mutation CreateDeployment($workspaceId: Uuid!, $label: String!, $type: String = "airflow", $executor: ExecutorType!, $runtimeVersion: String,
        $triggererReplicas: Int, $dagDeployment: DagDeployment, $description: String) {
      createDeployment(workspaceUuid: $workspaceId, label: $label, type: $type, executor: $executor, runtimeVersion: $runtimeVersion,
        triggerer: {replicas: $triggererReplicas}, dagDeployment: $dagDeployment, description: $description) {
        id type label releaseName description version airflowVersion runtimeVersion urls { type url } createdAt updatedAt config dagDeployment { type } } }`,
    variables: { workspaceId: 'w1', label: 'etl-staging', executor: 'CeleryExecutor', runtimeVersion: '7.6.0', triggererReplicas: 1, dagDeployment: { type: 'image' } },
    subject: 'u-1',
  },
  { field: 'createDeploymentServiceAccount', query: `mutation CreateDeploymentServiceAccount($label: String!, $category: String, $deploymentUuid: Uuid!, $role: Role!) {
      createDeploymentServiceAccount(label: $label, category: $category, deploymentUuid: $deploymentUuid, role: $role) { ${SERVICE_ACCOUNT} } }`,
    variables: { label: 'deployer', category: 'CI', deploymentUuid: 'd2', role: 'DEPLOYMENT_EDITOR' }, subject: ADMIN },
  { field: 'createServiceAccount', query: `mutation { createServiceAccount(label: "legacy", entityType: WORKSPACE, entityUuid: "w1", role: WORKSPACE_VIEWER) { ${SERVICE_ACCOUNT} } }`, subject: ADMIN },
  { field: 'createSystemRoleBinding', query: `mutation AddSystemRole($userId: ID!, $role: Role!) { createSystemRoleBinding(userId: $userId, role: $role) { ${ROLE_BINDING} } }`,
    variables: { userId: 'u-viewer', role: 'SYSTEM_VIEWER' }, subject: ADMIN },
  { field: 'createSystemServiceAccount', query: `mutation { createSystemServiceAccount(label: "ops", category: "Platform", role: SYSTEM_EDITOR) { ${SERVICE_ACCOUNT} } }`, subject: ADMIN },
  { field: 'createTeamSystemRoleBinding', query: `mutation CreateTeamSystemRoleBinding($teamUuid: Uuid!, $role: Role!) { createTeamSystemRoleBinding(teamUuid: $teamUuid, role: $role) { ${ROLE_BINDING} } }`,
    variables: { teamUuid: 't-data-eng', role: 'SYSTEM_VIEWER' }, subject: ADMIN },
  { field: 'createToken', query: `mutation CreateToken($identity: String, $password: String!) { createToken(identity: $identity, password: $password) { ${AUTH_USER} } }`,
    variables: { identity: 'jdoe@example.com', password: 'demo-password' } },
  { field: 'createUser', query: `mutation CreateUser($email: String!, $password: String!, $username: String, $inviteToken: String, $profile: JSON) {
      createUser(email: $email, password: $password, username: $username, inviteToken: $inviteToken, profile: $profile) { ${AUTH_USER} } }`,
    variables: { email: 'new.hire@example.com', password: 'a-long-password', username: 'newhire', inviteToken: 'invite-token-1', profile: { fullName: 'New Hire' } } },
  { field: 'createWorkspace', query: `mutation CreateWorkspace($label: String!, $description: String) { createWorkspace(label: $label, description: $description) { ${WORKSPACE} } }`,
    variables: { label: 'Finance', description: 'Ledgers and forecasts' }, subject: 'u-viewer' },
  { field: 'createWorkspaceServiceAccount', query: `mutation CreateWorkspaceServiceAccount($label: String!, $category: String, $workspaceUuid: Uuid!, $role: Role!) {
      createWorkspaceServiceAccount(label: $label, category: $category, workspaceUuid: $workspaceUuid, role: $role) { ${SERVICE_ACCOUNT} } }`,
    variables: { label: 'bi', category: 'Reporting', workspaceUuid: 'w2', role: 'WORKSPACE_EDITOR' }, subject: ADMIN },
  { field: 'deleteDeployment', query: 'mutation DeleteDeployment($deploymentUuid: Uuid!, $deploymentHardDelete: Boolean) { deleteDeployment(deploymentUuid: $deploymentUuid, deploymentHardDelete: $deploymentHardDelete) { id releaseName status } }',
    variables: { deploymentUuid: 'd2', deploymentHardDelete: true }, subject: ADMIN },
  { field: 'deleteDeploymentServiceAccount', query: 'mutation DeleteDeploymentServiceAccount($serviceAccountUuid: Uuid!, $deploymentUuid: Uuid!) { deleteDeploymentServiceAccount(serviceAccountUuid: $serviceAccountUuid, deploymentUuid: $deploymentUuid) { id label } }',
    variables: { serviceAccountUuid: 'sa-ci', deploymentUuid: 'd1' }, subject: ADMIN },
  { field: 'deleteInviteToken', query: `mutation { deleteInviteToken(inviteUuid: "inv-1") { ${INVITE} } }`, subject: ADMIN },
  { field: 'deleteServiceAccount', query: 'mutation { deleteServiceAccount(serviceAccountUuid: "sa-reports") { id label } }', subject: ADMIN },
  { field: 'deleteSystemRoleBinding', query: `mutation { deleteSystemRoleBinding(userId: "u-1", role: SYSTEM_VIEWER) { ${ROLE_BINDING} } }`, subject: ADMIN },
  { field: 'deleteSystemServiceAccount', query: 'mutation { deleteSystemServiceAccount(serviceAccountUuid: "sa-monitoring") { id label entityType } }', subject: ADMIN },
  {
    field: 'deleteTeamSystemRoleBinding',
    setup: { query: 'mutation { createTeamSystemRoleBinding(teamUuid: "t-data-eng", role: SYSTEM_VIEWER) { id } }', subject: ADMIN },
    query: `mutation RemoveTeamSystemRoleBinding($teamUuid: Uuid!, $role: Role!) { deleteTeamSystemRoleBinding(teamUuid: $teamUuid, role: $role) { ${ROLE_BINDING} } }`,
    variables: { teamUuid: 't-data-eng', role: 'SYSTEM_VIEWER' },
    subject: ADMIN,
  },
  {
    field: 'deleteWorkspace',
    setup: { query: 'mutation { createWorkspace(label: "Scratch") { id } }', subject: ADMIN },
    query: 'mutation DeleteWorkspace($workspaceId: Uuid!) { deleteWorkspace(workspaceUuid: $workspaceId) { id label description } }',
    variables: { workspaceId: 'w3' },
    subject: ADMIN,
  },
  { field: 'deleteWorkspaceServiceAccount', query: 'mutation DeleteWorkspaceServiceAccount($serviceAccountUuid: Uuid!, $workspaceUuid: Uuid!) { deleteWorkspaceServiceAccount(serviceAccountUuid: $serviceAccountUuid, workspaceUuid: $workspaceUuid) { id label } }',
    variables: { serviceAccountUuid: 'sa-reports', workspaceUuid: 'w2' }, subject: ADMIN },
  { field: 'deploymentAddTeamRole', query: `mutation AddDeploymentTeam($teamUuid: Uuid!, $deploymentUuid: Uuid!, $role: Role!) { deploymentAddTeamRole(teamUuid: $teamUuid, deploymentUuid: $deploymentUuid, role: $role) { ${ROLE_BINDING} } }`,
    variables: { teamUuid: 't-data-eng', deploymentUuid: 'd1', role: 'DEPLOYMENT_VIEWER' }, subject: ADMIN },
  { field: 'deploymentAddUserRole', query: `mutation AddDeploymentUser($userId: Id, $email: String!, $deploymentId: Id!, $role: Role!) {
      deploymentAddUserRole(userId: $userId, email: $email, deploymentId: $deploymentId, role: $role) { ${ROLE_BINDING} } }`,
    variables: { email: 'vroe@example.com', deploymentId: 'd1', role: 'DEPLOYMENT_EDITOR' }, subject: ADMIN },
  { field: 'deploymentAlertsUpdate', query: 'mutation { deploymentAlertsUpdate(deploymentUuid: "d1", alertEmails: ["oncall@example.com", "data@example.com"]) { id releaseName alertEmails } }', subject: ADMIN },
  {
    field: 'deploymentRemoveTeamRole',
    setup: { query: 'mutation { deploymentAddTeamRole(teamUuid: "t-data-eng", deploymentUuid: "d1", role: DEPLOYMENT_VIEWER) { id } }', subject: ADMIN },
    query: `mutation RemoveDeploymentTeam($teamUuid: Uuid!, $deploymentUuid: Uuid!) { deploymentRemoveTeamRole(teamUuid: $teamUuid, deploymentUuid: $deploymentUuid) { ${ROLE_BINDING} } }`,
    variables: { teamUuid: 't-data-eng', deploymentUuid: 'd1' },
    subject: ADMIN,
  },
  { field: 'deploymentRemoveUserRole', query: `mutation DeleteDeploymentUser($userId: Id, $email: String!, $deploymentId: Id!) {
      deploymentRemoveUserRole(userId: $userId, email: $email, deploymentId: $deploymentId) { ${ROLE_BINDING} } }`,
    variables: { email: 'jdoe@example.com', deploymentId: 'd3' }, subject: ADMIN },
  {
    field: 'deploymentUpdateTeamRole',
    setup: { query: 'mutation { deploymentAddTeamRole(teamUuid: "t-data-eng", deploymentUuid: "d1", role: DEPLOYMENT_VIEWER) { id } }', subject: ADMIN },
    query: `mutation UpdateDeploymentTeam($teamUuid: Uuid!, $deploymentUuid: Uuid!, $role: Role!) { deploymentUpdateTeamRole(teamUuid: $teamUuid, deploymentUuid: $deploymentUuid, role: $role) { ${ROLE_BINDING} } }`,
    variables: { teamUuid: 't-data-eng', deploymentUuid: 'd1', role: 'DEPLOYMENT_ADMIN' },
    subject: ADMIN,
  },
  { field: 'deploymentUpdateUserRole', query: `mutation UpdateDeploymentUser($userId: Id, $email: String!, $deploymentId: Id!, $role: Role!) {
      deploymentUpdateUserRole(userId: $userId, email: $email, deploymentId: $deploymentId, role: $role) { ${ROLE_BINDING} } }`,
    variables: { email: 'jdoe@example.com', deploymentId: 'd3', role: 'DEPLOYMENT_ADMIN' }, subject: ADMIN },
  { field: 'extendWorkspaceTrial', query: 'mutation { extendWorkspaceTrial(workspaceUuid: "w1", extraDays: 14) { id trialEndsAt } }', subject: ADMIN },
  { field: 'forgotPassword', query: 'mutation { forgotPassword(email: "jdoe@example.com") }' },
  { field: 'inviteUser', query: `mutation { inviteUser(email: "someone@example.com") { ${INVITE} } }`, subject: ADMIN },
  { field: 'removeUser', query: `mutation RemoveUser($userUuid: Uuid!) { removeUser(userUuid: $userUuid) { ${USER} } }`, variables: { userUuid: 'u-viewer' }, subject: ADMIN },
  { field: 'resendConfirmation', query: 'mutation { resendConfirmation(email: "jdoe@example.com") }' },
  { field: 'resetPassword', query: `mutation { resetPassword(token: "reset-token-u-viewer", password: "a-new-password") { ${AUTH_USER} } }` },
  { field: 'suspendWorkspace', query: 'mutation { suspendWorkspace(workspaceUuid: "w2", isSuspended: true) { id active } }', subject: ADMIN },
  { field: 'unadoptDeployment', query: 'mutation { unadoptDeployment(deploymentUuid: "d3") { id releaseName status } }', subject: ADMIN },
  { field: 'updateCard', query: 'mutation { updateCard(workspaceUuid: "w1", billingEmail: "finance@example.com", company: "Example Corp", token: "tok_visa") { brand last4 billingEmail } }', subject: ADMIN },
  {
    field: 'updateDeployment',
    query: `mutation UpdateDeployment($deploymentId: Uuid!, $payload: JSON, $executor: ExecutorType, $workers: Workers, $triggererReplicas: Int) {
      updateDeployment(deploymentUuid: $deploymentId, payload: $payload, executor: $executor, workers: $workers, triggerer: {replicas: $triggererReplicas}) {
        id type label description releaseName version airflowVersion runtimeVersion executor config workspace { id } } }`,
    variables: { deploymentId: 'd1', payload: { label: 'etl-production' }, executor: 'KubernetesExecutor', workers: { replicas: 5 }, triggererReplicas: 2 },
    subject: ADMIN,
  },
  { field: 'updateDeploymentAirflow', query: `mutation UpdateDeploymentAirflow($deploymentId: Uuid!, $desiredAirflowVersion: String!) {
      updateDeploymentAirflow(deploymentUuid: $deploymentId, desiredAirflowVersion: $desiredAirflowVersion) { id label releaseName version airflowVersion desiredAirflowVersion } }`,
    variables: { deploymentId: 'd1', desiredAirflowVersion: '2.3.4' }, subject: ADMIN },
  { field: 'updateDeploymentImage', query: `mutation UpdateDeploymentImage($releaseName: String!, $image: String!, $airflowVersion: String, $runtimeVersion: String) {
      updateDeploymentImage(releaseName: $releaseName, image: $image, airflowVersion: $airflowVersion, runtimeVersion: $runtimeVersion) { id releaseName airflowVersion runtimeVersion deployInfo { current nextCli } } }`,
    variables: { releaseName: 'stellar-galaxy-1234', image: 'registry.example.com/stellar-galaxy-1234/airflow:deploy-2', runtimeVersion: '5.4.0' }, subject: ADMIN },
  { field: 'updateDeploymentRuntime', query: `mutation UpdateDeploymentRuntime($deploymentUuid: Uuid!, $desiredRuntimeVersion: String!) {
      updateDeploymentRuntime(deploymentUuid: $deploymentUuid, desiredRuntimeVersion: $desiredRuntimeVersion) { id label releaseName runtimeVersion desiredRuntimeVersion } }`,
    variables: { deploymentUuid: 'd1', desiredRuntimeVersion: '6.8.0' }, subject: ADMIN },
  { field: 'updateDeploymentServiceAccount', query: `mutation { updateDeploymentServiceAccount(serviceAccountUuid: "sa-ci", deploymentUuid: "d1", payload: {label: "ci-bot"}) { ${SERVICE_ACCOUNT} } }`, subject: ADMIN },
  { field: 'updateDeploymentVariables', query: `mutation UpdateDeploymentVariables($deploymentUuid: Uuid!, $releaseName: String!, $environmentVariables: [InputEnvironmentVariable!]!) {
      updateDeploymentVariables(deploymentUuid: $deploymentUuid, releaseName: $releaseName, environmentVariables: $environmentVariables) { key value isSecret } }`,
    variables: { deploymentUuid: 'd1', releaseName: 'stellar-galaxy-1234', environmentVariables: [{ key: 'AIRFLOW__CORE__PARALLELISM', value: '64', isSecret: false }, { key: 'WAREHOUSE_PASSWORD', value: '', isSecret: true }] },
    subject: ADMIN },
  { field: 'updateSelf', query: 'mutation UpdateSelf($payload: JSON!) { updateSelf(payload: $payload) { id username fullName profile { key value category } } }', variables: { payload: { fullName: 'Jane Q. Doe' } }, subject: 'u-1' },
  { field: 'updateServiceAccount', query: `mutation { updateServiceAccount(serviceAccountUuid: "sa-reports", payload: {category: "BI"}) { ${SERVICE_ACCOUNT} } }`, subject: ADMIN },
  { field: 'updateUser', query: 'mutation { updateUser(userId: "u-viewer", payload: {fullName: "Vic Roe"}) { id fullName } }', subject: ADMIN },
  { field: 'updateWorkspace', query: `mutation UpdateWorkspace($workspaceId: Uuid!, $payload: JSON!) { updateWorkspace(workspaceUuid: $workspaceId, payload: $payload) { ${WORKSPACE} } }`,
    variables: { workspaceId: 'w1', payload: { label: 'Data Platform (EU)', description: 'EU pipelines' } }, subject: ADMIN },
  { field: 'updateWorkspaceServiceAccount', query: `mutation { updateWorkspaceServiceAccount(serviceAccountUuid: "sa-reports", workspaceUuid: "w2", payload: {role: "WORKSPACE_EDITOR"}) { ${SERVICE_ACCOUNT} } }`, subject: ADMIN },
  { field: 'upgradeDeployment', query: 'mutation { upgradeDeployment(deploymentUuid: "d1", version: "1.10.0") { id releaseName version } }', subject: ADMIN },
  {
    field: 'upsertDeployment',
    query: `mutation UpsertDeployment($workspaceUuid: Uuid, $label: String, $runtimeVersion: String, $executor: ExecutorType, $environmentVariables: [InputEnvironmentVariable], $workers: Workers) {
      upsertDeployment(workspaceUuid: $workspaceUuid, label: $label, runtimeVersion: $runtimeVersion, executor: $executor, environmentVariables: $environmentVariables, workers: $workers) {
        id label releaseName runtimeVersion airflowVersion executor upsertedEnvironmentVariables { key value isSecret } } }`,
    variables: { workspaceUuid: 'w2', label: 'ml', runtimeVersion: '9.6.0', executor: 'CeleryExecutor', environmentVariables: [{ key: 'MODEL_BUCKET', value: 's3://models' }], workers: { replicas: 2 } },
    subject: ADMIN,
  },
  { field: 'verifyEmail', query: 'mutation { verifyEmail(email: "vroe@example.com") }' },
  { field: 'workspaceAddTeam', query: `mutation AddWorkspaceTeam($workspaceUuid: Uuid!, $teamUuid: Uuid!, $role: Role! = WORKSPACE_VIEWER, $deploymentRoles: [DeploymentRoles!] = []) {
      workspaceAddTeam(workspaceUuid: $workspaceUuid, teamUuid: $teamUuid, role: $role, deploymentRoles: $deploymentRoles) { id label roleBindings { role team { id name } } } }`,
    variables: { workspaceUuid: 'w1', teamUuid: 't-data-eng', deploymentRoles: [{ deploymentUuid: 'd1', role: 'DEPLOYMENT_EDITOR' }] }, subject: ADMIN },
  { field: 'workspaceAddUser', query: `mutation AddWorkspaceUser($workspaceId: Uuid!, $email: String!, $role: Role!, $deploymentRoles: [DeploymentRoles]) {
      workspaceAddUser(workspaceUuid: $workspaceId, email: $email, role: $role, deploymentRoles: $deploymentRoles) { id label users { id username } } }`,
    variables: { workspaceId: 'w2', email: 'vroe@example.com', role: 'WORKSPACE_EDITOR', deploymentRoles: [] }, subject: ADMIN },
  { field: 'workspaceRemoveTeam', query: 'mutation RemoveWorkspaceTeam($workspaceUuid: Uuid!, $teamUuid: Uuid!) { workspaceRemoveTeam(workspaceUuid: $workspaceUuid, teamUuid: $teamUuid) { id label } }',
    variables: { workspaceUuid: 'w2', teamUuid: 't-data-eng' }, subject: ADMIN },
  { field: 'workspaceRemoveUser', query: 'mutation DeleteWorkspaceUser($workspaceId: Uuid!, $userId: Uuid!) { workspaceRemoveUser(workspaceUuid: $workspaceId, userUuid: $userId) { id label users { id } } }',
    variables: { workspaceId: 'w1', userId: 'u-viewer' }, subject: ADMIN },
  { field: 'workspaceUpdateTeamRole', query: 'mutation UpdateWorkspaceTeamRole($workspaceUuid: Uuid!, $teamUuid: Uuid!, $role: Role!) { workspaceUpdateTeamRole(workspaceUuid: $workspaceUuid, teamUuid: $teamUuid, role: $role) }',
    variables: { workspaceUuid: 'w2', teamUuid: 't-data-eng', role: 'WORKSPACE_ADMIN' }, subject: ADMIN },
  { field: 'workspaceUpdateUserRole', query: 'mutation { workspaceUpdateUserRole(workspaceUuid: "w1", email: "vroe@example.com", role: WORKSPACE_EDITOR) }', subject: ADMIN },
  { field: 'workspaceUpsertUserRole', query: 'mutation UpdateWorkspaceUserRole($workspaceUuid: Uuid!, $email: String!, $role: Role!) { workspaceUpsertUserRole(workspaceUuid: $workspaceUuid, email: $email, role: $role) }',
    variables: { workspaceUuid: 'w2', email: 'vroe@example.com', role: 'WORKSPACE_VIEWER' }, subject: ADMIN },
]

/** The Subscription fields, as the CLI (log) and other clients subscribe to them. */
export const SUBSCRIPTIONS: readonly (Request & { field: string })[] = [
  { field: 'log', query: `subscription log($deploymentId: Uuid!, $component: String, $timestamp: DateTime) {
      log(deploymentUuid: $deploymentId, component: $component, timestamp: $timestamp) { id createdAt: timestamp log: message } }`,
    variables: { deploymentId: 'd1', component: 'scheduler', timestamp: '2024-01-15T00:00:00.000Z' } },
  { field: 'metrics', query: 'subscription Metrics($deploymentUuid: Uuid!, $metricType: [MetricType], $step: Int) { metrics(deploymentUuid: $deploymentUuid, metricType: $metricType, step: $step) { label result } }',
    variables: { deploymentUuid: 'd1', metricType: ['DEPLOYMENT_STATUS', 'DEPLOYMENT_TASKS'], step: 5 } },
  { field: 'deploymentStatus', query: 'subscription DeploymentStatus($releaseName: String!) { deploymentStatus(releaseName: $releaseName) { result } }',
    variables: { releaseName: 'stellar-galaxy-1234' } },
]
