import { readFileSync } from 'node:fs'
import { isMap, isSeq, LineCounter, parseDocument, type Document, type Node } from 'yaml'
import { PermgateError, type ErrorCode, type ErrorPlace } from '../errors.js'

/** A YAML file read with its line table, so every error can name file and line. */
export interface YamlFile {
  readonly file: string
  readonly doc: Document.Parsed
  readonly lines: LineCounter
  /** The document as plain JS, merge keys (`<<`) resolved. */
  readonly value: unknown
}

export function readYamlFile(file: string, notFound: ErrorCode): YamlFile {
  let text: string
  try {
    text = readFileSync(file, 'utf8')
  } catch (e) {
    throw new PermgateError(notFound, `cannot read file: ${(e as Error).message}`, { file })
  }
  return parseYaml(text, file)
}

export function parseYaml(text: string, file: string): YamlFile {
  const lines = new LineCounter()
  // merge: YAML 1.1 merge keys, as Houston's role files use them for inheritance. Duplicate keys
  // are found by refuseDuplicateKeys: the library's own check is quadratic in a map's size (a
  // 10,000-subject bindings file took a second longer to read with it).
  const doc = parseDocument(text, { lineCounter: lines, merge: true, uniqueKeys: false, prettyErrors: false })
  const err = doc.errors[0]
  if (err) {
    const line = lines.linePos(err.pos[0]).line
    throw new PermgateError('PERMGATE_ERR_POLICY_YAML', `${err.code}: ${err.message.split('\n')[0]}`, { file, line })
  }
  refuseDuplicateKeys(doc.contents, file, lines)
  // maxAliasCount bounds "billion laughs" expansion of aliases.
  const value = doc.toJS({ maxAliasCount: 1000 }) as unknown
  return { file, doc, lines, value }
}

/** A key given twice in one map is an error (a second value must never silently win). One pass, a Set per map. */
function refuseDuplicateKeys(root: unknown, file: string, lines: LineCounter): void {
  const stack: unknown[] = [root]
  while (stack.length > 0) {
    const node = stack.pop()
    if (isMap(node)) {
      const seen = new Set<string>()
      for (const pair of node.items) {
        const key = keyString(pair.key)
        if (key !== '<<') {
          if (seen.has(key)) {
            const offset = (pair.key as Node | null)?.range?.[0]
            const place: ErrorPlace = { file }
            if (offset !== undefined) place.line = lines.linePos(offset).line
            throw new PermgateError('PERMGATE_ERR_POLICY_YAML', `DUPLICATE_KEY: map keys must be unique (${JSON.stringify(key)} is given twice)`, place)
          }
          seen.add(key)
        }
        stack.push(pair.value)
      }
    } else if (isSeq(node)) {
      for (const item of node.items) stack.push(item)
    }
  }
}

/** The place of the node at `path` (or of its nearest existing ancestor). */
export function placeOf(y: YamlFile, path: readonly (string | number)[]): ErrorPlace {
  let node: unknown = y.doc.contents
  let found: Node | undefined = node as Node | undefined
  for (const key of path) {
    if (isMap(node)) {
      const pair = node.items.find((p) => keyString(p.key) === String(key))
      if (!pair) break
      found = (pair.key as Node | null) ?? found
      node = pair.value
    } else if (isSeq(node) && typeof key === 'number') {
      node = node.items[key]
      found = (node as Node | undefined) ?? found
    } else {
      break
    }
  }
  const place: ErrorPlace = { file: y.file, path: path.join('.') }
  const offset = found?.range?.[0]
  if (offset !== undefined) place.line = y.lines.linePos(offset).line
  return place
}

function keyString(k: unknown): string {
  if (k && typeof k === 'object' && 'value' in k) return String((k as { value: unknown }).value)
  return String(k)
}

export function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof Set) && !(v instanceof Map)
}
