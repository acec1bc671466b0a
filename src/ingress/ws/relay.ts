// read, WebSocket: the upgrade on the GraphQL path (subprotocol, IP, connection count) and the
// set of open sockets, re-checked on every policy or bindings change and closed on shutdown. One
// socket's life is connection.ts; its operations' decisions are operations.ts, via the pipeline.
import type { IncomingMessage } from 'node:http'
import type { Duplex } from 'node:stream'
import type { FastifyBaseLogger } from 'fastify'
import WebSocket, { WebSocketServer } from 'ws'
import type { ServeConfig } from '../../config/schema.js'
import { headerHygiene } from '../../egress/forward.js'
import { PermgateError } from '../../errors.js'
import { ANONYMOUS } from '../../identity/types.js'
import { allowedOrigin, corsOf } from '../cors.js'
import { pathOf } from '../gate.js'
import type { Pipeline, PipelineDeps } from '../pipeline.js'
import { Connection, type RelayContext } from './connection.js'
import { refuseUpgrade, upstreamUrl } from './handshake.js'
import { chooseProtocol, CLOSE, DEFAULT_INIT_TIMEOUT_MS, DEFAULT_MAX_BUFFERED_BYTES, DEFAULT_MAX_SUBSCRIPTIONS_PER_SOCKET, offeredProtocols } from './protocols.js'

export interface RelayOptions {
  /** @default DEFAULT_INIT_TIMEOUT_MS */
  readonly initTimeoutMs?: number
  /** @default DEFAULT_MAX_SUBSCRIPTIONS_PER_SOCKET */
  readonly maxSubscriptions?: number
  /** @default DEFAULT_MAX_BUFFERED_BYTES */
  readonly maxBufferedBytes?: number
  /** How long after a policy or bindings change open sockets are re-checked (changes within it are taken together), ms. @default DEFAULT_REVALIDATE_DELAY_MS */
  readonly revalidateDelayMs?: number
}

/** Open sockets are re-checked this long after a policy or bindings change (a burst of NOTIFYs is one pass): 100 ms. */
export const DEFAULT_REVALIDATE_DELAY_MS = 100
/** How long close() waits for sockets to finish their closing handshake before terminating them. */
const CLOSE_GRACE_MS = 1_000

export interface WebSocketRelay {
  /** The http server's `upgrade` listener. */
  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void
  /** Refuses new upgrades and closes every socket (1001), terminating those that do not close within a second. */
  close(): Promise<void>
}

/**
 * GraphQL over WebSocket, authorized: the client's connection_init is authenticated before
 * anything is opened upstream, and every subscribe/start is decided like a GraphQL request over
 * HTTP before it is forwarded. Upstream -> client messages are relayed as they come.
 */
