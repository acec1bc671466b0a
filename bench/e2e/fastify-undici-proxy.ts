/**
 * A reference of issue 16: a fastify route (POST on the GraphQL path, the body buffered by
 * fastify's content-type parser as a Buffer) forwarding on an undici Pool, as the bare Node
 * proxy does; the difference between the two rows is what fastify costs.
 * Usage: node fastify-undici-proxy.js <upstream origin>
 */
import Fastify from 'fastify'
import { GRAPHQL_PATH } from './request-sets.js'
import { failStart, portOf, serveUsage } from './target-ipc.js'
import { requestHeaders, responseHeaders, upstreamPool } from './undici-forward.js'

/** As the upstream's: the driver's connections stay open between rounds. */
const KEEP_ALIVE_TIMEOUT_MS = 120_000 // 2 min

async function main(): Promise<void> {
  const upstream = process.argv[2]
  if (upstream === undefined) throw new Error('usage: fastify-undici-proxy.js <upstream origin>')
  const pool = upstreamPool(upstream)
  const app = Fastify({ keepAliveTimeout: KEEP_ALIVE_TIMEOUT_MS })
  // the body is forwarded as read, never parsed: any content type, as a Buffer
  app.removeAllContentTypeParsers()
  app.addContentTypeParser('*', { parseAs: 'buffer' }, (_req, body, done) => done(null, body))
  app.post(GRAPHQL_PATH, async (request, reply) => {
    const body = request.body as Buffer | undefined
    const answer = await pool.request({ path: request.url, method: 'POST', headers: requestHeaders(request.headers), body: body ?? null })
    return reply.code(answer.statusCode).headers(responseHeaders(answer.headers)).send(answer.body)
  })
  const ipc = serveUsage(app.server)
  await app.listen({ host: '127.0.0.1', port: 0 })
  ipc.ready(portOf(app.server))
}

main().catch(failStart)
