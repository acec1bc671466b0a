import { argString, contains } from './args.js'
import type { RootResolver } from './types.js'
import { deploymentView, logLines, memberView, serviceAccountView, userView, workspaceView } from './views.js'

const AIRFLOW_VERSIONS = ['2.1.4', '2.2.5', '2.3.4']

export const queryResolvers: Readonly<Record<string, RootResolver>> = {
  appConfig: () => ({
    version: '0.12.1',
    baseDomain: 'example.com',
    smtpConfigured: false,
    manualReleaseNames: false,
    manualNamespaceNames: false,
    configureDagDeployment: false,
    nfsMountDagDeployment: false,
  }),

  authConfig: (args) => ({
    localEnabled: true,
    publicSignup: false,
    initialSignup: false,
    externalSignupUrl: null,
    providers: [{ name: 'google', displayName: 'Google', url: 'https://accounts.example.com/oauth' }],
    redirect: argString(args, 'redirect') ?? null,
  }),

  self: (_args, { store, subject }) => {
    const u = subject === undefined ? undefined : store.users.get(subject)
    return u === undefined ? null : userView(store, u)
  },

  users: (args, { store }) => {
    const id = argString(args, 'userUuid')
    const username = argString(args, 'username')
    const email = argString(args, 'email')
    return [...store.users.values()]
      .filter((u) => (id === undefined || u.id === id) && (username === undefined || u.username === username))
      .filter((u) => contains(u.email, email))
      .map((u) => userView(store, u))
  },

  workspaces: (_args, { store }) => [...store.workspaces.values()].map((w) => workspaceView(store, w)),

  deployments: (_args, { store }) => [...store.deployments.values()].map((d) => deploymentView(store, d)),

  workspaceDeployments: (args, { store }) => {
    const w = store.workspace(argString(args, 'workspaceUuid'))
    const releaseName = argString(args, 'releaseName')
    return store
      .deploymentsOf(w.id)
      .filter((d) => releaseName === undefined || d.releaseName === releaseName)
      .map((d) => deploymentView(store, d))
  },

  deploymentConfig: (args, { store }) => {
    const id = argString(args, 'deploymentUuid')
    const d = id === undefined ? undefined : store.deployment(id)
    return {
      latestVersion: '0.16.0',
      airflowVersions: AIRFLOW_VERSIONS,
      defaultAirflowVersion: '2.2.5',
      executors: ['LocalExecutor', 'CeleryExecutor', 'KubernetesExecutor'],
      defaults: { workers: { replicas: 1, resources: { cpu: '1', memory: '3840Mi' } } },
      limits: { workers: { replicas: 10 }, extraAu: 400 },
      deployment: d === undefined ? null : { id: d.id, label: d.label, config: structuredClone(d.config) },
    }
  },

  workspaceUsers: (args, { store }) => {
    const w = store.workspace(argString(args, 'workspaceUuid'))
    const email = argString(args, 'email')
    const fullName = argString(args, 'fullName')
    return store
      .workspaceMembers(w.id)
      .map(({ user, role }) => memberView(store, user, role))
      .filter((u) => contains(u.emails[0]?.address ?? '', email) && contains(u.fullName, fullName))
  },

  workspaceUser: (args, { store }) => {
    const w = store.workspace(argString(args, 'workspaceUuid'))
    const username = argString(args, 'username')
    const member = store.workspaceMembers(w.id).find(({ user }) => user.username === username)
    return member === undefined ? null : memberView(store, member.user, member.role)
  },

  serviceAccounts: (args, { store }) => {
    const id = argString(args, 'serviceAccountUuid')
    const entityType = argString(args, 'entityType')
    const entityUuid = argString(args, 'entityUuid')
    return [...store.serviceAccounts.values()]
      .filter((a) => a.entityType === entityType)
      .filter((a) => (id === undefined || a.id === id) && (entityUuid === undefined || a.entityId === entityUuid))
      .map(serviceAccountView)
  },

  workspaceServiceAccounts: (args, { store }) => {
    const w = store.workspace(argString(args, 'workspaceUuid'))
    return [...store.serviceAccounts.values()]
      .filter((a) => a.entityType === 'WORKSPACE' && a.entityId === w.id)
      .map(serviceAccountView)
  },

  deploymentServiceAccounts: (args, { store }) => {
    const d = store.deployment(argString(args, 'deploymentUuid'))
    return [...store.serviceAccounts.values()]
      .filter((a) => a.entityType === 'DEPLOYMENT' && a.entityId === d.id)
      .map(serviceAccountView)
  },

  logs: (args, { store }) => {
    const d = store.deployment(argString(args, 'deploymentUuid'))
    const component = argString(args, 'component')
    const since = argString(args, 'timestamp')
    const search = argString(args, 'search')
    return logLines(d).filter(
      (l) =>
        (component === undefined || l.component === component) &&
        (since === undefined || l.timestamp > since) &&
        contains(l.message, search),
    )
  },
}
