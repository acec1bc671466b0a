import { afterEach, beforeEach } from 'vitest'
import { startUpstream, type DemoUpstream, type StartUpstreamOptions } from '../../../src/demo/upstream.js'

export interface Answer {
  status: number
  contentType: string | null
  body: unknown
}

/** A fresh upstream on a free loopback port for each test of the calling file. */
export function useUpstream(opts: StartUpstreamOptions = {}): () => DemoUpstream {
  let upstream: DemoUpstream | undefined
  beforeEach(async () => {
    upstream = await startUpstream(opts)
  })
  afterEach(async () => {
    await upstream?.close()
    upstream = undefined
  })
  return () => {
    if (upstream === undefined) throw new Error('upstream not started')
    return upstream
  }
}

async function answerOf(res: Response): Promise<Answer> {
  return { status: res.status, contentType: res.headers.get('content-type'), body: await res.json() }
}

export async function post(url: string, payload: unknown, headers: Record<string, string> = {}): Promise<Answer> {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: typeof payload === 'string' ? payload : JSON.stringify(payload),
  })
  return answerOf(res)
}

export async function get(url: string, params: Record<string, string>): Promise<Answer> {
  return answerOf(await fetch(`${url}?${new URLSearchParams(params).toString()}`))
}

/** The `data` of a successful single result, failing loudly otherwise. */
export async function data(
  url: string,
  query: string,
  variables: Record<string, unknown> = {},
  headers: Record<string, string> = {},
): Promise<Record<string, unknown>> {
  const { status, body } = await post(url, { query, variables }, headers)
  const result = body as { data?: Record<string, unknown>; errors?: unknown }
  if (status !== 200 || result.errors !== undefined || result.data === undefined) {
    throw new Error(`expected data, got ${status} ${JSON.stringify(body)}`)
  }
  return result.data
}
