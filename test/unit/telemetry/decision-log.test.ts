import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import type { DecisionEvent } from '../../../src/telemetry/decision-event.js'
import { DecisionLog } from '../../../src/telemetry/decision-log.js'
import { parseRotationStamp, rotationStamp } from '../../../src/telemetry/rotating-file-sink.js'

const NOW = Date.parse('2025-06-15T12:00:00.000Z')
const DAY_MS = 24 * 60 * 60 * 1000

function event(over: Partial<DecisionEvent> = {}): DecisionEvent {
  return {
    decisionId: 'd-0001',
    time: '2025-06-15T12:00:00.000Z',
    subject: 'user-1',
    kind: 'user',
    groups: ['eng'],
    operationType: 'query',
    operationName: 'Workspaces',
    rootFields: ['workspaces'],
    required: ['system.workspace.list'],
    scope: { kind: 'workspace', id: 'ws-1' },
    allowed: false,
    reason: 'missing permission system.workspace.list',
    policyRevision: 'houston@abc123',
    latencyUs: 12,
    ...over,
  }
}

let dir: string
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'permgate-decision-log-'))
})
afterEach(async () => {
  await rm(dir, { recursive: true, force: true })
})

async function lines(file: string): Promise<Record<string, unknown>[]> {
  const text = await readFile(file, 'utf8')
  return text.split('\n').filter((l) => l !== '').map((l) => JSON.parse(l) as Record<string, unknown>)
}

describe('DecisionLog sampling', () => {
  it('records every denial even at sample rate 0', async () => {
    const file = join(dir, 'decisions.log')
    const log = new DecisionLog({ sink: { file }, allowedSampleRate: 0, random: () => 0 })
    for (let i = 0; i < 5; i++) log.record(event({ decisionId: `d-${i}` }))
    await log.close()
    expect((await lines(file)).map((l) => l.decisionId)).toEqual(['d-0', 'd-1', 'd-2', 'd-3', 'd-4'])
    expect(log.stats()).toEqual({ recorded: 5, sampledOut: 0, dropped: 0, written: 5 })
  })

  it('records an allowed decision only when random() falls under the sample rate', async () => {
    const file = join(dir, 'decisions.log')
    const draws = [0.05, 0.5, 0.09, 0.1, 0.99]
    const log = new DecisionLog({ sink: { file }, allowedSampleRate: 0.1, random: () => draws.shift() ?? 1 })
    for (let i = 0; i < 5; i++) log.record(event({ decisionId: `a-${i}`, allowed: true }))
    await log.close()
    expect((await lines(file)).map((l) => l.decisionId)).toEqual(['a-0', 'a-2'])
    expect(log.stats()).toMatchObject({ recorded: 2, sampledOut: 3, written: 2 })
  })

  it('records every allowed decision at sample rate 1', async () => {
    const file = join(dir, 'decisions.log')
    const log = new DecisionLog({ sink: { file }, allowedSampleRate: 1, random: () => 0.999999 })
    log.record(event({ allowed: true }))
    await log.close()
    expect(await lines(file)).toHaveLength(1)
  })

  it('rejects a sample rate outside 0..1 and a buffer size below 1 by code', () => {
    expect(() => new DecisionLog({ sink: 'stdout', allowedSampleRate: 1.5 })).toThrow(
      expect.objectContaining({ code: 'PERMGATE_ERR_CONFIG_INVALID' }),
    )
    expect(() => new DecisionLog({ sink: 'stdout', bufferSize: 0 })).toThrow(
      expect.objectContaining({ code: 'PERMGATE_ERR_CONFIG_INVALID' }),
    )
  })
})

