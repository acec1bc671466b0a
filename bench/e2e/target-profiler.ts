import { writeFileSync } from 'node:fs'
import { Session } from 'node:inspector'

/** Sampling interval of the CPU profiler, µs (V8's default): shorter ones slow the process more. */
export const PROFILE_INTERVAL_US = 1_000

/**
 * A CPU profile of this process over a window the orchestrator chooses (after the warm-up, to
 * the end of the rounds), so start-up and module loading stay out of it. The file is a
 * .cpuprofile, as `node --cpu-prof` writes.
 */
export class WindowProfiler {
  readonly #session = new Session()
  #running = false

  async start(): Promise<void> {
    if (this.#running) return
    this.#session.connect()
    await this.#post('Profiler.enable')
    await this.#post('Profiler.setSamplingInterval', { interval: PROFILE_INTERVAL_US })
    await this.#post('Profiler.start')
    this.#running = true
  }

  async stop(file: string): Promise<void> {
    if (!this.#running) throw new Error('the profiler was not started')
    const { profile } = (await this.#post('Profiler.stop')) as { profile: unknown }
    this.#running = false
    this.#session.disconnect()
    writeFileSync(file, JSON.stringify(profile))
  }

  #post(method: string, params?: object): Promise<unknown> {
    return new Promise((resolve, reject) => this.#session.post(method, params, (err, result) => (err ? reject(err) : resolve(result))))
  }
}
