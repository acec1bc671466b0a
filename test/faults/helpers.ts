/**
 * Shared by the fault tests: a permgate started as `permgate serve` starts it (admin port,
 * hot reload) over a copy of policies/houston in a temporary directory, its file polls on a
 * FakeClock the test advances; bounded loopback load whose every answer is checked against the
 * status it must have. (The JWKS endpoint that goes down and hangs: ./jwks-endpoint.ts.)
 */
import { randomBytes } from 'node:crypto'
import { cpSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { SignJWT } from 'jose'
import { expect } from 'vitest'
import { loadServeConfig } from '../../src/config/load.js'
import { startUpstream, type DemoUpstream } from '../../src/demo/upstream.js'
import { startServer, type Server } from '../../src/serve.js'
import { FakeClock } from '../helpers/clock.js'
import { eventually } from '../helpers/eventually.js'
import { POLICY_HOUSTON } from '../helpers/shared.js'
import { tempFiles } from '../helpers/tmp.js'
import { API_KEY, BINDINGS } from '../helpers/proxy.js'

/** Longest wait for one answer: anything slower counts as a hang. */
export const ANSWER_TIMEOUT_MS = 5_000
/** How often the fault tests' permgate polls its files (on its FakeClock). */
export const POLL_MS = 50

const SECRET = randomBytes(32).toString('hex')
// the same principals as the HTTP harness
export { API_KEY, BINDINGS }

export interface Gate {
  readonly server: Server
  readonly graphql: string
  readonly upstream: DemoUpstream
  /** The temporary copy of policies/houston permgate serves. */
  readonly policyDir: string
  readonly bindingsFile: string
  /** What permgate's identity and file polls run on: its time moves only when a test advances it. */
  readonly clock: FakeClock
  /**
   * Moves the clock past one poll of the watched files and the pause after a change: a change
   * made before the call has been reloaded (or has failed to) when it returns.
   */
  poll(): Promise<void>
  /** An HS256 token for `subject` (claim `uuid`), valid for an hour; a new one on every call. */
  token(subject: string): Promise<string>
  /** A counter or gauge of /metrics, 0 when the series does not exist yet. */
  metric(series: string): Promise<number>
  close(): Promise<void>
}

/** permgate (Houston policy, HS256, --reload-poll-ms 50 on a FakeClock) in front of the demo upstream, both on loopback. */
export async function startGate(extraArgs: readonly string[] = []): Promise<Gate> {
  const upstream = await startUpstream({ host: '127.0.0.1', port: 0 })
  const dir = tempFiles({ 'jwt.secret': SECRET, 'bindings.yaml': BINDINGS })
  const policyDir = join(dir, 'policy')
  cpSync(POLICY_HOUSTON, policyDir, { recursive: true })
  const bindingsFile = join(dir, 'bindings.yaml')
  const clock = new FakeClock()
  let server: Server
  try {
    server = await startServer(loadServeConfig([
      '--policy', policyDir, '--bindings', bindingsFile, '--upstream', upstream.url,
      '--port', '0', '--admin-port', '0', '--host', '127.0.0.1',
      '--jwt-secret-file', join(dir, 'jwt.secret'), '--jwt-algorithms', 'HS256', '--jwt-subject-claim', 'uuid',
      '--log-level', 'silent', '--decision-log', 'off', '--reload-poll-ms', String(POLL_MS),
      ...extraArgs,
    ]), { clock })
  } catch (e) {
    await upstream.close()
    throw e
  }
  const key = new TextEncoder().encode(SECRET)
  let jti = 0
  return {
    server,
    graphql: `${server.url}/graphql`,
    upstream,
    policyDir,
    bindingsFile,
    clock,
    // a poll falls due within POLL_MS; the reload follows min(100 ms, POLL_MS) after it
    poll: () => clock.advance(2 * POLL_MS),
    token: (subject) => new SignJWT({ uuid: subject, jti: `t${++jti}` }).setProtectedHeader({ alg: 'HS256' }).setExpirationTime('1h').sign(key),
    metric: (series) => metricValue(server.adminUrl, series),
    // together: closing the upstream ends requests it is holding, which permgate waits for
    close: async () => {
      await Promise.all([server.close(), upstream.close()])
    },
  }
}

export async function metricValue(adminUrl: string, series: string): Promise<number> {
  const text = await (await fetch(`${adminUrl}/metrics`, { signal: AbortSignal.timeout(ANSWER_TIMEOUT_MS) })).text()
  const line = text.split('\n').find((l) => l.startsWith(`${series} `))
  return line === undefined ? 0 : Number(line.slice(series.length + 1))
}

export const RELOAD_OK = 'permgate_policy_reloads_total{result="success"}'
export const RELOAD_ERROR = 'permgate_policy_reloads_total{result="error"}'

/** Waits for what the load and the upstream make true (real I/O, no timer of permgate's): a bounded number of tries. */
export const until = (what: string, cond: () => Promise<boolean> | boolean): Promise<void> => eventually(what, cond)

/** One kind of request in the load, and the statuses its answer may have. */
export interface Probe {
  readonly name: string
  readonly expect: readonly number[]
  /** Also checked on answers with this status: the body must contain this text (a coded reason). */
  readonly bodyHas?: Readonly<Record<number, string>>
  send(signal: AbortSignal): Promise<Response>
}

export interface LoadReport {
  readonly total: number
  /** `probe: status` -> answers. */
  readonly seen: ReadonlyMap<string, number>
  /** Answers that were not what their probe allows (wrong status or body, socket error, no answer in time). */
  readonly wrong: readonly string[]
}

/**
 * Bounded loopback load while `during` runs: `concurrency` workers send the probes in turn,
 * at least `minRequests` in all, and go on until `during` has finished. `during` starts once
 * as many answers as workers have come back: the load is flowing.
 */
export async function underLoad(probes: readonly Probe[], during: () => Promise<void>, concurrency = 8, minRequests = 100): Promise<LoadReport> {
  const seen = new Map<string, number>()
  const wrong: string[] = []
  let sent = 0
  let answered = 0
  let finished = false
  let flowing!: () => void
  const started = new Promise<void>((resolve) => (flowing = resolve))
  const worker = async (): Promise<void> => {
    while (!finished || sent < minRequests) {
      const p = probes[sent++ % probes.length] as Probe
      let outcome: string
      try {
        const r = await p.send(AbortSignal.timeout(ANSWER_TIMEOUT_MS))
        const body = await r.text()
        const need = p.bodyHas?.[r.status]
        outcome = String(r.status)
        if (!p.expect.includes(r.status)) wrong.push(`${p.name}: ${r.status} ${body.slice(0, 200)}`)
        else if (need !== undefined && !body.includes(need)) wrong.push(`${p.name}: ${r.status} without ${need}: ${body.slice(0, 200)}`)
      } catch (e) {
        outcome = (e as Error).name
        wrong.push(`${p.name}: ${(e as Error).name}: ${(e as Error).message}`)
      }
      seen.set(`${p.name}: ${outcome}`, (seen.get(`${p.name}: ${outcome}`) ?? 0) + 1)
      if (++answered === concurrency) flowing()
    }
  }
  const workers = Array.from({ length: concurrency }, worker)
  try {
    await started
    await during()
  } finally {
    finished = true
    await Promise.all(workers)
  }
  return { total: sent, seen, wrong }
}

export const postJson = (url: string, body: unknown, headers: Record<string, string>, signal?: AbortSignal): Promise<Response> =>
  fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body), ...(signal ? { signal } : {}) })

