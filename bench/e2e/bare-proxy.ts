/**
 * The reference of issue 16's CPU targets: a bare `node:http` server that buffers the request
 * body and forwards it on an undici Pool (keep-alive), streaming the upstream's status, headers
 * and body back. No framework, no authorization. Usage: node bare-proxy.js <upstream origin>
 */
import { createServer } from 'node:http'
import { failStart, portOf, serveUsage } from './target-ipc.js'
import { requestHeaders, responseHeaders, upstreamPool } from './undici-forward.js'

/** As the upstream's: the driver's connections stay open between rounds. */
const KEEP_ALIVE_TIMEOUT_MS = 120_000 // 2 min

const origin = process.argv[2]
if (origin === undefined) failStart(new Error('usage: bare-proxy.js <upstream origin>'))
else start(origin)

function start(upstream: string): void {
  const pool = upstreamPool(upstream)
  const server = createServer((req, res) => {
    const chunks: Buffer[] = []
    req.on('data', (c: Buffer) => chunks.push(c))
    req.on('end', () => {
      const body = chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks)
      pool
        .stream({ path: req.url ?? '/', method: req.method ?? 'GET', headers: requestHeaders(req.headers), body }, ({ statusCode, headers }) => {
          res.writeHead(statusCode, responseHeaders(headers))
          return res
        })
        .catch(() => {
          if (res.headersSent) res.destroy()
          else res.writeHead(502).end()
        })
    })
  })
  server.keepAliveTimeout = KEEP_ALIVE_TIMEOUT_MS
  const ipc = serveUsage(server)
  server.on('error', failStart)
  server.listen(0, '127.0.0.1', () => ipc.ready(portOf(server)))
}
