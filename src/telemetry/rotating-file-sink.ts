import { createWriteStream, existsSync, type WriteStream } from 'node:fs'
import { readdir, rename, stat, unlink } from 'node:fs/promises'
import { once } from 'node:events'
import { basename, dirname, join } from 'node:path'
import { DEFAULT_RETENTION_DAYS, DEFAULT_ROTATE_BYTES } from '../config/keys.js'
import { PermgateError } from '../errors.js'
import type { LogSink } from './log-sink.js'

const DAY_MS = 24 * 60 * 60 * 1000

export interface FileSinkOptions {
  /** The file written to; rotated files sit beside it as `<file>.<ISO timestamp>`. */
  readonly file: string
  /**
   * Size in bytes at which the file is rotated. A file only goes past it when a single line
   * is longer.
   * @default DEFAULT_ROTATE_BYTES (64 MiB)
   */
  readonly rotateBytes?: number
  /**
   * Rotated files older than this many days (by the timestamp in their name) are deleted,
   * at start and at each rotation.
   * @default DEFAULT_RETENTION_DAYS (7)
   */
  readonly retentionDays?: number
}

/** `2025-01-02T03:04:05.678Z` as `2025-01-02T03-04-05.678Z`: no `:` in file names. */
export function rotationStamp(ms: number): string {
  return new Date(ms).toISOString().replace(/:/g, '-')
}

/** The epoch milliseconds in a name made by {@link rotationStamp}, or undefined. */
export function parseRotationStamp(stamp: string): number | undefined {
  const m = /^(\d{4}-\d{2}-\d{2}T\d{2})-(\d{2})-(\d{2}\.\d{3}Z)$/.exec(stamp)
  if (!m) return undefined
  const ms = Date.parse(`${m[1]}:${m[2]}:${m[3]}`)
  return Number.isNaN(ms) ? undefined : ms
}

/** JSON lines appended to a file, rotated by size, rotated files deleted by age. */
export class RotatingFileSink implements LogSink {
  readonly #file: string
  readonly #rotateBytes: number
  readonly #retentionMs: number
  readonly #now: () => number
  readonly #ready: Promise<void>
  #stream: WriteStream | undefined
  #size = 0
  #lastStampMs = Number.NEGATIVE_INFINITY

  constructor(options: FileSinkOptions, now: () => number = Date.now) {
    const rotateBytes = options.rotateBytes ?? DEFAULT_ROTATE_BYTES
    const retentionDays = options.retentionDays ?? DEFAULT_RETENTION_DAYS
    if (!Number.isSafeInteger(rotateBytes) || rotateBytes <= 0) {
      throw invalid('rotateBytes', `must be a positive whole number of bytes, got ${rotateBytes}`)
    }
    if (!Number.isFinite(retentionDays) || retentionDays <= 0) {
      throw invalid('retentionDays', `must be a positive number of days, got ${retentionDays}`)
    }
    this.#file = options.file
    this.#rotateBytes = rotateBytes
    this.#retentionMs = retentionDays * DAY_MS
    this.#now = now
    // A failure here is retried by the first write, which reports it.
    this.#ready = this.prune().then(() => this.#open()).then(() => undefined, () => undefined)
  }

  async write(lines: readonly string[]): Promise<void> {
    await this.#ready
    let chunk = ''
    let chunkBytes = 0
    for (const line of lines) {
      const bytes = Buffer.byteLength(line)
      if (this.#size + chunkBytes > 0 && this.#size + chunkBytes + bytes > this.#rotateBytes) {
        await this.#append(chunk, chunkBytes)
        chunk = ''
        chunkBytes = 0
        await this.#rotate()
      }
      chunk += line
      chunkBytes += bytes
    }
    await this.#append(chunk, chunkBytes)
  }

  async close(): Promise<void> {
    await this.#ready
    const stream = this.#stream
    this.#stream = undefined
    if (stream) await closeStream(stream)
  }

  /** Deletes rotated files past retention; returns their paths. */
  async prune(): Promise<string[]> {
    const dir = dirname(this.#file)
    const prefix = `${basename(this.#file)}.`
    const cutoff = this.#now() - this.#retentionMs
    const deleted: string[] = []
    for (const name of await readdir(dir)) {
      if (!name.startsWith(prefix)) continue
      const ms = parseRotationStamp(name.slice(prefix.length))
      if (ms === undefined || ms >= cutoff) continue
      const path = join(dir, name)
      try {
        await unlink(path)
        deleted.push(path)
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e
      }
    }
    return deleted
  }

  async #append(chunk: string, bytes: number): Promise<void> {
    if (bytes === 0) return
    const stream = this.#stream ?? (await this.#open())
    await new Promise<void>((resolve, reject) => {
      stream.write(chunk, (err) => (err ? reject(err) : resolve()))
    })
    this.#size += bytes
  }

  async #open(): Promise<WriteStream> {
    const size = await stat(this.#file).then((s) => s.size, () => 0)
    const stream = createWriteStream(this.#file, { flags: 'a' })
    // After an error the stream is unusable; the next write opens a new one.
    stream.on('error', () => {
      if (this.#stream === stream) this.#stream = undefined
    })
    await once(stream, 'open')
    this.#size = size
    this.#stream = stream
    return stream
  }

  async #rotate(): Promise<void> {
    const stream = this.#stream
    this.#stream = undefined
    if (stream) await closeStream(stream)
    // Two rotations in one millisecond (or a clock set back) must not overwrite a file.
    let ms = Math.max(this.#now(), this.#lastStampMs + 1)
    while (existsSync(`${this.#file}.${rotationStamp(ms)}`)) ms += 1
    this.#lastStampMs = ms
    await rename(this.#file, `${this.#file}.${rotationStamp(ms)}`)
    this.#size = 0
    await this.#open()
    // Retention failing (a file another process removed, a permission) must not lose log lines.
    await this.prune().catch(() => undefined)
  }
}

async function closeStream(stream: WriteStream): Promise<void> {
  if (stream.closed || stream.destroyed) return
  const closed = once(stream, 'close')
  stream.end()
  await closed.catch(() => undefined)
}

function invalid(key: string, message: string): PermgateError {
  return new PermgateError('PERMGATE_ERR_CONFIG_INVALID', `${key} ${message}`, { path: `decisionLog.sink.${key}` })
}
