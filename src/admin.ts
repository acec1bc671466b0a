import { connect } from 'node:net'
import Fastify, { type FastifyInstance } from 'fastify'
import type { ServeConfig } from './config/schema.js'
import type { AppDeps } from './app.js'
import type { Metrics } from './telemetry/metrics.js'
import { registerExplorer } from './explorer/routes.js'

/** How long /readyz waits for a TCP connection to the upstream. @default 1000 ms */
export const DEFAULT_READY_TIMEOUT_MS = 1000

/**
 * The admin server, on its own port so probes and scrapes never share the proxied listener:
 * `/metrics` (Prometheus text), `/healthz` (the process is alive), `/readyz` (policy and bindings
 * loaded, upstream reachable).
 */
export function buildAdminApp(config: ServeConfig, deps: AppDeps, metrics: Metrics): FastifyInstance {
  const app = Fastify({ logger: false })
  app.get('/metrics', async (_req, reply) => {
    reply.header('content-type', metrics.registry.contentType)
    return metrics.registry.metrics()
  })
  app.get('/healthz', async () => ({ status: 'ok' }))
  app.get('/readyz', async (_req, reply) => {
    const a = deps.authorizer()
    const upstream = await reachable(config.upstream.origin, DEFAULT_READY_TIMEOUT_MS)
    const ready = upstream
    return reply.code(ready ? 200 : 503).send({
      status: ready ? 'ready' : 'not ready',
      policy: { name: a.policy.name, revision: a.policy.revision },
      bindings: { version: a.store.version },
      upstream: upstream ? 'reachable' : 'unreachable',
    })
  })
  // the policy explorer (/explorer): absent unless enabled
  if (config.explorer) registerExplorer(app, config, deps, metrics)
  return app
}

function reachable(origin: string, timeoutMs: number): Promise<boolean> {
  const u = new URL(origin)
  const port = Number(u.port || (u.protocol === 'https:' ? 443 : 80))
  return new Promise((resolve) => {
    const socket = connect({ host: u.hostname, port, timeout: timeoutMs })
    const done = (ok: boolean): void => {
      socket.destroy()
      resolve(ok)
    }
    socket.once('connect', () => done(true))
    socket.once('timeout', () => done(false))
    socket.once('error', () => done(false))
  })
}