export function createWebSocketRelay(config: ServeConfig, pipeline: Pipeline, deps: PipelineDeps, nextId: () => string, log: FastifyBaseLogger, opts: RelayOptions = {}): WebSocketRelay {
  const revalidateDelayMs = opts.revalidateDelayMs ?? DEFAULT_REVALIDATE_DELAY_MS
  const cors = corsOf(config.cors)
  const wss = new WebSocketServer({
    noServer: true,
    maxPayload: config.maxBodyBytes,
    perMessageDeflate: false,
    handleProtocols: (offered) => chooseProtocol(offered) ?? false,
  })
  const connections = new Set<Connection>()
  let closing = false
  deps.metrics?.websockets(() => connections.size)
  const relay: RelayContext = {
    config,
    pipeline,
    deps,
    log,
    nextId,
    // one header hygiene for the handshake; its identity headers also leave connection_init's payload
    hygiene: headerHygiene(config.stripHeaders, config.cookieName),
    target: upstreamUrl(config),
    initTimeoutMs: opts.initTimeoutMs ?? DEFAULT_INIT_TIMEOUT_MS,
    maxSubscriptions: opts.maxSubscriptions ?? DEFAULT_MAX_SUBSCRIPTIONS_PER_SOCKET,
    maxBufferedBytes: opts.maxBufferedBytes ?? DEFAULT_MAX_BUFFERED_BYTES,
    closed: (c) => connections.delete(c),
  }

  // Revocation reaches open sockets: on every policy or bindings change (a reload, a NOTIFY),
  // each socket is re-checked, once per burst of changes.
  let revalidateTimer: NodeJS.Timeout | undefined
  const revalidateAll = (): void => {
    revalidateTimer = undefined
    for (const c of connections) c.guard(() => c.revalidate())
  }
  const changed = (): void => {
    if (revalidateTimer === undefined && !closing) revalidateTimer = setTimeout(revalidateAll, revalidateDelayMs)
  }
  const unsubscribe = [deps.reloader?.onChange(changed), deps.bindingsStore?.onChange?.(changed)]

  /** Refused before the socket opens: a plain HTTP answer with its coded error. */
  const refuse = (socket: Duplex, e: PermgateError): void => {
    deps.metrics?.refusedEarly(e.code)
    refuseUpgrade(socket, e)
  }

  return {
    handleUpgrade(req, socket, head) {
      if (closing) return void socket.destroy()
      const path = pathOf(req.url ?? '')
      if (path !== config.subscriptionsPath) return refuse(socket, new PermgateError('PERMGATE_ERR_WEBSOCKET_PATH', `WebSocket upgrades are served only on ${config.subscriptionsPath}`))
      // Cross-site WebSocket hijacking: a browser sends the site's cookies with an upgrade from
      // any page, and no CORS applies to it; with CORS configured, another origin is refused
      if (cors !== undefined && req.headers.origin !== undefined && allowedOrigin(cors, req.headers.origin) === undefined) {
        return refuse(socket, new PermgateError('PERMGATE_ERR_WEBSOCKET_ORIGIN', 'the page that opened this WebSocket is on an origin the cors section does not allow'))
      }
      const protocol = chooseProtocol(offeredProtocols(req.headers['sec-websocket-protocol']))
      if (protocol === undefined) return refuse(socket, new PermgateError('PERMGATE_ERR_WEBSOCKET_PROTOCOL', 'a WebSocket upgrade must ask for the subprotocol graphql-transport-ws or graphql-ws'))
      const ctx = pipeline.connectionContext(req.socket.remoteAddress, req.headers['x-forwarded-for'])
      const ip = pipeline.ipDenied(ctx)
      // a decision like HTTP's: recorded, and a dry run lets the upgrade through
      if (ip !== undefined && !pipeline.refused({ decisionId: nextId(), principal: ANONYMOUS, startedAt: performance.now(), ctx }, ip, 'none', log)) return refuseUpgrade(socket, ip)
      if (connections.size >= config.wsMaxConnections) {
        return refuse(socket, new PermgateError('PERMGATE_ERR_WEBSOCKET_TOO_MANY_CONNECTIONS', `${config.wsMaxConnections} WebSockets are open: try again later`))
      }
      wss.handleUpgrade(req, socket, head, (client) => {
        if (closing) return void client.terminate()
        try {
          connections.add(new Connection(relay, client, req, protocol, ctx))
        } catch (e) {
          log.error({ err: e }, 'error opening a websocket: closed')
          client.terminate()
        }
      })
    },
    async close() {
      closing = true
      clearTimeout(revalidateTimer)
      for (const u of unsubscribe) u?.()
      const open = [...connections]
      if (open.length === 0) return void wss.close()
      const closed = open.map((c) => new Promise<void>((resolve) => (c.client.readyState === WebSocket.CLOSED ? resolve() : c.client.once('close', () => resolve()))))
      for (const c of open) c.closeClient(CLOSE.GOING_AWAY, 'Server shutting down')
      let timer: NodeJS.Timeout | undefined
      await Promise.race([Promise.all(closed), new Promise<void>((resolve) => (timer = setTimeout(resolve, CLOSE_GRACE_MS)))])
      clearTimeout(timer)
      for (const c of open) c.client.terminate()
      wss.close()
    },
  }
}
