import type { IncomingHttpHeaders } from 'node:http'
import type { DemoStore } from './store.js'

export type EntityType = 'SYSTEM' | 'WORKSPACE' | 'DEPLOYMENT'

export interface Workspace {
  id: string
  label: string
  description: string
  createdAt: string
  updatedAt: string
  /** false once suspended. */
  active: boolean
  properties: Record<string, unknown>
  stripeCustomerId: string | null
  trialEndsAt: string | null
  card: Card | null
}

/** A workspace's payment card (billing fields of Houston before 0.35). */
export interface Card {
  name: string | null
  brand: string
  last4: string
  expMonth: number
  expYear: number
  billingEmail: string
  company: string | null
}

export interface EnvVar {
  key: string
  value: string
  isSecret: boolean
}

export interface Deployment {
  id: string
  workspaceId: string
  label: string
  description: string
  type: string
  releaseName: string
  version: string
  airflowVersion: string
  status: string
  config: Record<string, unknown>
  env: EnvVar[]
  createdAt: string
  updatedAt: string
  /** Astro Runtime version; desired versions are set by an upgrade until the next deploy. */
  runtimeVersion: string
  desiredRuntimeVersion: string | null
  desiredAirflowVersion: string | null
  namespace: string
  /** How DAGs reach the deployment: { type: 'image' | 'git_sync' | 'volume' | 'dag_deploy', ... }. */
  dagDeployment: Record<string, unknown>
  properties: Record<string, unknown>
  alertEmails: string[]
  /** The image last deployed, e.g. registry.example.com/<release>/airflow:deploy-1. */
  image: string
  clusterId: string | null
}

export interface User {
  id: string
  username: string
  email: string
  fullName: string
  /** active | pending (signed up, e-mail not confirmed) */
  status: string
  createdAt: string
  updatedAt: string
  /** Demo data only: local-login password in clear. */
  password: string
  emailVerified: boolean
  /** The e-mail confirmation token (Email.token). */
  emailToken: string
  /** A password reset token issued by forgotPassword, if any. */
  resetToken: string | null
  profile: UserProp[]
}

export interface UserProp {
  key: string
  value: string
  category: string
}

/**
 * A role binding of a user or a team: system-wide (no workspace, no deployment), on one
 * workspace, or on one deployment. A service account's one binding lives on the account.
 */
export interface RoleBinding {
  id: string
  role: string
  userId: string | null
  teamId: string | null
  workspaceId: string | null
  deploymentId: string | null
  createdAt: string
  updatedAt: string
}

/** A team: an identity provider group whose members share its bindings (platform 0.28+). */
export interface Team {
  id: string
  name: string
  userIds: string[]
  createdAt: string
  updatedAt: string
}

/** An invitation to sign up: to a workspace with a role, or to the platform (workspaceId null). */
export interface Invite {
  id: string
  email: string
  role: string
  token: string
  workspaceId: string | null
  createdAt: string
  updatedAt: string
}

export interface ServiceAccount {
  id: string
  label: string
  category: string
  entityType: EntityType
  entityId: string | null
  role: string
  active: boolean
  createdAt: string
  updatedAt: string
  lastUsedAt: string | null
}

/** What one GraphQL execution sees besides its arguments. */
export interface DemoContext {
  store: DemoStore
  /** The `x-permgate-subject` header the proxy added, if any. */
  subject: string | undefined
}

export type RootResolver = (args: Record<string, unknown>, ctx: DemoContext) => unknown

/** One HTTP request as the upstream received it (or a subscribe/start message over WebSocket: method `WS`). */
export interface RecordedRequest {
  method: string
  url: string
  headers: IncomingHttpHeaders
  /** The raw body; empty when it was over the size limit. */
  body: string
}
