import type { IncomingHttpHeaders } from 'node:http'
import type { DemoStore } from './store.js'

export type EntityType = 'SYSTEM' | 'WORKSPACE' | 'DEPLOYMENT'

export interface Workspace {
  id: string
  label: string
  description: string
  createdAt: string
  updatedAt: string
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
}

export interface User {
  id: string
  username: string
  email: string
  fullName: string
  status: string
  createdAt: string
}

export interface Membership {
  userId: string
  workspaceId: string
  role: string
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
