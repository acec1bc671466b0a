import type { Readable } from 'node:stream'
import { createBrotliDecompress, createGunzip, createInflate } from 'node:zlib'
import { PermgateError } from '../errors.js'

const DECODERS = {
  gzip: createGunzip,
  'x-gzip': createGunzip,
  deflate: createInflate,
  br: createBrotliDecompress,
} as const

/**
 * Reads a request body into memory, decompressing gzip/deflate/br, never holding more than
 * `maxBytes` of it: a body (or a decompression bomb) that grows past the limit is refused
 * with 413 as soon as it does, not after.
 */
export function readBody(payload: Readable, contentEncoding: string | undefined, contentLength: string | undefined, maxBytes: number): Promise<Buffer> {
  if (contentLength !== undefined && Number(contentLength) > maxBytes) {
    payload.resume()
    return Promise.reject(tooLarge(maxBytes))
  }
  const encoding = contentEncoding === undefined ? 'identity' : contentEncoding.trim().toLowerCase()
  if (encoding === 'identity' || encoding === '') return collect(payload, payload, maxBytes, undefined)
  const make = DECODERS[encoding as keyof typeof DECODERS]
  if (make === undefined) {
    payload.resume()
    return Promise.reject(new PermgateError('PERMGATE_ERR_UNSUPPORTED_ENCODING', `Content-Encoding "${encoding}" is not supported (gzip, deflate, br or none)`))
  }
  // Both the compressed and the decompressed stream are capped.
  const decoder = make({ maxOutputLength: maxBytes + 1 } as object)
  let raw = 0
  payload.on('data', (c: Buffer) => {
    raw += c.length
    if (raw > maxBytes) decoder.destroy(tooLarge(maxBytes))
  })
  payload.on('error', (e) => decoder.destroy(e))
  return collect(payload.pipe(decoder), payload, maxBytes, encoding)
}

/** Collects a stream's chunks (events, not an async iterator: this runs for every request). */
function collect(source: Readable, payload: Readable, maxBytes: number, encoding: string | undefined): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = []
    let total = 0
    let finished = false
    const fail = (e: unknown): void => {
      if (finished) return
      finished = true
      if (source !== payload) source.destroy()
      payload.resume()
      reject(mapError(e, maxBytes, encoding))
    }
    source.on('data', (c: Buffer) => {
      if (finished) return
      total += c.length
      if (total > maxBytes) return fail(tooLarge(maxBytes))
      chunks.push(c)
    })
    source.on('end', () => {
      if (finished) return
      finished = true
      resolve(chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks, total))
    })
    source.on('error', fail)
  })
}

function mapError(e: unknown, maxBytes: number, encoding: string | undefined): unknown {
  if (e instanceof PermgateError) return e
  const code = (e as { code?: string }).code
  if (code === 'ERR_BUFFER_TOO_LARGE' || code === 'ERR_OUT_OF_RANGE') return tooLarge(maxBytes)
  // the client went away mid-body: nothing to answer, nothing to log as a failure
  if (code === 'ECONNRESET' || code === 'ECONNABORTED' || (e as Error | undefined)?.message === 'aborted') {
    return new PermgateError('PERMGATE_ERR_REQUEST_ABORTED', 'the client closed the connection before its request was complete')
  }
  if (encoding !== undefined) return new PermgateError('PERMGATE_ERR_BAD_ENCODING', `the body is not valid ${encoding}`)
  return e
}

function tooLarge(maxBytes: number): PermgateError {
  return new PermgateError('PERMGATE_ERR_BODY_TOO_LARGE', `the request body is larger than ${maxBytes} bytes`)
}
