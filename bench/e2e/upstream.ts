/**
 * The upstream every configuration is measured against: node:http on 127.0.0.1, answering
 * GET and POST /graphql with one small fixed JSON body once the request body is read.
 */
import { createServer } from 'node:http'
import { GRAPHQL_PATH } from './request-sets.js'
import { failStart, portOf, serveUsage } from './target-ipc.js'

/** Long enough that proxies' pooled connections never close between rounds. */
const KEEP_ALIVE_TIMEOUT_MS = 120_000 // 2 min
const BODY = Buffer.from(JSON.stringify({ data: { workspaceDeployments: [{ id: 'd1', label: 'bench' }] } }))
const NOT_FOUND = Buffer.from(JSON.stringify({ errors: [{ message: 'not found' }] }))

const server = createServer((req, res) => {
  req.on('data', () => {})
  req.on('end', () => {
    const path = req.url?.split('?')[0]
    const ok = path === GRAPHQL_PATH && (req.method === 'POST' || req.method === 'GET')
    const body = ok ? BODY : NOT_FOUND
    res.writeHead(ok ? 200 : 404, { 'content-type': 'application/json', 'content-length': body.length })
    res.end(body)
  })
})
server.keepAliveTimeout = KEEP_ALIVE_TIMEOUT_MS
const ipc = serveUsage(server)
server.on('error', failStart)
server.listen(0, '127.0.0.1', () => ipc.ready(portOf(server)))
