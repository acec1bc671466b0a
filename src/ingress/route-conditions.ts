// Whether a route rule's `when` holds for a request, and what its named groups captured. Any
// doubt (a value too long, a header sent twice, a URL that parsers could read differently) means
// the condition does not hold: the rule does not apply.
import type { RouteCondition } from '../config/schema.js'
import { isPlainPath } from './path-readings.js'
import type { RouteFacts } from './route-request.js'

/** A value a condition reads longer than this: the condition does not hold. @default 8 KiB (characters) */
export const DEFAULT_MAX_CONDITION_VALUE_LENGTH = 8 * 1024

/** capture name -> one value per matched value (a repeated query parameter gives several); undefined: the group did not take part. */
export type Captures = ReadonlyMap<string, readonly (string | undefined)[]>

export const NO_CAPTURES: Captures = new Map()

/**
 * An absolute http(s) URL spelt plainly: an ASCII host name or bracketed IPv6 address, an optional
 * port, no user info, no whitespace, no backslash, no fragment. Anything else is in doubt (WHATWG
 * URL and Node's legacy url.parse disagree on backslashes, `@` and whitespace).
 */
const PLAIN_URL = /^https?:\/\/(?:[A-Za-z0-9.-]+|\[[0-9A-Fa-f:.]+\])(?::\d{1,5})?(\/[^?#\s\\]*)?(?:\?[^#\s\\]*)?$/i

/** The captures when every condition holds (no conditions: none), else null. */
export function conditionsHold(when: readonly RouteCondition[] | undefined, facts: RouteFacts): Captures | null {
  if (when === undefined) return NO_CAPTURES
  const out = new Map<string, (string | undefined)[]>()
  for (let i = 0; i < when.length; i++) {
    if (!holds(when[i] as RouteCondition, facts, out)) return null
  }
  return out
}

function holds(c: RouteCondition, facts: RouteFacts, out: Map<string, (string | undefined)[]>): boolean {
  const values = valuesOf(c, facts)
  if (values === undefined) return false
  if (c.test.kind === 'absent') return values.length === 0
  // a repeated query parameter: every value must match, and at least one be sent
  if (values.length === 0) return false
  for (const v of values) {
    if (v.length > DEFAULT_MAX_CONDITION_VALUE_LENGTH) return false
    if (c.test.kind === 'pattern') {
      if (!capture(c.test.pattern, v, out)) return false
    } else if (!urlHolds(c.test.host, c.test.path, v, out)) {
      return false
    }
  }
  return true
}

/** The values a condition reads; undefined: in doubt (a header sent twice, a bracketed parameter). */
function valuesOf(c: RouteCondition, facts: RouteFacts): readonly string[] | undefined {
  if (c.from === 'query') return facts.queryValues(c.name)
  const h = facts.headers[c.name]
  if (h === undefined) return []
  return typeof h === 'string' ? [h] : undefined
}

function urlHolds(host: RegExp | undefined, path: RegExp | undefined, v: string, out: Map<string, (string | undefined)[]>): boolean {
  const plain = PLAIN_URL.exec(v)
  if (plain === null) return false
  let u: URL
  try {
    u = new URL(v)
  } catch {
    return false
  }
  const rawPath = plain[1] ?? '/'
  // the path as written must be the one the URL parser reads (no dot segments, encoded slashes,
  // characters it would escape): what the condition matched is what any reader sees
  if (!isPlainPath(rawPath) || u.pathname !== rawPath) return false
  return (host === undefined || capture(host, u.hostname, out)) && (path === undefined || capture(path, rawPath, out))
}

/** Whether the (anchored) pattern matches `v`; its named groups appended to `out`. */
function capture(re: RegExp, v: string, out: Map<string, (string | undefined)[]>): boolean {
  const m = re.exec(v)
  if (m === null) return false
  if (m.groups !== undefined) {
    for (const name in m.groups) {
      const list = out.get(name)
      if (list === undefined) out.set(name, [m.groups[name]])
      else list.push(m.groups[name])
    }
  }
  return true
}
