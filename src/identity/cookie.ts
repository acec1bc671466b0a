/**
 * The values of every cookie called `name` in a Cookie header (RFC 6265 §5.4), in order.
 * Pairs are split on `;` and at their first `=`; names compare exactly (cookie names are
 * case-sensitive); values are trimmed and lose one pair of surrounding double quotes
 * (RFC 6265 §4.1.1 `cookie-value`) but are never percent-decoded, so what is verified is
 * exactly what the client sent. Node joins repeated Cookie headers with `; `; an array
 * (HTTP/2 allows several Cookie fields) is read field by field.
 */
export function cookieValues(header: string | readonly string[] | undefined, name: string): string[] {
  if (header === undefined) return []
  const fields = typeof header === 'string' ? [header] : header
  const values: string[] = []
  for (const field of fields) {
    for (const pair of field.split(';')) {
      const eq = pair.indexOf('=')
      if (eq < 0 || pair.slice(0, eq).trim() !== name) continue
      values.push(unquote(pair.slice(eq + 1).trim()))
    }
  }
  return values
}

function unquote(v: string): string {
  return v.length >= 2 && v.startsWith('"') && v.endsWith('"') ? v.slice(1, -1) : v
}
