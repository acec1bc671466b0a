import { DEFAULT_ALLOWED_SAMPLE_RATE } from '../config/keys.js'
import { PermgateError } from '../errors.js'
import { redact, type DecisionEvent } from './decision-event.js'
import { StreamSink, type LogSink } from './log-sink.js'
import { RotatingFileSink, type FileSinkOptions } from './rotating-file-sink.js'

export const DEFAULT_BUFFER_EVENTS = 10_000

export interface DecisionLogOptions {
  /** `'stdout'`, or a file rotated by size with rotated files kept for a number of days. */
  readonly sink: 'stdout' | FileSinkOptions
  /**
   * Fraction of allowed decisions recorded, from 0 (none) to 1 (all). Denials are always recorded.
   * @default DEFAULT_ALLOWED_SAMPLE_RATE (0.01)
   */
  readonly allowedSampleRate?: number
  /**
   * Events held in memory waiting for the sink; when full, new events are dropped and counted.
   * @default DEFAULT_BUFFER_EVENTS (10,000 events)
   */
  readonly bufferSize?: number
  /** Uniform in [0, 1), for sampling. @default Math.random */
  readonly random?: () => number
  /** Epoch milliseconds, for rotated file names and retention. @default Date.now */
  readonly now?: () => number
}

export interface DecisionLogStats {
  /** Events accepted into the buffer. */
  readonly recorded: number
  /** Allowed decisions not recorded because of sampling. */
  readonly sampledOut: number
  /** Events lost: the buffer was full, the log was closed, or the sink failed to write them. */
  readonly dropped: number
  /** Events the sink accepted. */
  readonly written: number
}

/**
 * The audit log of authorization decisions: one JSON line per recorded decision.
 *
 * `record` runs on the request path, so it never waits and never throws: events go into a
 * bounded buffer that is written out after the current turn of the event loop. When the sink
 * is slower than the traffic, the buffer fills and events are dropped and counted rather than
 * held in memory without limit or made to slow requests down.
 */
export class DecisionLog {
  readonly #sink: LogSink
  readonly #sampleRate: number
  readonly #bufferSize: number
  readonly #random: () => number
  #buffer: string[] = []
  #flushing: Promise<void> | undefined
  #scheduled = false
  #closing: Promise<void> | undefined
  #recorded = 0
  #sampledOut = 0
  #dropped = 0
  #written = 0

  constructor(options: DecisionLogOptions) {
    const rate = options.allowedSampleRate ?? DEFAULT_ALLOWED_SAMPLE_RATE
    const bufferSize = options.bufferSize ?? DEFAULT_BUFFER_EVENTS
    if (!(rate >= 0 && rate <= 1)) throw invalid('allowedSampleRate', `must be between 0 and 1, got ${rate}`)
    if (!Number.isSafeInteger(bufferSize) || bufferSize <= 0) {
      throw invalid('bufferSize', `must be a positive whole number of events, got ${bufferSize}`)
    }
    this.#sampleRate = rate
    this.#bufferSize = bufferSize
    this.#random = options.random ?? Math.random
    this.#sink = options.sink === 'stdout'
      ? new StreamSink(process.stdout)
      : new RotatingFileSink(options.sink, options.now ?? Date.now)
  }

  /**
   * Whether a decision with this outcome is to be recorded: always when denied, at the sample
   * rate when allowed. Lets a caller skip building the event of a decision sampled out.
   */
  wants(allowed: boolean): boolean {
    if (allowed !== true) return true
    if (this.#random() < this.#sampleRate) return true
    this.#sampledOut += 1
    return false
  }

  /** Records one decision: always when denied, at the sample rate when allowed. */
  record(event: DecisionEvent): void {
    // Anything not strictly allowed is treated as a denial, and so always recorded.
    let wanted: boolean
    try {
      wanted = this.wants(event.allowed === true)
    } catch {
      this.#dropped += 1
      return
    }
    if (wanted) this.recordSampled(event)
  }

  /** Records a decision `wants` already accepted. */
  recordSampled(event: DecisionEvent): void {
    try {
      if (this.#closing !== undefined || this.#buffer.length >= this.#bufferSize) {
        this.#dropped += 1
        return
      }
      this.#buffer.push(`${JSON.stringify(redact(event))}\n`)
      this.#recorded += 1
      this.#schedule()
    } catch {
      // A getter that throws, a BigInt, an injected random that throws: the request goes on.
      this.#dropped += 1
    }
  }

  stats(): DecisionLogStats {
    return { recorded: this.#recorded, sampledOut: this.#sampledOut, dropped: this.#dropped, written: this.#written }
  }

  /** Writes out everything recorded so far and closes the sink; later events are dropped. */
  close(): Promise<void> {
    this.#closing ??= (async () => {
      while (this.#buffer.length > 0 || this.#flushing !== undefined) await this.#drain()
      await this.#sink.close()
    })()
    return this.#closing
  }

  #schedule(): void {
    if (this.#scheduled || this.#flushing !== undefined) return
    this.#scheduled = true
    setImmediate(() => {
      this.#scheduled = false
      void this.#drain()
    })
  }

  /** One writer at a time, so lines reach the sink in the order they were recorded. */
  #drain(): Promise<void> {
    this.#flushing ??= this.#writeAll().finally(() => {
      this.#flushing = undefined
      if (this.#buffer.length > 0 && this.#closing === undefined) this.#schedule()
    })
    return this.#flushing
  }

  async #writeAll(): Promise<void> {
    while (this.#buffer.length > 0) {
      const batch = this.#buffer
      this.#buffer = []
      try {
        await this.#sink.write(batch)
        this.#written += batch.length
      } catch {
        this.#dropped += batch.length
      }
    }
  }
}

function invalid(key: string, message: string): PermgateError {
  return new PermgateError('PERMGATE_ERR_CONFIG_INVALID', `${key} ${message}`, { path: `decisionLog.${key}` })
}
