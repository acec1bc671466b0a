// One concept: the one connection a bindings command opens, and its failures as coded errors.
import pg from 'pg'
import { isPermgateError, PermgateError } from '../../errors.js'
import { maskSecrets, maskUrl } from './mask.js'

/** How long a command waits for the server to accept its connection. */
export const CONNECT_TIMEOUT_MS = 10_000 // 10 s

/** Opens one connection, runs `f`, closes it; any database failure is a coded error naming the masked URL. */
export async function withClient<T>(url: string, f: (client: pg.Client) => Promise<T>): Promise<T> {
  let client: pg.Client
  try {
    client = new pg.Client({ connectionString: url, connectionTimeoutMillis: CONNECT_TIMEOUT_MS, application_name: 'permgate bindings' })
  } catch (e) {
    throw databaseError(url, e)
  }
  // An error on an idle connection (the server going away) must not crash the process.
  client.on('error', () => undefined)
  try {
    await client.connect()
  } catch (e) {
    await client.end().catch(() => undefined)
    throw databaseError(url, e, 'cannot connect')
  }
  try {
    return await f(client)
  } catch (e) {
    throw databaseError(url, e)
  } finally {
    await client.end().catch(() => undefined)
  }
}

/**
 * A driver or server failure as PERMGATE_ERR_BINDINGS_DATABASE: one line naming the masked URL,
 * what failed (`what`), the message, the SQLSTATE and the server's detail; never the password.
 * A coded error passes through unchanged.
 */
export function databaseError(url: string, e: unknown, what?: string): PermgateError {
  if (isPermgateError(e)) return e
  const err = e as Error & { code?: string; detail?: string }
  let msg = err.message || String(e) || err.code || 'unknown error'
  if (err.code !== undefined && /^[0-9A-Z]{5}$/.test(err.code)) msg += ` (SQLSTATE ${err.code})`
  else if (err.code !== undefined && !msg.includes(err.code)) msg += ` (${err.code})`
  if (err.detail) msg += `: ${err.detail}`
  return new PermgateError('PERMGATE_ERR_BINDINGS_DATABASE', maskSecrets(`${maskUrl(url)}: ${what === undefined ? '' : `${what}: `}${msg}`, url))
}
