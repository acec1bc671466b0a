import { connect } from 'node:net'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startHarness, type Harness } from '../helpers/proxy.js'

/** Sends the head of a request and then one body byte every `everyMs`; resolves with what came back. */
function trickle(url: string, everyMs: number, maxMs: number): Promise<{ answer: string; closed: boolean }> {
  const { hostname, port } = new URL(url)
  return new Promise((resolve) => {
    const s = connect(Number(port), hostname)
    let answer = ''
    let closed = false
    const body = JSON.stringify({ query: '{ authConfig }' })
    s.on('connect', () => {
      s.write(`POST /graphql HTTP/1.1\r\nHost: ${hostname}\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n`)
      let i = 0
      const timer = setInterval(() => {
        if (i < body.length - 1 && !s.destroyed) s.write(body[i++]!)
      }, everyMs)
      const stop = setTimeout(() => s.destroy(), maxMs)
      s.on('close', () => {
        clearInterval(timer)
        clearTimeout(stop)
        closed = true
        resolve({ answer, closed })
      })
    })
    s.on('data', (d) => (answer += d.toString()))
    s.on('error', () => undefined)
  })
}

describe('a client that trickles its request in', () => {
  let h: Harness
  beforeAll(async () => {
    h = await startHarness(['--request-timeout-ms', '400'])
  })
  afterAll(() => h.close())

  it('is cut off at requestTimeoutMs with 408, and nothing reaches the upstream', async () => {
    h.upstream.reset()
    const { answer, closed } = await trickle(h.url, 50, 5_000)
    expect(answer).toMatch(/^HTTP\/1\.1 408 /)
    expect(closed).toBe(true)
    expect(h.upstream.count()).toBe(0)
  })

  it('a request sent at once is unaffected', async () => {
    const r = await fetch(h.graphql, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query: '{ authConfig }' }) })
    expect(r.status).toBe(200)
  })
})
