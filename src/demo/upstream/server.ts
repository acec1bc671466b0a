import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { setTimeout as sleep } from 'node:timers/promises'
import { demoApi, type HoustonApi } from './api.js'
import { runGraphQL } from './execute.js'
import { RequestRecorder } from './recorder.js'
import { DEFAULT_MAX_BODY_BYTES, fromBody, fromSearchParams, readBody, type GraphQLRequest } from './request.js'
import { DemoStore } from './store.js'
import { restAnswer } from './rest.js'
import { attachSubscriptions } from './subscriptions.js'
import type { DemoContext, RecordedRequest } from './types.js'

export const GRAPHQL_PATH = '/graphql'
/** The header whose value `self` answers for. */
export const SUBJECT_HEADER = 'x-permgate-subject'

export interface StartUpstreamOptions {
  /** @default '127.0.0.1' */
  host?: string
  /** 0 picks a free port. @default 0 */
  port?: number
  /** Artificial latency before each answer, for timeout tests; see also `setDelay`. @default 0 */
  delayMs?: number
  /**
   * The Houston schema served: `v0.12.1` (root fields return JSON, documents need no selection
   * sets) or `0.3x` (platform 0.30-0.35 object types). Both serve the same data. @default 'v0.12.1'
   */
  houston?: HoustonApi
  /** Where GraphQL is served (Houston: `/v1`). @default GRAPHQL_PATH */
  graphqlPath?: string
  /** Where WebSocket upgrades are accepted (Houston: `/ws`). @default the GraphQL path */
  subscriptionsPath?: string
}

export interface DemoUpstream {
  /** e.g. http://127.0.0.1:PORT/graphql */
  url: string
  /** e.g. http://127.0.0.1:PORT */
  origin: string
  port: number
  /** The Houston schema it serves. */
  houston: HoustonApi
  /**
   * The most recent requests received (at most 1000), oldest first. WebSocket upgrades are
   * recorded as their GET, and each subscribe/start message as method `WS` with the message as body.
   */
  requests: RecordedRequest[]
  /** Requests received since start or the last `reset()`. */
  count(): number
  /** Forgets recorded requests and zeroes the count; the data is untouched. */
  reset(): void
  /** Restores the seed data after mutations. */
  resetData(): void
  /** Changes the artificial latency for requests that arrive from now on. */
  setDelay(ms: number): void
  /** Stops listening and closes every connection, keep-alive ones included. */
  close(): Promise<void>
}

function send(res: ServerResponse, status: number, payload: unknown, headers: Record<string, string> = {}): void {
  if (res.destroyed || res.headersSent) return
  // a stand-in's text body (a metrics page, an HTML page) goes as it is, under its own type
  const text = typeof payload === 'string' && headers['content-type'] !== undefined ? payload : JSON.stringify(payload)
  res.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(text),
    ...headers,
  })
  res.end(text)
}

const errorBody = (message: string) => ({ errors: [{ message }] })

function checkedDelay(ms: number): number {
  if (!Number.isFinite(ms) || ms < 0) throw new RangeError(`delayMs must be a finite number >= 0, got ${ms}`)
  return ms
}

/** A Houston-shaped GraphQL server over in-memory data, for demos and end-to-end tests. */
export async function startUpstream(opts: StartUpstreamOptions = {}): Promise<DemoUpstream> {
  const host = opts.host ?? '127.0.0.1'
  const graphqlPath = opts.graphqlPath ?? GRAPHQL_PATH
  let delayMs = checkedDelay(opts.delayMs ?? 0)
  const api = demoApi(opts.houston ?? 'v0.12.1')
  api.schema() // a broken SDL fails here, not at the first request
  const store = new DemoStore()
  const recorder = new RequestRecorder()
  const closing = new AbortController()

  async function answer(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const method = req.method ?? ''
    const body = await readBody(req, DEFAULT_MAX_BODY_BYTES)
    recorder.record({ method, url: req.url ?? '', headers: { ...req.headers }, body: body ?? '' })
    const url = new URL(req.url ?? '/', 'http://upstream.invalid')
    if (url.pathname !== graphqlPath) {
      const rest = restAnswer(graphqlPath, url.pathname, method, url.searchParams)
      if (rest === undefined) return send(res, 404, errorBody(`No route ${method} ${url.pathname}`))
      return send(res, rest.status, rest.body, { ...rest.headers })
    }
    if (method !== 'GET' && method !== 'POST') {
      return send(res, 405, errorBody(`Method ${method} is not allowed`), { allow: 'GET, POST' })
    }
    if (body === undefined) {
      return send(res, 413, errorBody(`Request body over ${DEFAULT_MAX_BODY_BYTES} bytes`), { connection: 'close' })
    }
    if (delayMs > 0) await sleep(delayMs, undefined, { signal: closing.signal })

    const request: GraphQLRequest = method === 'GET' ? fromSearchParams(url.searchParams) : fromBody(body)
    if (request.kind === 'invalid') return send(res, request.status, errorBody(request.message))
    const subject = req.headers[SUBJECT_HEADER]
    const ctx: DemoContext = { store, subject: typeof subject === 'string' && subject !== '' ? subject : undefined }
    if (request.kind === 'single') {
      const { status, result } = await runGraphQL(request.params, method, ctx, api)
      return send(res, status, result, status === 405 ? { allow: 'POST' } : {})
    }
    // A batch answers 200 with one result per entry; each entry carries its own errors.
    const outcomes = []
    for (const params of request.params) outcomes.push(await runGraphQL(params, method, ctx, api))
    send(res, 200, outcomes.map((o) => o.result))
  }

  const server = createServer((req, res) => {
    answer(req, res).catch((err: unknown) => {
      if (closing.signal.aborted) return void res.destroy()
      send(res, 500, errorBody(err instanceof Error ? err.message : String(err)))
    })
  })

  // GraphQL over WebSocket on the same path (graphql-transport-ws, legacy graphql-ws); upgrades and subscribes are recorded too.
  const subscriptions = attachSubscriptions({ server, store, api, recorder, path: opts.subscriptionsPath ?? graphqlPath, subjectHeader: SUBJECT_HEADER })

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(opts.port ?? 0, host, () => {
      server.off('error', reject)
      resolve()
    })
  })
  const { port } = server.address() as AddressInfo
  const origin = `http://${host.includes(':') ? `[${host}]` : host}:${port}`

  let closed: Promise<void> | undefined
  return {
    url: `${origin}${graphqlPath}`,
    origin,
    port,
    houston: api.name,
    requests: recorder.requests,
    count: () => recorder.count(),
    reset: () => recorder.reset(),
    resetData: () => store.reset(),
    setDelay: (ms) => {
      delayMs = checkedDelay(ms)
    },
    close: () => {
      closed ??= new Promise<void>((resolve, reject) => {
        closing.abort()
        subscriptions.close()
        server.close((err) => (err === undefined ? resolve() : reject(err)))
        server.closeAllConnections()
      })
      return closed
    },
  }
}
