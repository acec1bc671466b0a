import { readFileSync } from 'node:fs'
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import type { AppDeps } from '../app.js'
import { explainLines } from '../commands/explain.js'
import type { ServeConfig } from '../config/schema.js'
import { isPermgateError } from '../errors.js'
import { DocumentCache } from '../operation/cache.js'
import { compilePolicy } from '../policy/compile.js'
import { diffPolicies } from '../policy/diff.js'
import { loadPolicy } from '../policy/load.js'
import { isRecord } from '../config/yaml.js'
import type { Metrics } from '../telemetry/metrics.js'
import { APP_JS } from './app-js.js'
import { DecisionCounters, decisionCounterReader } from './counters.js'
import { explorerPage, loginPage, type DiffResult, type ExplainResult, type PageParts } from './html.js'
import { policyView } from './policy-view.js'
import { cookieValue, sameSecret, SESSION_COOKIE, SESSION_TTL_MS, Sessions, type Session } from './sessions.js'

export const EXPLORER_PREFIX = '/explorer'
const LOGIN = `${EXPLORER_PREFIX}/login`

/** Every explorer response: no framing, no sniffing, no caching, scripts from the explorer only. */
export const SECURITY_HEADERS: Readonly<Record<string, string>> = {
  'content-security-policy': "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; form-action 'self'; base-uri 'none'; object-src 'none'; frame-ancestors 'none'",
  'x-content-type-options': 'nosniff',
  'cache-control': 'no-store',
  'x-frame-options': 'DENY',
  'referrer-policy': 'no-referrer',
}

/** How a request proved it holds the admin token: the Bearer header, or a login session (cookie). */
type Auth = { readonly kind: 'bearer' } | { readonly kind: 'session'; readonly session: Session }

type Form = Readonly<Record<string, string>>

/**
 * The policy explorer on the admin app (only when `explorer` is on: otherwise nothing under
 * /explorer exists). Every route but the login form requires the admin token; POSTs made with
 * the session cookie carry its CSRF token.
 */