/** A way a watched file goes bad while permgate has it loaded. */
export interface Corruption {
  readonly name: string
  apply(file: string, good: string): void
}

export const CORRUPTIONS: readonly Corruption[] = [
  { name: 'binary garbage', apply: (file) => writeFileSync(file, randomBytes(2048)) },
  { name: 'text that is not YAML', apply: (file) => writeFileSync(file, '{ this: is [not, yaml\n\t: at all') },
  { name: 'truncated mid-line', apply: (file, good) => writeFileSync(file, good.slice(0, midLineCut(good))) },
  { name: 'truncated to empty', apply: (file) => writeFileSync(file, '') },
  { name: 'deleted', apply: (file) => rmSync(file) },
  { name: 'replaced by a directory', apply: (file) => { rmSync(file); mkdirSync(file) } },
]

/**
 * Where a write cut short leaves the text unreadable: just after the last `[` or `{` before the
 * middle (an unclosed flow collection), else the middle itself. (A cut at a line boundary
 * leaves a valid, shorter file: nothing can tell it from an edit.)
 */
function midLineCut(text: string): number {
  const half = text.length >> 1
  const open = Math.max(text.lastIndexOf('[', half), text.lastIndexOf('{', half))
  return open > 0 ? open + 1 : half
}

/** Puts `text` back where a corruption left the file, a directory or nothing. */
export function restore(file: string, text: string): void {
  rmSync(file, { recursive: true, force: true })
  writeFileSync(file, text)
}

/**
 * `corrupt` while the probes' load flows: the reload it causes must fail and be counted, and
 * every answer stay what the loaded version gives (the probes' expectations); then `fixed`
 * (a valid, changed version) must be swapped in. Returns the load's report.
 */
