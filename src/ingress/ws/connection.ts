// The life of one GraphQL WebSocket as a state machine (init -> authenticating -> connecting ->
// ready -> closed): client messages read and checked per state, connection_init identified, what
// the socket holds bounded, its timers, closing. The upstream side is upstream.ts; what is
// decided, and how, is operations.ts's and the pipeline's (pipeline.ts).
import type { IncomingHttpHeaders, IncomingMessage } from 'node:http'
import WebSocket from 'ws'
import type { ServeConfig } from '../../config/schema.js'
import type { HeaderHygiene } from '../../egress/forward.js'
import { PermgateError } from '../../errors.js'
import { ANONYMOUS, type Principal } from '../../identity/types.js'
import type { RequestContext } from '../../policy/context.js'
import { codeOf, type Exchange, type Pipeline, type PipelineDeps, type PipelineLog } from '../pipeline.js'
import { credentialHeaders, initMessage, type CredentialSource } from './init-payload.js'
import { revalidate, startOperation, type Running } from './operations.js'
import { connectUpstream } from './upstream.js'
import {
  badMessage,
  CLOSE,
  closeCodeOf,
  closeReason,
  connectionErrorMessage,
  errorEntry,
  GRAPHQL_TRANSPORT_WS,
  readOperationId,
  readInitPayload,
  readMessage,
  relayableCode,
  stopMessage,
  VOCABULARY,
  type Message,
  type Vocabulary,
  type WsProtocol,
} from './protocols.js'

/** What every connection of one relay shares. */
export interface RelayContext {
  readonly config: ServeConfig
  readonly pipeline: Pipeline
  readonly deps: PipelineDeps
  readonly log: PipelineLog & { debug(obj: object, msg: string): void }
  readonly nextId: () => string
  readonly hygiene: HeaderHygiene
  /** ws:// URL of the upstream's GraphQL endpoint. */
  readonly target: string
  readonly initTimeoutMs: number
  readonly maxSubscriptions: number
  readonly maxBufferedBytes: number
  /** Called once when a connection closes. */
  readonly closed: (c: Connection) => void
}

/** setTimeout's longest delay; a later token expiry re-arms the timer. */
const MAX_TIMER_MS = 2 ** 31 - 1
/** Client errors that close the socket when thrown while a message is read (a protocol violation). */
const PROTOCOL_VIOLATIONS = new Set(['PERMGATE_ERR_WEBSOCKET_MESSAGE', 'PERMGATE_ERR_JSON_TOO_DEEP', 'PERMGATE_ERR_WEBSOCKET_NOT_ACKNOWLEDGED', 'PERMGATE_ERR_WEBSOCKET_DUPLICATE_ID', 'PERMGATE_ERR_WEBSOCKET_DUPLICATE_INIT'])
/** graphql-ws's close reasons, where it fixes them. */
const FIXED_REASONS: Readonly<Record<string, string>> = {
  PERMGATE_ERR_WEBSOCKET_NOT_ACKNOWLEDGED: 'Unauthorized',
  PERMGATE_ERR_WEBSOCKET_DUPLICATE_INIT: 'Too many initialisation requests',
}

export class Connection {
  readonly id: string
  readonly vocabulary: Vocabulary
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
  initTimer: NodeJS.Timeout | undefined
  expiryTimer: NodeJS.Timeout | undefined

  constructor(
    readonly relay: RelayContext,
    readonly client: WebSocket,
    readonly req: IncomingMessage,
    readonly protocol: WsProtocol,
    /** The client's address, for the policy's IP conditions. */
    readonly ctx: RequestContext,
  ) {
    this.id = relay.nextId()
    this.vocabulary = VOCABULARY[protocol]
    const { config, initTimeoutMs } = relay
    this.initTimer = setTimeout(() => this.fail(new PermgateError('PERMGATE_ERR_WEBSOCKET_INIT_TIMEOUT', `no connection_init acknowledged within ${initTimeoutMs} ms`), 'Connection initialisation timeout'), initTimeoutMs)
    client.on('message', (data, isBinary) => {
      try {
        this.onClientMessage(readMessage(data, isBinary, config.maxJsonDepth), sizeOf(data))
      } catch (e) {
        this.failWith(e)
      }
    })
    client.on('close', (code, reason) => this.guard(() => this.onClientClose(code, reason.toString('utf8'))))
    // ws closes the socket itself after an error (e.g. 1009 for a message over maxPayload); 'close' follows
    client.on('error', (e) => relay.log.debug({ connectionId: this.id, err: e.message }, 'websocket client error'))
  }

  get legacy(): boolean {
    return this.protocol !== GRAPHQL_TRANSPORT_WS
  }

  /** A new decision for this socket's principal, starting now. */
  exchange(): Exchange {
    return { decisionId: this.relay.nextId(), principal: this.principal, startedAt: performance.now(), ctx: this.ctx }
  }

  send(text: string): void {
    if (this.client.readyState === WebSocket.OPEN) this.client.send(text)
  }

  /**
   * A connection-level failure, closed with the code the error registry gives it (or `close`, where
   * the moment decides it): legacy clients get a connection_error first; then both sides close.
   */
  fail(e: unknown, reason: string, close = closeCodeOf(codeOf(e))): void {
    if (this.state === 'closed') return
    if (this.legacy) this.send(connectionErrorMessage(errorEntry(e, this.id)))
    this.closeClient(close, reason)
  }

