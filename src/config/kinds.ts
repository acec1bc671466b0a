import { existsSync, readFileSync } from 'node:fs'
import { isIP } from 'node:net'
import { resolve } from 'node:path'
import { PermgateError } from '../errors.js'
import { compileCidrs, type CidrList } from './cidr.js'
import { readCors } from './cors.js'
import { CONFIG_KEY_NAMES, rowOf, type ConfigKey, type KEYS, type KeyKind, type KeyRow } from './keys.js'
import { pemCertificates } from './pem.js'
import { readRoutes, resolveRoutePaths } from './routes.js'
import type { CorsConfig, RouteRule, ServeConfig } from './schema.js'

/** Keys as given, by flags and the config file (file paths already resolved). */
export type Raw = Partial<Record<ConfigKey, unknown>>

/** What each kind reads into. */
interface KindValue {
  string: string
  path: string
  file: string
  files: readonly string[]
  pem: string
  bindings: string
  url: string
  dnsName: string
  list: readonly string[]
  cidrs: CidrList | undefined
  boolean: boolean
  integer: number
  fraction: number
  sink: ServeConfig['decisionLog']['sink']
  routes: readonly RouteRule[]
  cors: CorsConfig
}

/** Kinds that read as something when absent (an empty list, false), whatever the row says. */
type AlwaysSet = 'files' | 'list' | 'cidrs' | 'boolean' | 'routes'
type RowOf<K extends ConfigKey> = (typeof KEYS)[K]
export type KeyValue<K extends ConfigKey> = RowOf<K> extends { default: unknown } | { required: true } | { kind: AlwaysSet }
  ? KindValue[RowOf<K>['kind']]
  : KindValue[RowOf<K>['kind']] | undefined
/** Every key, read and checked on its own; the checks between keys come after (load.ts). */
export type KeyValues = { readonly [K in ConfigKey]: KeyValue<K> }

/** `postgres://` or `postgresql://`: the bindings come from the database store. */
export function isDatabaseUrl(v: unknown): v is string {
  return typeof v === 'string' && /^postgres(?:ql)?:\/\//i.test(v)
}

/** `a, b,c` -> ['a', 'b', 'c']: a list given as one string (a flag, or a string in the file). */
function splitList(v: string): string[] {
  return v.split(',').map((s) => s.trim()).filter(Boolean)
}

/** Relative file names resolve against `base`: the config file's directory, or the working directory for flags. */
export function resolvePaths(key: ConfigKey, v: unknown, base: string): unknown {
  const at = (f: unknown): unknown => (typeof f === 'string' && f !== '' ? resolve(base, f) : f)
  switch (rowOf(key).kind) {
    case 'file':
    case 'pem':
      return at(v)
    case 'bindings':
      return isDatabaseUrl(v) ? v : at(v)
    case 'routes':
      return resolveRoutePaths(v, base)
    case 'files': {
      const items = typeof v === 'string' ? splitList(v) : v
      return Array.isArray(items) ? items.map(at) : v
    }
    default:
      return v
  }
}

/** PERMGATE_ERR_CONFIG_INVALID naming the key and its flag. */
export function invalid(key: ConfigKey, msg: string): never {
  throw new PermgateError('PERMGATE_ERR_CONFIG_INVALID', `${key} (${rowOf(key).flag ?? 'config file only'}): ${msg}`, { path: key })
}

/** Reads every key of the table, in its order. */
export function readKeys(raw: Raw): KeyValues {
  const out: Partial<Record<ConfigKey, unknown>> = {}
  for (const key of CONFIG_KEY_NAMES) out[key] = readKey(key, raw[key])
  return out as KeyValues
}

/** One key's value, checked against its row: its kind, its range; its default when absent. */
function readKey(key: ConfigKey, v: unknown): unknown {
  const row = rowOf(key)
  if (v === undefined) return absent(key, row)
  return READERS[row.kind](key, v, row)
}

function absent(key: ConfigKey, row: KeyRow): unknown {
  if (row.required) {
    throw new PermgateError('PERMGATE_ERR_CONFIG_MISSING', `${key} is required (${row.flag ?? 'config file only'} or "${key}:" in --config)`, { path: key })
  }
  if (row.kind === 'files' || row.kind === 'list' || row.kind === 'routes') return Object.freeze([])
  return row.kind === 'sink' && row.default !== undefined ? sink(key, row.default) : row.default
}

function str(key: ConfigKey, v: unknown): string {
  if (typeof v !== 'string' || v === '') return invalid(key, 'must be a non-empty string')
  return v
}

