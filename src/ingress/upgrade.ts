import type { IncomingMessage, Server } from 'node:http'
import type { Duplex } from 'node:stream'

const WEBSOCKET = /(?:^|,)[ \t]*websocket[ \t]*(?:,|$)/i
const declined = new WeakSet<Duplex>()

/** An Upgrade header that asks for WebSocket (the relay's); any other upgrade is declined. */
export function isWebSocketUpgrade(upgrade: string | undefined): boolean {
  return upgrade !== undefined && WEBSOCKET.test(upgrade)
}

/** A socket of Node's HTTP server: `_httpMessage` is the response being written on it (an `http` internal since Node 0.x). */
type ServerSocket = Duplex & { _httpMessage?: NodeJS.EventEmitter | null; setTimeout?: (ms: number) => unknown }

/**
 * Node hands every request with `Connection: upgrade` to the server's 'upgrade' listeners, its
 * head parsed and its socket taken from the HTTP parser. An upgrade permgate does not speak
 * (`Upgrade: h2c` from `curl --http2`) is declined, as RFC 9110 §7.8 allows: the head is written
 * again without the upgrade and the socket given back to the HTTP server, which reads it and its
 * body (still unread: `head` and the socket) as HTTP/1.1. The head is Node's parse of it, so no
 * byte the parser refused comes back.
 */
export function declineUpgrade(server: Server, req: IncomingMessage, socket: Duplex, head: Buffer): void {
  const raw = req.rawHeaders
  let text = `${req.method ?? 'GET'} ${req.url ?? '/'} HTTP/${req.httpVersion}\r\n`
  for (let i = 0; i + 1 < raw.length; i += 2) {
    const name = raw[i] as string
    let value = raw[i + 1] as string
    const lower = name.toLowerCase()
    if (lower === 'upgrade') continue
    if (lower === 'connection') {
      value = value
        .split(',')
        .map((t) => t.trim())
        .filter((t) => t !== '' && t.toLowerCase() !== 'upgrade')
        .join(', ')
      if (value === '') continue
    }
    text += `${name}: ${value}\r\n`
  }
  // Each hand-back leaves Node's listeners of the last one on the socket: from the second on a
  // socket, the connection closes after the response, so pipelined upgrades cannot pile them up.
  if (declined.has(socket)) text += 'Connection: close\r\n'
  else declined.add(socket)
  // rawHeaders and url hold the received bytes one per character (latin1)
  const bytes = head.length === 0 ? Buffer.from(`${text}\r\n`, 'latin1') : Buffer.concat([Buffer.from(`${text}\r\n`, 'latin1'), head])
  const s = socket as ServerSocket
  whenIdle(s, () => {
    // the keep-alive timer of the responses before, which the new parser would not clear
    s.setTimeout?.(0)
    socket.unshift(bytes)
    server.emit('connection', socket)
  })
}

/**
 * Runs `then` once no response is being written on the socket: a request pipelined before the
 * upgrade is answered by the parser that read it, which would not hand the socket on to the new one.
 */
function whenIdle(socket: ServerSocket, then: () => void): void {
  if (socket.destroyed) return
  const res = socket._httpMessage
  if (res === null || res === undefined) return then()
  let done = false
  const next = (): void => {
    if (done) return
    done = true
    // after Node's own 'finish' listener, which detaches the response and assigns the next one
    process.nextTick(() => whenIdle(socket, then))
  }
  res.once('finish', next)
  res.once('close', next)
}