export function registerExplorer(app: FastifyInstance, config: ServeConfig, deps: AppDeps, metrics: Metrics): void {
  if (config.adminTokenFile === undefined) throw new Error('the explorer requires adminTokenFile') // the config refuses this already
  // A token file usually ends with a newline that is not part of the token.
  const sessions = new Sessions(readFileSync(config.adminTokenFile, 'utf8').trim())
  const counters = new DecisionCounters(decisionCounterReader(metrics))
  const documents = new DocumentCache()
  const auths = new WeakMap<FastifyRequest, Auth>()
  app.addHook('onReady', () => counters.start())
  app.addHook('onClose', async () => counters.stop())

  app.register(async (scope) => {
    scope.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string', bodyLimit: 256 * 1024 }, (_req, body, done) => {
      done(null, Object.fromEntries(new URLSearchParams(body as string)))
    })
    scope.addHook('onSend', async (_req, reply, payload) => {
      reply.headers(SECURITY_HEADERS)
      return payload
    })
    scope.addHook('onRequest', async (req, reply) => {
      if (req.routeOptions.url === LOGIN) return
      const auth = authOf(req, sessions)
      if (auth !== undefined) {
        auths.set(req, auth)
        return
      }
      const url = req.routeOptions.url ?? ''
      if (url.endsWith('.json') || url.endsWith('.js')) return reply.code(401).send({ error: { code: 'UNAUTHENTICATED', message: 'the explorer requires the admin token' } })
      return reply.code(303).header('location', LOGIN).send()
    })
    // CSRF: a POST riding on the session cookie must carry the session's token (a Bearer header is no ambient credential)
    scope.addHook('preHandler', async (req, reply) => {
      if (req.method !== 'POST' || req.routeOptions.url === LOGIN) return
      const auth = auths.get(req)
      if (auth?.kind !== 'session') return
      const given = form(req.body).csrf ?? req.headers['x-csrf-token']
      if (typeof given !== 'string' || !sameSecret(given, auth.session.csrf)) {
        return reply.code(403).type('text/plain; charset=utf-8').send('missing or wrong CSRF token: reload the page')
      }
    })

    const csrfOf = (req: FastifyRequest): string | undefined => {
      const a = auths.get(req)
      return a?.kind === 'session' ? a.session.csrf : undefined
    }
    const page = async (req: FastifyRequest, reply: FastifyReply, extra: Partial<PageParts> = {}): Promise<FastifyReply> => {
      const policy = deps.authorizer().policy
      const html = explorerPage({ policy, csrf: csrfOf(req), view: policyView(policy), counters: await counters.view(), ...extra })
      return reply.type('text/html; charset=utf-8').send(html)
    }

    scope.get('/login', async (_req, reply) => reply.type('text/html; charset=utf-8').send(loginPage(undefined)))
    scope.post('/login', async (req, reply) => {
      const token = form(req.body).token
      if (sessions.throttled()) {
        return reply.code(429).header('retry-after', '60').type('text/html; charset=utf-8').send(loginPage('too many wrong tokens: try again in a minute'))
      }
      if (token === undefined || token === '' || !sessions.tokenMatches(token)) {
        sessions.failed()
        return reply.code(401).type('text/html; charset=utf-8').send(loginPage('wrong token'))
      }
      const s = sessions.create()
      reply.header('set-cookie', `${SESSION_COOKIE}=${s.id}; HttpOnly; SameSite=Strict; Path=${EXPLORER_PREFIX}; Max-Age=${SESSION_TTL_MS / 1000}`)
      return reply.code(303).header('location', EXPLORER_PREFIX).send()
    })
    scope.post('/logout', async (req, reply) => {
      const a = auths.get(req)
      if (a?.kind === 'session') sessions.delete(a.session.id)
      reply.header('set-cookie', `${SESSION_COOKIE}=; HttpOnly; SameSite=Strict; Path=${EXPLORER_PREFIX}; Max-Age=0`)
      return reply.code(303).header('location', LOGIN).send()
    })

    scope.get('/', async (req, reply) => page(req, reply))
    scope.get('/app.js', async (_req, reply) => reply.type('text/javascript; charset=utf-8').send(APP_JS))
    scope.get('/counters.json', async () => counters.view())

    scope.post('/explain', async (req, reply) => {
      const f = form(req.body)
      return page(req, reply, { explain: await explain(f), explainForm: f })
    })
    scope.post('/explain.json', async (req, reply) => {
      const r = await explain(form(req.body))
      return 'error' in r ? reply.code(400).send({ error: { message: r.error } }) : r
    })
    scope.post('/diff', async (req, reply) => {
      const path = (form(req.body).path ?? '').trim()
      return page(req, reply, { diff: diff(path), diffPath: path })
    })
  }, { prefix: EXPLORER_PREFIX })

  /** `permgate explain` on the active policy and bindings; claims are read, never verified. */
  async function explain(f: Form): Promise<ExplainResult> {
    try {
      let subject: string | null = (f.subject ?? '').trim() || null
      let groups = (f.groups ?? '').split(',').map((g) => g.trim()).filter(Boolean)
      const claimsText = (f.claims ?? '').trim()
      if (claimsText !== '') {
        const claims = parseObject(claimsText, 'claims')
        const subjectClaim = config.jwt?.subjectClaim ?? 'sub'
        const sub = claims[subjectClaim]
        if (typeof sub !== 'string' || sub === '') return { error: `the claims have no "${subjectClaim}" (the subject claim) string` }
        subject = sub
        const groupsClaim = config.jwt?.groupsClaim
        const g = groupsClaim === undefined ? undefined : claims[groupsClaim]
        if (Array.isArray(g)) groups = g.filter((x): x is string => typeof x === 'string')
        else if (typeof g === 'string') groups = [g]
      }
      const variablesText = (f.variables ?? '').trim()
      const variables = variablesText === '' ? undefined : parseObject(variablesText, 'variables')
      const authorizer = deps.authorizer()
      if (subject !== null) await authorizer.prepare({ kind: 'user', id: subject, groups })
      return explainLines({ authorizer, documents }, {
        subject,
        groups,
        query: f.query ?? '',
        variables,
        operationName: (f.operationName ?? '').trim() || undefined,
        clientIp: (f.clientIp ?? '').trim() || undefined,
      })
    } catch (e) {
      return { error: isPermgateError(e) ? `${e.code}: ${e.message}` : (e as Error).message }
    }
  }

  function diff(path: string): DiffResult {
    if (path === '') return { error: 'give the candidate policy directory' }
    try {
      const candidate = compilePolicy(loadPolicy(path))
      return { diff: diffPolicies(deps.authorizer().policy, candidate), candidate }
    } catch (e) {
      return { error: isPermgateError(e) ? `${e.code}: ${e.message}` : `diff failed: ${(e as Error).message}` }
    }
  }
}

function authOf(req: FastifyRequest, sessions: Sessions): Auth | undefined {
  const h = req.headers.authorization
  // a wrong Bearer token is refused even beside a valid cookie; guesses count towards the throttle
  if (h !== undefined) {
    if (sessions.throttled()) return undefined
    if (/^Bearer /i.test(h) && sessions.tokenMatches(h.slice(7).trim())) return { kind: 'bearer' }
    sessions.failed()
    return undefined
  }
  const s = sessions.get(cookieValue(req.headers.cookie, SESSION_COOKIE))
  return s === undefined ? undefined : { kind: 'session', session: s }
}

/** A form body (urlencoded, or a JSON object): its string fields. */
function form(body: unknown): Record<string, string> {
  if (!isRecord(body)) return {}
  const out: Record<string, string> = {}
  for (const [k, v] of Object.entries(body)) {
    if (typeof v === 'string') out[k] = v
    else if (Array.isArray(v) && v.every((x) => typeof x === 'string')) out[k] = v.join(',')
  }
  return out
}

function parseObject(text: string, what: string): Record<string, unknown> {
  let v: unknown
  try {
    v = JSON.parse(text)
  } catch (e) {
    throw new Error(`${what} is not JSON: ${(e as Error).message}`)
  }
  if (!isRecord(v)) throw new Error(`${what} must be a JSON object`)
  return v
}
