import type { RequestSet } from './request-sets.js'

/** IPC messages between the orchestrator (run.ts) and its child processes. */

/** A server child is listening. */
export interface ReadyMessage {
  readonly type: 'ready'
  readonly port: number
}

/** The orchestrator asks a server child for its resource usage. */
export interface UsageRequest {
  readonly type: 'usage'
  readonly id: number
  /** Collect garbage first (only when the child runs with --expose-gc). */
  readonly gc: boolean
}

/** The orchestrator starts or stops a CPU profile of a server child (--cpu-prof). */
export interface ProfileRequest {
  readonly type: 'profile'
  readonly id: number
  readonly action: 'start' | 'stop'
  /** Where `stop` writes the .cpuprofile. */
  readonly file: string | undefined
}

export interface ProfileReply {
  readonly type: 'profiled'
  readonly id: number
  readonly error: string | undefined
}

export interface CacheCounts {
  readonly hits: number
  readonly misses: number
  readonly evictions: number
  readonly size: number
}

export interface UsageMessage {
  readonly type: 'usage'
  readonly id: number
  /** process.cpuUsage(), µs. */
  readonly cpu: { readonly user: number; readonly system: number }
  /** process.memoryUsage(), bytes. */
  readonly memory: { readonly rss: number; readonly heapUsed: number; readonly heapTotal: number; readonly external: number }
  /** Requests the server has received since it started. */
  readonly requests: number
  /** permgate's verified-token and parsed-document caches, where the process has them. */
  readonly caches: { readonly tokens: CacheCounts | undefined; readonly documents: CacheCounts | undefined }
  readonly gcRan: boolean
}

export type RunLength = { readonly durationS: number } | { readonly amount: number }

/** One autocannon run. */
export interface DriverJob {
  readonly url: string
  readonly set: RequestSet
  readonly connections: number
  /** Run for `durationS` seconds, or until `amount` requests are answered. */
  readonly length: RunLength
}

export interface DriverResult {
  readonly type: 'result'
  /** Responses received. */
  readonly completed: number
  readonly durationS: number
  readonly rps: number
  /** Over every response, allowed and denied alike; null when beyond the histogram's range. */
  readonly p50Ms: number | null
  readonly p99Ms: number | null
  /** Responses by status. */
  readonly statuses: Record<string, number>
  /** Answered with the status expected: 200 for allowed requests, 403 for denied ones. */
  readonly allowed: number
  readonly denied: number
  /** Answered with another status than expected: an error in the run. */
  readonly wrong: number
  /** The first few wrong answers, as `expected -> got`. */
  readonly wrongSamples: readonly string[]
  /** Connection errors and timeouts, as autocannon counts them. */
  readonly errors: number
  readonly timeouts: number
  /** Requests set up (realistic and fresh sets): the next run of the set starts after them. */
  readonly taken: number
  /** Share of the run's wall time each core was busy (all processes and the kernel); empty off Linux. */
  readonly coreBusy: readonly number[]
  /** This driver's own CPU time per response, µs: what load generation costs on its core. */
  readonly driverCpuPerRequestUs: number
}

export interface DriverFailure {
  readonly type: 'error'
  readonly message: string
}
