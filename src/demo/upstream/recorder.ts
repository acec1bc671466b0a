import type { RecordedRequest } from './types.js'

/** Requests kept for inspection; older ones are dropped, the total keeps counting. */
export const DEFAULT_MAX_RECORDED = 1000

export class RequestRecorder {
  /** The most recent requests, oldest first; the same array for the recorder's whole life. */
  readonly requests: RecordedRequest[] = []
  private total = 0
  private readonly limit: number

  constructor(limit = DEFAULT_MAX_RECORDED) {
    this.limit = limit
  }

  record(request: RecordedRequest): void {
    this.total++
    this.requests.push(request)
    if (this.requests.length > this.limit) this.requests.shift()
  }

  count(): number {
    return this.total
  }

  reset(): void {
    this.requests.length = 0
    this.total = 0
  }
}
