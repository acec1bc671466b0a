// `cors:` of the config file, read once at start: which browser origins may read permgate's
// answers, and what a preflight is told. Origins are exact strings; patterns are matched against
// the whole origin, so Houston's unanchored, unescaped `.<baseDomain>$` and `://localhost` (which
// let `https://evil-example.com` and `http://localhost.attacker.net` through) cannot be written.
import { PermgateError } from '../errors.js'
import type { CorsConfig } from './schema.js'
import { isRecord } from './yaml.js'

/** Apollo Router's default methods. */
export const DEFAULT_CORS_METHODS: readonly string[] = Object.freeze(['GET', 'POST', 'OPTIONS'])
/** Content-Type and Authorization, plus the rest of what Houston allows (its `src/index.js`). */
export const DEFAULT_CORS_ALLOW_HEADERS: readonly string[] = Object.freeze(['Content-Type', 'Authorization', 'Content-Length', 'X-Requested-With', 'X-Apollo-Tracing'])
/** 10 min: how long a browser may reuse a preflight's answer. */
export const DEFAULT_CORS_MAX_AGE_SEC = 600
/** 1 d: Firefox's own cap (Chromium caps at 2 h). */
export const MAX_CORS_MAX_AGE_SEC = 86_400

const KEYS = new Set(['origins', 'originPatterns', 'credentials', 'methods', 'allowHeaders', 'exposeHeaders', 'maxAgeSec'])

/** RFC 9110 §5.6.2 token: what a method or a header name is made of. */
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/

/** A host as a URL spells it: a DNS name (IDNs as punycode), an IPv4 address or a bracketed IPv6 one. */
const HOST = /^(?:[a-z0-9-]+(?:\.[a-z0-9-]+)*|\[[0-9a-f:.]+\])$/

/**
 * Origins no site can have (RFC 2606 reserves `.invalid`): a pattern that matches one allows any
 * host, as `https://.*` does.
 */
const PROBES = ['https://permgate-probe.invalid', 'http://permgate-probe.invalid:8080']

/** `cors:` as written -> the frozen CorsConfig, patterns compiled and anchored. */
export function readCors(v: unknown): CorsConfig {
  if (!isRecord(v)) throw invalid('cors must be a map (origins, originPatterns, credentials, methods, allowHeaders, exposeHeaders, maxAgeSec)', 'cors')
  for (const k of Object.keys(v)) if (!KEYS.has(k)) throw new PermgateError('PERMGATE_ERR_CONFIG_UNKNOWN_KEY', `unknown key "${k}" in cors (known: ${[...KEYS].join(', ')})`, { path: `cors.${k}` })
  const credentials = v.credentials ?? false
  if (typeof credentials !== 'boolean') throw invalid('must be true or false', 'cors.credentials')

  const origins = strings(v.origins, 'cors.origins', [])
  const anyOrigin = origins.includes('*')
  origins.forEach((o, i) => {
    if (o !== '*') checkOrigin(o, `cors.origins[${i}]`)
  })
  const originPatterns = strings(v.originPatterns, 'cors.originPatterns', [])
  const originMatchers = originPatterns.map((p, i) => compilePattern(p, `cors.originPatterns[${i}]`))
  if (anyOrigin && (origins.length > 1 || originPatterns.length > 0)) {
    throw contradiction('cors.origins: "*" allows every origin: give it alone, without other origins or originPatterns', 'cors.origins')
  }
  // Fetch standard §3.2.5: a credentialed answer must name its origin; `*` would mean every site
  // can read what a logged-in user's cookie unlocks
  if (anyOrigin && credentials) throw contradiction('cors.origins "*" with cors.credentials true: a browser reads a credentialed answer only for an origin named exactly; list the origins, or drop credentials', 'cors.origins')

  const methods = strings(v.methods, 'cors.methods', DEFAULT_CORS_METHODS).map((m) => (m === '*' ? m : m.toUpperCase()))
  const allowHeaders = strings(v.allowHeaders, 'cors.allowHeaders', DEFAULT_CORS_ALLOW_HEADERS)
  const exposeHeaders = strings(v.exposeHeaders, 'cors.exposeHeaders', [])
  for (const [list, at] of [[methods, 'cors.methods'], [allowHeaders, 'cors.allowHeaders'], [exposeHeaders, 'cors.exposeHeaders']] as const) {
    list.forEach((t, i) => {
      if (!TOKEN.test(t)) throw invalid(`"${t}" is not an HTTP token (a method or header name)`, `${at}[${i}]`)
    })
    // with credentials, `*` is no wildcard but the literal name "*" (Fetch standard §3.2.3)
    if (credentials && list.includes('*')) throw contradiction(`${at} "*" with cors.credentials true: browsers read "*" as a name, not as every name, on a credentialed answer; list the names`, at)
  }
  if (methods.length === 0) throw invalid('give at least one method', 'cors.methods')

  const maxAgeSec = v.maxAgeSec ?? DEFAULT_CORS_MAX_AGE_SEC
  if (typeof maxAgeSec !== 'number' || !Number.isSafeInteger(maxAgeSec) || maxAgeSec < 0 || maxAgeSec > MAX_CORS_MAX_AGE_SEC) {
    throw invalid(`must be an integer from 0 to ${MAX_CORS_MAX_AGE_SEC} (seconds)`, 'cors.maxAgeSec')
  }
  return Object.freeze({
    origins: Object.freeze(anyOrigin ? [] : origins),
    anyOrigin,
    originPatterns: Object.freeze(originPatterns),
    originMatchers: Object.freeze(originMatchers),
    credentials,
    methods: Object.freeze(methods),
    allowHeaders: Object.freeze(allowHeaders),
    exposeHeaders: Object.freeze(exposeHeaders),
    maxAgeSec,
  })
}

