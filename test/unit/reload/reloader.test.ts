import { cpSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { beforeEach, describe, expect, it } from 'vitest'
import { loadServeConfig } from '../../../src/config/load.js'
import { compileActive, Reloader, type ReloadResult } from '../../../src/reload.js'
import { FakeClock } from '../../helpers/clock.js'
import { POLICY_HOUSTON } from '../../helpers/shared.js'
import { tempFiles } from '../../helpers/tmp.js'

// Hot reload on a FakeClock: a change is compiled a short pause after the poll that sees it
// (several files of one edit land together), a bad file is tried once, and nothing reloads
// between polls. No server: the Reloader alone, over a copy of policies/houston.
const POLL_MS = 1000
/** The pause after a poll that saw a change: min(100 ms, the poll interval). */
const PAUSE_MS = 100

let clock: FakeClock
let results: ReloadResult[]
let reloader: Reloader
let roles: string
let bindings: string

beforeEach(() => {
  const dir = tempFiles({ 'bindings.yaml': 'deployments: { d1: w1 }\nsubjects: {}\n' })
  cpSync(POLICY_HOUSTON, join(dir, 'policy'), { recursive: true })
  roles = join(dir, 'policy', 'roles.yaml')
  bindings = join(dir, 'bindings.yaml')
  const config = loadServeConfig(['--policy', join(dir, 'policy'), '--bindings', bindings, '--upstream', 'http://127.0.0.1:9/graphql', '--decision-log', 'off'])
  clock = new FakeClock(0)
  results = []
  reloader = new Reloader(config, compileActive(config), (r) => void results.push(r), POLL_MS, undefined, clock)
  reloader.start()
})

describe('Reloader', () => {
  it('a change is reloaded the pause after the poll that sees it, then served', async () => {
    const before = reloader.active
    writeFileSync(bindings, 'deployments: { d1: w1, d2: w1 }\nsubjects: {}\n')
    await clock.advance(POLL_MS + PAUSE_MS - 1)
    expect(results).toEqual([])
    expect(reloader.active).toBe(before)
    await clock.advance(1)
    expect(results).toMatchObject([{ ok: true }])
    expect(reloader.active).not.toBe(before)
  })

  it('a bad file is tried once and the version loaded keeps serving; fixed, it is taken', async () => {
    const good = readFileSync(roles, 'utf8')
    const before = reloader.active
    writeFileSync(roles, good.replace('? workspace.deployments.get', '? workspace..broken'))
    await clock.advance(5 * POLL_MS)
    expect(results).toMatchObject([{ ok: false, code: 'PERMGATE_ERR_POLICY_PERMISSION_NAME' }])
    expect(reloader.active).toBe(before)
    writeFileSync(roles, good)
    await clock.advance(POLL_MS + PAUSE_MS)
    expect(results.map((r) => r.ok)).toEqual([false, true])
  })

  it('reload() (SIGHUP) reloads at once; stop() leaves no timer running', async () => {
    expect(reloader.reload()).toMatchObject({ ok: true })
    expect(results).toHaveLength(1)
    writeFileSync(bindings, 'deployments: { d1: w1, d2: w1 }\nsubjects: {}\n')
    reloader.stop()
    expect(clock.pending).toBe(0)
    await clock.advance(10 * POLL_MS)
    expect(results).toHaveLength(1)
  })
})
