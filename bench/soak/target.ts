/**
 * permgate under soak, started as `permgate serve` starts it (proxy, admin server with
 * /metrics, hot reload of the watched files), answering the orchestrator's usage requests
 * over IPC. Usage: node target.js <fixture dir> <upstream GraphQL URL>
 */
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { loadServeConfig } from '../../src/config/load.js'
import { startServer } from '../../src/serve.js'
import { repoRoot } from '../micro/root.js'
import { failStart, portOf, serveUsage } from '../e2e/target-ipc.js'
import { JWT_ALGORITHM, SUBJECT_CLAIM } from '../e2e/tokens.js'
import { SOAK_FILES } from './fixture.js'

/** How often the bindings file is checked for a change (permgate's default is 1 s). */
export const SOAK_RELOAD_POLL_MS = 500
/** The decision log is rotated past this size, so a long soak rotates it several times. */
const DECISION_LOG_ROTATE_BYTES = 16 * 1024 * 1024

async function main(): Promise<void> {
  const [dir, upstream] = process.argv.slice(2)
  if (dir === undefined || upstream === undefined) throw new Error('usage: target.js <fixture dir> <upstream GraphQL URL>')
  const config = loadServeConfig([
    '--policy', join(repoRoot(), 'policies', 'houston'),
    '--bindings', join(dir, SOAK_FILES.bindings),
    '--upstream', upstream,
    '--host', '127.0.0.1', '--port', '0', '--admin-port', '0',
    '--jwt-secret-file', join(dir, SOAK_FILES.secret),
    '--jwt-algorithms', JWT_ALGORITHM,
    '--jwt-subject-claim', SUBJECT_CLAIM,
    // the decision log on, as in production: every denial, 1% of allowed decisions
    '--decision-log', join(dir, SOAK_FILES.decisionLog),
    '--decision-log-rotate-bytes', String(DECISION_LOG_ROTATE_BYTES),
    '--reload-poll-ms', String(SOAK_RELOAD_POLL_MS),
    // fatal: a client hanging up mid-request is logged at error level, and the driver hangs
    // up on every request in flight when it stops; the soak judges answers, not log lines
    '--log-level', 'fatal',
  ])
  const server = await startServer(config)
  const ipc = serveUsage(server.app.server)
  writeFileSync(join(dir, SOAK_FILES.adminPort), new URL(server.adminUrl).port)
  ipc.ready(portOf(server.app.server))
}

main().catch(failStart)
