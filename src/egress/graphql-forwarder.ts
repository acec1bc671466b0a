// answer, HTTP: an authorized GraphQL POST goes to the upstream straight on an undici Pool, and
// the upstream's answer is streamed back to the client as it arrives. reply-from's forwarding path
// cost more per request than everything permgate decides; this path keeps its behaviour (the
// same request headers, header hygiene, response header hygiene, timeouts and TLS verification)
// without its generality. Everything else (GraphQL GET, routes, streamed bodies) stays on reply-from.
import type { IncomingHttpHeaders } from 'node:http'
import type { FastifyReply, FastifyRequest } from 'fastify'
import { Pool, type Dispatcher } from 'undici'
import type { ServeConfig } from '../config/schema.js'
import { forwardHeaders, responseHeaders, type HeaderHygiene } from './forward.js'
import type { Forwarding } from './http-forwarder.js'
import { tlsClientOptions } from './tls.js'

/** Connections kept open to the upstream origin (what reply-from kept: its undici default). @default 128 */
export const UPSTREAM_CONNECTIONS = 128

/** Answers an upstream failure (a refused TLS handshake, a timeout, a refused connection, a request undici refused to send). */
export type UpstreamFailure = (reply: FastifyReply, error: Error) => void

export interface GraphQLForwarder {
  /** Sends `g.body` as a POST to `path` (plus the forwarded query string) and streams the answer to `reply`. */
  forward(request: FastifyRequest, reply: FastifyReply, g: Forwarding, path: string): FastifyReply
  /** Closes the upstream connections once the requests on them are done. */
  close(): Promise<void>
}

export function createGraphQLForwarder(config: ServeConfig, hygiene: HeaderHygiene, failed: UpstreamFailure): GraphQLForwarder {
  const pool = new Pool(config.upstream.origin, {
    connections: UPSTREAM_CONNECTIONS,
    headersTimeout: config.upstreamTimeoutMs,
    bodyTimeout: config.upstreamTimeoutMs,
    connect: tlsClientOptions(config.upstreamTls),
  })
  // The Host the upstream is asked under, as reply-from sends it: the upstream URL's, not the client's.
  const host = new URL(config.upstream.origin).host
  const trusted = config.trustedProxyRanges

  // One callback for every request: the reply travels as undici's `opaque`, so no closure is made per request.
  function answered(err: Error | null, data: Dispatcher.ResponseData<FastifyReply>): void {
    const reply = data.opaque
    if (err !== null) {
      if (!reply.sent) failed(reply, err)
      return
    }
    const body = data.body
    // The client went away before the upstream answered: nobody reads the answer.
    if (reply.request.raw.aborted) {
      body.destroy()
      return
    }
    try {
      reply.code(data.statusCode)
    } catch {
      body.destroy()
      // answered 502, as reply-from did
      failed(reply, new Error(`the upstream answered with status ${data.statusCode}`))
      return
    }
    const headers = data.headers as IncomingHttpHeaders
    // The client connection is framed by Node's server, not by how the upstream framed its answer.
    delete headers['transfer-encoding']
    // A body timeout after the headers were sent cannot become a 504: fastify destroys the
    // client's response (the client sees a truncated answer), as it did behind reply-from.
    reply.headers(responseHeaders(headers)).send(body)
  }

  return {
    forward(request, reply, g, path) {
      const body = g.body as string
      const headers: IncomingHttpHeaders = { ...request.headers }
      if (headers.connection !== undefined) dropConnectionHeaders(headers, headers.connection)
      headers.host = host
      headers['content-length'] = String(Buffer.byteLength(body))
      headers['content-type'] = 'application/json'
      forwardHeaders(headers, hygiene, g.principal, g.decisionId, true, request.socket.remoteAddress, trusted)
      pool.request({ path: withQuery(path, g.queryString, request.url), method: 'POST', headers, body, opaque: reply }, answered)
      return reply
    },
    close: () => pool.close(),
  }
}

/**
 * RFC 9110 §7.6.1: the client's Connection header and the headers it names are about its own hop
 * (reply-from removed them before its hooks ran; forwardHeaders drops the fixed hop-by-hop names).
 */
function dropConnectionHeaders(headers: IncomingHttpHeaders, connection: string): void {
  delete headers.connection
  // the usual value names a header forwardHeaders drops anyway: no split on the hot path
  if (connection === 'keep-alive') return
  for (const name of connection.split(',')) {
    const n = name.trim().toLowerCase()
    if (n !== '') delete headers[n]
  }
}

/** The upstream path with the forwarded query string: the gate's (none for a POST), else the one received. */
function withQuery(path: string, queryString: string | undefined, url: string): string {
  if (queryString !== undefined) return queryString === '' ? path : `${path}?${queryString}`
  const q = url.indexOf('?')
  return q < 0 || q === url.length - 1 ? path : path + url.slice(q)
}
