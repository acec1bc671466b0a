// One concept: keeping a database password out of everything the bindings commands print.

/** The URL with its password replaced by `***` (also a `password=` query parameter); never throws. */
export function maskUrl(url: string): string {
  let masked: string
  try {
    const u = new URL(url)
    if (u.password !== '') u.password = '***'
    if (u.searchParams.has('password')) u.searchParams.set('password', '***')
    masked = u.toString().replace(/%2A%2A%2A/gi, '***')
  } catch {
    masked = url.replace(/(\/\/[^:/@]*:)[^@]*@/, '$1***@')
  }
  return masked.replace(/(password=)[^&\s]*/gi, '$1***')
}

/**
 * `text` with every occurrence of the URL's password replaced by `***`: a driver's message may
 * quote the connection string or the password itself.
 */
export function maskSecrets(text: string, url: string): string {
  const secrets = new Set<string>()
  try {
    const u = new URL(url)
    if (u.password !== '') {
      secrets.add(u.password)
      secrets.add(decodeURIComponent(u.password))
    }
    const p = u.searchParams.get('password')
    if (p) secrets.add(p)
  } catch {
    const m = /\/\/[^:/@]*:([^@]*)@/.exec(url)
    if (m?.[1]) secrets.add(m[1])
  }
  let out = text
  for (const s of secrets) if (s.length > 0) out = out.split(s).join('***')
  return out
}
