// The ways an upstream may read a raw path (as sent, percent-decoded, NFKC-folded), and the paths
// refused because two of those readings could differ: for route paths and for the path of a URL
// a route condition reads (nginx auth_request's X-Original-Url).
import { PermgateError } from '../errors.js'

// Encoded slashes, backslashes, dot segments (`.`/`..`, also percent-encoded: URL parsers read
// `%2e%2e` as `..`), empty segments, a fragment (dropped before the upstream sees the path), path
// parameters (`;`: Tomcat reads `/..;/` as `/../`, Spring `/a;x/b` as `/a/b`) and encoded control
// characters (`%00` ends a path in C): a path that a router and the upstream could read
// differently is refused rather than matched.
const AMBIGUOUS = /%2f|%5c|\\|#|;|%3b|%[01][0-9a-f]|%7f|\/(?:\.|%2e){1,2}(\/|$)|\/\//i
/**
 * Read on the raw, the decoded and the NFKC-folded path: backslashes, parameters, control
 * characters, dot and empty segments, and `/..` or `../` anywhere (the forwarder, reply-from,
 * refuses those itself: a 500 instead of a coded 400).
 */
const AMBIGUOUS_DECODED = /[\\;\u0000-\u001f\u007f]|\/\.(\/|$)|\/\.\.|\.\.\/|\/\//
export const NON_ASCII = /[^\u0000-\u007f]/

function ambiguous(): PermgateError {
  return new PermgateError('PERMGATE_ERR_REQUEST_SHAPE', 'the path has encoded slashes, dot segments, empty segments, path parameters or control characters')
}

/** The path percent-decoded; malformed encodings are refused. */
function decodePath(path: string): string {
  try {
    return decodeURIComponent(path)
  } catch {
    throw new PermgateError('PERMGATE_ERR_REQUEST_SHAPE', 'the path has a malformed percent-encoding')
  }
}

/**
 * The ways an upstream may read a raw path: as sent, percent-decoded, and with compatibility
 * characters folded (NFKC: a fullwidth `／` or `．` becomes `/` or `.`). Throws when one of them
 * is ambiguous (see AMBIGUOUS).
 */
export function readings(path: string): string[] {
  if (AMBIGUOUS.test(path) || AMBIGUOUS_DECODED.test(path)) throw ambiguous()
  const out = [path]
  if (!path.includes('%') && !NON_ASCII.test(path)) return out
  const decoded = decodePath(path)
  const folded = NON_ASCII.test(decoded) ? decoded.normalize('NFKC') : decoded
  for (const r of [decoded, folded]) {
    if (AMBIGUOUS_DECODED.test(r)) throw ambiguous()
    if (!out.includes(r)) out.push(r)
  }
  return out
}

/** Whether every reading of `path` is unambiguous (readings would not throw). */
export function isPlainPath(path: string): boolean {
  try {
    readings(path)
    return true
  } catch {
    return false
  }
}
