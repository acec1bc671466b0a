/**
 * The soak's load, one process: receives a SoakJob over IPC, runs autocannon with the mix for
 * the whole run, tallies every answer against the status intended for its request, reports an
 * interval's figures as it ends, and the totals at the end. Started by run.ts.
 */
import autocannon, { type RawRequest } from 'autocannon'
import { LATENCY_RANGE_US, LatencyHistogram } from '../e2e/latency.js'
import { Mix, requestClasses } from './mix.js'
import { TRANSPORT, type Progress, type SoakJob, type SoakResult, type Tally } from './protocol.js'

/** Seconds before a request counts as timed out: an error of the run. */
const REQUEST_TIMEOUT_S = 10
const WRONG_SAMPLES = 10

function run(job: SoakJob): Promise<SoakResult> {
  const mix = new Mix(requestClasses({ secret: job.secret, expSec: job.expSec, apiKey: job.apiKey }), job.seed)
  const tally: Tally = {}
  const wrongSamples: string[] = []
  const count = (cls: string, outcome: string): void => {
    const row = (tally[cls] ??= {})
    row[outcome] = (row[outcome] ?? 0) + 1
  }
  const overall = new LatencyHistogram()
  let interval = new LatencyHistogram()
  let responses = 0
  let intervalResponses = 0
  let intervalErrors = 0
  const started = Date.now()

  const setupRequest = (req: RawRequest, context: Record<string, unknown>): RawRequest => {
    const [i, r] = mix.next()
    context.cls = i
    req.method = r.method
    req.path = r.path
    req.headers = r.headers
    req.body = r.body
    return req
  }
  const onResponse = (status: number, body: string, context: Record<string, unknown>): void => {
    const c = mix.classes[context.cls as number]
    if (c === undefined) return
    let outcome = String(status)
    if (status === c.expect && c.reason !== undefined && !body.includes(c.reason)) outcome = `${status} without ${c.reason}`
    count(c.name, outcome)
    if (outcome !== String(c.expect) && wrongSamples.length < WRONG_SAMPLES) wrongSamples.push(`${c.name}: ${c.expect} -> ${outcome}: ${body.slice(0, 160)}`)
  }

  return new Promise((resolve, reject) => {
    const report = setInterval(() => {
      const msg: Progress = {
        type: 'progress',
        elapsedS: (Date.now() - started) / 1000,
        responses: intervalResponses,
        errors: intervalErrors,
        p50Ms: finite(interval.quantileMs(0.5)),
        p99Ms: finite(interval.quantileMs(0.99)),
        tally,
      }
      process.send?.(msg)
      intervalResponses = 0
      intervalErrors = 0
      interval = new LatencyHistogram()
    }, job.intervalS * 1000)
    const instance = autocannon(
      {
        url: job.url,
        connections: job.connections,
        duration: job.totalS,
        timeout: REQUEST_TIMEOUT_S,
        requests: [{ method: 'POST', path: '/', setupRequest, onResponse }],
        skipAggregateResult: true,
      },
      (err, result) => {
        clearInterval(report)
        if (err) return reject(err)
        resolve({ type: 'result', durationS: result.duration, responses, tally, wrongSamples, p50Ms: finite(overall.quantileMs(0.5)), p99Ms: finite(overall.quantileMs(0.99)) })
      },
    )
    instance.on('response', (_client: unknown, _status: number, _bytes: number, ms: number) => {
      overall.record(ms)
      interval.record(ms)
      responses += 1
      intervalResponses += 1
    })
    instance.on('reqError', (e: Error) => {
      count(TRANSPORT, e.message)
      intervalErrors += 1
      if (wrongSamples.length < WRONG_SAMPLES) wrongSamples.push(`${TRANSPORT}: ${e.message}`)
    })
  })
}

/** A latency for JSON: null with no answers; beyond the histogram's range (1 s), the range itself. */
const finite = (x: number): number | null => (Number.isNaN(x) ? null : Math.min(x, LATENCY_RANGE_US / 1000))

process.on('disconnect', () => process.exit(1))
process.once('message', (job: SoakJob) => {
  run(job).then(
    (result) => process.send?.(result, () => process.exit(0)),
    (e: Error) => process.send?.({ type: 'error', message: e.stack ?? e.message }, () => process.exit(1)),
  )
})