function list(key: ConfigKey, v: unknown): readonly string[] {
  const items = typeof v === 'string' ? splitList(v) : v
  if (!Array.isArray(items) || !items.every((s) => typeof s === 'string' && s !== '')) return invalid(key, 'must be a list of strings')
  return Object.freeze([...(items as string[])])
}

function file(key: ConfigKey, v: unknown): string {
  const f = str(key, v)
  if (!existsSync(f)) throw new PermgateError('PERMGATE_ERR_CONFIG_FILE', `${key}: no such file or directory: ${f}`, { path: key })
  return f
}

function url(key: ConfigKey, v: unknown): string {
  const s = str(key, v)
  let u: URL
  try {
    u = new URL(s)
  } catch {
    return invalid(key, `not a URL: ${s}`)
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') invalid(key, 'must be an http: or https: URL')
  return s
}

// 'off', 'stdout', or a file path (relative ones resolve against the working directory)
function sink(key: ConfigKey, v: unknown): KindValue['sink'] {
  const s = str(key, v)
  return s === 'off' || s === 'stdout' ? s : Object.freeze({ file: resolve(s) })
}

const DNS_NAME = /^(?=.{1,253}$)(?!-)[A-Za-z0-9-]{1,63}(?<!-)(?:\.(?!-)[A-Za-z0-9-]{1,63}(?<!-))*$/

/** One reader per kind, each giving its kind's value (KindValue): the table's types are checked here. */
const READERS: { readonly [K in KeyKind]: (key: ConfigKey, v: unknown, row: KeyRow) => KindValue[K] } = {
  string: (key, v) => str(key, v),
  path: (key, v) => {
    const p = str(key, v)
    if (!/^\/[A-Za-z0-9._~\-/]*$/.test(p) || p.includes('//')) invalid(key, 'must be an absolute path such as /graphql')
    return p
  },
  file: (key, v) => file(key, v),
  files: (key, v) => {
    const files = list(key, v)
    for (const f of files) if (!existsSync(f)) throw new PermgateError('PERMGATE_ERR_CONFIG_FILE', `${key}: no such file: ${f}`, { path: key })
    return files
  },
  // a CA bundle is read now: a file that is not PEM certificates stops the start (and `permgate check`)
  pem: (key, v) => {
    const f = file(key, v)
    let text: string
    try {
      text = readFileSync(f, 'utf8')
    } catch (e) {
      throw new PermgateError('PERMGATE_ERR_CONFIG_FILE', `${key}: cannot read ${f}: ${(e as Error).message}`, { path: key })
    }
    return pemCertificates(text) ?? invalid(key, `${f} must hold PEM certificates (-----BEGIN CERTIFICATE-----) and nothing else`)
  },
  // a bindings file, or the PostgreSQL store: postgres://user@host:port/db
  bindings: (key, v) => {
    if (!isDatabaseUrl(v)) return file(key, v)
    try {
      new URL(v)
    } catch {
      invalid(key, 'not a valid postgres:// URL')
    }
    return v
  },
  url,
  // RFC 6066 §3: SNI carries a DNS name, never an IP address (an IP upstream is checked against its URL's address)
  dnsName: (key, v) => {
    const name = str(key, v)
    if (isIP(name) !== 0 || !DNS_NAME.test(name)) invalid(key, 'must be a DNS name such as upstream.internal')
    return name
  },
  list,
  // compiled here, once: a typo fails at start, and every stage uses these ranges
  cidrs: (key, v) => {
    const ranges = list(key, v)
    return ranges.length === 0 ? undefined : compileCidrs(ranges, 'PERMGATE_ERR_CONFIG_INVALID', { path: key })
  },
  boolean: (key, v) => (typeof v === 'boolean' ? v : invalid(key, 'must be true or false')),
  integer: (key, v, row) => {
    const { min, max } = row as KeyRow & { kind: 'integer' }
    const n = typeof v === 'number' ? v : typeof v === 'string' && /^\d+$/.test(v) ? Number(v) : NaN
    if (!Number.isSafeInteger(n) || n < min || n > max) return invalid(key, `must be an integer from ${min} to ${max}`)
    return n
  },
  fraction: (key, v) => {
    const n = typeof v === 'number' ? v : typeof v === 'string' && v.trim() !== '' ? Number(v) : NaN
    if (!(n >= 0 && n <= 1)) return invalid(key, 'must be a number from 0 to 1')
    return n
  },
  sink,
  routes: (_key, v) => Object.freeze(readRoutes(v)),
  cors: (_key, v) => readCors(v),
}
