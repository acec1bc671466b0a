import type { HoustonApi } from './upstream.js'

/** One ready-to-paste request of the demo, with the status it should get. */
export interface DemoExample {
  readonly title: string
  readonly curl: string
  readonly expectStatus: number
  /** Whether the upstream receives it (a preflight is answered by permgate). @default expectStatus < 300 and not 204 */
  readonly forwarded?: boolean
}

/** What an example needs: a curl builder and the credentials of the demo's principals. */
export interface ExampleContext {
  curl(auth: string | undefined, query: string): string
  /** permgate's origin (http://host:port), for the REST route and preflight examples. */
  readonly origin: string
  /** `Bearer <JWT>` of u-admin (SYSTEM_ADMIN) and of u-viewer (WORKSPACE_VIEWER on w1). */
  readonly admin: string
  readonly viewer: string
  /** sa-ci's API key (DEPLOYMENT_EDITOR on d1). */
  readonly apiKey: string
}

const FORGED = 'Bearer eyJhbGciOiJub25lIn0.eyJ1dWlkIjoidS1hZG1pbiJ9.'

/** Houston v0.12.1: every root field returns JSON, so documents carry no selection sets. */
function v0121({ curl, admin, viewer, apiKey }: ExampleContext): DemoExample[] {
  return [
    { title: 'anonymous, a public field (authConfig): allowed', curl: curl(undefined, '{ authConfig }'), expectStatus: 200 },
    { title: 'anonymous, an authenticated field (self): 401', curl: curl(undefined, '{ self }'), expectStatus: 401 },
    { title: 'u-viewer (WORKSPACE_VIEWER on w1) lists the deployments of w1: allowed', curl: curl(viewer, '{ workspaceDeployments(workspaceUuid: "w1") }'), expectStatus: 200 },
    { title: 'u-viewer lists every deployment (needs system.deployments.get): 403', curl: curl(viewer, '{ deployments }'), expectStatus: 403 },
    { title: 'u-admin (SYSTEM_ADMIN) lists every deployment: allowed', curl: curl(admin, '{ deployments }'), expectStatus: 200 },
    { title: 'sa-ci (API key, DEPLOYMENT_EDITOR on d1) updates d1: allowed', curl: curl(apiKey, 'mutation { updateDeployment(deploymentUuid: "d1", config: {}) }'), expectStatus: 200 },
    { title: 'sa-ci updates d3 (another workspace): 403', curl: curl(apiKey, 'mutation { updateDeployment(deploymentUuid: "d3", config: {}) }'), expectStatus: 403 },
    { title: 'a forged token: 401', curl: curl(FORGED, '{ authConfig }'), expectStatus: 401 },
  ]
}

/** Houston 0.3x: the object types of platform 0.30-0.35, with the selection sets the Astro CLI sends. */
function v03x({ curl, admin, viewer, apiKey }: ExampleContext): DemoExample[] {
  const image = (release: string) =>
    `mutation { updateDeploymentImage(releaseName: "${release}", image: "registry.example.com/${release}/airflow:deploy-2", runtimeVersion: "5.4.0") { id releaseName runtimeVersion airflowVersion } }`
  return [
    { title: 'anonymous, a public field (appConfig, what every CLI command asks first): allowed', curl: curl(undefined, '{ appConfig { version baseDomain smtpConfigured manualReleaseNames } }'), expectStatus: 200 },
    { title: 'anonymous, an authenticated field (self): 401', curl: curl(undefined, '{ self { user { id username } } }'), expectStatus: 401 },
    { title: 'u-viewer (WORKSPACE_VIEWER on w1) lists the deployments of w1: allowed', curl: curl(viewer, '{ workspaceDeployments(workspaceUuid: "w1") { id label releaseName runtimeVersion status } }'), expectStatus: 200 },
    { title: 'u-viewer lists the deployments of w2: 403', curl: curl(viewer, '{ workspaceDeployments(workspaceUuid: "w2") { id label releaseName } }'), expectStatus: 403 },
    { title: 'u-viewer lists every deployment (needs system.deployments.get): 403', curl: curl(viewer, '{ paginatedDeployments(take: -1) { id label releaseName workspace { id } } }'), expectStatus: 403 },
    { title: 'u-admin (SYSTEM_ADMIN) lists every deployment: allowed', curl: curl(admin, '{ paginatedDeployments(take: -1) { id label releaseName workspace { id label } } }'), expectStatus: 200 },
    { title: 'sa-ci (API key, DEPLOYMENT_EDITOR on d1) updates d1: allowed', curl: curl(apiKey, 'mutation { updateDeployment(deploymentUuid: "d1", workers: {replicas: 4}) { id label config } }'), expectStatus: 200 },
    { title: 'sa-ci updates d3 (another workspace): 403', curl: curl(apiKey, 'mutation { updateDeployment(deploymentUuid: "d3", workers: {replicas: 4}) { id } }'), expectStatus: 403 },
    { title: 'sa-ci deploys an image to d1, named by its release name: allowed', curl: curl(apiKey, image('stellar-galaxy-1234')), expectStatus: 200 },
    { title: 'sa-ci deploys an image to d3 by its release name: 403', curl: curl(apiKey, image('lunar-orbit-9012')), expectStatus: 403 },
    { title: 'a forged token: 401', curl: curl(FORGED, '{ appConfig { version } }'), expectStatus: 401 },
  ]
}

const STATUS = ` -w ' -> %{http_code}\\n'`

/** Houston's REST routes under /v1 and a browser's preflight, as the Houston profile decides them. */
function rest({ origin, viewer }: ExampleContext): DemoExample[] {
  const authRequest = (release: string) =>
    `curl -s -o /dev/null${STATUS} ${origin}/v1/authorization -H 'x-original-url: https://deployments.example.com/${release}/airflow/home' -H 'authorization: ${viewer}'`
  return [
    { title: "Houston's REST route /v1/healthz (public: the kubelet's probes): allowed", curl: `curl -s${STATUS} ${origin}/v1/healthz`, expectStatus: 200 },
    { title: "nginx auth_request for d1's Airflow UI (by its release name) as u-viewer: allowed", curl: authRequest('stellar-galaxy-1234'), expectStatus: 200 },
    { title: "nginx auth_request for d3's Airflow UI (another workspace) as u-viewer: 403", curl: authRequest('lunar-orbit-9012'), expectStatus: 403 },
    { title: 'a path below /v1 with no route rule: 400, never forwarded', curl: `curl -s${STATUS} ${origin}/v1/elsewhere`, expectStatus: 400 },
    {
      title: "the Software UI's CORS preflight from https://app.example.com: answered by permgate (204), never forwarded",
      curl: `curl -s -o /dev/null -D - -X OPTIONS${STATUS} ${origin}/v1 -H 'origin: https://app.example.com' -H 'access-control-request-method: POST' -H 'access-control-request-headers: authorization, content-type'`,
      expectStatus: 204,
      forwarded: false,
    },
  ]
}

export function demoExamples(houston: HoustonApi, ctx: ExampleContext): DemoExample[] {
  return houston === '0.3x' ? [...v03x(ctx), ...rest(ctx)] : v0121(ctx)
}

/** Whether an example reaches the upstream. */
export function isForwarded(e: DemoExample): boolean {
  return e.forwarded ?? (e.expectStatus >= 200 && e.expectStatus < 300 && e.expectStatus !== 204)
}
