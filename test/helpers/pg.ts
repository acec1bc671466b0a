import { execFileSync } from 'node:child_process'
import { chmodSync, chownSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

/**
 * A private PostgreSQL server for tests: its own cluster in a temporary directory, on a free
 * loopback port, trust authentication for the user `permgate`. Needs the server binaries
 * (Debian's postgresql package; `.ci/run` installs it). As root, the server runs as the
 * `postgres` user (PostgreSQL refuses to run as root).
 */
export interface TestPostgres {
  /** postgres://permgate@127.0.0.1:<port>/postgres */
  readonly url: string
  readonly port: number
  /** Stops the server (fast shutdown: connections are cut), keeping its data. */
  stop(): void
  /** Starts it again on the same port. */
  start(): void
  /** Stops it and removes its data. */
  close(): void
}

function binDir(): string {
  const base = '/usr/lib/postgresql'
  if (existsSync(base)) {
    const versions = readdirSync(base).filter((v) => existsSync(join(base, v, 'bin', 'initdb'))).sort((a, b) => Number(b) - Number(a))
    if (versions[0] !== undefined) return join(base, versions[0], 'bin')
  }
  throw new Error('PostgreSQL server binaries not found under /usr/lib/postgresql (apt-get install postgresql)')
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer()
    s.once('error', reject)
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port
      s.close(() => resolve(port))
    })
  })
}

export async function startPostgres(): Promise<TestPostgres> {
  const bin = binDir()
  const root = process.getuid?.() === 0
  const dir = mkdtempSync(join(tmpdir(), 'permgate-pg-'))
  const data = join(dir, 'data')
  const port = await freePort()
  if (root) {
    const uid = Number(execFileSync('id', ['-u', 'postgres']).toString().trim())
    const gid = Number(execFileSync('id', ['-g', 'postgres']).toString().trim())
    chownSync(dir, uid, gid)
  }
  chmodSync(dir, 0o700)
  const run = (cmd: string, args: string[]): void => {
    const full = join(bin, cmd)
    if (root) execFileSync('runuser', ['-u', 'postgres', '--', full, ...args], { stdio: 'pipe' })
    else execFileSync(full, args, { stdio: 'pipe' })
  }
  run('initdb', ['-D', data, '-U', 'permgate', '--auth=trust', '--no-sync', '-E', 'UTF8'])
  const start = (): void =>
    run('pg_ctl', ['-D', data, '-l', join(dir, 'log'), '-w', '-t', '30', '-o', `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off -c full_page_writes=off`, 'start'])
  const stop = (): void => run('pg_ctl', ['-D', data, '-m', 'fast', '-w', '-t', '30', 'stop'])
  start()
  let running = true
  return {
    url: `postgres://permgate@127.0.0.1:${port}/postgres`,
    port,
    stop: () => {
      if (running) stop()
      running = false
    },
    start: () => {
      if (!running) start()
      running = true
    },
    close: () => {
      try {
        if (running) stop()
      } finally {
        running = false
        rmSync(dir, { recursive: true, force: true })
      }
    },
  }
}
