// What a platform 0.35 installation of the demo offers: configuration and version catalogues.
// Static data; nothing here depends on the store.

export const PLATFORM_VERSION = '0.35.0'
export const BASE_DOMAIN = 'example.com'
export const AIRFLOW_CHART_VERSION = '1.10.0'

/** Astro Runtime versions and the Airflow version each one ships. */
export const RUNTIME_RELEASES: readonly { version: string; airflowVersion: string }[] = [
  { version: '4.2.9', airflowVersion: '2.2.5' },
  { version: '5.4.0', airflowVersion: '2.3.4' },
  { version: '6.8.0', airflowVersion: '2.4.3' },
  { version: '7.6.0', airflowVersion: '2.5.3' },
  { version: '8.8.0', airflowVersion: '2.6.3' },
  { version: '9.6.0', airflowVersion: '2.7.3' },
]

export const AIRFLOW_VERSIONS: readonly string[] = RUNTIME_RELEASES.map((r) => r.airflowVersion)
export const EXECUTORS = ['LocalExecutor', 'CeleryExecutor', 'KubernetesExecutor'] as const

/** Pre-created Kubernetes namespaces a new deployment may take (deployments.preCreatedNamespaces). */
export const PRE_CREATED_NAMESPACES: readonly string[] = ['airflow-ns-1', 'airflow-ns-2', 'airflow-ns-3']

export const runtimeRelease = (version: string | undefined) => RUNTIME_RELEASES.find((r) => r.version === version)

export function runtimeReleases(airflowVersion: string | undefined) {
  return RUNTIME_RELEASES.filter((r) => airflowVersion === undefined || r.airflowVersion === airflowVersion).map((r, i, all) => ({
    ...r,
    // a new Airflow minor version migrates the metadata database
    airflowDatabaseMigrations: i > 0 && minor(all[i - 1]?.airflowVersion) !== minor(r.airflowVersion),
  }))
}

const minor = (version: string | undefined) => version?.split('.').slice(0, 2).join('.')

export function appConfig() {
  const featureFlags = {
    nfsMountDagDeployment: false,
    hardDeleteDeployment: true,
    manualNamespaceNames: false,
    triggererEnabled: true,
    gitSyncDagDeployment: true,
    namespaceFreeFormEntry: false,
    byoUpdateRegistryEnabled: false,
    astroRuntimeEnabled: true,
    dagOnlyDeployment: true,
  }
  return {
    version: PLATFORM_VERSION,
    baseDomain: BASE_DOMAIN,
    smtpConfigured: false,
    manualReleaseNames: true,
    byoUpdateRegistryHost: null,
    configureDagDeployment: true,
    nfsMountDagDeployment: featureFlags.nfsMountDagDeployment,
    manualNamespaceNames: featureFlags.manualNamespaceNames,
    hardDeleteDeployment: featureFlags.hardDeleteDeployment,
    triggererEnabled: featureFlags.triggererEnabled,
    featureFlags,
  }
}

export function authConfig(redirect: string | undefined) {
  const query = redirect === undefined ? '' : `&redirect=${encodeURIComponent(redirect)}`
  return {
    publicSignup: false,
    externalSignupUrl: null,
    initialSignup: false,
    localEnabled: true,
    providers: [{ name: 'google', displayName: 'Google', url: `https://houston.${BASE_DOMAIN}/v1/oauth/start?provider=google${query}` }],
  }
}

export function deploymentConfig() {
  return {
    defaults: { workers: { replicas: 1, terminationGracePeriodSeconds: 600, resources: { cpu: 1000, memory: 3840 } }, scheduler: { replicas: 1 } },
    limits: { workers: { replicas: 10 }, scheduler: { replicas: 4 }, extraAu: 400 },
    astroUnit: { cpu: 100, memory: 384, pods: 1, airflowConns: 5, actualConns: 0.5, price: 10 },
    maxExtraAu: 400,
    executors: [...EXECUTORS],
    singleNamespace: false,
    loggingEnabled: true,
    latestVersion: AIRFLOW_CHART_VERSION,
    airflowImages: AIRFLOW_VERSIONS.map((version) => ({ version, channel: 'stable', tag: `${version}-onbuild` })),
    airflowVersions: [...AIRFLOW_VERSIONS],
    defaultAirflowImageTag: `${AIRFLOW_VERSIONS[0] ?? '2.2.5'}-onbuild`,
    defaultAirflowChartVersion: AIRFLOW_CHART_VERSION,
  }
}

export function platformRelease() {
  return {
    version: '0.35.1',
    url: 'https://www.astronomer.io/docs/software/release-notes',
    level: 'patch',
    description: 'Bug fixes and security updates',
    releaseDate: '2024-03-01T00:00:00.000Z',
  }
}
