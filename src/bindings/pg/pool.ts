// Connections to the bindings database: the query pool and the listener's client with their
// settings, which errors mean the connection (not the query) failed, and the URL as it may be shown.
import pg from 'pg'

export interface ConnectionSettings {
  readonly url: string
  /** Connecting and each query give up after this, ms. */
  readonly timeoutMs: number
}

/** The pool requests' queries run on. Its idle clients' errors go to `onError`, never to the process. */
export function createPool(s: ConnectionSettings, size: number, onError: (e: Error) => void): pg.Pool {
  const pool = new pg.Pool({
    connectionString: s.url,
    max: size,
    connectionTimeoutMillis: s.timeoutMs,
    query_timeout: s.timeoutMs,
    idleTimeoutMillis: 30_000,
    keepAlive: true,
    application_name: 'permgate',
  })
  // An idle client's error (server restart, network) must never crash the process; the listener
  // notices the same loss and handles it.
  pool.on('error', onError)
  return pool
}

/** The dedicated connection that LISTENs (a pooled client could be handed to a query meanwhile). */
export function createListenClient(s: ConnectionSettings): pg.Client {
  return new pg.Client({
    connectionString: s.url,
    connectionTimeoutMillis: s.timeoutMs,
    query_timeout: s.timeoutMs,
    keepAlive: true,
    application_name: 'permgate-listen',
  })
}

/** Server errors that mean the connection or the server is going away, not a bad query. */
const CONNECTION_SQLSTATES = new Set(['57P01', '57P02', '57P03', '53300', '53400'])

export function isConnectionError(e: unknown): boolean {
  if (e instanceof pg.DatabaseError) return (e.code ?? '').startsWith('08') || CONNECTION_SQLSTATES.has(e.code ?? '')
  return true // refused, reset, timed out, terminated: anything that is not the server's answer to the query
}

/** host:port/database, never the user's password. */
export function where(url: string): string {
  try {
    const u = new URL(url)
    return `${u.hostname}:${u.port || '5432'}${u.pathname}`
  } catch {
    return 'the configured URL'
  }
}

/** An error's message with the URL's password (as written and decoded) removed. */
export function describer(url: string): (e: unknown) => string {
  const secrets: string[] = []
  try {
    const u = new URL(url)
    for (const p of [u.password, u.searchParams.get('password') ?? '']) {
      if (p === '') continue
      secrets.push(p)
      try {
        secrets.push(decodeURIComponent(p))
      } catch {
        // not percent-encoded
      }
    }
  } catch {
    // not a URL: pg will fail to parse it too, and the message will not echo it
  }
  return (e) => {
    const msg = e instanceof Error ? e.message || String((e as { code?: unknown }).code ?? e.name) : String(e)
    return secrets.reduce((acc, p) => acc.split(p).join('***'), msg)
  }
}
