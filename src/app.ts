import type { IncomingMessage } from 'node:http'
import type { Duplex } from 'node:stream'
import Fastify, { LogController, type FastifyInstance } from 'fastify'
import type { ServeConfig } from './config/schema.js'
import { registerForwarder } from './egress/http-forwarder.js'
import { corsOf, registerCors, withCors } from './ingress/cors.js'
import { createGate, pathOf } from './ingress/gate.js'
import { refusedWhileReading, registerBodyReaders } from './ingress/http-read.js'
import { createPipeline, type PipelineDeps } from './ingress/pipeline.js'
import { declineUpgrade, isWebSocketUpgrade } from './ingress/upgrade.js'
import { createWebSocketRelay } from './ingress/ws/relay.js'
import type { Reloader } from './reload.js'

export type AppDeps = PipelineDeps & {
  /** Hot reload of the policy and bindings, when serving (the pipeline reads only its changes). */
  readonly reloader?: Reloader
  /** Where log lines go (stdout when not given): a test reads what was logged. */
  readonly logStream?: { write(line: string): void }
}

/**
 * Wires the stages into a fastify app; never listens (tests use inject or listen on port 0).
 * read (ingress/http-read.ts, ingress/ws/) -> identify, prepare, decide, record
 * (ingress/pipeline.ts, through the HTTP gate and the WebSocket relay) -> answer
 * (egress/http-forwarder.ts and egress/reject.ts; the relay for WebSockets).
 */
export function buildApp(config: ServeConfig, deps: AppDeps): FastifyInstance {
  const rejectOpts = { errorsAs200: config.errorsAs200 }
  let sequence = 0
  const boot = Date.now().toString(36)
  const nextId = (): string => `${boot}-${(++sequence).toString(36)}`
  const refused = refusedWhileReading(deps.metrics, rejectOpts, nextId)
  const cors = corsOf(config.cors)

  const app = Fastify({
    logger: {
      level: config.logLevel,
      ...(deps.logStream !== undefined ? { stream: deps.logStream } : {}),
      // Never log credentials, and never the query string (GET variables may hold secrets).
      serializers: { req: (req) => ({ method: req.method, path: pathOf(req.url), remoteAddress: req.ip }) },
      redact: ['req.headers.authorization', 'req.headers.cookie'],
    },
    // One line per decision comes with the decision log; fastify's own request lines would repeat it.
    logController: new LogController({ disableRequestLogging: true }),
    return503OnClosing: true,
    // a URL fastify cannot route (a malformed percent-encoding): the same coded 400 as any other
    frameworkErrors: (error, request, reply) => void refused(error, request, withCors(cors, request, reply)),
    // a client that trickles its request in (slowloris) is cut off; 0 lifts the limit. Node checks
    // the deadline on an interval (30 s by default): checked often enough to hold it closely.
    requestTimeout: config.requestTimeoutMs,
    ...(config.requestTimeoutMs > 0
      ? { http: { headersTimeout: config.requestTimeoutMs, connectionsCheckingInterval: Math.max(50, Math.min(1000, Math.floor(config.requestTimeoutMs / 4))) } }
      : {}),
  })
  registerBodyReaders(app, config)
  app.setErrorHandler(refused)
  registerCors(app, cors)

  const decisionLog = deps.decisionLog
  if (decisionLog !== undefined) app.addHook('onClose', async () => decisionLog.close())
  const store = deps.bindingsStore
  if (store?.close !== undefined) app.addHook('onClose', async () => store.close?.())

  app.get('/healthz', async () => {
    const p = deps.authorizer().policy
    return { status: 'ok', policy: p.name, revision: p.revision }
  })

  const pipeline = createPipeline(config, deps)

  // GraphQL over WebSocket (graphql-transport-ws and legacy graphql-ws) on the GraphQL path only:
  // connection_init authenticated before anything opens upstream, every subscribe decided.
  const relay = createWebSocketRelay(config, pipeline, deps, nextId, app.log)
  // Node gives the 'upgrade' listeners every request with `Connection: upgrade`; only WebSocket is the relay's.
  // A throw in this listener would reach no handler and end the process: the one socket goes instead.
  app.server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    try {
      if (isWebSocketUpgrade(req.headers.upgrade)) relay.handleUpgrade(req, socket, head)
      else declineUpgrade(app.server, req, socket, head)
    } catch (e) {
      app.log.error({ err: e }, 'error handling an upgrade request: the connection is closed')
      socket.destroy()
    }
  })
  // before the server stops listening: open sockets would otherwise keep close() waiting
  app.addHook('preClose', async () => relay.close())

  registerForwarder(app, config, createGate(config, pipeline, deps, rejectOpts, nextId), rejectOpts, nextId, deps.metrics)
  return app
}