describe('DecisionLog line format', () => {
  it('writes one JSON line with every DecisionEvent field', async () => {
    const file = join(dir, 'decisions.log')
    const log = new DecisionLog({ sink: { file } })
    const e = event()
    log.record(e)
    await log.close()
    const [line, ...rest] = await lines(file)
    expect(rest).toEqual([])
    expect(line).toEqual(JSON.parse(JSON.stringify(e)))
    expect(Object.keys(line ?? {}).sort()).toEqual([
      'allowed', 'decisionId', 'groups', 'kind', 'latencyUs', 'operationName', 'operationType',
      'policyRevision', 'reason', 'required', 'rootFields', 'scope', 'subject', 'time',
    ])
  })

  it('drops secrets an event object carries at runtime, at any depth', async () => {
    const file = join(dir, 'decisions.log')
    const log = new DecisionLog({ sink: { file } })
    const leaky = {
      ...event(),
      authorization: 'Bearer eyJhbGciOiJSUzI1NiJ9.SECRET-JWT',
      variables: { password: 'SECRET-VARIABLE' },
      apiKey: 'SECRET-API-KEY',
      headers: { Authorization: 'Bearer SECRET-HEADER', cookie: 'astronomer_auth=SECRET-COOKIE', 'x-request-id': 'r-1' },
      principal: { accessToken: 'SECRET-ACCESS', client_secret: 'SECRET-CLIENT' },
    }
    log.record(leaky)
    await log.close()
    const text = await readFile(file, 'utf8')
    expect(text).not.toMatch(/SECRET/)
    const [line] = await lines(file)
    expect(line).not.toHaveProperty('authorization')
    expect(line).not.toHaveProperty('variables')
    expect(line).not.toHaveProperty('apiKey')
    expect(line?.headers).toEqual({ 'x-request-id': 'r-1' })
    expect(line?.decisionId).toBe('d-0001')
  })

  it('writes to stdout when asked to', async () => {
    const write = vi.spyOn(process.stdout, 'write').mockImplementation(((_chunk: unknown, cb?: unknown) => {
      if (typeof cb === 'function') (cb as () => void)()
      return true
    }) as typeof process.stdout.write)
    try {
      const log = new DecisionLog({ sink: 'stdout' })
      log.record(event({ decisionId: 'to-stdout' }))
      await log.close()
      const written = write.mock.calls.map((c) => String(c[0])).join('')
      expect(JSON.parse(written.trim())).toMatchObject({ decisionId: 'to-stdout' })
    } finally {
      write.mockRestore()
    }
  })
})

describe('DecisionLog buffer', () => {
  it('drops and counts events past bufferSize recorded before a flush, and never throws', async () => {
    const file = join(dir, 'decisions.log')
    const log = new DecisionLog({ sink: { file }, bufferSize: 3 })
    for (let i = 0; i < 10; i++) expect(() => log.record(event({ decisionId: `d-${i}` }))).not.toThrow()
    expect(log.stats()).toEqual({ recorded: 3, sampledOut: 0, dropped: 7, written: 0 })
    await log.close()
    expect((await lines(file)).map((l) => l.decisionId)).toEqual(['d-0', 'd-1', 'd-2'])
    expect(log.stats()).toEqual({ recorded: 3, sampledOut: 0, dropped: 7, written: 3 })
  })

  it('flushes without close, after the current turn of the event loop', async () => {
    const file = join(dir, 'decisions.log')
    const log = new DecisionLog({ sink: { file } })
    log.record(event())
    await vi.waitFor(() => expect(log.stats().written).toBe(1))
    expect(await lines(file)).toHaveLength(1)
    await log.close()
  })

  it('close() flushes events recorded across several turns and drops events after it', async () => {
    const file = join(dir, 'decisions.log')
    const log = new DecisionLog({ sink: { file } })
    for (let i = 0; i < 50; i++) {
      log.record(event({ decisionId: `d-${i}` }))
      if (i % 10 === 0) await new Promise((r) => setImmediate(r))
    }
    const closed = log.close()
    log.record(event({ decisionId: 'late' }))
    await closed
    const ids = (await lines(file)).map((l) => l.decisionId)
    expect(ids).toEqual(Array.from({ length: 50 }, (_, i) => `d-${i}`))
    expect(log.stats()).toEqual({ recorded: 50, sampledOut: 0, dropped: 1, written: 50 })
  })

  it('counts events as dropped when the sink cannot write, and keeps going', async () => {
    const file = join(dir, 'missing-dir', 'decisions.log')
    const log = new DecisionLog({ sink: { file } })
    expect(() => log.record(event())).not.toThrow()
    await log.close()
    expect(log.stats()).toEqual({ recorded: 1, sampledOut: 0, dropped: 1, written: 0 })
  })
})

