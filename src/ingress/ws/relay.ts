// One concept, large: the life of one GraphQL WebSocket (authenticate, open upstream, decide each
// operation, re-check on every policy or bindings change, bound what it holds, close). The
// protocol vocabulary is in protocols.ts, the handshake in handshake.ts, connection_init in
// init-payload.ts. Its decision code still repeats the HTTP gate's: the next split is one
// decision pipeline for both transports, after which this file keeps only the connection.
import type { IncomingHttpHeaders, IncomingMessage } from 'node:http'
import type { Duplex } from 'node:stream'
import type { FastifyBaseLogger } from 'fastify'
import WebSocket, { WebSocketServer } from 'ws'
import { ANONYMOUS, type Principal } from '../../identity/types.js'
import type { ServeConfig } from '../../config/schema.js'
import { PermgateError } from '../../errors.js'
import type { ExtractedOperation, OperationType } from '../../operation/types.js'
import type { RequestContext } from '../../policy/context.js'
import type { Decision } from '../../policy/decide.js'
import { cidrsContain } from '../../config/cidr.js'
import { clientAddress } from '../client-address.js'
import type { OperationTypeLabel } from '../../telemetry/metrics.js'
import { headerHygiene } from '../../egress/forward.js'
import { denialEntries } from '../../egress/reject.js'
import { tlsClientOptions, tlsFailure } from '../../egress/tls.js'
import { auditDecision } from '../audit.js'
import { pathOf, type GateDeps } from '../gate.js'
import type { GraphQLRequest } from '../graphql-request.js'
import { refuseUpgrade, upstreamHeaders, upstreamUrl } from './handshake.js'
import { credentialHeaders, initMessage, type CredentialSource } from './init-payload.js'
import {
  badMessage,
  chooseProtocol,
  CLOSE,
  closeReason,
  connectionErrorMessage,
  DEFAULT_INIT_TIMEOUT_MS,
  DEFAULT_MAX_BUFFERED_BYTES,
  DEFAULT_MAX_SUBSCRIPTIONS_PER_SOCKET,
  errorEntry,
  errorMessage,
  GRAPHQL_TRANSPORT_WS,
  offeredProtocols,
  operationMessage,
  readId,
  readInitPayload,
  readMessage,
  readOperation,
  relayableCode,
  VOCABULARY,
  type ErrorEntry,
  type Message,
  type WsProtocol,
} from './protocols.js'

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

/** An operation running upstream, kept to decide it again when the policy or bindings change. */
interface Running {
  readonly op: ExtractedOperation
  readonly request: GraphQLRequest
  /** The size of the message that started it: what the socket holds for it. */
  readonly bytes: number
}

export interface WebSocketRelay {
  /** The http server's `upgrade` listener. */
  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void
  /** Refuses new upgrades and closes every socket (1001), terminating those that do not close within a second. */
  close(): Promise<void>
}

const OPERATION_LABELS: Readonly<Record<OperationType, OperationTypeLabel>> = { Query: 'query', Mutation: 'mutation', Subscription: 'subscription' }
/** setTimeout's longest delay; a later token expiry re-arms the timer. */
const MAX_TIMER_MS = 2 ** 31 - 1
/** How long close() waits for sockets to finish their closing handshake before terminating them. */
const CLOSE_GRACE_MS = 1_000

/**
 * GraphQL over WebSocket, authorized: the client's connection_init is authenticated before
 * anything is opened upstream, and every subscribe/start is decided like a GraphQL request over
 * HTTP before it is forwarded. Upstream -> client messages are relayed as they come.
 */
