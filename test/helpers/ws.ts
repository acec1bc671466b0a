import { connect } from 'node:net'
import WebSocket from 'ws'

/** A message as received (parsed JSON). */
export type WsMessage = { type: string; id?: string; payload?: unknown } & Record<string, unknown>

/** A raw `ws` client that keeps every message, for asserting protocol exchanges message by message. */
export interface WsClient {
  readonly ws: WebSocket
  readonly protocol: string
  /** Every message received so far, in order. */
  readonly messages: WsMessage[]
  send(message: unknown): void
  /** The oldest message not taken before that matches `pred`, waiting up to `timeoutMs` for one. */
  next(pred?: (m: WsMessage) => boolean, timeoutMs?: number): Promise<WsMessage>
  /** Resolves with the close code and reason. */
  readonly closed: Promise<{ code: number; reason: string }>
  close(): void
}

/** Opens a WebSocket to `url` (http:// is turned into ws://) asking for `protocols`. */
export async function openWs(url: string, protocols: string | string[], headers: Record<string, string> = {}): Promise<WsClient> {
  const ws = new WebSocket(url.replace(/^http/, 'ws'), protocols, { headers })
  const messages: WsMessage[] = []
  const taken = new Set<number>()
  const waiters = new Set<() => void>()
  ws.on('message', (data) => {
    messages.push(JSON.parse(data.toString()) as WsMessage)
    for (const w of [...waiters]) w()
  })
  const closed = new Promise<{ code: number; reason: string }>((resolve) => ws.on('close', (code, reason) => resolve({ code, reason: reason.toString() })))
  closed.then(() => {
    for (const w of [...waiters]) w()
  }, () => undefined)
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve())
    ws.once('error', reject)
  })
  return {
    ws,
    protocol: ws.protocol,
    messages,
    send: (m) => ws.send(typeof m === 'string' ? m : JSON.stringify(m)),
    next: (pred = () => true, timeoutMs = 2_000) =>
      new Promise<WsMessage>((resolve, reject) => {
        const check = (): void => {
          for (let i = 0; i < messages.length; i++) {
            const m = messages[i]!
            if (!taken.has(i) && pred(m)) {
              taken.add(i)
              done()
              return resolve(m)
            }
          }
          if (ws.readyState === WebSocket.CLOSED) {
            done()
            reject(new Error(`socket closed; messages: ${JSON.stringify(messages)}`))
          }
        }
        const timer = setTimeout(() => {
          done()
          reject(new Error(`no matching message within ${timeoutMs} ms; messages: ${JSON.stringify(messages)}`))
        }, timeoutMs)
        const done = (): void => {
          clearTimeout(timer)
          waiters.delete(check)
        }
        waiters.add(check)
        check()
      }),
    closed,
    close: () => ws.close(),
  }
}

/** Every message for `id` until its complete or error. */
export async function collect(c: WsClient, id: string): Promise<WsMessage[]> {
  const out: WsMessage[] = []
  for (;;) {
    const m = await c.next((x) => x.id === id)
    out.push(m)
    if (m.type === 'complete' || m.type === 'error') return out
  }
}

/** Sends a raw upgrade request and returns the whole answer (status line, headers, body) once the server ends it. */
export function rawUpgrade(url: string, path: string, headers: Record<string, string>): Promise<string> {
  const u = new URL(url)
  const lines = [
    `GET ${path} HTTP/1.1`,
    `Host: ${u.host}`,
    'Upgrade: websocket',
    'Connection: Upgrade',
    'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==',
    'Sec-WebSocket-Version: 13',
    ...Object.entries(headers).map(([k, v]) => `${k}: ${v}`),
  ]
  return new Promise<string>((resolve, reject) => {
    const s = connect(Number(u.port), u.hostname, () => s.write(`${lines.join('\r\n')}\r\n\r\n`))
    let data = ''
    s.setTimeout(2_000, () => {
      s.destroy()
      resolve(data)
    })
    s.on('data', (d) => (data += d.toString()))
    s.on('end', () => resolve(data))
    s.on('error', reject)
  })
}
