import { randomBytes } from 'node:crypto'
import { argBoolean, argNumber, argRecord, argString } from '../args.js'
import type { Card, DemoContext, RootResolver, User, UserProp } from '../types.js'
import { invite, issueToken, subjectUser, userByEmail, userById } from './common.js'
import { authUserNode, inviteNode, userNode, workspaceNode } from './nodes.js'

// Accounts (sign-up, login, e-mail confirmation, passwords, profiles, invitations) and the
// billing fields of Houston before 0.35. Whether sign-up without an invitation is allowed is
// permgate's call (its publicSignups condition), not the demo's.

const DAY_MS = 24 * 60 * 60 * 1000

const newToken = () => randomBytes(16).toString('hex')

function session(ctx: DemoContext, u: User, args: Record<string, unknown>) {
  return authUserNode(ctx, u, issueToken(ctx.store, args))
}

function profileOf(value: unknown, previous: readonly UserProp[]): UserProp[] {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return [...previous]
  const next = new Map(previous.map((p) => [p.key, p]))
  for (const [key, v] of Object.entries(value)) if (v !== null && v !== undefined) next.set(key, { key, value: String(v), category: 'profile' })
  return [...next.values()]
}

function updateUser(ctx: DemoContext, u: User, payload: Record<string, unknown> | undefined) {
  if (typeof payload?.['fullName'] === 'string') u.fullName = payload['fullName']
  if (typeof payload?.['username'] === 'string') u.username = payload['username']
  u.profile = profileOf(payload?.['profile'], u.profile)
  u.updatedAt = ctx.store.now()
  return userNode(ctx, u)
}

/** A card from a payment token: the demo has no processor, so every token is the test Visa. */
function card(args: Record<string, unknown>, previous: Card | null): Card {
  return {
    name: previous?.name ?? null,
    brand: 'Visa',
    last4: '4242',
    expMonth: 12,
    expYear: 2030,
    billingEmail: argString(args, 'billingEmail') ?? previous?.billingEmail ?? '',
    company: argString(args, 'company') ?? previous?.company ?? null,
  }
}

const workspaceArg = (ctx: DemoContext, args: Record<string, unknown>) => ctx.store.workspace(argString(args, 'workspaceUuid'))

