/**
 * What the operator reads about the keys, written from the table of keys: the README's
 * configuration table (a test fails when README.md differs from it) and `permgate serve --help`.
 */
import { CONFIG_KEY_NAMES, rowOf, type KeyKind, type KeyRow, type KeyUnit } from './keys.js'

/** The README's table sits between these two lines. */
export const TABLE_START = '<!-- config-table:start: generated from src/config/keys.ts by UPDATE_README=1 npx vitest run test/unit/config/readme-table.test.ts -->'
export const TABLE_END = '<!-- config-table:end -->'

const KIND_LABEL: { readonly [K in KeyKind]: string } = {
  string: 'string',
  path: 'URL path',
  file: 'file',
  files: 'files',
  pem: 'PEM file',
  bindings: 'file or `postgres://` URL',
  url: 'http(s) URL',
  dnsName: 'DNS name',
  list: 'list',
  cidrs: 'CIDR list',
  boolean: 'boolean',
  integer: 'integer',
  fraction: 'number',
  sink: '`off`, `stdout` or file',
  routes: 'list of routes',
  cors: 'map',
}

const KIND_ARG: { readonly [K in KeyKind]: string } = {
  string: 'VALUE', path: 'PATH', file: 'FILE', files: 'FILE', pem: 'PEM', bindings: 'FILE', url: 'URL', dnsName: 'NAME',
  list: 'LIST', cidrs: 'CIDR', boolean: '', integer: 'N', fraction: 'N', sink: 'FILE', routes: '', cors: '',
}
const UNIT_ARG: { readonly [U in KeyUnit]?: string } = { ms: 'MS', s: 'SEC', days: 'DAYS', bytes: 'BYTES' }

/** Larger units an integer of this unit is also written in, largest first. */
const SCALES: { readonly [U in KeyUnit]?: readonly (readonly [number, string])[] } = {
  ms: [[86_400_000, 'd'], [3_600_000, 'h'], [60_000, 'min'], [1000, 's'], [1, 'ms']],
  s: [[86_400, 'd'], [3600, 'h'], [60, 'min'], [1, 's']],
  bytes: [[1024 ** 3, 'GiB'], [1024 ** 2, 'MiB'], [1024, 'KiB'], [1, 'B']],
}

/** `65536` bytes as `64 KiB`, `3600000` ms as `1 h`; a unit without scales is spelled out. */
function quantity(n: number, unit: KeyUnit | undefined): string {
  if (unit === undefined || n === 0) return String(n)
  const scale = SCALES[unit]?.find(([f]) => n % f === 0)
  return scale === undefined ? `${n} ${unit}` : `${n / scale[0]} ${scale[1]}`
}

export function typeLabel(row: KeyRow): string {
  return KIND_LABEL[row.kind]
}

/** The default as an operator gives it, with its unit: `1048576 bytes (1 MiB)`. */
export function defaultLabel(row: KeyRow): string {
  if (row.required) return 'required'
  if (row.defaultDoc !== undefined) return row.defaultDoc
  if (row.default === undefined) return 'none'
  if (row.kind !== 'integer' || row.unit === undefined) return String(row.default)
  const plain = `${row.default} ${row.unit}`
  const scaled = quantity(row.default, row.unit)
  return scaled === plain || SCALES[row.unit] === undefined ? plain : `${plain} (${scaled})`
}

export function rangeLabel(row: KeyRow): string {
  if (row.kind === 'fraction') return '0 to 1'
  if (row.kind !== 'integer') return ''
  if (row.unit !== undefined && SCALES[row.unit] === undefined) return `${row.min} to ${row.max} ${row.unit}`
  return `${quantity(row.min, row.unit)} to ${quantity(row.max, row.unit)}`
}

/** The flag's value as `--help` shows it: `--port N`, `--max-body-bytes BYTES`, `--dry-run`. */
export function flagLabel(row: KeyRow): string {
  if (row.flag === undefined) return ''
  const arg = row.arg ?? (row.kind === 'integer' && row.unit !== undefined ? UNIT_ARG[row.unit] : undefined) ?? KIND_ARG[row.kind]
  return arg === '' ? row.flag : `${row.flag} ${arg}`
}

const cell = (s: string): string => s.replace(/\|/g, '\\|')

/** The README's configuration table: one row per key, in the table's order. */
export function configTableMarkdown(): string {
  const lines = ['| key | flag | type | default | range | meaning |', '|---|---|---|---|---|---|']
  for (const key of CONFIG_KEY_NAMES) {
    const row = rowOf(key)
    const flag = row.flag === undefined ? '(config file only)' : `\`${row.flag}\`${'repeatable' in row && row.repeatable ? ' (repeatable)' : ''}`
    lines.push(`| \`${key}\` | ${flag} | ${cell(typeLabel(row))} | ${cell(defaultLabel(row))} | ${rangeLabel(row)} | ${cell(row.doc)} |`)
  }
  return lines.join('\n') + '\n'
}

/** The table with its markers, as README.md holds it. */
export function configTableBlock(): string {
  return `${TABLE_START}\n${configTableMarkdown()}${TABLE_END}`
}

/** What sits between the markers in `readme` (undefined when they are missing). */
export function readmeTable(readme: string): string | undefined {
  const start = readme.indexOf(TABLE_START)
  const end = readme.indexOf(TABLE_END)
  if (start < 0 || end < start) return undefined
  return readme.slice(start + TABLE_START.length + 1, end)
}

/** `readme` with the generated table between its markers. */
export function withConfigTable(readme: string): string {
  const start = readme.indexOf(TABLE_START)
  const end = readme.indexOf(TABLE_END)
  if (start < 0 || end < start) throw new Error(`README.md has no ${TABLE_START} ... ${TABLE_END} block`)
  return readme.slice(0, start) + configTableBlock() + readme.slice(end + TABLE_END.length)
}

/** `permgate serve` and its required flags: the rest are options. */
function usageLine(): string {
  const required = CONFIG_KEY_NAMES.filter((k) => rowOf(k).required).map((k) => flagLabel(rowOf(k)))
  return `permgate serve ${required.join(' ')} [--config permgate.yaml] [OPTION]...`
}

/** One line for `permgate --help`. */
export function serveUsage(): string {
  return `${usageLine()}  (serve --help: every option)`
}

/** `permgate serve --help`: every flag of the table, its default, range and doc line. */
export function serveHelp(): string {
  const entries: [string, string][] = [['--config FILE', 'a YAML file of the keys below (their names, e.g. maxBodyBytes); flags win over it']]
  for (const key of CONFIG_KEY_NAMES) {
    const row = rowOf(key)
    if (row.flag === undefined) continue
    const notes = [row.required ? 'required' : `default ${defaultLabel(row)}`, rangeLabel(row), 'repeatable' in row && row.repeatable ? 'repeatable' : '']
    entries.push([flagLabel(row), `${row.doc} [${notes.filter(Boolean).join('; ')}]`.replace(/`/g, '')])
  }
  const width = Math.max(...entries.map(([f]) => f.length)) + 2
  const keysOnly = CONFIG_KEY_NAMES.filter((k) => rowOf(k).flag === undefined)
  return [
    `usage: ${usageLine()}`,
    '',
    ...entries.map(([f, d]) => `  ${f.padEnd(width)}${d}`),
    '',
    `Keys for the config file only: ${keysOnly.join(', ')}.`,
    '',
  ].join('\n')
}
