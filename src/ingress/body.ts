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
export async function readBody(payload: Readable, contentEncoding: string | undefined, contentLength: string | undefined, maxBytes: number): Promise<Buffer> {
  if (contentLength !== undefined && Number(contentLength) > maxBytes) throw tooLarge(maxBytes)
  const encoding = (contentEncoding ?? 'identity').trim().toLowerCase()
  let source: Readable = payload
  if (encoding !== 'identity' && encoding !== '') {
    const make = DECODERS[encoding as keyof typeof DECODERS]
    if (make === undefined) {
      payload.resume()
      throw new PermgateError('PERMGATE_ERR_UNSUPPORTED_ENCODING', `Content-Encoding "${encoding}" is not supported (gzip, deflate, br or none)`)
    }
    // Both the compressed and the decompressed stream are capped.
    const decoder = make({ maxOutputLength: maxBytes + 1 } as object)
    payload.on('error', (e) => decoder.destroy(e))
    source = payload.pipe(decoder)
  }
  const chunks: Buffer[] = []
  let total = 0
  let raw = 0
  const countRaw = (c: Buffer): void => {
    raw += c.length
    if (raw > maxBytes) payload.destroy(tooLarge(maxBytes))
  }
  if (source !== payload) payload.on('data', countRaw)
  try {
    for await (const chunk of source) {
      const c = chunk as Buffer
      total += c.length
      if (total > maxBytes) throw tooLarge(maxBytes)
      chunks.push(c)
    }
  } catch (e) {
    payload.off('data', countRaw)
    source.destroy()
    if (e instanceof PermgateError) throw e
    const code = (e as { code?: string }).code
    if (code === 'ERR_BUFFER_TOO_LARGE' || code === 'ERR_OUT_OF_RANGE') throw tooLarge(maxBytes)
    if (source !== payload) throw new PermgateError('PERMGATE_ERR_BAD_ENCODING', `the body is not valid ${encoding}`)
    throw e
  }
  return chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks, total)
}

function tooLarge(maxBytes: number): PermgateError {
  return new PermgateError('PERMGATE_ERR_BODY_TOO_LARGE', `the request body is larger than ${maxBytes} bytes`)
}