  /** Runs an event listener's body: nothing thrown in a listener may reach the process (it would exit). */
  guard(body: () => void): void {
    try {
      body()
    } catch (e) {
      this.failWith(e)
    }
  }

  /** A thrown error while handling a message: protocol violations close with their code, anything else 1011. */
  failWith(e: unknown): void {
    if (this.state === 'closed') return void this.relay.log.debug({ connectionId: this.id, err: e }, 'error on a closed websocket')
    const code = codeOf(e)
    if (e instanceof PermgateError && PROTOCOL_VIOLATIONS.has(code)) return this.fail(e, FIXED_REASONS[code] ?? closeReason(e.message))
    this.relay.log.error({ connectionId: this.id, err: e }, 'error relaying a websocket message: closed')
    this.fail(e, 'Internal error', CLOSE.INTERNAL)
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
          const max = this.relay.config.wsMaxSocketBytes
          if (this.held.length >= this.relay.maxSubscriptions) throw badMessage('too many messages before connection_ack')
          if (this.bytes + bytes > max) throw badMessage(`messages before connection_ack hold more than ${max} bytes`)
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
        return startOperation(this, m, bytes)
      case this.vocabulary.stop: {
        const id = readOperationId(m, this.legacy)
        if (this.release(id)) upstream.send(stopMessage(this.protocol, id))
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

  /** identify (and prepare), from connection_init's payload or the upgrade request; the upstream opens after. */
  authenticate(m: Message): void {
    const payload = readInitPayload(m)
    this.state = 'authenticating'
    // everything sent upstream is built here, where a throw is caught, before anything opens there
    let init: string
    try {
      init = initMessage(payload, (name) => this.relay.hygiene.strip.has(name))
      const c = credentialHeaders(payload, this.req.headers)
      this.credential = c.headers
      this.source = c.source
    } catch (e) {
      return this.rejectCredential(e, undefined)
    }
    this.relay.pipeline.identify(this.credential, init, this.identified, this.unidentified)
  }

  readonly identified = (init: string, p: Principal): void => {
    if (this.state !== 'authenticating') return
    if (p.kind === 'anonymous' && this.relay.config.wsRequireCredential) {
      return this.rejectCredential(new PermgateError('PERMGATE_ERR_WEBSOCKET_UNAUTHENTICATED', 'connection_init carries no credential: send a token in its payload (authorization)'), init)
    }
    this.principal = p
    this.armExpiry(this.relay.deps.identity.expiryOf(this.credential))
    if (this.state === 'authenticating') connectUpstream(this, init)
  }

  readonly unidentified = (init: string, e: unknown): void => this.guard(() => this.rejectCredential(e, init))

  rejectCredential(e: unknown, init: string | undefined): void {
    if (this.state !== 'authenticating') return
    const { pipeline, log } = this.relay
    // dry run: the bad credential is a would-deny, and the connection goes on as anonymous
    if (pipeline.refused(this.exchange(), e, 'none', log) && e instanceof PermgateError && init !== undefined) {
      this.principal = ANONYMOUS
      return connectUpstream(this, init)
    }
    // any coded refusal of connection_init is 4403: graphql-ws clients retry it with a fresh credential
    if (e instanceof PermgateError) this.fail(e, 'Forbidden', CLOSE.FORBIDDEN)
    else this.fail(e, 'Internal error', CLOSE.INTERNAL)
  }

  /**
   * Closes the socket when the token expires, or wsMaxLifetimeMs after it was authenticated,
   * whichever comes first (an API key never expires). 4403: graphql-ws clients reconnect, and
   * are authenticated again.
   */
  armExpiry(expiresAtMs: number | undefined): void {
    const lifetime = this.relay.config.wsMaxLifetimeMs
    const endsAt = Date.now() + lifetime
    if (expiresAtMs === undefined || endsAt < expiresAtMs) this.armClose(endsAt, 'Connection lifetime ended', 'PERMGATE_ERR_WEBSOCKET_LIFETIME', `a connection lasts at most ${lifetime} ms: reconnect`)
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
      const e = new PermgateError(code, message)
      if (!this.relay.pipeline.refused(this.exchange(), e, 'none', this.relay.log)) this.fail(e, reason)
    }
    if (left <= 0) return expire()
    this.expiryTimer = setTimeout(expire, left)
  }

  /** The client closed: the upstream is closed with the same code when it may be sent. */
  onClientClose(code: number, reason: string): void {
    this.finish(relayableCode(code) ? code : CLOSE.NORMAL, closeReason(reason))
  }

  finish(upstreamCode: number, reason: string): void {
    if (this.state === 'closed') return
    this.state = 'closed'
    this.clearTimers()
    this.relay.closed(this)
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

  hold(id: string, r: Running): void {
    this.active.set(id, r)
    this.bytes += r.bytes
  }

  /** Forwards a decided operation upstream; it is held until it completes or is stopped. */
  forward(id: string, r: Running, message: string): void {
    this.hold(id, r)
    this.upstream!.send(message)
  }

  /** After a policy or bindings change: see operations.ts `revalidate`. */
  revalidate(): void {
    revalidate(this)
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

/** The bytes of a message as `ws` hands it over. */
function sizeOf(data: WebSocket.RawData): number {
  if (Buffer.isBuffer(data)) return data.length
  if (Array.isArray(data)) return data.reduce((n, b) => n + b.length, 0)
  return data.byteLength
}
