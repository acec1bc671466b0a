import { PermgateError } from '../errors.js'

/** Nesting of a client's JSON document, levels: the `maxJsonDepth` key's default (why: see its row). */
export { DEFAULT_MAX_JSON_DEPTH } from '../config/keys.js'

const OPEN_ARRAY = 0x5b
const OPEN_OBJECT = 0x7b
const CLOSE_ARRAY = 0x5d
const CLOSE_OBJECT = 0x7d
const QUOTE = 0x22
const BACKSLASH = 0x5c

/**
 * Throws PERMGATE_ERR_JSON_TOO_DEEP when `text` nests arrays and objects deeper than
 * `maxDepth`. One pass over the bytes (or UTF-16 code units), skipping strings; it does not
 * validate (JSON.parse does that next). A `Buffer` is scanned without being decoded.
 */
export function checkJsonDepth(text: string | Uint8Array, maxDepth: number): void {
  let depth = 0
  let inString = false
  const n = text.length
  const bytes = typeof text !== 'string'
  for (let i = 0; i < n; i++) {
    const c = bytes ? (text as Uint8Array)[i]! : (text as string).charCodeAt(i)
    if (inString) {
      if (c === BACKSLASH) i++
      else if (c === QUOTE) inString = false
    } else if (c === QUOTE) {
      inString = true
    } else if (c === OPEN_ARRAY || c === OPEN_OBJECT) {
      if (++depth > maxDepth) throw tooDeep(maxDepth)
    } else if (c === CLOSE_ARRAY || c === CLOSE_OBJECT) {
      depth--
    }
  }
}

/** JSON.parse of a client document, its depth checked first; a syntax error is the caller's to code. */
export function parseClientJson(text: string, maxDepth: number): unknown {
  checkJsonDepth(text, maxDepth)
  return JSON.parse(text)
}

function tooDeep(maxDepth: number): PermgateError {
  return new PermgateError('PERMGATE_ERR_JSON_TOO_DEEP', `the JSON document nests arrays and objects deeper than ${maxDepth} levels`)
}
