// The upstream side of a GraphQL WebSocket: the connection opened after connection_init was
// identified, its handshake (held messages run once it acknowledges), and what it sends back,
// relayed to the client as it comes (only a complete or an error is parsed, to free its id).
import WebSocket from 'ws'
import { tlsClientOptions, tlsFailure } from '../../egress/tls.js'
import { PermgateError } from '../../errors.js'
import type { Connection } from './connection.js'
import { upstreamHeaders } from './handshake.js'
import { CLOSE, closeReason, ID_LESS, readMessage, relayableCode, type Message } from './protocols.js'

/** Opens the upstream socket for `c` and sends it the connection_init built (and cleaned) for it. */
export function connectUpstream(c: Connection, init: string): void {
  c.state = 'connecting'
  const { config, hygiene, log } = c.relay
  const headers = upstreamHeaders(c.req.headers, config, hygiene, c.principal, c.id, c.source, c.req.socket.remoteAddress, config.trustedProxyRanges)
  const upstream = new WebSocket(c.relay.target, c.protocol, { headers, handshakeTimeout: config.upstreamTimeoutMs, perMessageDeflate: false, followRedirects: false, ...tlsClientOptions(config.upstreamTls) })
  c.upstream = upstream
  upstream.on('open', () => c.guard(() => upstream.send(init)))
  upstream.on('message', (data, isBinary) => c.guard(() => onUpstreamMessage(c, data, isBinary)))
  upstream.on('error', (e) => {
    // a refused certificate is said as such when the connection fails (the close follows)
    c.upstreamTls ??= tlsFailure(e)
    log.warn({ warning: c.upstreamTls !== undefined ? 'PERMGATE_WARN_UPSTREAM_TLS' : 'PERMGATE_WARN_UPSTREAM_FAILURE', connectionId: c.id, upstreamError: e.message, ...(c.upstreamTls !== undefined ? { tlsError: c.upstreamTls } : {}) }, 'websocket upstream failure')
  })
  upstream.on('close', (code, reason) => c.guard(() => onUpstreamClose(c, code, reason.toString('utf8'))))
}

function onUpstreamMessage(c: Connection, data: WebSocket.RawData, isBinary: boolean): void {
  if (c.state === 'closed') return
  // Once ready, only a message that may end an operation (complete, error) is parsed, to free
  // its id; a next/data message, however large, is relayed without being parsed.
  let m: Message | undefined
  if (c.state !== 'ready' || mayEnd(data)) {
    try {
      m = readMessage(data, isBinary, c.relay.config.maxJsonDepth)
    } catch {
      m = undefined
    }
  }
  if (c.state === 'connecting') return onUpstreamHandshake(c, m)
  if (c.state !== 'ready') return
  if (m !== undefined && (m.type === 'complete' || m.type === 'error')) {
    // the id-less legacy operation's frames have no id (subscriptions-transport-ws drops it)
    if (typeof m.id === 'string') c.release(m.id)
    else if (c.legacy && !('id' in m)) c.release(ID_LESS)
  }
  if (c.client.readyState !== WebSocket.OPEN) return
  // a client that does not read what it subscribed to is not buffered for without bound
  if (c.client.bufferedAmount > c.relay.maxBufferedBytes) return c.closeClient(CLOSE.TRY_AGAIN_LATER, 'Client too slow')
  c.client.send(data, { binary: isBinary })
}

/** The upstream's answer to connection_init: ready on connection_ack (held messages run then). */
function onUpstreamHandshake(c: Connection, m: Message | undefined): void {
  if (m?.type === 'connection_ack') {
    c.state = 'ready'
    clearTimeout(c.initTimer)
    c.initTimer = undefined
    c.send(JSON.stringify(m.payload === undefined ? { type: 'connection_ack' } : { type: 'connection_ack', payload: m.payload }))
    const held = c.held.splice(0)
    for (const h of held) {
      if (c.state !== 'ready') break
      c.bytes -= h.bytes
      c.guard(() => c.onReadyMessage(h.m, h.bytes))
    }
    return
  }
  if (m?.type === 'ka') return
  if (m?.type === 'connection_error' && c.legacy) {
    // the upstream refused the connection: the client hears why
    c.send(JSON.stringify({ type: 'connection_error', payload: m.payload }))
    return c.closeClient(CLOSE.INTERNAL, 'The upstream refused the connection')
  }
  c.relay.log.warn({ warning: 'PERMGATE_WARN_UPSTREAM_PROTOCOL', connectionId: c.id, type: m?.type }, 'unexpected websocket message from the upstream before connection_ack')
  upstreamFailed(c, 'the upstream answered connection_init with something else than connection_ack')
}

function upstreamFailed(c: Connection, message: string): void {
  if (c.upstreamTls !== undefined) return c.fail(new PermgateError('PERMGATE_ERR_UPSTREAM_TLS', "the upstream's TLS certificate was refused, or its TLS handshake failed"), 'Upstream TLS failure')
  c.fail(new PermgateError('PERMGATE_ERR_UPSTREAM_UNAVAILABLE', message), 'Upstream unavailable')
}

function onUpstreamClose(c: Connection, code: number, reason: string): void {
  if (c.state === 'closed') return
  if (c.state !== 'ready') return upstreamFailed(c, 'the upstream could not be reached or closed the connection')
  if (relayableCode(code)) c.closeClient(code, closeReason(reason))
  else c.closeClient(CLOSE.INTERNAL, 'Upstream connection closed')
}

const COMPLETE = Buffer.from('"complete"')
const ERROR = Buffer.from('"error"')
/** Whether an upstream message may be a complete or an error (a cheap look before parsing). */
function mayEnd(data: WebSocket.RawData): boolean {
  const b = Buffer.isBuffer(data) ? data : Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data)
  return b.includes(COMPLETE) || b.includes(ERROR)
}
