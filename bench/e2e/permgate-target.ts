/**
 * permgate under test, started as a fastify app from the build the way `permgate serve`
 * starts it. Usage: node permgate-target.js <mode> <fixture dir> <upstream GraphQL URL>
 *   houston  the Houston policy, the world's bindings, HS256 JWTs (claim `uuid`)
 *   routing  every field the traffic uses public, no identity configured
 */
import { join } from 'node:path'
import { buildApp } from '../../src/app.js'
import { loadServeConfig } from '../../src/config/load.js'
import { prepare } from '../../src/serve.js'
import { repoRoot } from '../micro/root.js'
import { FILES } from './fixture.js'
import type { CacheCounts } from './protocol.js'
import { failStart, portOf, serveUsage } from './target-ipc.js'
import { JWT_ALGORITHM, SUBJECT_CLAIM } from './tokens.js'

export type PermgateMode = 'houston' | 'routing'

function serveArgs(mode: PermgateMode, dir: string, upstream: string): string[] {
  // The decision log stays on, as in production (every denial, 1% of allowed decisions), written
  // to a file in the run's temporary directory rather than over the benchmark's output.
  const common = [
    '--upstream', upstream, '--port', '0', '--host', '127.0.0.1', '--log-level', 'silent',
    '--admin-port', '0', '--decision-log', join(dir, `decisions-${mode}-${process.pid}.log`),
  ]
  if (mode === 'routing') return ['--policy', join(dir, FILES.publicPolicy), '--bindings', join(dir, FILES.emptyBindings), ...common]
  return [
    '--policy', join(repoRoot(), 'policies', 'houston'),
    '--bindings', join(dir, FILES.bindings),
    '--jwt-secret-file', join(dir, FILES.secret),
    '--jwt-algorithms', JWT_ALGORITHM,
    '--jwt-subject-claim', SUBJECT_CLAIM,
    ...common,
  ]
}

/** Cache counters, read defensively: the bench must not break when their shape changes. */
function counts(source: unknown): (() => CacheCounts) | undefined {
  const stats = (source as { stats?: unknown } | undefined)?.stats
  if (typeof stats !== 'function') return undefined
  return () => {
    const s = (stats as () => Partial<CacheCounts>).call(source)
    return { hits: s.hits ?? 0, misses: s.misses ?? 0, evictions: s.evictions ?? 0, size: s.size ?? 0 }
  }
}

async function main(): Promise<void> {
  const [mode, dir, upstream] = process.argv.slice(2)
  if ((mode !== 'houston' && mode !== 'routing') || dir === undefined || upstream === undefined) {
    throw new Error('usage: permgate-target.js houston|routing <fixture dir> <upstream GraphQL URL>')
  }
  const config = loadServeConfig(serveArgs(mode, dir, upstream))
  const deps = await prepare(config)
  const app = buildApp(config, deps)
  const ipc = serveUsage(app.server, { tokens: counts(deps.identity), documents: counts(deps.documents) })
  await app.listen({ host: '127.0.0.1', port: 0 })
  ipc.ready(portOf(app.server))
}

main().catch(failStart)
