// read, HTTP: on the GraphQL path a JSON body is read here, decompressed and bounded, so the gate
// that decides is synchronous; everywhere else the body stays a stream, forwarded untouched. What
// fastify refuses while reading (a Content-Type it cannot parse, a short body, a bad URL) is
// answered with permgate's coded error, as every refusal.
import type { IncomingMessage } from 'node:http'
import type { Readable } from 'node:stream'
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import type { ServeConfig } from '../config/schema.js'
import { rejectError, type RejectOptions } from '../egress/reject.js'
import { PermgateError } from '../errors.js'
import type { Metrics } from '../telemetry/metrics.js'
import { readBody } from './body.js'
import { kGate } from '../egress/http-forwarder.js'
import { pathOf, type GatedRequest } from './gate.js'

type Done = (err: Error | null, body?: unknown) => void

/** The body readers of every content type: JSON on the GraphQL path is read whole, the rest streams. */
export function registerBodyReaders(app: FastifyInstance, config: ServeConfig): void {
  app.removeAllContentTypeParsers()
  app.addContentTypeParser('application/json', (request: FastifyRequest, payload: IncomingMessage, done: Done) => {
    if (pathOf(request.url) !== config.graphqlPath) return done(null, payload)
    const h = request.headers
    readBody(payload as Readable, h['content-encoding'], h['content-length'], config.maxBodyBytes).then(
      (body) => done(null, body),
      (e: Error) => done(e),
    )
  })
  app.addContentTypeParser('*', (_request: FastifyRequest, payload: IncomingMessage, done: Done) => done(null, payload))
}

/** Answers an error thrown before a decision (while reading): counted as refused early, coded, never forwarded. */
export function refusedWhileReading(metrics: Metrics | undefined, rejectOpts: RejectOptions, nextId: () => string) {
  return (err: FastifyError | Error, request: FastifyRequest, reply: FastifyReply): FastifyReply => {
    const error = frameworkError(err)
    metrics?.refusedEarly(error instanceof PermgateError ? error.code : 'PERMGATE_ERR_INTERNAL')
    if (!(error instanceof PermgateError)) request.log.error({ err: error }, 'request failed before a decision: denied')
    return rejectError(request, reply, error, (request as GatedRequest)[kGate]?.decisionId ?? nextId(), rejectOpts)
  }
}

/**
 * fastify's own refusals (a Content-Type it cannot parse, a body shorter than its Content-Length,
 * a malformed percent-encoding) as permgate's coded errors, with the status fastify gave them;
 * other errors as they are.
 */
export function frameworkError(error: unknown): unknown {
  if (error instanceof PermgateError || !(error instanceof Error)) return error
  const { code, statusCode } = error as { code?: unknown; statusCode?: unknown }
  if (typeof code !== 'string' || !code.startsWith('FST_') || typeof statusCode !== 'number' || statusCode < 400 || statusCode > 499) return error
  if (code === 'FST_ERR_BAD_URL') return new PermgateError('PERMGATE_ERR_REQUEST_SHAPE', 'the path has a malformed percent-encoding')
  if (statusCode === 415) return new PermgateError('PERMGATE_ERR_UNSUPPORTED_MEDIA_TYPE', 'the Content-Type header is not one media type permgate can read; send application/json')
  if (statusCode === 413) return new PermgateError('PERMGATE_ERR_BODY_TOO_LARGE', 'the request body is too large')
  return new PermgateError('PERMGATE_ERR_REQUEST_SHAPE', `the request is malformed: ${error.message}`)
}
