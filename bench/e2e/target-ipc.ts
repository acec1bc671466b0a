import type { Server } from 'node:http'
import type { CacheCounts, ProfileReply, ProfileRequest, ReadyMessage, UsageMessage, UsageRequest } from './protocol.js'
import { WindowProfiler } from './target-profiler.js'

export interface CacheSources {
  readonly tokens?: (() => CacheCounts) | undefined
  readonly documents?: (() => CacheCounts) | undefined
}

/**
 * The server side of the orchestrator's channel, shared by the upstream, the plain proxy and
 * permgate: counts requests, answers `usage` with CPU time, memory and cache counts, starts
 * and stops CPU profiles, reports the port once listening, and exits when the orchestrator
 * goes away.
 */
export function serveUsage(server: Server, caches: CacheSources = {}): { ready(port: number): void } {
  let requests = 0
  server.on('request', () => {
    requests += 1
  })
  const profiler = new WindowProfiler()
  process.on('message', (msg: UsageRequest | ProfileRequest) => {
    if (msg?.type === 'profile') return void answerProfile(profiler, msg)
    if (msg?.type !== 'usage') return
    const gc = (globalThis as { gc?: () => void }).gc
    if (msg.gc && gc !== undefined) gc()
    const m = process.memoryUsage()
    const reply: UsageMessage = {
      type: 'usage',
      id: msg.id,
      cpu: process.cpuUsage(),
      memory: { rss: m.rss, heapUsed: m.heapUsed, heapTotal: m.heapTotal, external: m.external },
      requests,
      caches: { tokens: caches.tokens?.(), documents: caches.documents?.() },
      gcRan: msg.gc && gc !== undefined,
    }
    process.send?.(reply)
  })
  process.on('disconnect', () => process.exit(0))
  return { ready: (port) => process.send?.({ type: 'ready', port } satisfies ReadyMessage) }
}

async function answerProfile(profiler: WindowProfiler, msg: ProfileRequest): Promise<void> {
  let error: string | undefined
  try {
    if (msg.action === 'start') await profiler.start()
    else await profiler.stop(msg.file ?? 'target.cpuprofile')
  } catch (e) {
    error = (e as Error).message
  }
  process.send?.({ type: 'profiled', id: msg.id, error } satisfies ProfileReply)
}

/** The port a server listens on. */
export function portOf(server: Server): number {
  const a = server.address()
  if (a === null || typeof a === 'string') throw new Error('the server is not listening on a TCP port')
  return a.port
}

/** Reports a failure to start to the orchestrator, then exits. */
export function failStart(e: unknown): void {
  const message = e instanceof Error ? (e.stack ?? e.message) : String(e)
  if (process.send) process.send({ type: 'error', message }, () => process.exit(1))
  else {
    console.error(message)
    process.exit(1)
  }
}
