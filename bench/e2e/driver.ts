/**
 * Load driver, one process per run: receives a DriverJob over IPC, runs autocannon against
 * it, answers with a DriverResult and exits. Started by run.ts (pinned beside the upstream).
 */
import autocannon from 'autocannon'
import { busyShare, coreTimes } from './core-load.js'
import { LatencyHistogram } from './latency.js'
import type { DriverFailure, DriverJob, DriverResult } from './protocol.js'
import { prepare } from './request-sets.js'

/** Seconds before a request counts as a timeout. */
const REQUEST_TIMEOUT_S = 10
/** Longest run allowed for an `amount` job before the driver gives up. */
const MAX_AMOUNT_RUN_MS = 600_000 // 10 min
/** Wrong answers quoted in the result. */
const WRONG_SAMPLES = 5

function run(job: DriverJob): Promise<DriverResult> {
  const latency = new LatencyHistogram()
  let allowed = 0
  let denied = 0
  let wrong = 0
  const wrongSamples: string[] = []
  const prepared = prepare(job.set, (status, expected) => {
    if (status !== expected) {
      wrong += 1
      if (wrongSamples.length < WRONG_SAMPLES) wrongSamples.push(`${expected} -> ${status}`)
    } else if (status === 403) denied += 1
    else allowed += 1
  })
  let cores = coreTimes()
  let cpu = process.cpuUsage()
  let started = process.hrtime.bigint()
  return new Promise((resolve, reject) => {
    const instance = autocannon(
      {
        url: job.url,
        connections: job.connections,
        timeout: REQUEST_TIMEOUT_S,
        requests: prepared.requests,
        skipAggregateResult: true,
        ...('amount' in job.length ? { amount: job.length.amount } : { duration: job.length.durationS }),
      },
      (err, result) => {
        if (err) return reject(err)
        const wallUs = Number(process.hrtime.bigint() - started) / 1000
        const used = process.cpuUsage(cpu)
        const after = coreTimes()
        const statuses: Record<string, number> = {}
        for (const [code, { count }] of Object.entries(result.statusCodeStats)) statuses[code] = count
        const finite = (x: number): number | null => (Number.isFinite(x) ? x : null)
        resolve({
          type: 'result',
          completed: result.totalCompletedRequests,
          durationS: result.duration,
          rps: result.totalCompletedRequests / result.duration,
          p50Ms: finite(latency.quantileMs(0.5)),
          p99Ms: finite(latency.quantileMs(0.99)),
          statuses,
          allowed,
          denied,
          wrong,
          wrongSamples,
          errors: result.errors,
          timeouts: result.timeouts,
          taken: prepared.taken(),
          coreBusy: after.busyUs.map((_, core) => busyShare(cores, after, core, wallUs)),
          driverCpuPerRequestUs: (used.user + used.system) / Math.max(1, result.totalCompletedRequests),
        })
      },
    )
    instance.on('response', (_client: unknown, _status: number, _bytes: number, ms: number) => latency.record(ms))
    // the load starts here: core and CPU readings are taken from this moment
    instance.once('start', () => {
      cores = coreTimes()
      cpu = process.cpuUsage()
      started = process.hrtime.bigint()
    })
  })
}

// The orchestrator gone (its IPC channel closed): stop at once.
process.on('disconnect', () => process.exit(1))
process.once('message', (job: DriverJob) => {
  const limitMs = 'amount' in job.length ? MAX_AMOUNT_RUN_MS : job.length.durationS * 1000 + REQUEST_TIMEOUT_S * 1000 * 3
  setTimeout(() => {
    process.send?.({ type: 'error', message: `the run did not finish within ${limitMs} ms` } satisfies DriverFailure)
    process.exit(1)
  }, limitMs).unref()
  run(job).then(
    (result) => process.send?.(result, () => process.exit(0)),
    (e: Error) => process.send?.({ type: 'error', message: e.stack ?? e.message } satisfies DriverFailure, () => process.exit(1)),
  )
})