describe('DecisionLog file rotation and retention', () => {
  it('rotates to <file>.<timestamp> before the file would exceed rotateBytes', async () => {
    const file = join(dir, 'decisions.log')
    const lineBytes = Buffer.byteLength(`${JSON.stringify(event({ decisionId: 'd-0' }))}\n`)
    const log = new DecisionLog({ sink: { file, rotateBytes: lineBytes * 3 }, now: () => NOW })
    for (let i = 0; i < 7; i++) log.record(event({ decisionId: `d-${i}` }))
    await log.close()

    const first = `decisions.log.${rotationStamp(NOW)}`
    const second = `decisions.log.${rotationStamp(NOW + 1)}`
    expect((await readdir(dir)).sort()).toEqual(['decisions.log', first, second])
    expect((await lines(join(dir, first))).map((l) => l.decisionId)).toEqual(['d-0', 'd-1', 'd-2'])
    expect((await lines(join(dir, second))).map((l) => l.decisionId)).toEqual(['d-3', 'd-4', 'd-5'])
    expect((await lines(file)).map((l) => l.decisionId)).toEqual(['d-6'])
  })

  it('counts bytes already in the file when it starts', async () => {
    const file = join(dir, 'decisions.log')
    const lineBytes = Buffer.byteLength(`${JSON.stringify(event({ decisionId: 'd-0' }))}\n`)
    await writeFile(file, 'x'.repeat(lineBytes * 2 - 1) + '\n')
    const log = new DecisionLog({ sink: { file, rotateBytes: lineBytes * 3 }, now: () => NOW })
    log.record(event({ decisionId: 'd-0' }))
    log.record(event({ decisionId: 'd-1' }))
    await log.close()
    expect((await lines(file)).map((l) => l.decisionId)).toEqual(['d-1'])
    expect(await readdir(dir)).toContain(`decisions.log.${rotationStamp(NOW)}`)
  })

  it('deletes rotated files older than retentionDays at start and keeps newer ones', async () => {
    const file = join(dir, 'decisions.log')
    const expired = [NOW - 8 * DAY_MS, NOW - 30 * DAY_MS].map((ms) => `decisions.log.${rotationStamp(ms)}`)
    const kept = [NOW - 6 * DAY_MS, NOW - 1000].map((ms) => `decisions.log.${rotationStamp(ms)}`)
    const unrelated = ['decisions.log.not-a-date', 'other.log.2020-01-01T00-00-00.000Z']
    for (const name of [...expired, ...kept, ...unrelated]) await writeFile(join(dir, name), '{}\n')

    const log = new DecisionLog({ sink: { file, retentionDays: 7 }, now: () => NOW })
    log.record(event())
    await log.close()
    expect((await readdir(dir)).sort()).toEqual(['decisions.log', ...kept, ...unrelated].sort())
  })

  it('deletes expired rotated files at each rotation, by the injected clock', async () => {
    const file = join(dir, 'decisions.log')
    let now = NOW
    const lineBytes = Buffer.byteLength(`${JSON.stringify(event({ decisionId: 'd-0' }))}\n`)
    const log = new DecisionLog({ sink: { file, rotateBytes: lineBytes, retentionDays: 1 }, now: () => now })
    log.record(event({ decisionId: 'd-0' }))
    log.record(event({ decisionId: 'd-1' }))
    await vi.waitFor(() => expect(log.stats().written).toBe(2))
    expect(await readdir(dir)).toContain(`decisions.log.${rotationStamp(NOW)}`)

    now = NOW + 2 * DAY_MS
    log.record(event({ decisionId: 'd-2' }))
    await log.close()
    expect((await readdir(dir)).sort()).toEqual(['decisions.log', `decisions.log.${rotationStamp(now)}`])
    expect((await lines(file)).map((l) => l.decisionId)).toEqual(['d-2'])
  })

  it('reads back the timestamps it writes into rotated names', () => {
    expect(parseRotationStamp(rotationStamp(NOW))).toBe(NOW)
    expect(parseRotationStamp('2025-06-15T12:00:00.000Z')).toBeUndefined()
    expect(parseRotationStamp('gz')).toBeUndefined()
  })
})
