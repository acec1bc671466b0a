import type { IncomingMessage } from 'node:http'

export const DEFAULT_MAX_BODY_BYTES = 1024 * 1024 // 1 MiB
/** Operations per batched POST. */
export const DEFAULT_MAX_BATCH = 32

/** The body as UTF-8, or undefined once it passes `limit` bytes (reading stops there). */
export function readBody(req: IncomingMessage, limit: number): Promise<string | undefined> {
  if (Number(req.headers['content-length']) > limit) return Promise.resolve(undefined)
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = []
    let size = 0
    const onData = (chunk: Buffer): void => {
      size += chunk.length
      if (size <= limit) {
        chunks.push(chunk)
        return
      }
      chunks.length = 0
      req.off('data', onData)
      req.pause()
      resolve(undefined)
    }
    req.on('data', onData)
    req.once('end', () => resolve(Buffer.concat(chunks).toString('utf8')))
    req.once('error', reject)
  })
}

export type GraphQLRequest =
  | { kind: 'single'; params: unknown }
  | { kind: 'batch'; params: unknown[] }
  | { kind: 'invalid'; status: number; message: string }

const invalid = (message: string, status = 400): GraphQLRequest => ({ kind: 'invalid', status, message })

/** GET: `query`, `variables` (JSON text) and `operationName` from the query string. */
export function fromSearchParams(search: URLSearchParams): GraphQLRequest {
  const params: Record<string, unknown> = { query: search.get('query') ?? undefined }
  const operationName = search.get('operationName')
  if (operationName !== null) params['operationName'] = operationName
  const variables = search.get('variables')
  if (variables !== null && variables !== '') {
    try {
      params['variables'] = JSON.parse(variables)
    } catch {
      return invalid('The "variables" parameter is not valid JSON')
    }
  }
  return { kind: 'single', params }
}

/** POST: one JSON request object, or an array of them (a batch). */
export function fromBody(body: string, maxBatch = DEFAULT_MAX_BATCH): GraphQLRequest {
  let parsed: unknown
  try {
    parsed = JSON.parse(body)
  } catch {
    return invalid('The request body is not valid JSON')
  }
  if (!Array.isArray(parsed)) return { kind: 'single', params: parsed }
  if (parsed.length === 0) return invalid('A batch must hold at least one request')
  if (parsed.length > maxBatch) return invalid(`A batch may hold at most ${maxBatch} requests`)
  return { kind: 'batch', params: parsed as unknown[] }
}
