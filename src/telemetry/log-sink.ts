import type { Writable } from 'node:stream'

/** Where the decision log's JSON lines go. One `write` at a time; each line ends in `\n`. */
export interface LogSink {
  write(lines: readonly string[]): Promise<void>
  close(): Promise<void>
}

/** Lines to a stream that outlives the log, such as `process.stdout`: closing never ends it. */
export class StreamSink implements LogSink {
  readonly #stream: Writable

  constructor(stream: Writable) {
    this.#stream = stream
  }

  write(lines: readonly string[]): Promise<void> {
    return new Promise((resolve, reject) => {
      // The callback fires once the stream has taken the chunk, so the next batch waits for a
      // slow consumer instead of piling up in the stream's own unbounded buffer.
      this.#stream.write(lines.join(''), (err) => (err ? reject(err) : resolve()))
    })
  }

  close(): Promise<void> {
    return Promise.resolve()
  }
}
