import { randomBytes } from 'node:crypto'
import { argNumber, argRecord, argString, contains } from '../args.js'
import type { DemoStore } from '../store.js'
import type { DemoContext, Invite, RoleBinding, Team, User } from '../types.js'

/** Houston's session length when a login names no `duration` (days). */
export const DEFAULT_SESSION_DAYS = 1
const DAY_SECONDS = 24 * 60 * 60

/** A session token for an AuthUser answer: opaque (the demo's tokens are not JWTs permgate accepts). */
export function issueToken(store: DemoStore, args: Record<string, unknown>): { value: string; iat: number; exp: number } {
  const iat = Math.floor(Date.parse(store.now()) / 1000)
  const days = argNumber(args, 'duration') ?? DEFAULT_SESSION_DAYS
  return { value: `demo-session-${randomBytes(16).toString('hex')}`, iat, exp: iat + Math.max(1, Math.round(days * DAY_SECONDS)) }
}

/** A UserSearch: ids and username exactly, e-mail and full name as case-insensitive substrings. */
export function matchesUserSearch(u: User, search: Record<string, unknown> | undefined): boolean {
  if (search === undefined) return true
  const id = argString(search, 'userUuid') ?? argString(search, 'userId')
  const username = argString(search, 'username')
  return (
    (id === undefined || u.id === id) &&
    (username === undefined || u.username === username) &&
    contains(u.email, argString(search, 'email')) &&
    contains(u.fullName, argString(search, 'fullName'))
  )
}

export const userSearchArg = (args: Record<string, unknown>, name = 'user') => argRecord(args, name)

/**
 * A page: after the item whose id is `cursor`, else from page `pageNumber` (1-based; 0 is the
 * first page too); `take` items, all of them when absent or negative (the CLI sends take: -1).
 */
export function paginate<T extends { id: string }>(items: readonly T[], args: Record<string, unknown>): T[] {
  const take = argNumber(args, 'take')
  const size = take === undefined || take < 0 ? items.length : Math.floor(take)
  const cursor = argString(args, 'cursor')
  let start = 0
  if (cursor !== undefined) start = items.findIndex((i) => i.id === cursor) + 1
  else start = Math.max((argNumber(args, 'pageNumber') ?? 1) - 1, 0) * size
  return items.slice(start, start + size)
}

export function userById(store: DemoStore, id: string | undefined): User {
  const u = id === undefined ? undefined : store.users.get(id)
  if (u === undefined) throw new Error(`User ${id ?? '(none)'} not found`)
  return u
}

export function userByEmail(store: DemoStore, email: string | undefined): User | undefined {
  const wanted = email?.toLowerCase()
  for (const u of store.users.values()) if (u.email.toLowerCase() === wanted) return u
  return undefined
}

/** `userId` when given, else the user with `email`; an unknown one is an error. */
export function userByIdOrEmail(store: DemoStore, args: Record<string, unknown>): User {
  const id = argString(args, 'userId')
  if (id !== undefined) return userById(store, id)
  const u = userByEmail(store, argString(args, 'email'))
  if (u === undefined) throw new Error(`No user with e-mail ${argString(args, 'email') ?? '(none)'}`)
  return u
}

/** The user the request is for (x-permgate-subject), for `self`-like fields. */
export function subjectUser({ store, subject }: DemoContext): User {
  const u = subject === undefined ? undefined : store.users.get(subject)
  if (u === undefined) throw new Error('This request names no user (x-permgate-subject)')
  return u
}

export function team(store: DemoStore, id: string | undefined): Team {
  const t = id === undefined ? undefined : store.teams.get(id)
  if (t === undefined) throw new Error(`Team ${id ?? '(none)'} not found`)
  return t
}

export function invite(store: DemoStore, id: string | undefined): Invite {
  const i = id === undefined ? undefined : store.invites.get(id)
  if (i === undefined) throw new Error(`Invite ${id ?? '(none)'} not found`)
  return i
}

export function serviceAccount(store: DemoStore, id: string | undefined) {
  const a = id === undefined ? undefined : store.serviceAccounts.get(id)
  if (a === undefined) throw new Error(`Service account ${id ?? '(none)'} not found`)
  return a
}

/** The one binding of `on` (a user or team on a workspace, a deployment, or system-wide). */
export function findBinding(store: DemoStore, on: Partial<Pick<RoleBinding, 'userId' | 'teamId' | 'workspaceId' | 'deploymentId'>>, role?: string): RoleBinding | undefined {
  return store
    .bindings(
      (b) =>
        b.userId === (on.userId ?? null) &&
        b.teamId === (on.teamId ?? null) &&
        b.workspaceId === (on.workspaceId ?? null) &&
        b.deploymentId === (on.deploymentId ?? null) &&
        (role === undefined || b.role === role),
    )
    .at(0)
}

/** Houston stores a role only on the scope it names (SYSTEM_* system-wide, WORKSPACE_* on a workspace...). */
export function requireRolePrefix(role: string, prefix: 'SYSTEM' | 'WORKSPACE' | 'DEPLOYMENT'): string {
  if (!role.startsWith(`${prefix}_`)) throw new Error(`Role ${role} is not a ${prefix}_* role`)
  return role
}

/** Payload strings that may change a label, description or name. */
export function applyLabels(target: { label: string; description?: string }, payload: Record<string, unknown> | undefined): void {
  if (typeof payload?.['label'] === 'string') target.label = payload['label']
  if (typeof payload?.['description'] === 'string' && target.description !== undefined) target.description = payload['description']
}
