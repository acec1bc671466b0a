// A route rule's `when`: the conditions on a request header or query parameter that must all hold
// for the rule to apply. Patterns are compiled here, once, anchored; their named groups are the
// captures a rule's `scope: { from }` may read.
import { PermgateError } from '../errors.js'
import type { RouteCondition } from './schema.js'
import { isRecord } from './yaml.js'

/** RFC 9110 §5.1: a header name is a token. */
const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/
/** A query parameter name written plainly: no brackets (qs reads `a[]` as `a`), separators or encodings. */
const QUERY_NAME = /^[A-Za-z0-9_.~-]+$/
const KEYS = new Set(['header', 'query', 'url', 'pattern', 'absent'])
const URL_KEYS = new Set(['host', 'path'])
const SHAPE = '{ header: <name>, url: { host?, path? } } | { header | query: <name>, pattern: <regex> } | { header | query: <name>, absent: true }'

export interface ReadWhen {
  /** undefined: no condition */
  readonly when: readonly RouteCondition[] | undefined
  /** Every named group of the conditions' patterns (each name at most once). */
  readonly captures: ReadonlySet<string>
}

/** Reads `when:` of `routes[i]` (`at`); absent: no condition. */
export function readWhen(v: unknown, at: string): ReadWhen {
  if (v === undefined) return { when: undefined, captures: new Set() }
  if (!Array.isArray(v) || v.length === 0) throw invalid(`when must be a non-empty list of ${SHAPE}`, `${at}.when`)
  const captures = new Set<string>()
  const when = v.map((c, j) => Object.freeze(readCondition(c, `${at}.when[${j}]`, captures)))
  return { when: Object.freeze(when), captures }
}

function readCondition(c: unknown, at: string, captures: Set<string>): RouteCondition {
  if (!isRecord(c)) throw invalid(`a condition is ${SHAPE}`, at)
  for (const k of Object.keys(c)) if (!KEYS.has(k)) throw new PermgateError('PERMGATE_ERR_CONFIG_UNKNOWN_KEY', `unknown key "${k}" in a condition (${SHAPE})`, { path: `${at}.${k}` })
  if ((c.header === undefined) === (c.query === undefined)) throw invalid('a condition reads one header or one query parameter: give header or query', at)
  const from = c.header !== undefined ? 'header' : 'query'
  const raw = c[from]
  if (typeof raw !== 'string' || !(from === 'header' ? HEADER_NAME : QUERY_NAME).test(raw)) {
    throw invalid(from === 'header' ? 'header must be a header name' : 'query must be a plain parameter name (letters, digits, _ . ~ -)', `${at}.${from}`)
  }
  const tests = ['url', 'pattern', 'absent'].filter((k) => c[k] !== undefined)
  if (tests.length !== 1) throw invalid('a condition has exactly one of url, pattern, absent', at)
  const name = from === 'header' ? raw.toLowerCase() : raw
  if (c.absent !== undefined) {
    if (c.absent !== true) throw invalid('absent must be true', `${at}.absent`)
    return { from, name, test: Object.freeze({ kind: 'absent' }) }
  }
  if (c.pattern !== undefined) return { from, name, test: Object.freeze({ kind: 'pattern', pattern: compile(c.pattern, `${at}.pattern`, captures) }) }
  if (from !== 'header') throw invalid('url reads a header holding a URL: give it with header', `${at}.url`)
  const u = c.url
  if (!isRecord(u) || Object.keys(u).length === 0 || !Object.keys(u).every((k) => URL_KEYS.has(k))) throw invalid('url is { host?: <regex>, path?: <regex> } with at least one', `${at}.url`)
  const host = u.host === undefined ? undefined : compile(u.host, `${at}.url.host`, captures)
  const path = u.path === undefined ? undefined : compile(u.path, `${at}.url.path`, captures)
  return { from, name, test: Object.freeze({ kind: 'url', host, path }) }
}

/** The pattern anchored (the whole value must match), its named groups added to `captures`. */
function compile(v: unknown, at: string, captures: Set<string>): RegExp {
  if (typeof v !== 'string' || v === '') throw invalid('a pattern is a non-empty regular expression', at)
  let re: RegExp
  try {
    // compiled alone first: a pattern that is valid on its own cannot close the anchoring group
    // (`a)|(b` would make `^(?:a)|(b)$`, matching any value containing b)
    new RegExp(v)
    re = new RegExp(`^(?:${v})$`)
  } catch (e) {
    throw invalid(`not a regular expression: ${(e as Error).message}`, at)
  }
  // the pattern's group names: an empty alternative matches '' with every group undefined
  const groups = new RegExp(`(?:${v})|`).exec('')?.groups ?? {}
  for (const g of Object.keys(groups)) {
    if (captures.has(g)) throw invalid(`the capture name "${g}" is given twice in the rule's conditions`, at)
    captures.add(g)
  }
  return re
}

function invalid(msg: string, path: string): PermgateError {
  return new PermgateError('PERMGATE_ERR_CONFIG_INVALID', msg, { path })
}