export async function corruptUnderLoad(g: Gate, probes: readonly Probe[], corrupt: () => void, fixed: () => void): Promise<LoadReport> {
  // nothing reloads unless the clock is moved: the counters stand still between polls
  const [errors, successes] = await Promise.all([g.metric(RELOAD_ERROR), g.metric(RELOAD_OK)])
  const report = await underLoad(probes, async () => {
    corrupt()
    await g.poll()
    expect(await g.metric(RELOAD_ERROR)).toBe(errors + 1)
    // several more polls with the bad file in place: no reload is tried again, none succeeds
    for (let i = 0; i < 6; i++) await g.poll()
    expect(await g.metric(RELOAD_ERROR)).toBe(errors + 1)
  })
  expect(await g.metric(RELOAD_OK)).toBe(successes)
  fixed()
  await g.poll()
  expect(await g.metric(RELOAD_OK)).toBe(successes + 1)
  return report
}

export const VIEWER_W1 = { query: '{ workspaceDeployments(workspaceUuid: "w1") }' }
export const DEPLOYMENTS = { query: '{ deployments }' }
export const AUTH_CONFIG = { query: '{ authConfig }' }
export const INTROSPECTION = { query: '{ __schema { queryType { name } } }' }

/** What the shipped Houston policy and BINDINGS answer, one probe per kind of caller. */
export async function baselineProbes(g: Gate): Promise<Probe[]> {
  const viewer = { authorization: `Bearer ${await g.token('u-viewer')}` }
  const admin = `Bearer ${await g.token('u-admin')}`
  const adminGet = `${g.graphql}?query=${encodeURIComponent(DEPLOYMENTS.query)}`
  return [
    { name: 'viewer on w1', expect: [200], send: (signal) => postJson(g.graphql, VIEWER_W1, viewer, signal) },
    { name: 'viewer deployments', expect: [403], bodyHas: { 403: 'missing_permission' }, send: (signal) => postJson(g.graphql, DEPLOYMENTS, viewer, signal) },
    { name: 'anonymous authConfig', expect: [200], send: (signal) => postJson(g.graphql, AUTH_CONFIG, {}, signal) },
    { name: 'anonymous introspection', expect: [401], send: (signal) => postJson(g.graphql, INTROSPECTION, {}, signal) },
    {
      name: 'service account on d1',
      expect: [200],
      send: (signal) => postJson(g.graphql, { query: '{ deploymentServiceAccounts(deploymentUuid: "d1") }' }, { authorization: API_KEY }, signal),
    },
    { name: 'admin GET deployments', expect: [200], send: (signal) => fetch(adminGet, { headers: { authorization: admin }, signal }) },
  ]
}

/** The status of one request, with a token made for it. */
export async function statusOf(g: Gate, subject: string | null, body: unknown): Promise<number> {
  const headers: Record<string, string> = subject === null ? {} : { authorization: `Bearer ${await g.token(subject)}` }
  return (await postJson(g.graphql, body, headers, AbortSignal.timeout(ANSWER_TIMEOUT_MS))).status
}

/** A file permgate watches, a valid change to it, and the request whose answer shows the change. */
export interface WatchedFile {
  readonly label: string
  path(g: Gate): string
  change(good: string): string
  readonly shows: { readonly subject: string | null; readonly body: unknown; readonly before: number; readonly after: number }
}

/**
 * One corruption of one file, under load: the loaded version keeps answering (no 5xx, no
 * hang, every answer as before), the failed reload is counted, a valid changed file then
 * takes effect, and the original is put back.
 */
export async function corruptionCase(g: Gate, f: WatchedFile, c: Corruption): Promise<void> {
  const file = f.path(g)
  const good = readFileSync(file, 'utf8')
  const { subject, body, before, after } = f.shows
  try {
    expect(await statusOf(g, subject, body)).toBe(before)
    const report = await corruptUnderLoad(g, await baselineProbes(g), () => c.apply(file, good), () => restore(file, f.change(good)))
    expect(report.wrong).toEqual([])
    expect(report.total).toBeGreaterThanOrEqual(100)
    expect(await statusOf(g, subject, body)).toBe(after)

    const successes = await g.metric(RELOAD_OK)
    restore(file, good)
    await g.poll()
    expect(await g.metric(RELOAD_OK)).toBe(successes + 1)
    expect(await statusOf(g, subject, body)).toBe(before)
  } finally {
    // a failed case must not leave the next one a broken file
    if (!holds(file, good)) {
      restore(file, good)
      await g.poll()
    }
  }
}

function holds(file: string, text: string): boolean {
  try {
    return readFileSync(file, 'utf8') === text
  } catch {
    return false
  }
}