export function createWebSocketRelay(config: ServeConfig, deps: GateDeps, nextId: () => string, log: FastifyBaseLogger, opts: RelayOptions = {}): WebSocketRelay {
  const initTimeoutMs = opts.initTimeoutMs ?? DEFAULT_INIT_TIMEOUT_MS
  const maxSubscriptions = opts.maxSubscriptions ?? DEFAULT_MAX_SUBSCRIPTIONS_PER_SOCKET
  const maxBufferedBytes = opts.maxBufferedBytes ?? DEFAULT_MAX_BUFFERED_BYTES
  const revalidateDelayMs = opts.revalidateDelayMs ?? DEFAULT_REVALIDATE_DELAY_MS
  const maxSocketBytes = config.wsMaxSocketBytes
  // one header hygiene for the handshake; its identity headers also leave connection_init's payload
  const hygiene = headerHygiene(config.stripHeaders, config.cookieName)
  const reserved = (name: string): boolean => hygiene.strip.has(name)
  const target = upstreamUrl(config)
  // as the HTTP gate: X-Forwarded-For is believed only from trusted proxies
  const trustedProxies = config.trustedProxyRanges
  const contextOf = (req: IncomingMessage): RequestContext => ({ clientIp: clientAddress(req.socket.remoteAddress, req.headers['x-forwarded-for'], trustedProxies) })
  /** The policy's ipAllow, read per use (a reload may add or change it). */
  const ipDenied = (ctx: RequestContext): PermgateError | undefined => {
    const allow = deps.authorizer().policy.ipAllow
    return allow !== undefined && !cidrsContain(allow, ctx.clientIp) ? new PermgateError('PERMGATE_ERR_IP_DENIED', "the client's address is outside the policy's ipAllow ranges") : undefined
  }
  const wss = new WebSocketServer({
    noServer: true,
    maxPayload: config.maxBodyBytes,
    perMessageDeflate: false,
    handleProtocols: (offered) => chooseProtocol(offered) ?? false,
  })
  const connections = new Set<Connection>()
  let closing = false
  deps.metrics?.websockets(() => connections.size)

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

  const metrics = deps.metrics
  const count = (allowed: boolean, reason: string, type: OperationTypeLabel, startedAt: number): void => {
    metrics?.decision(allowed ? 'allow' : 'deny', reason, type, (performance.now() - startedAt) / 1000)
  }
  const audit = (decisionId: string, principal: Principal, allowed: boolean, reason: string, op: ExtractedOperation | undefined, d: Decision | undefined, startedAt: number): void =>
    auditDecision(deps.decisionLog, deps.authorizer().policy, decisionId, principal, allowed, reason, op, d, startedAt)

  class Connection {
    readonly id = nextId()
    readonly vocabulary
    state: 'init' | 'authenticating' | 'connecting' | 'ready' | 'closed' = 'init'
    principal: Principal = ANONYMOUS
    source: CredentialSource = 'upgrade'
    /** The headers the credential was read from, read again when the policy or bindings change. */
    credential: IncomingHttpHeaders = {}
    upstream: WebSocket | undefined
    /** The TLS reason the upstream connection failed with, if it did. */
    upstreamTls: string | undefined
    /** Operations running upstream, by id. */
    readonly active = new Map<string, Running>()
    /** Legacy clients send start right after connection_init, before the ack: held until then. */
    readonly held: { readonly m: Message; readonly bytes: number }[] = []
    /** Bytes held for running operations and held messages, bounded by wsMaxSocketBytes. */
    bytes = 0
    /** A re-check in progress, and whether another change came meanwhile. */
    revalidating = false
    again = false
    /** The client's address, for the policy's IP conditions. */
    readonly ctx: RequestContext
    initTimer: NodeJS.Timeout | undefined
    expiryTimer: NodeJS.Timeout | undefined

    constructor(
      readonly client: WebSocket,
      readonly req: IncomingMessage,
      readonly protocol: WsProtocol,
    ) {
      this.vocabulary = VOCABULARY[protocol]
      this.ctx = contextOf(req)
      this.initTimer = setTimeout(() => this.fail(CLOSE.INIT_TIMEOUT, 'Connection initialisation timeout', new PermgateError('PERMGATE_ERR_WEBSOCKET_INIT_TIMEOUT', `no connection_init acknowledged within ${initTimeoutMs} ms`)), initTimeoutMs)
      client.on('message', (data, isBinary) => {
        try {
          this.onClientMessage(readMessage(data, isBinary, config.maxJsonDepth), sizeOf(data))
        } catch (e) {
          this.failWith(e)
        }
      })
      client.on('close', (code, reason) => this.guard(() => this.onClientClose(code, reason.toString('utf8'))))
      // ws closes the socket itself after an error (e.g. 1009 for a message over maxPayload); 'close' follows
      client.on('error', (e) => log.debug({ connectionId: this.id, err: e.message }, 'websocket client error'))
    }

    get legacy(): boolean {
      return this.protocol !== GRAPHQL_TRANSPORT_WS
    }

    send(text: string): void {
      if (this.client.readyState === WebSocket.OPEN) this.client.send(text)
    }

    /** A connection-level failure: legacy clients get a connection_error first; then both sides close. */
    fail(code: number, reason: string, e: unknown): void {
      if (this.state === 'closed') return
      if (this.legacy) this.send(connectionErrorMessage(errorEntry(e, this.id)))
      this.closeClient(code, reason)
    }

    /** Runs an event listener's body: nothing thrown in a listener may reach the process (it would exit). */
    guard(body: () => void): void {
      try {
        body()
      } catch (e) {
        this.failWith(e)
      }
    }

    /** A thrown error while reading a client message: protocol violations close the socket. */
    failWith(e: unknown): void {
      if (this.state === 'closed') return void log.debug({ connectionId: this.id, err: e }, 'error on a closed websocket')
      if (e instanceof PermgateError && (e.code === 'PERMGATE_ERR_WEBSOCKET_MESSAGE' || e.code === 'PERMGATE_ERR_JSON_TOO_DEEP')) return this.fail(CLOSE.BAD_REQUEST, closeReason(e.message), e)
      if (e instanceof PermgateError && e.code === 'PERMGATE_ERR_WEBSOCKET_NOT_ACKNOWLEDGED') return this.fail(CLOSE.UNAUTHORIZED, 'Unauthorized', e)
      if (e instanceof PermgateError && e.code === 'PERMGATE_ERR_WEBSOCKET_DUPLICATE_ID') return this.fail(CLOSE.DUPLICATE_ID, closeReason(e.message), e)
      if (e instanceof PermgateError && e.code === 'PERMGATE_ERR_WEBSOCKET_DUPLICATE_INIT') return this.fail(CLOSE.DUPLICATE_INIT, 'Too many initialisation requests', e)
      log.error({ connectionId: this.id, err: e }, 'error relaying a websocket message: closed')
      this.fail(CLOSE.INTERNAL, 'Internal error', e)
    }

    onClientMessage(m: Message, bytes: number): void {
      switch (this.state) {
        case 'closed':
          return
        case 'init':
          if (m.type === 'connection_init') return this.authenticate(m)
          if (m.type === 'ping' && !this.legacy) return this.pong(m)
          if (m.type === 'pong' && !this.legacy) return
          if (m.type === this.vocabulary.subscribe) throw new PermgateError('PERMGATE_ERR_WEBSOCKET_NOT_ACKNOWLEDGED', `${m.type} before connection_init`)
          if (m.type === 'connection_terminate' && this.legacy) return this.closeClient(CLOSE.NORMAL, 'Connection terminated')
          throw badMessage(`a ${m.type} message before connection_init`)
        case 'authenticating':
        case 'connecting':
          if (m.type === 'connection_init') throw new PermgateError('PERMGATE_ERR_WEBSOCKET_DUPLICATE_INIT', 'connection_init was already sent')
          if (!this.legacy) {
            if (m.type === 'ping') return this.pong(m)
            if (m.type === 'pong' || m.type === 'complete') return
            if (m.type === 'subscribe') throw new PermgateError('PERMGATE_ERR_WEBSOCKET_NOT_ACKNOWLEDGED', 'subscribe before connection_ack')
            throw badMessage(`unexpected ${m.type} message`)
          }
          if (m.type === 'start' || m.type === 'stop' || m.type === 'connection_terminate') {
            if (this.held.length >= maxSubscriptions) throw badMessage('too many messages before connection_ack')
            if (this.bytes + bytes > maxSocketBytes) throw badMessage(`messages before connection_ack hold more than ${maxSocketBytes} bytes`)
            this.bytes += bytes
            this.held.push({ m, bytes })
            return
          }
          throw badMessage(`unexpected ${m.type} message`)
        case 'ready':
          return this.onReadyMessage(m, bytes)
      }
    }

    onReadyMessage(m: Message, bytes: number): void {
      const upstream = this.upstream!
      switch (m.type) {
        case this.vocabulary.subscribe:
          return this.subscribe(m, bytes)
        case this.vocabulary.stop: {
          const id = readId(m)
          if (this.release(id)) upstream.send(JSON.stringify({ id, type: m.type }))
          return
        }
        case 'connection_init':
          throw new PermgateError('PERMGATE_ERR_WEBSOCKET_DUPLICATE_INIT', 'connection_init was already sent')
      }
      if (!this.legacy && (m.type === 'ping' || m.type === 'pong')) {
        upstream.send(JSON.stringify(m.payload === undefined ? { type: m.type } : { type: m.type, payload: m.payload }))
        return
      }
      // keep-alive is the server's message; a client sending it is ignored, never forwarded
      if (this.legacy && m.type === 'ka') return
      if (this.legacy && m.type === 'connection_terminate') {
        upstream.send(JSON.stringify({ type: 'connection_terminate' }))
        return this.closeClient(CLOSE.NORMAL, 'Connection terminated')
      }
      throw badMessage(`unexpected ${m.type} message`)
    }

    pong(m: Message): void {
      this.send(JSON.stringify(m.payload === undefined ? { type: 'pong' } : { type: 'pong', payload: m.payload }))
    }

    authenticate(m: Message): void {
      const payload = readInitPayload(m)
      this.state = 'authenticating'
      let headers: IncomingHttpHeaders
      let resolved: Principal | Promise<Principal>
      // everything sent upstream is built here, where a throw is caught, before anything opens there
      let init: string | undefined
      try {
        init = initMessage(payload, reserved)
        const c = credentialHeaders(payload, this.req.headers)
        headers = c.headers
        this.source = c.source
        resolved = deps.identity.resolve(headers)
      } catch (e) {
        return this.rejectCredential(e, init)
      }
      const upstreamInit = init
      this.credential = headers
      const go = (p: Principal): void => {
        if (this.state !== 'authenticating') return
        this.principal = p
        this.armExpiry(deps.identity.expiryOf(headers))
        if (this.state === 'authenticating') this.connectUpstream(upstreamInit)
      }
      if (resolved instanceof Promise) {
        resolved.then(go, (e: unknown) => this.rejectCredential(e, upstreamInit)).catch((e: unknown) => this.failWith(e))
      } else {
        go(resolved)
      }
    }

    rejectCredential(e: unknown, init: string | undefined): void {
      if (this.state !== 'authenticating') return
      const code = e instanceof PermgateError ? e.code : 'PERMGATE_ERR_INTERNAL'
      count(false, code, 'none', performance.now())
      if (config.dryRun && e instanceof PermgateError) {
        // dry run: the bad credential is a would-deny, and the connection goes on as anonymous
        metrics?.wouldDeny(code)
        this.principal = ANONYMOUS
        if (init !== undefined) return this.connectUpstream(init)
      }
      if (!(e instanceof PermgateError)) {
        log.error({ connectionId: this.id, err: e }, 'error resolving a websocket credential: denied')
        return this.fail(CLOSE.INTERNAL, 'Internal error', e)
      }
      this.fail(CLOSE.FORBIDDEN, 'Forbidden', e)
    }

    /**
     * Closes the socket when the token expires, or wsMaxLifetimeMs after it was authenticated,
     * whichever comes first (an API key never expires). 4403: graphql-ws clients reconnect, and
     * are authenticated again.
     */
    armExpiry(expiresAtMs: number | undefined): void {
      const endsAt = Date.now() + config.wsMaxLifetimeMs
      if (expiresAtMs === undefined || endsAt < expiresAtMs) this.armClose(endsAt, 'Connection lifetime ended', 'PERMGATE_ERR_WEBSOCKET_LIFETIME', `a connection lasts at most ${config.wsMaxLifetimeMs} ms: reconnect`)
      else this.armClose(expiresAtMs, 'Token expired', 'PERMGATE_ERR_AUTH_TOKEN_EXPIRED', 'the token expired: reconnect with a fresh one')
    }

    armClose(atMs: number, reason: string, code: 'PERMGATE_ERR_WEBSOCKET_LIFETIME' | 'PERMGATE_ERR_AUTH_TOKEN_EXPIRED', message: string): void {
      const left = atMs - Date.now()
      if (left > MAX_TIMER_MS) {
        this.expiryTimer = setTimeout(() => this.armClose(atMs, reason, code, message), MAX_TIMER_MS)
        return
      }
      const expire = (): void => {
        this.expiryTimer = undefined
        if (config.dryRun) return void metrics?.wouldDeny(code)
        this.fail(CLOSE.FORBIDDEN, reason, new PermgateError(code, message))
      }
      if (left <= 0) return expire()
      this.expiryTimer = setTimeout(expire, left)
    }

    connectUpstream(init: string): void {
      this.state = 'connecting'
      const headers = upstreamHeaders(this.req.headers, config, hygiene, this.principal, this.id, this.source, this.req.socket.remoteAddress, trustedProxies)
      const upstream = new WebSocket(target, this.protocol, { headers, handshakeTimeout: config.upstreamTimeoutMs, perMessageDeflate: false, followRedirects: false, ...tlsClientOptions(config.upstreamTls) })
      this.upstream = upstream
      upstream.on('open', () => this.guard(() => upstream.send(init)))
      upstream.on('message', (data, isBinary) => this.guard(() => this.onUpstreamMessage(data, isBinary)))
      upstream.on('error', (e) => {
        // a refused certificate is said as such when the connection fails (the close follows)
        this.upstreamTls ??= tlsFailure(e)
        log.warn({ connectionId: this.id, upstreamError: e.message, ...(this.upstreamTls !== undefined ? { tlsError: this.upstreamTls } : {}) }, 'websocket upstream failure')
      })
      upstream.on('close', (code, reason) => this.guard(() => this.onUpstreamClose(code, reason.toString('utf8'))))
    }

    onUpstreamMessage(data: WebSocket.RawData, isBinary: boolean): void {
      if (this.state === 'closed') return
      // Once ready, only a message that may end an operation (complete, error) is parsed, to free
      // its id; a next/data message, however large, is relayed without being parsed.
      let m: Message | undefined
      if (this.state !== 'ready' || mayEnd(data)) {
        try {
          m = readMessage(data, isBinary, config.maxJsonDepth)
        } catch {
          m = undefined
        }
      }
      if (this.state === 'connecting') {
        if (m?.type === 'connection_ack') {
          this.state = 'ready'
          clearTimeout(this.initTimer)
          this.initTimer = undefined
          this.send(JSON.stringify(m.payload === undefined ? { type: 'connection_ack' } : { type: 'connection_ack', payload: m.payload }))
          const held = this.held.splice(0)
          for (const h of held) {
            if (this.state !== 'ready') break
            this.bytes -= h.bytes
            this.guard(() => this.onReadyMessage(h.m, h.bytes))
          }
          return
        }
        if (m?.type === 'ka') return
        if (m?.type === 'connection_error' && this.legacy) {
          // the upstream refused the connection: the client hears why
          this.send(JSON.stringify({ type: 'connection_error', payload: m.payload }))
          return this.closeClient(CLOSE.INTERNAL, 'The upstream refused the connection')
        }
        log.warn({ connectionId: this.id, type: m?.type }, 'unexpected websocket message from the upstream before connection_ack')
        return this.upstreamFailed('the upstream answered connection_init with something else than connection_ack')
      }
      if (this.state !== 'ready') return
      if (m !== undefined && typeof m.id === 'string' && (m.type === 'complete' || m.type === 'error')) this.release(m.id)
      if (this.client.readyState !== WebSocket.OPEN) return
      // a client that does not read what it subscribed to is not buffered for without bound
      if (this.client.bufferedAmount > maxBufferedBytes) return this.closeClient(CLOSE.TRY_AGAIN_LATER, 'Client too slow')
      this.client.send(data, { binary: isBinary })
    }

    upstreamFailed(message: string): void {
      if (this.upstreamTls !== undefined) {
        return this.fail(CLOSE.INTERNAL, 'Upstream TLS failure', new PermgateError('PERMGATE_ERR_UPSTREAM_TLS', "the upstream's TLS certificate was refused, or its TLS handshake failed"))
      }
      this.fail(CLOSE.INTERNAL, 'Upstream unavailable', new PermgateError('PERMGATE_ERR_UPSTREAM_UNAVAILABLE', message))
    }

    onUpstreamClose(code: number, reason: string): void {
      if (this.state === 'closed') return
      if (this.state !== 'ready') return this.upstreamFailed('the upstream could not be reached or closed the connection')
      if (relayableCode(code)) this.closeClient(code, closeReason(reason))
      else this.closeClient(CLOSE.INTERNAL, 'Upstream connection closed')
    }

    /** The client closed: the upstream is closed with the same code when it may be sent. */
    onClientClose(code: number, reason: string): void {
      this.finish(relayableCode(code) ? code : CLOSE.NORMAL, closeReason(reason))
    }

    finish(upstreamCode: number, reason: string): void {
      if (this.state === 'closed') return
      this.state = 'closed'
      this.clearTimers()
      connections.delete(this)
      const u = this.upstream
      if (u === undefined) return
      if (u.readyState === WebSocket.OPEN) u.close(upstreamCode, reason)
      else u.terminate()
    }

    /** An operation ended (or was stopped): what the socket held for it is freed. */
    release(id: string): boolean {
      const r = this.active.get(id)
      if (r === undefined) return false
      this.active.delete(id)
      this.bytes -= r.bytes
      return true
    }

    subscribe(m: Message, bytes: number): void {
      const startedAt = performance.now()
      const id = readId(m)
      if (this.active.has(id)) throw new PermgateError('PERMGATE_ERR_WEBSOCKET_DUPLICATE_ID', `Subscriber for ${id} already exists`)
      const decisionId = nextId()
      const deny = (entries: readonly ErrorEntry[]): void => this.send(errorMessage(this.protocol, id, entries))
      if (this.active.size >= maxSubscriptions) {
        count(false, 'PERMGATE_ERR_WEBSOCKET_TOO_MANY_SUBSCRIPTIONS', 'none', startedAt)
        return deny([errorEntry(new PermgateError('PERMGATE_ERR_WEBSOCKET_TOO_MANY_SUBSCRIPTIONS', `at most ${maxSubscriptions} operations may run at once on one socket`), decisionId)])
      }
      // what a socket holds for its operations is bounded, not just their number
      if (this.bytes + bytes > maxSocketBytes) {
        count(false, 'PERMGATE_ERR_WEBSOCKET_TOO_MUCH_HELD', 'none', startedAt)
        return deny([errorEntry(new PermgateError('PERMGATE_ERR_WEBSOCKET_TOO_MUCH_HELD', `the operations running on this socket would hold more than ${maxSocketBytes} bytes`), decisionId)])
      }
      let read: GraphQLRequest | undefined
      let op: ExtractedOperation
      const ip = ipDenied(this.ctx)
      if (ip !== undefined) {
        count(false, ip.code, 'none', startedAt)
        audit(decisionId, this.principal, false, ip.code, undefined, undefined, startedAt)
        if (!config.dryRun) return deny([errorEntry(ip, decisionId)])
        metrics?.wouldDeny(ip.code)
      }
      try {
        read = readOperation(m.payload)
        op = deps.documents.get(read.query, read.operationName)
      } catch (e) {
        // graphql-ws: a subscribe whose payload is not an operation is a protocol violation
        if (!this.legacy && read === undefined && e instanceof PermgateError && (e.code === 'PERMGATE_ERR_REQUEST_SHAPE' || e.code === 'PERMGATE_ERR_GRAPHQL_VARIABLES')) {
          throw badMessage(`invalid subscribe payload: ${e.message}`)
        }
        const code = e instanceof PermgateError ? e.code : 'PERMGATE_ERR_INTERNAL'
        if (!(e instanceof PermgateError)) log.error({ connectionId: this.id, decisionId, err: e }, 'error in the decision path: denied')
        count(false, code, 'none', startedAt)
        audit(decisionId, this.principal, false, code, undefined, undefined, startedAt)
        return deny([errorEntry(e, decisionId)])
      }
      // a database store may have to load the principal's bindings first: the id is held meanwhile
      const ready = deps.authorizer().prepare(this.principal)
      const running: Running = { op, request: read, bytes }
      if (ready === undefined) return this.decideAndForward(id, running, decisionId, startedAt)
      this.hold(id, running)
      ready.then(
        () => {
          // stopped while its bindings were loading: never started
          if (this.active.get(id) !== running) return
          this.release(id)
          if (this.state === 'ready') this.guard(() => this.decideAndForward(id, running, decisionId, startedAt))
        },
        (e: unknown) => {
          this.release(id)
          const code = e instanceof PermgateError ? e.code : 'PERMGATE_ERR_INTERNAL'
          count(false, code, 'none', startedAt)
          audit(decisionId, this.principal, false, code, undefined, undefined, startedAt)
          if (this.state === 'ready') this.send(errorMessage(this.protocol, id, [errorEntry(e, decisionId)]))
        },
      )
    }

    hold(id: string, r: Running): void {
      this.active.set(id, r)
      this.bytes += r.bytes
    }

    decideAndForward(id: string, running: Running, decisionId: string, startedAt: number): void {
      const { op, request: read } = running
      const d = deps.authorizer().decide(this.principal, op, read.variables, this.ctx)
      count(d.allowed, d.reason, OPERATION_LABELS[op.type], startedAt)
      audit(decisionId, this.principal, d.allowed, d.reason, op, d, startedAt)
      if (deps.shadow !== undefined) {
        const sd = deps.shadow.decide(this.principal, op, read.variables, this.ctx)
        if (sd.allowed !== d.allowed) {
          metrics?.shadowDisagreement(d.allowed, sd.allowed)
          log.warn({ connectionId: this.id, decisionId, operationType: op.type, active: d.reason, shadow: sd.reason }, 'shadow policy disagrees')
        }
      }
      if (!d.allowed && config.dryRun) metrics?.wouldDeny(d.reason)
      else if (!d.allowed) return this.send(errorMessage(this.protocol, id, denialEntries(d, decisionId)))
      const message = operationMessage(this.protocol, id, read)
      this.hold(id, running)
      this.upstream!.send(message)
    }

    /**
     * After a policy or bindings change: the credential is resolved again (an API key deleted, a
     * token no longer valid: closed 4403) and every running operation decided again with the
     * current policy and bindings; one no longer allowed is stopped upstream, and the client gets
     * the protocol's error for its id. One pass at a time; a change during a pass runs another.
     */
    revalidate(): void {
      if (this.state !== 'connecting' && this.state !== 'ready') return
      if (this.revalidating) return void (this.again = true)
      this.revalidating = true
      const startedAt = performance.now()
      const done = (): void => {
        this.revalidating = false
        if (this.again) {
          this.again = false
          this.revalidate()
        }
      }
      const failed = (e: unknown): void => {
        done()
        if (this.state === 'closed') return
        const code = e instanceof PermgateError ? e.code : 'PERMGATE_ERR_INTERNAL'
        count(false, code, 'none', startedAt)
        audit(nextId(), this.principal, false, code, undefined, undefined, startedAt)
        if (config.dryRun) return void metrics?.wouldDeny(code)
        if (!(e instanceof PermgateError)) {
          log.error({ connectionId: this.id, err: e }, 'error re-checking a websocket: closed')
          return this.fail(CLOSE.INTERNAL, 'Internal error', e)
        }
        // a store that cannot answer is no revocation: the socket closes all the same (deny on doubt)
        this.fail(CLOSE.FORBIDDEN, 'Credential revoked', e)
      }
      const redecide = (p: Principal): void => {
        if (this.state === 'closed') return done()
        this.principal = p
        const authorizer = deps.authorizer()
        const decideAll = (): void => {
          done()
          if (this.state !== 'ready') return
          for (const [id, r] of [...this.active]) {
            const d = authorizer.decide(this.principal, r.op, r.request.variables, this.ctx)
            if (d.allowed) continue
            const decisionId = nextId()
            count(false, d.reason, OPERATION_LABELS[r.op.type], startedAt)
            audit(decisionId, this.principal, false, d.reason, r.op, d, startedAt)
            if (config.dryRun) {
              metrics?.wouldDeny(d.reason)
              continue
            }
            this.release(id)
            this.upstream?.send(JSON.stringify({ id, type: this.vocabulary.stop }))
            this.send(errorMessage(this.protocol, id, denialEntries(d, decisionId)))
          }
        }
        const ready = authorizer.prepare(this.principal)
        if (ready === undefined) return this.guard(decideAll)
        ready.then(() => this.guard(decideAll), failed)
      }
      let resolved: Principal | Promise<Principal>
      try {
        resolved = deps.identity.resolve(this.credential)
      } catch (e) {
        return failed(e)
      }
      if (resolved instanceof Promise) return void resolved.then((p) => this.guard(() => redecide(p)), failed)
      const p = resolved
      this.guard(() => redecide(p))
    }

    closeClient(code: number, reason: string): void {
      if (this.state === 'closed') return
      if (this.client.readyState === WebSocket.OPEN) this.client.close(code, reason)
      // the upstream goes at once, normally: why permgate closed the client is not the upstream's business
      this.finish(CLOSE.NORMAL, '')
    }

    clearTimers(): void {
      clearTimeout(this.initTimer)
      clearTimeout(this.expiryTimer)
      this.initTimer = undefined
      this.expiryTimer = undefined
    }
  }

  return {
    handleUpgrade(req, socket, head) {
      if (closing) return void socket.destroy()
      const path = pathOf(req.url ?? '')
      if (path !== config.graphqlPath) {
        deps.metrics?.refusedEarly('PERMGATE_ERR_WEBSOCKET_PATH')
        return refuseUpgrade(socket, new PermgateError('PERMGATE_ERR_WEBSOCKET_PATH', `WebSocket upgrades are served only on ${config.graphqlPath}`))
      }
      const protocol = chooseProtocol(offeredProtocols(req.headers['sec-websocket-protocol']))
      if (protocol === undefined) {
        deps.metrics?.refusedEarly('PERMGATE_ERR_WEBSOCKET_PROTOCOL')
        return refuseUpgrade(socket, new PermgateError('PERMGATE_ERR_WEBSOCKET_PROTOCOL', 'a WebSocket upgrade must ask for the subprotocol graphql-transport-ws or graphql-ws'))
      }
      const ip = ipDenied(contextOf(req))
      if (ip !== undefined && !config.dryRun) {
        deps.metrics?.refusedEarly(ip.code)
        return refuseUpgrade(socket, ip)
      }
      if (connections.size >= config.wsMaxConnections) {
        deps.metrics?.refusedEarly('PERMGATE_ERR_WEBSOCKET_TOO_MANY_CONNECTIONS')
        return refuseUpgrade(socket, new PermgateError('PERMGATE_ERR_WEBSOCKET_TOO_MANY_CONNECTIONS', `${config.wsMaxConnections} WebSockets are open: try again later`))
      }
      wss.handleUpgrade(req, socket, head, (client) => {
        if (closing) return void client.terminate()
        try {
          connections.add(new Connection(client, req, protocol))
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

/** The bytes of a message as `ws` hands it over. */
function sizeOf(data: WebSocket.RawData): number {
  if (Buffer.isBuffer(data)) return data.length
  if (Array.isArray(data)) return data.reduce((n, b) => n + b.length, 0)
  return data.byteLength
}

const COMPLETE = Buffer.from('"complete"')
const ERROR = Buffer.from('"error"')
/** Whether an upstream message may be a complete or an error (a cheap look before parsing). */
function mayEnd(data: WebSocket.RawData): boolean {
  const b = Buffer.isBuffer(data) ? data : Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data)
  return b.includes(COMPLETE) || b.includes(ERROR)
}
