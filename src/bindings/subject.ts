/** The longest subject a token (or a bindings file) may carry, in characters (an email address is at most 254). */
export const MAX_SUBJECT_LENGTH = 256
// The subject is the x-permgate-subject header value upstream: printable ASCII, spaces inside
// only. undici refuses CR, LF, NUL and anything past Latin-1 (every request a 502); obs-text
// (0x80-0xFF) is decoded differently by different upstreams, so two subjects could arrive as
// one; and surrounding spaces are stripped by the recipient (RFC 9110 §5.5), so " u-admin"
// would arrive as "u-admin".
const SUBJECT = /^[\x21-\x7e](?:[\x20-\x7e]*[\x21-\x7e])?$/

/** Whether `s` can be the principal's subject: sent upstream in a header exactly as decided. */
export function isForwardableSubject(s: string): boolean {
  return s.length <= MAX_SUBJECT_LENGTH && SUBJECT.test(s)
}
