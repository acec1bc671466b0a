/**
 * Hot reloads during the soak: the bindings file is rewritten every few seconds, in turn with
 * the same content and with u-flip's binding added or removed, written in place or replaced by
 * a rename. Each rewrite must be picked up (permgate_policy_reloads_total{result="success"}
 * goes up) and, once it is, u-flip must get the answer the new file gives: 200 while bound,
 * 403 while not. A rewrite not applied within RELOAD_APPLY_TIMEOUT_MS or a wrong probe answer
 * is an error of the run.
 */
import { signToken } from '../e2e/tokens.js'
import { GRAPHQL_PATH } from '../e2e/request-sets.js'
import { FLIP_SUBJECT, FLIP_WORKSPACE, type SoakFixture, type WriteMode } from './fixture.js'

/** Longest wait for a rewrite to be reloaded: a poll (500 ms), a 10,000-subject compile, and a loaded machine. */
export const RELOAD_APPLY_TIMEOUT_MS = 15_000
const METRICS_POLL_MS = 100

export interface ReloadSummary {
  readonly rewrites: number
  readonly changed: number
  readonly applied: number
  /** permgate's own counts over the run. */
  readonly successes: number
  readonly failures: number
  /** Rewrite to reload seen in /metrics, ms. */
  readonly medianApplyMs: number | null
  readonly maxApplyMs: number | null
  readonly probesOk: number
  /** Problems, each an error of the run. */
  readonly errors: readonly string[]
}

/** One value of permgate's /metrics text; 0 when the series is absent. */
export function seriesValue(text: string, series: string): number {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `))
  return line === undefined ? 0 : Number(line.slice(series.length + 1))
}

export async function scrape(adminPort: number): Promise<string> {
  const r = await fetch(`http://127.0.0.1:${adminPort}/metrics`, { signal: AbortSignal.timeout(RELOAD_APPLY_TIMEOUT_MS) })
  return r.text()
}

const SUCCESS = 'permgate_policy_reloads_total{result="success"}'
const ERROR = 'permgate_policy_reloads_total{result="error"}'
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms))

export class Reloader {
  readonly #fixture: SoakFixture
  readonly #adminPort: number
  readonly #graphql: string
  readonly #flipToken: string
  #bound = true
  #rewrites = 0
  #changed = 0
  #applied = 0
  #probesOk = 0
  readonly #applyMs: number[] = []
  readonly #errors: string[] = []
  #stopping = false
  #loop: Promise<void> | undefined
  #baseline: { successes: number; failures: number } | undefined

  constructor(fixture: SoakFixture, adminPort: number, proxyPort: number, expSec: number) {
    this.#fixture = fixture
    this.#adminPort = adminPort
    this.#graphql = `http://127.0.0.1:${proxyPort}${GRAPHQL_PATH}`
    this.#flipToken = signToken(fixture.secret, FLIP_SUBJECT, expSec)
  }

  /**
   * A rewrite every `everyS` seconds until stop(); none starts after `lastAt` (epoch ms), so
   * the last samples of the run show no reload's transient memory.
   */
  async start(everyS: number, lastAt: number): Promise<void> {
    const text = await scrape(this.#adminPort)
    this.#baseline = { successes: seriesValue(text, SUCCESS), failures: seriesValue(text, ERROR) }
    this.#loop = (async () => {
      while (!this.#stopping) {
        await sleep(everyS * 1000)
        if (this.#stopping || Date.now() > lastAt) break
        await this.#step().catch((e: Error) => void this.#errors.push(`reload ${this.#rewrites}: ${e.message}`))
      }
    })()
  }

  /** Waits for the rewrite in progress, then reports, with permgate's own reload counts. */
  async stop(): Promise<ReloadSummary> {
    this.#stopping = true
    await this.#loop
    const text = await scrape(this.#adminPort)
    const successes = seriesValue(text, SUCCESS) - (this.#baseline?.successes ?? 0)
    const failures = seriesValue(text, ERROR) - (this.#baseline?.failures ?? 0)
    if (failures > 0) this.#errors.push(`${failures} reload(s) failed in permgate (every rewrite was a valid file)`)
    const sorted = [...this.#applyMs].sort((a, b) => a - b)
    return {
      rewrites: this.#rewrites,
      changed: this.#changed,
      applied: this.#applied,
      successes,
      failures,
      medianApplyMs: sorted.length === 0 ? null : (sorted[sorted.length >> 1] as number),
      maxApplyMs: sorted.length === 0 ? null : (sorted[sorted.length - 1] as number),
      probesOk: this.#probesOk,
      errors: this.#errors,
    }
  }

  async #step(): Promise<void> {
    const k = this.#rewrites++
    const change = k % 2 === 1
    const mode: WriteMode = Math.floor(k / 2) % 2 === 0 ? 'rename' : 'in place'
    if (change) {
      this.#bound = !this.#bound
      this.#changed += 1
    }
    const before = seriesValue(await scrape(this.#adminPort), SUCCESS)
    const started = performance.now()
    this.#fixture.writeBindings(this.#bound, mode)
    const what = `${change ? `u-flip ${this.#bound ? 'bound' : 'unbound'}` : 'same content'}, ${mode}`
    for (;;) {
      if (seriesValue(await scrape(this.#adminPort), SUCCESS) > before) break
      if (performance.now() - started > RELOAD_APPLY_TIMEOUT_MS) throw new Error(`${what}: not reloaded within ${RELOAD_APPLY_TIMEOUT_MS} ms`)
      await sleep(METRICS_POLL_MS)
    }
    this.#applyMs.push(performance.now() - started)
    this.#applied += 1
    const body = JSON.stringify({ query: `{ workspaceDeployments(workspaceUuid: "${FLIP_WORKSPACE}") }` })
    const r = await fetch(this.#graphql, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${this.#flipToken}` },
      body,
      signal: AbortSignal.timeout(RELOAD_APPLY_TIMEOUT_MS),
    })
    await r.arrayBuffer()
    const expected = this.#bound ? 200 : 403
    if (r.status === expected) this.#probesOk += 1
    else throw new Error(`${what}: u-flip answered ${r.status} after the reload, expected ${expected}`)
  }
}
