/**
 * The soak traffic: request classes drawn at random by weight, each with the one status (and,
 * for a refusal, the coded reason) permgate must answer it with. Allowed and denied requests
 * of the end-to-end benchmark's world (10,000 JWT users), a service account's API key,
 * anonymous callers, bad and expired tokens, tokens never seen before, batches, GET queries
 * and variables. Subjects whose bindings the reloads change (u-flip) never appear here, so
 * every expectation holds whichever version of the bindings answers.
 */
import { randomBytes } from 'node:crypto'
import { Rng } from '../micro/rng.js'
import { buildCases, CASES_SEED, REALISTIC_CASES } from '../e2e/cases.js'
import { GRAPHQL_PATH } from '../e2e/request-sets.js'
import { newSecret, signToken, TokenStream } from '../e2e/tokens.js'
import { homeWorkspace, SUBJECTS, subjectId, workspaceId } from '../e2e/world.js'

export interface SoakRequest {
  readonly method: 'GET' | 'POST'
  readonly path: string
  readonly headers: Record<string, string>
  readonly body: Buffer
}

export interface RequestClass {
  readonly name: string
  /** Share of the traffic, relative to the other weights. */
  readonly weight: number
  readonly expect: number
  /** Text the answer's body must hold (a refusal's reason or code). */
  readonly reason?: string
  make(n: number): SoakRequest
}

export interface MixContext {
  readonly secret: string
  readonly expSec: number
  readonly apiKey: string
}

/** The `jti` prefix of tokens never sent before; the expired and forged ones have their own. */
const FRESH_PREFIX = 'soak-'
const EMPTY = Buffer.alloc(0)
const HOME_QUERY = 'query Home($w: Uuid!) { workspaceDeployments(workspaceUuid: $w) }'

const json = (value: unknown): Buffer => Buffer.from(JSON.stringify(value))
const bearer = (token: string): Record<string, string> => ({ 'content-type': 'application/json', authorization: `Bearer ${token}` })
const post = (headers: Record<string, string>, body: Buffer): SoakRequest => ({ method: 'POST', path: GRAPHQL_PATH, headers, body })

