import type { RawRequest, Request } from 'autocannon'
import { buildCases } from './cases.js'
import { signToken, TokenStream } from './tokens.js'
import { SUBJECTS, WARM_SUBJECT, subjectId } from './world.js'

/** The GraphQL endpoint, on the upstream and on every proxy alike. */
export const GRAPHQL_PATH = '/graphql'

/** What a driver sends, described in data so it crosses the IPC channel. */
export type RequestSet =
  /** One request repeated; every answer should be 200. */
  | { readonly kind: 'fixed'; readonly body: string; readonly token: string | undefined }
  /** The realistic cases cycled through from case `start` on, one token per subject; 200 or 403 as the roles say. */
  | { readonly kind: 'realistic'; readonly secret: string; readonly expSec: number; readonly cases: number; readonly seed: number; readonly start: number }
  /** One body, and a token never sent before on every request (from `start` on). */
  | {
      readonly kind: 'fresh'
      readonly body: string
      readonly secret: string
      readonly expSec: number
      readonly prefix: string
      readonly start: number
      /** `warm`: every token names the warm subject; `all`: the subjects take turns. */
      readonly subjects: 'warm' | 'all'
    }

/** Requests for autocannon; `expect` on the connection's context is the status the answer must have. */
export interface Prepared {
  readonly requests: Request[]
  /** Requests set up so far (realistic and fresh sets): the next run starts after them. */
  taken(): number
}

export type Tally = (status: number, expected: number) => void

const JSON_HEADERS = { 'content-type': 'application/json' }

function withToken(token: string | undefined): Record<string, string> {
  return token === undefined ? { ...JSON_HEADERS } : { ...JSON_HEADERS, authorization: `Bearer ${token}` }
}

/** Builds the requests of a set; `tally` hears every answer with the status it should have had. */
export function prepare(set: RequestSet, tally: Tally): Prepared {
  const onResponse = (status: number, _body: string, context: Record<string, unknown>): void => {
    tally(status, typeof context.expect === 'number' ? context.expect : 200)
  }
  const base = { method: 'POST', path: GRAPHQL_PATH, onResponse }
  switch (set.kind) {
    case 'fixed':
      return { requests: [{ ...base, headers: withToken(set.token), body: set.body }], taken: () => 0 }
    case 'realistic': {
      const cases = buildCases(set.cases, set.seed).map((c) => ({ body: Buffer.from(c.body), subject: c.subject, expect: c.allowed ? 200 : 403 }))
      const headers = Array.from({ length: SUBJECTS }, (_, i) => withToken(signToken(set.secret, subjectId(i), set.expSec)))
      let at = set.start
      const setupRequest = (req: RawRequest, context: Record<string, unknown>): RawRequest => {
        const c = cases[at++ % cases.length]!
        // a copy: autocannon writes Content-Length into the object it is given
        req.headers = { ...headers[c.subject]! }
        req.body = c.body
        context.expect = c.expect
        return req
      }
      return { requests: [{ ...base, setupRequest }], taken: () => at - set.start }
    }
    case 'fresh': {
      const subjectOf = set.subjects === 'warm' ? () => subjectId(WARM_SUBJECT) : (n: number) => subjectId(n % SUBJECTS)
      const stream = new TokenStream({ secret: set.secret, expSec: set.expSec, prefix: set.prefix, start: set.start, subjectOf })
      const body = Buffer.from(set.body)
      const setupRequest = (req: RawRequest): RawRequest => {
        req.headers = withToken(stream.next())
        req.body = body
        return req
      }
      return { requests: [{ ...base, setupRequest }], taken: () => stream.taken }
    }
  }
}
