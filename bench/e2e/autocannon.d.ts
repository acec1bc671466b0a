/** The part of autocannon's programmatic API the end-to-end benchmark uses (it ships no types). */
declare module 'autocannon' {
  import type { EventEmitter } from 'node:events'

  export interface RawRequest {
    method: string
    path: string
    headers: Record<string, string>
    body: string | Buffer
  }

  export interface Request extends Partial<RawRequest> {
    /** Called before each send; returns the request to send. `context` is per connection. */
    setupRequest?: (request: RawRequest, context: Record<string, unknown>) => RawRequest
    onResponse?: (status: number, body: string, context: Record<string, unknown>, headers: Record<string, unknown>) => void
  }

  export interface Options {
    url: string
    connections?: number
    pipelining?: number
    /** Seconds. */
    duration?: number
    /** Requests to send, then stop (takes precedence over `duration`). */
    amount?: number
    /** Seconds before a request counts as a timeout. */
    timeout?: number
    method?: string
    headers?: Record<string, string>
    body?: string | Buffer
    requests?: Request[]
    skipAggregateResult?: boolean
  }

  export interface Result {
    totalCompletedRequests: number
    totalRequests: number
    errors: number
    timeouts: number
    non2xx: number
    statusCodeStats: Record<string, { count: number }>
    /** Seconds. */
    duration: number
  }

  export interface Instance extends EventEmitter {
    stop(): void
  }

  function autocannon(opts: Options, cb: (err: Error | null, result: Result) => void): Instance
  export default autocannon
}