/** Every class of the mix; `n` is the class's own request counter. */
export function requestClasses(ctx: MixContext): RequestClass[] {
  const cases = buildCases(REALISTIC_CASES, CASES_SEED)
  const allowed = cases.filter((c) => c.allowed)
  const denied = cases.filter((c) => !c.allowed)
  const tokens = Array.from({ length: SUBJECTS }, (_, i) => signToken(ctx.secret, subjectId(i), ctx.expSec))
  // a copy each time: autocannon writes Content-Length into the headers it is given
  const as = (i: number): Record<string, string> => bearer(tokens[i % SUBJECTS] as string)
  const fresh = new TokenStream({ secret: ctx.secret, expSec: ctx.expSec, prefix: FRESH_PREFIX, start: 0, subjectOf: (n) => subjectId(n % SUBJECTS), batchSize: 1_000 })
  const forger = newSecret()
  const apiKey = { 'content-type': 'application/json', authorization: ctx.apiKey }
  const anonymous = { 'content-type': 'application/json' }
  const self = json({ query: '{ self }' })
  const serviceAccounts = (d: string): Buffer => json({ query: `{ deploymentServiceAccounts(deploymentUuid: "${d}") }` })
  const home = (i: number): { query: string; variables: { w: string } } => ({ query: HOME_QUERY, variables: { w: workspaceId(homeWorkspace(i)) } })
  const expired = (): number => Math.floor(Date.now() / 1000) - 3600
  return [
    { name: 'JWT user, allowed (realistic)', weight: 32, expect: 200, make: (n) => { const c = allowed[n % allowed.length]!; return post(as(c.subject), Buffer.from(c.body)) } },
    { name: 'JWT user, denied (realistic)', weight: 10, expect: 403, reason: 'missing_permission', make: (n) => { const c = denied[n % denied.length]!; return post(as(c.subject), Buffer.from(c.body)) } },
    { name: 'JWT never seen before', weight: 8, expect: 200, make: () => post(bearer(fresh.next()), self) },
    { name: 'API key (service account), allowed', weight: 6, expect: 200, make: () => post({ ...apiKey }, serviceAccounts('d1')) },
    { name: 'API key (service account), denied', weight: 2, expect: 403, reason: 'missing_permission', make: () => post({ ...apiKey }, serviceAccounts('d2')) },
    { name: 'unknown API key', weight: 1, expect: 401, reason: 'PERMGATE_ERR_AUTH_UNKNOWN_API_KEY', make: () => post({ ...anonymous, authorization: randomBytes(16).toString('hex') }, self) },
    { name: 'anonymous, public field', weight: 6, expect: 200, make: () => post({ ...anonymous }, json({ query: '{ authConfig }' })) },
    { name: 'anonymous, authenticated field', weight: 2, expect: 401, reason: 'unauthenticated', make: () => post({ ...anonymous }, self) },
    { name: 'expired JWT', weight: 3, expect: 401, reason: 'PERMGATE_ERR_AUTH_TOKEN_EXPIRED', make: (n) => post(bearer(signToken(ctx.secret, subjectId(n % SUBJECTS), expired(), `expired-${n}`)), self) },
    { name: 'JWT with a forged signature', weight: 3, expect: 401, reason: 'PERMGATE_ERR_AUTH_TOKEN_INVALID', make: (n) => post(bearer(signToken(forger, subjectId(n % SUBJECTS), ctx.expSec, `forged-${n}`)), self) },
    { name: 'batch, allowed (with variables)', weight: 5, expect: 200, make: (n) => post(as(n), json([{ query: '{ self }' }, home(n % SUBJECTS)])) },
    { name: 'batch with one denied operation', weight: 2, expect: 403, reason: 'missing_permission', make: (n) => post(as(n), json([{ query: '{ self }' }, { query: '{ deployments }' }])) },
    {
      name: 'GET query with variables, allowed',
      weight: 6,
      expect: 200,
      make: (n) => {
        const { query, variables } = home(n % SUBJECTS)
        const path = `${GRAPHQL_PATH}?query=${encodeURIComponent(query)}&variables=${encodeURIComponent(JSON.stringify(variables))}`
        return { method: 'GET', path, headers: { authorization: `Bearer ${tokens[n % SUBJECTS]}` }, body: EMPTY }
      },
    },
    {
      name: 'GET mutation',
      weight: 1,
      expect: 405,
      make: (n) => {
        const path = `${GRAPHQL_PATH}?query=${encodeURIComponent(`mutation { updateWorkspace(workspaceUuid: "${workspaceId(homeWorkspace(n % SUBJECTS))}", payload: {}) }`)}`
        return { method: 'GET', path, headers: { authorization: `Bearer ${tokens[n % SUBJECTS]}` }, body: EMPTY }
      },
    },
  ]
}

/** Draws classes by weight with a seeded generator, so every run sends the same sequence. */
export class Mix {
  readonly classes: readonly RequestClass[]
  readonly #rng: Rng
  readonly #cumulative: number[]
  readonly #counters: number[]

  constructor(classes: readonly RequestClass[], seed: number) {
    this.classes = classes
    this.#rng = new Rng(seed)
    let sum = 0
    this.#cumulative = classes.map((c) => (sum += c.weight))
    this.#counters = classes.map(() => 0)
  }

  /** The index of the next request's class, and the request. */
  next(): [number, SoakRequest] {
    const x = this.#rng.next() * (this.#cumulative[this.#cumulative.length - 1] as number)
    let i = 0
    while (x >= (this.#cumulative[i] as number)) i++
    const n = this.#counters[i] as number
    this.#counters[i] = n + 1
    return [i, (this.classes[i] as RequestClass).make(n)]
  }
}
