import type { IncomingMessage, Server } from 'node:http'
import type { Duplex } from 'node:stream'
import { setTimeout as sleep } from 'node:timers/promises'
import {
  execute,
  getOperationAST,
  GraphQLError,
  parse,
  subscribe,
  validate,
  type DocumentNode,
  type ExecutionArgs,
  type ExecutionResult,
  type GraphQLFieldResolver,
} from 'graphql'
import WebSocket, { WebSocketServer } from 'ws'
import type { DemoApi } from './api.js'
import type { RequestRecorder } from './recorder.js'
import type { DemoStore } from './store.js'
import type { DemoContext } from './types.js'

/** Values each subscription emits before it completes, and the pause between them. */
export const SUBSCRIPTION_EVENTS = 3
export const SUBSCRIPTION_INTERVAL_MS = 5

const GRAPHQL_TRANSPORT_WS = 'graphql-transport-ws'
const LEGACY_GRAPHQL_WS = 'graphql-ws'

export interface SubscriptionServerOptions {
  readonly server: Server
  readonly store: DemoStore
  /** The schema, resolvers and subscription events to serve. */
  readonly api: DemoApi
  readonly recorder: RequestRecorder
  readonly path: string
  /** The header whose value is the subject (`self`), as for HTTP. */
  readonly subjectHeader: string
}

export interface SubscriptionServer {
  /** Closes every socket at once. */
  close(): void
}

/** The pause between events: `metrics(step:)` read as milliseconds (1 to 10,000), else the default. */
function intervalOf(args: Record<string, unknown>): number {
  const step = args.step
  return typeof step === 'number' && Number.isInteger(step) && step >= 1 && step <= 10_000 ? step : SUBSCRIPTION_INTERVAL_MS
}

async function* events(api: DemoApi, field: string, args: Record<string, unknown>, ctx: DemoContext): AsyncGenerator<Record<string, unknown>> {
  const make = Object.hasOwn(api.events, field) ? api.events[field] : undefined
  const interval = intervalOf(args)
  for (let i = 0; i < SUBSCRIPTION_EVENTS; i++) {
    if (i > 0) await sleep(interval)
    yield { [field]: make === undefined ? { field, sequence: i } : make(args, ctx, i, SUBSCRIPTION_EVENTS) }
  }
}

/** A subscribe/start payload as execution arguments, or the errors that stop it. */
function prepare(api: DemoApi, payload: unknown, ctx: DemoContext): ExecutionArgs | readonly GraphQLError[] {
  const p = (typeof payload === 'object' && payload !== null ? payload : {}) as Record<string, unknown>
  if (typeof p.query !== 'string') return [new GraphQLError('The "query" parameter must be a string')]
  let document: DocumentNode
  try {
    document = parse(p.query)
  } catch (e) {
    if (e instanceof GraphQLError) return [e]
    throw e
  }
  const schema = api.schema()
  const errors = validate(schema, document)
  if (errors.length > 0) return errors
  const operationName = typeof p.operationName === 'string' ? p.operationName : undefined
  if (getOperationAST(document, operationName) == null) return [new GraphQLError('Could not determine which operation to run')]
  return {
    schema,
    document,
    operationName,
    variableValues: (typeof p.variables === 'object' && p.variables !== null ? p.variables : undefined) as Record<string, unknown> | undefined,
    contextValue: ctx,
    // Subscription events carry their value under the field name; other fields resolve as over HTTP.
    fieldResolver: (source, args, c, info) =>
      info.parentType.name === 'Subscription' ? (source as Record<string, unknown>)[info.fieldName] : api.fieldResolver(source, args, c, info),
    subscribeFieldResolver: ((_source, args, c, info) => events(api, info.fieldName, args, c)) satisfies GraphQLFieldResolver<unknown, DemoContext>,
  }
}

const isSubscription = (args: ExecutionArgs): boolean => getOperationAST(args.document, args.operationName)?.operation === 'subscription'

/**
 * GraphQL over WebSocket for the demo upstream, on `path`, for both subprotocols
 * (`graphql-transport-ws` preferred, legacy `graphql-ws`). Every upgrade and every
 * subscribe/start message is recorded: the upgrade as its GET with its headers, a message as
 * method `WS` with the upgrade's headers and the raw message as the body (connection_init as
 * `WS_INIT`, complete/stop as `WS_STOP`).
 */
export function attachSubscriptions(opts: SubscriptionServerOptions): SubscriptionServer {
  const { store, api, recorder, subjectHeader } = opts
  const wss = new WebSocketServer({
    noServer: true,
    handleProtocols: (p) => (p.has(GRAPHQL_TRANSPORT_WS) ? GRAPHQL_TRANSPORT_WS : p.has(LEGACY_GRAPHQL_WS) ? LEGACY_GRAPHQL_WS : false),
  })
  wss.on('connection', (socket: WebSocket, req: IncomingMessage) => {
    const subject = req.headers[subjectHeader]
    serve(socket, req, recorder, api, { store, subject: typeof subject === 'string' && subject !== '' ? subject : undefined })
  })

  opts.server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    recorder.record({ method: req.method ?? 'GET', url: req.url ?? '', headers: { ...req.headers }, body: '' })
    const path = new URL(req.url ?? '/', 'http://upstream.invalid').pathname
    const offered = String(req.headers['sec-websocket-protocol'] ?? '').split(',').map((p) => p.trim())
    if (path !== opts.path || (!offered.includes(GRAPHQL_TRANSPORT_WS) && !offered.includes(LEGACY_GRAPHQL_WS))) {
      socket.on('error', () => socket.destroy())
      return void socket.end('HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n')
    }
    wss.handleUpgrade(req, socket, head, (ws) => wss.emit('connection', ws, req))
  })

  return {
    close: () => {
      for (const c of wss.clients) c.terminate()
      wss.close()
    },
  }
}

