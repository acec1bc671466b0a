/**
 * nginx under test, behind this small Node process that speaks the orchestrator's protocol:
 * it writes the configuration, starts nginx pinned to the proxy core, answers `usage` with
 * nginx's CPU time (from /proc, this process's own is not counted) and stops nginx when the
 * orchestrator goes away. nginx counts no requests: the orchestrator takes the upstream's count.
 * Usage: node nginx-target.js <nginx binary> <upstream port>
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { createConnection, createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { nginxConfig } from './nginx-config.js'
import { pinning, PROXY_CORE } from './processes.js'
import type { ReadyMessage, UsageMessage, UsageRequest } from './protocol.js'
import { failStart } from './target-ipc.js'

/** How long nginx has to accept connections. */
const START_TIMEOUT_MS = 10_000 // 10 s
const POLL_MS = 50
/** /proc/<pid>/stat counts in clock ticks of 1/100 s (USER_HZ): the fallback where schedstat is missing. */
const US_PER_TICK = 10_000

/** CPU time of every thread of a process, µs: /proc schedstat (ns) where it exists, else stat (ticks). */
function cpuUs(pid: number): number {
  let total = 0
  for (const tid of readdirSync(`/proc/${pid}/task`)) {
    try {
      total += Number(readFileSync(`/proc/${pid}/task/${tid}/schedstat`, 'utf8').split(' ')[0]) / 1000
    } catch {
      // the fields after the parenthesised name: utime and stime are the 12th and 13th
      const f = readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? []
      total += (Number(f[11]) + Number(f[12])) * US_PER_TICK
    }
  }
  return total
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer()
    s.once('error', reject)
    s.listen(0, '127.0.0.1', () => {
      const a = s.address()
      s.close(() => (a !== null && typeof a !== 'string' ? resolve(a.port) : reject(new Error('no port'))))
    })
  })
}

function accepting(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const c = createConnection({ host: '127.0.0.1', port })
    c.once('connect', () => (c.destroy(), resolve(true)))
    c.once('error', () => resolve(false))
  })
}

async function waitListening(nginx: ChildProcess, port: number, dir: string): Promise<void> {
  const deadline = Date.now() + START_TIMEOUT_MS
  while (!(await accepting(port))) {
    if (nginx.exitCode !== null || nginx.signalCode !== null || Date.now() > deadline) {
      let log = ''
      try {
        log = readFileSync(join(dir, 'error.log'), 'utf8').trim()
      } catch {
        // nginx may have failed before opening its log
      }
      throw new Error(`nginx did not start listening on ${port}${log === '' ? '' : `: ${log}`}`)
    }
    await new Promise((r) => setTimeout(r, POLL_MS))
  }
}

async function main(): Promise<void> {
  const [binary, upstreamPort] = process.argv.slice(2)
  if (binary === undefined || upstreamPort === undefined) throw new Error('usage: nginx-target.js <nginx binary> <upstream port>')
  const dir = mkdtempSync(join(tmpdir(), 'permgate-bench-nginx-'))
  const port = await freePort()
  const conf = join(dir, 'nginx.conf')
  writeFileSync(conf, nginxConfig(dir, port, Number(upstreamPort)))
  // -e: the error log before the configuration is read (the default is under /var/log)
  const args = ['-p', dir, '-c', conf, '-e', join(dir, 'error.log')]
  const nginx = pinning ? spawn('taskset', ['-c', String(PROXY_CORE), binary, ...args], { stdio: 'ignore' }) : spawn(binary, args, { stdio: 'ignore' })
  const stop = (): void => {
    if (nginx.exitCode === null && nginx.signalCode === null) nginx.kill('SIGKILL')
    rmSync(dir, { recursive: true, force: true })
  }
  process.once('exit', stop)
  process.on('disconnect', () => process.exit(0))
  await waitListening(nginx, port, dir)
  const pid = nginx.pid as number
  process.on('message', (msg: UsageRequest) => {
    if (msg?.type !== 'usage') return
    const m = process.memoryUsage()
    const reply: UsageMessage = {
      type: 'usage',
      id: msg.id,
      cpu: { user: cpuUs(pid), system: 0 },
      memory: { rss: m.rss, heapUsed: m.heapUsed, heapTotal: m.heapTotal, external: m.external },
      requests: 0,
      caches: { tokens: undefined, documents: undefined },
      gcRan: false,
    }
    process.send?.(reply)
  })
  process.send?.({ type: 'ready', port } satisfies ReadyMessage)
}

main().catch(failStart)
