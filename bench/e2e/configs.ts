import { CASES_SEED, REALISTIC_CASES } from './cases.js'
import { WARM_DOCUMENT } from './documents.js'
import { ROUTING_DOCUMENT } from './fixture.js'
import type { RequestSet } from './request-sets.js'
import { signToken } from './tokens.js'
import { WARM_SUBJECT, subjectId } from './world.js'

/**
 * What requests are sent to. Every token new and routing only have a permgate process each;
 * warm and realistic share one (their tokens are the same, so neither churns the other's caches).
 */
export type TargetKey = 'upstream' | 'plain' | 'bare' | 'fastify' | 'nginx' | 'routing' | 'warm' | 'realistic' | 'fresh'

/** The reference proxies of issue 16: no authorization, forwarding as cheaply as their stack allows. */
export const REFERENCE_KEYS = ['bare', 'fastify', 'nginx'] as const satisfies readonly TargetKey[]

export interface Configuration {
  readonly key: TargetKey
  readonly label: string
  /** What the row measures, printed under the table. */
  readonly note: string
  readonly proxy: boolean
  /** Who counts the proxy's requests: itself, or (nginx, which keeps no count) the upstream. */
  readonly counted?: 'upstream'
}

export const CONFIGURATIONS: readonly Configuration[] = [
  { key: 'upstream', label: 'upstream direct', proxy: false, note: 'autocannon straight at the upstream (the upstream shares its core with the driver)' },
  { key: 'plain', label: 'plain proxy', proxy: true, note: '@fastify/http-proxy with its defaults, no authorization' },
  { key: 'bare', label: 'bare Node proxy', proxy: true, note: 'node:http, the body buffered, forwarded on an undici Pool (keep-alive), the answer streamed back: the reference of the CPU targets' },
  { key: 'fastify', label: 'fastify + undici', proxy: true, note: 'a fastify POST route, the body buffered as a Buffer by its content-type parser, forwarded on the same kind of undici Pool' },
  {
    key: 'nginx',
    label: 'nginx',
    proxy: true,
    counted: 'upstream',
    note: 'one nginx process (master_process off: it is the worker), proxy_pass with upstream keep-alive, no access log; requests counted by the upstream',
  },
  { key: 'routing', label: 'permgate routing only', proxy: true, note: 'permgate, every field public (no identity, decisions trivial); the body is still read and the document parsed' },
  { key: 'warm', label: 'permgate warm', proxy: true, note: 'one token, one document, allowed (the process also serves the realistic rows: its token is one of theirs)' },
  { key: 'realistic', label: 'permgate realistic', proxy: true, note: '10,000 tokens of 10,000 subjects, 500 documents (literal and variable scope arguments), about 20% denied (403, expected)' },
  { key: 'fresh', label: 'permgate every token new', proxy: true, note: 'the warm subject and document, but every request a token never seen before (each verified once)' },
]

/** What the run's tokens share: the secret, and one expiry for every token of the run. */
export interface TokenContext {
  readonly secret: string
  readonly expSec: number
}

/** Prefix of the `jti` of the fresh tokens of the rounds (the memory check uses another). */
export const FRESH_PREFIX = 'fresh-'

/**
 * The requests of a configuration; `start`: the requests the configuration's earlier runs
 * set up, so the realistic cases continue where they stopped and fresh tokens never repeat.
 * Everything but the routing-only row sends the warm
 * request (token and document), so the upstream, plain proxy and permgate get the same bytes.
 */
export function requestSet(key: TargetKey, tokens: TokenContext, start: number): RequestSet {
  const warmToken = signToken(tokens.secret, subjectId(WARM_SUBJECT), tokens.expSec)
  const warmBody = JSON.stringify({ query: WARM_DOCUMENT })
  switch (key) {
    case 'upstream':
    case 'plain':
    case 'bare':
    case 'fastify':
    case 'nginx':
    case 'warm':
      return { kind: 'fixed', body: warmBody, token: warmToken }
    case 'routing':
      return { kind: 'fixed', body: JSON.stringify({ query: ROUTING_DOCUMENT }), token: undefined }
    case 'realistic':
      return { kind: 'realistic', secret: tokens.secret, expSec: tokens.expSec, cases: REALISTIC_CASES, seed: CASES_SEED, start }
    case 'fresh':
      return { kind: 'fresh', body: warmBody, secret: tokens.secret, expSec: tokens.expSec, prefix: FRESH_PREFIX, start, subjects: 'warm' }
  }
}
