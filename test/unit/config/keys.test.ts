import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { stringify } from 'yaml'
import { CONFIG_KEY_NAMES, CONFIG_KEYS, KEYS, rowOf, type ConfigKey, type KeyRow } from '../../../src/config/keys.js'
import { loadServeConfig, serveFlagOptions } from '../../../src/config/load.js'
import type { ServeConfig } from '../../../src/config/schema.js'
import { thrown } from '../../helpers/errors.js'
import { tempFiles } from '../../helpers/tmp.js'

const base = ['--policy', 'policy.yaml', '--bindings', 'bindings.yaml', '--upstream', 'https://upstream.internal:4000/graphql']
/** With a JWT key: the jwt part of the config is there only then. */
const withJwt = [...base, '--jwt-public-key', 'jwt.pem']
const workspace = (): string => tempFiles({ 'policy.yaml': 'name: test\n', 'bindings.yaml': 'subjects: {}\n', 'jwt.pem': 'pem' })

const places = (row: KeyRow): readonly string[] => (typeof row.at === 'string' ? [row.at] : row.at)
const at = (config: ServeConfig, place: string): unknown => place.split('.').reduce<unknown>((o, k) => (o as Record<string, unknown>)[k], config)
const isMap = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v)

/** The dotted places of a loaded config, down to the places rows fill (their values may be objects: the upstream, CIDR lists). */
function leaves(o: Record<string, unknown>, rowPlaces: ReadonlySet<string>, prefix = ''): string[] {
  return Object.keys(o).flatMap((k) => {
    const place = prefix + k
    const v = o[k]
    return rowPlaces.has(place) || !isMap(v) ? [place] : leaves(v, rowPlaces, `${place}.`)
  })
}

const withDefault = CONFIG_KEY_NAMES.filter((k) => rowOf(k).default !== undefined)
const integers = CONFIG_KEY_NAMES.flatMap((k) => {
  const row = rowOf(k)
  return row.kind === 'integer' ? [[k, row] as const] : []
})

describe('the table of keys', () => {
  it('every place of ServeConfig is filled by a row, and every row fills a place that exists', () => {
    const rowPlaces = new Set(CONFIG_KEY_NAMES.flatMap((k) => places(rowOf(k))))
    const config = loadServeConfig(withJwt, workspace())
    expect(leaves(config as unknown as Record<string, unknown>, rowPlaces).sort()).toEqual([...rowPlaces].sort())
  })

  it('the minimal config holds each default at its row\'s place', () => {
    const config = loadServeConfig(withJwt, workspace())
    for (const key of withDefault) {
      const row = rowOf(key)
      expect(at(config, places(row)[0]!), key).toBe(row.default)
    }
  })

  it('every default passes its own validation: written out, in the file or as flags, it changes nothing', () => {
    const dir = workspace()
    const defaults = loadServeConfig(base, dir)
    writeFileSync(join(dir, 'defaults.yaml'), stringify(Object.fromEntries(withDefault.map((k) => [k, rowOf(k).default]))))
    expect(loadServeConfig([...base, '--config', 'defaults.yaml'], dir)).toEqual(defaults)
    // a boolean flag can only say true: its default is the flag's absence
    const flags = withDefault.flatMap((k) => {
      const row = rowOf(k)
      return row.kind === 'boolean' || row.flag === undefined ? [] : [`${row.flag}=${String(row.default)}`]
    })
    expect(flags.length).toBeGreaterThan(20)
    expect(loadServeConfig([...base, ...flags], dir)).toEqual(defaults)
  })

  it.each(integers)('%s: its range is the table\'s, at both ends', (key, row) => {
    const dir = workspace()
    const place = places(row)[0]!
    for (const n of [row.min, row.max]) expect(at(loadServeConfig([...withJwt, `${row.flag}=${n}`], dir), place)).toBe(n)
    for (const n of [row.min - 1, row.max + 1]) {
      const e = thrown(() => loadServeConfig([...withJwt, `${row.flag}=${n}`], dir))
      expect([e.code, e.place?.path]).toEqual(['PERMGATE_ERR_CONFIG_INVALID', key])
      expect(e.message).toContain(`must be an integer from ${row.min} to ${row.max}`)
    }
  })

  it('flags are unique and each is a parseArgs option of its kind; keys without one are config-file only', () => {
    const flags = CONFIG_KEY_NAMES.flatMap((k) => rowOf(k).flag ?? [])
    expect(new Set(flags).size).toBe(flags.length)
    const options = serveFlagOptions()
    expect(Object.keys(options).sort()).toEqual(['config', ...flags.map((f) => f.slice(2))].sort())
    for (const key of CONFIG_KEY_NAMES) {
      const row = rowOf(key)
      if (row.flag === undefined) continue
      const repeatable = 'repeatable' in row && row.repeatable
      expect(options[row.flag.slice(2)], key).toEqual(row.kind === 'boolean' ? { type: 'boolean' } : repeatable ? { type: 'string', multiple: true } : { type: 'string' })
    }
    expect(thrown(() => loadServeConfig([...base, '--routes=x'], workspace())).code).toBe('PERMGATE_ERR_CLI_USAGE')
  })

  it('CONFIG_KEYS is the table read as key -> flag', () => {
    expect(Object.keys(CONFIG_KEYS)).toEqual(Object.keys(KEYS))
    for (const key of Object.keys(KEYS) as ConfigKey[]) expect(CONFIG_KEYS[key]).toBe(rowOf(key).flag)
  })

  it('a key of the file not in the table is PERMGATE_ERR_CONFIG_UNKNOWN_KEY, listing the table\'s keys', () => {
    const dir = workspace()
    writeFileSync(join(dir, 'permgate.yaml'), 'maxBodySize: 10\n')
    const e = thrown(() => loadServeConfig([...base, '--config', 'permgate.yaml'], dir))
    expect([e.code, e.place?.path]).toEqual(['PERMGATE_ERR_CONFIG_UNKNOWN_KEY', 'maxBodySize'])
    expect(e.message).toContain(`(known: ${CONFIG_KEY_NAMES.join(', ')})`)
  })
})

describe('the kinds of the table', () => {
  it('an empty value is refused, never read as the working directory or as 0', () => {
    const dir = workspace()
    for (const [flag, key] of [['--policy=', 'policy'], ['--bindings=', 'bindings'], ['--decision-log-sample-rate=', 'decisionLogSampleRate'], ['--port=', 'port']] as const) {
      const e = thrown(() => loadServeConfig([...base, flag], dir))
      expect([e.code, e.place?.path], flag).toEqual(['PERMGATE_ERR_CONFIG_INVALID', key])
    }
  })

  it('a list of files given as one string in the config file resolves against the file, like a YAML list', () => {
    const cwd = workspace()
    const conf = tempFiles({ 'a.yaml': '', 'b.yaml': '', 'permgate.yaml': 'overlays: a.yaml, b.yaml\n' })
    expect(loadServeConfig([...base, '--config', join(conf, 'permgate.yaml')], cwd).overlays).toEqual([join(conf, 'a.yaml'), join(conf, 'b.yaml')])
  })
})
