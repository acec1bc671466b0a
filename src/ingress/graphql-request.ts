import { isUtf8 } from 'node:buffer'
import { PermgateError } from '../errors.js'
import { isRecord } from '../config/yaml.js'
import { checkJsonDepth, parseClientJson } from './json.js'

/** One GraphQL request as read, and what will be forwarded. */
export interface GraphQLRequest {
  readonly query: string
  readonly variables: Record<string, unknown> | undefined
  readonly operationName: string | undefined
  readonly extensions: Record<string, unknown> | undefined
}

export interface ReadRequests {
  readonly batch: boolean
  readonly items: readonly GraphQLRequest[]
}

const KEYS = new Set(['query', 'variables', 'operationName', 'extensions'])

/** GraphQL over HTTP, POST: `application/json` in UTF-8, one request or a batch (JSON array). */
export function readPostBody(body: Buffer, maxBatchSize: number, maxJsonDepth: number): ReadRequests {
  // Decoding would turn invalid bytes into U+FFFD silently (RFC 8259 §8.1: JSON is UTF-8):
  // refused, so that what is decided is the text the client meant, not a repair of it.
  if (!isUtf8(body)) throw new PermgateError('PERMGATE_ERR_REQUEST_SHAPE', 'the body is not valid UTF-8')
  checkJsonDepth(body, maxJsonDepth)
  let parsed: unknown
  try {
    // JSON.parse keeps the last of duplicate keys; the forwarded body is re-serialized from
    // this parse, so the upstream sees exactly what was decided.
    parsed = JSON.parse(body.toString('utf8'))
  } catch (e) {
    throw new PermgateError('PERMGATE_ERR_REQUEST_SHAPE', `the body is not valid JSON: ${(e as Error).message}`)
  }
  if (Array.isArray(parsed)) {
    if (parsed.length === 0) throw new PermgateError('PERMGATE_ERR_REQUEST_SHAPE', 'an empty batch')
    if (parsed.length > maxBatchSize) {
      throw new PermgateError('PERMGATE_ERR_BATCH_TOO_LARGE', `a batch of ${parsed.length} operations; the limit is ${maxBatchSize}`)
    }
    return { batch: true, items: parsed.map((p, i) => readOne(p, `[${i}]`)) }
  }
  return { batch: false, items: [readOne(parsed, '')] }
}

/** GraphQL over HTTP, GET: `query`, `variables` (JSON), `operationName` in the query string. */
export function readGetParams(params: Record<string, unknown>, maxJsonDepth: number): ReadRequests {
  const one = (name: string): string | undefined => {
    const v = params[name]
    if (v === undefined) return undefined
    if (typeof v !== 'string') throw new PermgateError('PERMGATE_ERR_REQUEST_SHAPE', `the query string parameter ${name} must appear once`)
    return v
  }
  for (const k of Object.keys(params)) {
    if (!KEYS.has(k)) throw new PermgateError('PERMGATE_ERR_REQUEST_SHAPE', `unknown query string parameter "${k}"`)
  }
  const json = (name: string): unknown => {
    const v = one(name)
    if (v === undefined || v === '') return undefined
    try {
      return parseClientJson(v, maxJsonDepth)
    } catch (e) {
      if (e instanceof PermgateError) throw e
      throw new PermgateError('PERMGATE_ERR_GRAPHQL_VARIABLES', `${name} must be JSON`)
    }
  }
  const query = one('query')
  const operationName = one('operationName')
  return {
    batch: false,
    items: [readOne({ query, variables: json('variables'), operationName: operationName === '' ? undefined : operationName, extensions: json('extensions') }, '')],
  }
}

/** True when a URL carries GraphQL parameters (a POST must not carry a second request there). */
export function hasGraphQLParams(params: Record<string, unknown>): boolean {
  for (const k of KEYS) if (params[k] !== undefined) return true
  return false
}

function readOne(v: unknown, at: string): GraphQLRequest {
  const where = at === '' ? '' : ` (batch element ${at})`
  if (!isRecord(v)) throw new PermgateError('PERMGATE_ERR_REQUEST_SHAPE', `a GraphQL request is a JSON object${where}`)
  for (const k of Object.keys(v)) {
    if (!KEYS.has(k)) throw new PermgateError('PERMGATE_ERR_REQUEST_SHAPE', `unknown key "${k}" in the request${where}`)
  }
  if (typeof v.query !== 'string' || v.query === '') {
    throw new PermgateError('PERMGATE_ERR_REQUEST_SHAPE', `query must be a non-empty string${where}`)
  }
  const variables = v.variables ?? undefined
  if (variables !== undefined && !isRecord(variables)) throw new PermgateError('PERMGATE_ERR_GRAPHQL_VARIABLES', `variables must be a JSON object${where}`)
  const operationName = v.operationName ?? undefined
  if (operationName !== undefined && typeof operationName !== 'string') {
    throw new PermgateError('PERMGATE_ERR_REQUEST_SHAPE', `operationName must be a string${where}`)
  }
  const extensions = v.extensions ?? undefined
  if (extensions !== undefined && !isRecord(extensions)) throw new PermgateError('PERMGATE_ERR_REQUEST_SHAPE', `extensions must be a JSON object${where}`)
  return { query: v.query, variables, operationName, extensions }
}

/** GraphQL over HTTP: the request body is `application/json`, UTF-8. Checked before reading it. */
export function checkJsonContentType(contentType: string | undefined): void {
  const [type = '', ...params] = (contentType ?? '').split(';').map((s) => s.trim().toLowerCase())
  if (type !== 'application/json') {
    throw new PermgateError('PERMGATE_ERR_UNSUPPORTED_MEDIA_TYPE', `Content-Type must be application/json, got "${type || 'none'}"`)
  }
  for (const p of params) {
    const [name, value] = p.split('=').map((s) => s.trim().replace(/^"|"$/g, ''))
    if (name === 'charset' && value !== 'utf-8' && value !== 'utf8') {
      throw new PermgateError('PERMGATE_ERR_UNSUPPORTED_MEDIA_TYPE', `only UTF-8 is accepted, got charset=${value}`)
    }
  }
}

/** The forwarded form of what was authorized. */
export function serialize(read: ReadRequests): string {
  const out = read.items.map((r) => {
    const o: Record<string, unknown> = { query: r.query }
    if (r.operationName !== undefined) o.operationName = r.operationName
    if (r.variables !== undefined) o.variables = r.variables
    if (r.extensions !== undefined) o.extensions = r.extensions
    return o
  })
  return JSON.stringify(read.batch ? out : out[0])
}

/** The forwarded query string of an authorized GET. */
export function serializeGet(r: GraphQLRequest): string {
  const p = new URLSearchParams({ query: r.query })
  if (r.operationName !== undefined) p.set('operationName', r.operationName)
  if (r.variables !== undefined) p.set('variables', JSON.stringify(r.variables))
  if (r.extensions !== undefined) p.set('extensions', JSON.stringify(r.extensions))
  return p.toString()
}