function strings(v: unknown, at: string, dflt: readonly string[]): string[] {
  if (v === undefined) return [...dflt]
  if (!Array.isArray(v) || !v.every((s) => typeof s === 'string' && s !== '')) throw invalid('must be a list of non-empty strings', at)
  return [...(v as string[])]
}

/** An origin exactly as a browser sends it (RFC 6454 §6.2): `scheme://host[:port]`, lower case, no default port, no path. */
function checkOrigin(o: string, at: string): void {
  let u: URL | undefined
  try {
    u = new URL(o)
  } catch {
    u = undefined
  }
  if (u === undefined || (u.protocol !== 'http:' && u.protocol !== 'https:') || u.username !== '' || u.password !== '') {
    throw invalid(`"${o}" is not an http(s) origin such as https://app.example.com (for many hosts, use originPatterns)`, at)
  }
  if (!HOST.test(u.hostname)) throw invalid(`"${o}": origins are compared exactly, and ${u.hostname} is no host name; for many hosts, use originPatterns (e.g. https://[a-z0-9-]+\\.example\\.com)`, at)
  if (u.origin !== o) throw invalid(`"${o}" is not an origin as a browser sends it (scheme://host[:port], lower case, no default port, no path): write ${u.origin}`, at)
}

/** `p` compiled alone (so `a)|(b` cannot break out of the anchors), then anchored: `^(?:p)$`. */
function compilePattern(p: string, at: string): RegExp {
  let re: RegExp
  try {
    new RegExp(p)
    re = new RegExp(`^(?:${p})$`)
  } catch (e) {
    throw invalid(`"${p}" is not a valid regular expression: ${(e as Error).message}`, at)
  }
  const probe = PROBES.find((o) => re.test(o))
  if (probe !== undefined) throw invalid(`"${p}" matches ${probe}, a host no site can have: it allows any host; spell the host out, e.g. https://[a-z0-9-]+\\.example\\.com`, at)
  return re
}

function invalid(msg: string, path: string): PermgateError {
  return new PermgateError('PERMGATE_ERR_CONFIG_INVALID', msg, { path })
}

function contradiction(msg: string, path: string): PermgateError {
  return new PermgateError('PERMGATE_ERR_CONFIG_CONTRADICTION', msg, { path })
}