/**
 * One connection, server side, in either protocol: connection_init is acknowledged (the demo
 * trusts the proxy in front of it), subscribe/start runs the operation and streams its results
 * (next/data), then complete; complete/stop from the client ends a stream.
 */
function serve(socket: WebSocket, req: IncomingMessage, recorder: RequestRecorder, api: DemoApi, ctx: DemoContext): void {
  const legacy = socket.protocol === LEGACY_GRAPHQL_WS
  const data = legacy ? 'data' : 'next'
  const running = new Map<string, AsyncGenerator<ExecutionResult> | undefined>()
  let initialised = false
  // the legacy protocol's id-less operation (subscriptions-transport-ws keys it `undefined`) is
  // kept under '' and its frames carry no id, as that library's do
  const send = (m: Record<string, unknown>): void => {
    if (socket.readyState === WebSocket.OPEN) socket.send(JSON.stringify(m.id === '' ? { ...m, id: undefined } : m))
  }
  const fail = (id: string, errors: readonly GraphQLError[]): void =>
    send({ id, type: 'error', payload: legacy ? { message: errors.map((e) => e.message).join('; ') } : errors.map((e) => e.toJSON()) })
  /** graphql-ws closes on a protocol violation; the legacy protocol answers an error. */
  const violation = (code: number, message: string): void => (legacy ? send({ type: 'error', payload: { message } }) : socket.close(code, message))

  async function run(id: string, payload: unknown): Promise<void> {
    const args = prepare(api, payload, ctx)
    if (Array.isArray(args)) return fail(id, args as readonly GraphQLError[])
    const prepared = args as ExecutionArgs
    running.set(id, undefined)
    if (!isSubscription(prepared)) {
      const result = await execute(prepared)
      if (running.delete(id)) {
        send({ id, type: data, payload: result })
        send({ id, type: 'complete' })
      }
      return
    }
    const result = await subscribe(prepared)
    if (!(Symbol.asyncIterator in result)) {
      running.delete(id)
      return fail(id, result.errors ?? [new GraphQLError('The subscription could not start')])
    }
    if (!running.has(id)) return void (await result.return(undefined))
    running.set(id, result)
    for await (const r of result) {
      // stopped meanwhile: an event the generator was already producing is not sent
      if (!running.has(id)) break
      send({ id, type: data, payload: r })
    }
    if (running.delete(id)) send({ id, type: 'complete' })
  }

  socket.on('message', (raw: WebSocket.RawData) => {
    const text = (Buffer.isBuffer(raw) ? raw : Buffer.from(raw as ArrayBuffer)).toString('utf8')
    let m: { type?: unknown; id?: unknown; payload?: unknown }
    try {
      m = JSON.parse(text) as typeof m
    } catch {
      return violation(4400, 'Invalid message received')
    }
    const id = typeof m.id === 'string' && m.id !== '' ? m.id : legacy && !('id' in m) ? '' : undefined
    switch (m.type) {
      case 'connection_init':
        recorder.record({ method: 'WS_INIT', url: req.url ?? '', headers: { ...req.headers }, body: text })
        if (initialised) return legacy ? undefined : socket.close(4429, 'Too many initialisation requests')
        initialised = true
        send({ type: 'connection_ack' })
        if (legacy) send({ type: 'ka' })
        return
      case 'ping':
        return legacy ? violation(4400, 'Invalid message type') : send({ type: 'pong' })
      case 'pong':
        return legacy ? violation(4400, 'Invalid message type') : undefined
      case legacy ? 'start' : 'subscribe':
        recorder.record({ method: 'WS', url: req.url ?? '', headers: { ...req.headers }, body: text })
        if (!initialised) return legacy ? send({ id, type: 'error', payload: { message: 'connection_init first' } }) : socket.close(4401, 'Unauthorized')
        if (id === undefined) return violation(4400, 'Invalid message received')
        if (id === '' && running.has(id)) {
          // a second id-less start replaces the first
          void running.get(id)?.return(undefined)
          running.delete(id)
        }
        if (running.has(id)) return legacy ? fail(id, [new GraphQLError(`Operation ${id} is already running`)]) : socket.close(4409, `Subscriber for ${id} already exists`)
        run(id, m.payload).catch((e: unknown) => {
          running.delete(id)
          fail(id, [new GraphQLError(e instanceof Error ? e.message : String(e))])
        })
        return
      case legacy ? 'stop' : 'complete': {
        recorder.record({ method: 'WS_STOP', url: req.url ?? '', headers: { ...req.headers }, body: text })
        if (id === undefined) return
        const it = running.get(id)
        running.delete(id)
        void it?.return(undefined)
        return
      }
      case 'connection_terminate':
        if (legacy) return socket.close(1000)
        return violation(4400, 'Invalid message received')
      default:
        return violation(4400, 'Invalid message received')
    }
  })
  socket.on('close', () => {
    for (const it of running.values()) void it?.return(undefined)
    running.clear()
  })
}
