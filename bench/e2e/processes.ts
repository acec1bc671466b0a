import { fork, spawnSync, type ChildProcess } from 'node:child_process'
import { cpus } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { DriverJob, DriverResult, ProfileReply, ProfileRequest, ReadyMessage, UsageMessage, UsageRequest } from './protocol.js'

/** Time a server child has to start listening (permgate loads 10,000 subjects first). */
export const START_TIMEOUT_MS = 30_000 // 30 s
/** Time a driver has beyond its run's own length (start, preparing requests, the last answers). */
export const DRIVER_GRACE_MS = 60_000 // 1 min
/** Time a server child has to exit once asked to. */
export const STOP_GRACE_MS = 5_000 // 5 s
/** Time a child has to answer a usage or profile request (a profile stop writes a file of megabytes). */
export const USAGE_TIMEOUT_MS = 15_000 // 15 s
/** The proxy under test runs alone on this core; the upstream, the driver and this process share the other. */
export const PROXY_CORE = 0
export const LOAD_CORE = 1

const HERE = dirname(fileURLToPath(import.meta.url))
const children = new Set<ChildProcess>()

/** Pinning with taskset, where it exists and there are two cores to split. */
export const pinning: boolean =
  cpus().length >= 2 && [PROXY_CORE, LOAD_CORE].every((core) => spawnSync('taskset', ['-c', String(core), 'true']).status === 0)

/** Pins a running process, all its threads, to one core (a no-op without pinning). */
export function pin(pid: number | undefined, core: number): void {
  if (!pinning || pid === undefined) return
  const r = spawnSync('taskset', ['-a', '-p', '-c', String(core), String(pid)], { stdio: 'ignore' })
  if (r.status !== 0) throw new Error(`taskset could not pin process ${pid} to core ${core}`)
}

/** Pins this process to the load core, so it never takes the proxy's. */
export function pinSelf(): void {
  pin(process.pid, LOAD_CORE)
}

/**
 * Forks a compiled module of this directory, under `taskset -c <core>` when pinning; with no
 * `core`, on every core (a child would otherwise inherit this process's pinning).
 */
export function forkChild(module: string, args: readonly string[], core: number | undefined, nodeFlags: readonly string[] = []): ChildProcess {
  const cores = core === undefined ? `0-${cpus().length - 1}` : String(core)
  const opts = pinning ? { execPath: 'taskset', execArgv: ['-c', cores, process.execPath, ...nodeFlags] } : { execArgv: [...nodeFlags] }
  const child = fork(join(HERE, module), [...args], { ...opts, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] })
  children.add(child)
  child.once('exit', () => children.delete(child))
  return child
}

/** The first message of `type` from a child, or a rejection on error, exit or timeout. */
export function nextMessage<T extends { type: string }>(child: ChildProcess, name: string, type: T['type'], timeoutMs: number, match: (m: T) => boolean = () => true): Promise<T> {
  return new Promise((resolve, reject) => {
    const done = (): void => {
      clearTimeout(timer)
      child.off('message', onMessage)
      child.off('exit', onExit)
    }
    const timer = setTimeout(() => {
      done()
      reject(new Error(`${name}: no ${type} message within ${timeoutMs} ms`))
    }, timeoutMs)
    const onMessage = (m: { type?: string; message?: string }): void => {
      if (m?.type === 'error') {
        done()
        reject(new Error(`${name}: ${m.message ?? 'failed'}`))
      } else if (m?.type === type && match(m as T)) {
        done()
        resolve(m as T)
      }
    }
    const onExit = (code: number | null, signal: string | null): void => {
      done()
      reject(new Error(`${name}: exited (${signal ?? `code ${code}`}) before its ${type} message`))
    }
    child.on('message', onMessage)
    child.once('exit', onExit)
  })
}

/** A server child: the upstream, the plain proxy or a permgate. */
export interface ServerChild {
  readonly name: string
  readonly port: number
  usage(gc?: boolean): Promise<UsageMessage>
  /** Starts a CPU profile, or stops it and writes it to `file`. */
  profile(action: 'start' | 'stop', file?: string): Promise<void>
  /** Closes its channel so it exits by itself; killed if it has not within STOP_GRACE_MS. */
  stop(): Promise<void>
}

let usageIds = 0

/** Starts a server child on every core (servers load in parallel), then pins it to `core` once it listens. */
export async function startServer(name: string, module: string, args: readonly string[], core: number, nodeFlags: readonly string[] = []): Promise<ServerChild> {
  const child = forkChild(module, args, undefined, nodeFlags)
  const { port } = await nextMessage<ReadyMessage>(child, name, 'ready', START_TIMEOUT_MS)
  pin(child.pid, core)
  return {
    name,
    port,
    usage(gc = false) {
      const id = ++usageIds
      const reply = nextMessage<UsageMessage>(child, name, 'usage', USAGE_TIMEOUT_MS, (m) => m.id === id)
      child.send({ type: 'usage', id, gc } satisfies UsageRequest)
      return reply
    },
    async profile(action, file) {
      const id = ++usageIds
      const reply = nextMessage<ProfileReply>(child, name, 'profiled', USAGE_TIMEOUT_MS, (m) => m.id === id)
      child.send({ type: 'profile', id, action, file } satisfies ProfileRequest)
      const { error } = await reply
      if (error !== undefined) throw new Error(`${name}: profile ${action}: ${error}`)
    },
    stop: () => stopGracefully(child),
  }
}

async function stopGracefully(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()))
  if (child.connected) child.disconnect()
  const timer = setTimeout(() => stopChild(child), STOP_GRACE_MS)
  await exited
  clearTimeout(timer)
  children.delete(child)
}

/** One autocannon run in its own process, on the load core. */
export async function runDriver(job: DriverJob, name: string, limitMs: number): Promise<DriverResult> {
  const child = forkChild('driver.js', [], LOAD_CORE)
  try {
    const result = nextMessage<DriverResult>(child, name, 'result', limitMs + DRIVER_GRACE_MS)
    child.send(job)
    return await result
  } finally {
    stopChild(child)
  }
}

function stopChild(child: ChildProcess): void {
  if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL')
  children.delete(child)
}

/** Kills every child still running: at the end, on error and on SIGINT/SIGTERM. */
export function stopAll(): void {
  for (const child of [...children]) stopChild(child)
}

let guarded = false
/** Children never outlive this process, however it ends. */
export function guardChildren(): void {
  if (guarded) return
  guarded = true
  process.once('exit', stopAll)
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      stopAll()
      console.error(`\n${signal}: child processes stopped`)
      process.exit(130)
    })
  }
}
