import { PassThrough } from 'node:stream'
import { gzipSync } from 'node:zlib'
import { describe, expect, it } from 'vitest'
import { readBody } from '../../../src/ingress/body.js'

const codeOf = async (p: Promise<unknown>): Promise<string | undefined> => p.then(() => undefined, (e: { code?: string }) => e.code)

describe('readBody', () => {
  it('a client that goes away mid-body is a coded PERMGATE_ERR_REQUEST_ABORTED, not an internal error', async () => {
    const s = new PassThrough()
    const read = readBody(s, undefined, undefined, 1024)
    s.write('{"query":')
    s.destroy(Object.assign(new Error('aborted'), { code: 'ECONNRESET' }))
    expect(await codeOf(read)).toBe('PERMGATE_ERR_REQUEST_ABORTED')
  })

  it('reads a whole body, and a gzip one decoded', async () => {
    const s = new PassThrough()
    const read = readBody(s, undefined, undefined, 1024)
    s.end('{"query":"{ a }"}')
    expect((await read).toString()).toBe('{"query":"{ a }"}')
    const z = new PassThrough()
    const unzipped = readBody(z, 'gzip', undefined, 1024)
    z.end(gzipSync('{"query":"{ b }"}'))
    expect((await unzipped).toString()).toBe('{"query":"{ b }"}')
  })

  it('over the limit, plain or inflated: PERMGATE_ERR_BODY_TOO_LARGE', async () => {
    const s = new PassThrough()
    const read = readBody(s, undefined, undefined, 8)
    s.end('0123456789')
    expect(await codeOf(read)).toBe('PERMGATE_ERR_BODY_TOO_LARGE')
    const z = new PassThrough()
    const bomb = readBody(z, 'gzip', undefined, 1024)
    z.end(gzipSync(Buffer.alloc(1024 * 1024)))
    expect(await codeOf(bomb)).toBe('PERMGATE_ERR_BODY_TOO_LARGE')
  })
})