export const accountMutations: Readonly<Record<string, RootResolver>> = {
  /** Local login by e-mail or username; a user who has not confirmed their e-mail is refused. */
  createToken: (args, ctx) => {
    const identity = argString(args, 'identity') ?? ''
    const u = userByEmail(ctx.store, identity) ?? [...ctx.store.users.values()].find((x) => x.username === identity)
    if (u === undefined || u.password !== argString(args, 'password')) throw new Error('Invalid password and email combination')
    if (u.status === 'pending') throw new Error('Your account is pending: confirm your e-mail address first')
    return session(ctx, u, args)
  },

  /** Sign-up; a matching invitation gives its workspace role and confirms the address. */
  createUser: (args, ctx) => {
    const email = argString(args, 'email') ?? ''
    if (userByEmail(ctx.store, email) !== undefined) throw new Error(`A user with e-mail ${email} already exists`)
    const token = argString(args, 'inviteToken')
    const accepted = token === undefined ? undefined : [...ctx.store.invites.values()].find((i) => i.token === token)
    if (token !== undefined && (accepted === undefined || accepted.email.toLowerCase() !== email.toLowerCase())) throw new Error('The invitation token is not valid for this e-mail')
    const now = ctx.store.now()
    const u: User = {
      id: ctx.store.freshId('u-', ctx.store.users),
      username: argString(args, 'username') ?? email,
      email,
      fullName: typeof argRecord(args, 'profile')?.['fullName'] === 'string' ? String(argRecord(args, 'profile')?.['fullName']) : '',
      status: accepted === undefined ? 'pending' : 'active',
      createdAt: now,
      updatedAt: now,
      password: argString(args, 'password') ?? '',
      emailVerified: accepted !== undefined,
      emailToken: newToken(),
      resetToken: null,
      profile: profileOf(args['profile'], []),
    }
    ctx.store.users.set(u.id, u)
    if (accepted !== undefined) {
      if (accepted.workspaceId !== null && ctx.store.workspaces.has(accepted.workspaceId)) ctx.store.addBinding(accepted.role, { userId: u.id, workspaceId: accepted.workspaceId })
      ctx.store.invites.delete(accepted.id)
    }
    return session(ctx, u, args)
  },

  confirmEmail: (args, ctx) => {
    const u = [...ctx.store.users.values()].find((x) => x.emailToken === argString(args, 'token'))
    if (u === undefined) throw new Error('The confirmation token is not valid')
    u.emailVerified = true
    u.status = 'active'
    u.updatedAt = ctx.store.now()
    return session(ctx, u, args)
  },

  /** Always true, so that the answer does not tell which addresses have an account. */
  forgotPassword: (args, ctx) => {
    const u = userByEmail(ctx.store, argString(args, 'email'))
    if (u !== undefined) u.resetToken = newToken()
    return true
  },

  resetPassword: (args, ctx) => {
    const token = argString(args, 'token')
    const u = [...ctx.store.users.values()].find((x) => x.resetToken !== null && x.resetToken === token)
    if (u === undefined) throw new Error('The password reset token is not valid')
    u.password = argString(args, 'password') ?? u.password
    u.resetToken = null
    u.updatedAt = ctx.store.now()
    return session(ctx, u, args)
  },

  resendConfirmation: (args, ctx) => {
    const u = userByEmail(ctx.store, argString(args, 'email'))
    if (u !== undefined && !u.emailVerified) u.emailToken = newToken()
    return true
  },

  /** Marks the address verified; false when no user has it. */
  verifyEmail: (args, ctx) => {
    const u = userByEmail(ctx.store, argString(args, 'email'))
    if (u === undefined) return false
    u.emailVerified = true
    u.updatedAt = ctx.store.now()
    return true
  },

  updateSelf: (args, ctx) => updateUser(ctx, subjectUser(ctx), argRecord(args, 'payload')),
  updateUser: (args, ctx) => {
    const id = argString(args, 'userId')
    return updateUser(ctx, id === undefined ? subjectUser(ctx) : userById(ctx.store, id), argRecord(args, 'payload'))
  },

  /** Houston refuses to remove the last system admin (v0.12.1 code). */
  removeUser: (args, ctx) => {
    const u = userById(ctx.store, argString(args, 'userUuid') ?? argString(args, 'id'))
    const admins = ctx.store.bindings((b) => b.role === 'SYSTEM_ADMIN' && b.userId !== null && b.workspaceId === null && b.deploymentId === null)
    if (admins.length > 0 && admins.every((b) => b.userId === u.id)) throw new Error('The last system admin cannot be removed')
    const node = userNode(ctx, u)
    const bindings = node.roleBindings()
    ctx.store.users.delete(u.id)
    for (const [id, b] of ctx.store.roleBindings) if (b.userId === u.id) ctx.store.roleBindings.delete(id)
    for (const t of ctx.store.teams.values()) t.userIds = t.userIds.filter((x) => x !== u.id)
    return { ...node, roleBindings: bindings }
  },

  /** A platform invitation (no workspace), for sign-up while public sign-ups are off. */
  inviteUser: (args, ctx) => {
    const email = argString(args, 'email') ?? ''
    if (userByEmail(ctx.store, email) !== undefined) throw new Error(`A user with e-mail ${email} already exists`)
    const now = ctx.store.now()
    const id = ctx.store.freshId('inv-', ctx.store.invites)
    const i = { id, email, role: 'USER', token: newToken(), workspaceId: null, createdAt: now, updatedAt: now }
    ctx.store.invites.set(id, i)
    return inviteNode(i)
  },

  deleteInviteToken: (args, ctx) => {
    const i = invite(ctx.store, argString(args, 'inviteUuid'))
    ctx.store.invites.delete(i.id)
    return inviteNode(i)
  },

  addCard: (args, ctx) => {
    const w = workspaceArg(ctx, args)
    w.card = card(args, null)
    w.updatedAt = ctx.store.now()
    return { ...w.card }
  },
  updateCard: (args, ctx) => {
    const w = workspaceArg(ctx, args)
    if (w.card === null) throw new Error(`Workspace ${w.id} has no card`)
    w.card = card(args, w.card)
    w.updatedAt = ctx.store.now()
    return { ...w.card }
  },
  addCustomerId: (args, ctx) => {
    const w = workspaceArg(ctx, args)
    w.stripeCustomerId = argString(args, 'stripeCustomerId') ?? null
    w.updatedAt = ctx.store.now()
    return workspaceNode(ctx, w)
  },
  extendWorkspaceTrial: (args, ctx) => {
    const w = workspaceArg(ctx, args)
    const from = Math.max(Date.parse(w.trialEndsAt ?? ctx.store.now()), Date.parse(ctx.store.now()))
    w.trialEndsAt = new Date(from + (argNumber(args, 'extraDays') ?? 0) * DAY_MS).toISOString()
    w.updatedAt = ctx.store.now()
    return workspaceNode(ctx, w)
  },
  suspendWorkspace: (args, ctx) => {
    const w = workspaceArg(ctx, args)
    w.active = argBoolean(args, 'isSuspended') !== true
    w.updatedAt = ctx.store.now()
    return workspaceNode(ctx, w)
  },
}
