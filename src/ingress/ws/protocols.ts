import { errorEntryOf, type ErrorEntry } from '../../egress/graphql-errors.js'
import { ERRORS, PermgateError, type ErrorCode } from '../../errors.js'
import type { GraphQLRequest } from '../graphql-request.js'
import { checkJsonDepth } from '../json.js'

/**
 * The two GraphQL over WebSocket protocols, by the subprotocol a client asks for:
 * - `graphql-transport-ws`: graphql-ws (the GraphQL over WebSocket protocol).
 * - `graphql-ws`: the legacy subscriptions-transport-ws protocol (Apollo's, still used by Houston clients).
 */
export const GRAPHQL_TRANSPORT_WS = 'graphql-transport-ws'
export const LEGACY_GRAPHQL_WS = 'graphql-ws'
export type WsProtocol = typeof GRAPHQL_TRANSPORT_WS | typeof LEGACY_GRAPHQL_WS

/**
 * Close codes. Numbers follow graphql-ws (the legacy protocol defines none, so a legacy client
 * gets the same code, after a `connection_error` or `error` message saying why). Which error
 * closes with which code is the registry's (`closeCode` in src/errors.ts, read by
 * {@link closeCodeOf}; docs/errors.md lists them):
 *
 * | code | when                                                                        |
 * |------|-----------------------------------------------------------------------------|
 * | 4400 | a message that is not JSON, nested too deep, not an object, binary, of unknown type, or malformed (an id over 256 characters) |
 * | 4401 | subscribe/start before the connection is acknowledged (or before connection_init) |
 * | 4403 | connection_init with a credential that is not valid; the token expired; the credential no longer resolves after a policy or bindings change; the socket's lifetime ended (graphql-ws clients retry 4403 and send a fresh token) |
 * | 4408 | no connection_init (or no acknowledgement) within {@link DEFAULT_INIT_TIMEOUT_MS} |
 * | 4409 | a subscribe/start whose id is already running                              |
 * | 4429 | a second connection_init                                                    |
 * | 1011 | the upstream could not be reached, failed, or an internal error (deny)     |
 * | 1013 | the client reads too slowly: over {@link DEFAULT_MAX_BUFFERED_BYTES} wait to be sent to it |
 * | 1001 | permgate is shutting down                                                  |
 *
 * Once connected, a close from the upstream is relayed with its code when it may be sent
 * (1000, 3000-4999), else as 1011; a close from the client is relayed upstream the same way
 * (else as 1000).
 */
export const CLOSE = {
  BAD_REQUEST: 4400,
  UNAUTHORIZED: 4401,
  FORBIDDEN: 4403,
  INIT_TIMEOUT: 4408,
  DUPLICATE_ID: 4409,
  DUPLICATE_INIT: 4429,
  INTERNAL: 1011,
  TRY_AGAIN_LATER: 1013,
  GOING_AWAY: 1001,
  NORMAL: 1000,
} as const

/**
 * The close code of an error that ends a socket, from the registry; a code without one (it is
 * not meant to close a socket) closes as an internal error, 1011.
 */
export function closeCodeOf(code: ErrorCode): number {
  return ERRORS[code].closeCode ?? CLOSE.INTERNAL
}

/** How long a client has to send connection_init and be acknowledged: 5 s. */
export const DEFAULT_INIT_TIMEOUT_MS = 5_000
/** Operations running at once on one socket; one more is refused with an error for its id. */
export const DEFAULT_MAX_SUBSCRIPTIONS_PER_SOCKET = 100
/**
 * An operation id's length, characters: ids are held while their operation runs (and graphql-ws
 * clients send UUIDs), so a long one is a protocol violation (4400), not memory to hold.
 */
export const MAX_OPERATION_ID_LENGTH = 256
/** Bytes waiting to be sent to a slow client before its socket is closed (1013): 16 MiB. */
export const DEFAULT_MAX_BUFFERED_BYTES = 16 * 1024 * 1024

/** Message types per protocol, where they differ. */
export interface Vocabulary {
  /** Starts an operation (client -> server). */
  readonly subscribe: 'subscribe' | 'start'
  /** Stops an operation (client -> server). */
  readonly stop: 'complete' | 'stop'
}
export const VOCABULARY: Readonly<Record<WsProtocol, Vocabulary>> = {
  [GRAPHQL_TRANSPORT_WS]: { subscribe: 'subscribe', stop: 'complete' },
  [LEGACY_GRAPHQL_WS]: { subscribe: 'start', stop: 'stop' },
}

/** The subprotocol to speak among those offered: graphql-transport-ws first; undefined when neither is. */
export function chooseProtocol(offered: Iterable<string>): WsProtocol | undefined {
  let legacy = false
  for (const p of offered) {
    if (p === GRAPHQL_TRANSPORT_WS) return GRAPHQL_TRANSPORT_WS
    if (p === LEGACY_GRAPHQL_WS) legacy = true
  }
  return legacy ? LEGACY_GRAPHQL_WS : undefined
}

/** The subprotocols a `Sec-WebSocket-Protocol` header offers. */
export function offeredProtocols(header: string | string[] | undefined): string[] {
  if (header === undefined) return []
  const fields = typeof header === 'string' ? [header] : header
  return fields.flatMap((f) => f.split(',')).map((p) => p.trim()).filter((p) => p !== '')
}

/** A client message: a JSON object with a string `type`. */
export interface Message {
  readonly type: string
  readonly id?: unknown
  readonly payload?: unknown
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v)

export function badMessage(message: string): PermgateError {
  return new PermgateError('PERMGATE_ERR_WEBSOCKET_MESSAGE', message)
}

/**
 * A text frame as a message; anything else throws PERMGATE_ERR_WEBSOCKET_MESSAGE (and a
 * document nested deeper than `maxDepth`, PERMGATE_ERR_JSON_TOO_DEEP, checked before parsing).
 */
export function readMessage(data: Buffer | ArrayBuffer | Buffer[], isBinary: boolean, maxDepth: number): Message {
  if (isBinary) throw badMessage('binary frames are not GraphQL over WebSocket messages')
  const bytes = Buffer.isBuffer(data) ? data : Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data)
  checkJsonDepth(bytes, maxDepth)
  const text = bytes.toString('utf8')
  let parsed: unknown
  try {
    parsed = JSON.parse(text)
  } catch {
    throw badMessage('the message is not JSON')
  }
  if (!isObject(parsed)) throw badMessage('the message is not a JSON object')
  if (typeof parsed.type !== 'string') throw badMessage('the message has no type')
  return parsed as unknown as Message
}

/**
 * The key of the legacy protocol's id-less operation. The Astro CLI sends `start` (and never
 * `stop`) without an `id`; subscriptions-transport-ws keeps such an operation under the key
 * `undefined`, one at a time per socket: a second id-less `start` replaces it, an id-less `stop`
 * stops it, and its frames carry no `id`. A client's id is never empty (readId), so the empty
 * string cannot collide with one.
 */
export const ID_LESS = ''

/**
 * The id of a start/stop (legacy) or subscribe/complete: a client id, or {@link ID_LESS} for a
 * legacy message that has no `id` key at all (a null or empty id stays malformed).
 */
export function readOperationId(m: Message, legacy: boolean): string {
  if (legacy && !('id' in m)) return ID_LESS
  return readId(m)
}

/** An operation id: a non-empty string of at most {@link MAX_OPERATION_ID_LENGTH} characters. */
export function readId(m: Message): string {
  if (typeof m.id !== 'string' || m.id === '') throw badMessage(`a ${m.type} message needs a non-empty string id`)
  if (m.id.length > MAX_OPERATION_ID_LENGTH) throw badMessage(`an operation id is at most ${MAX_OPERATION_ID_LENGTH} characters`)
  return m.id
}

/** connection_init's payload: an object, or none. */
export function readInitPayload(m: Message): Record<string, unknown> | undefined {
  if (m.payload === undefined || m.payload === null) return undefined
  if (!isObject(m.payload)) throw badMessage('the connection_init payload must be an object')
  return m.payload
}

/**
 * The operation a subscribe/start carries: `query` (non-empty string), `variables` and
 * `extensions` (objects), `operationName` (string); other keys are dropped, never forwarded.
 */
export function readOperation(payload: unknown): GraphQLRequest {
  if (!isObject(payload)) throw new PermgateError('PERMGATE_ERR_REQUEST_SHAPE', 'the operation payload must be a JSON object')
  const { query, variables, operationName, extensions } = payload
  if (typeof query !== 'string' || query === '') throw new PermgateError('PERMGATE_ERR_REQUEST_SHAPE', 'query must be a non-empty string')
  if (variables != null && !isObject(variables)) throw new PermgateError('PERMGATE_ERR_GRAPHQL_VARIABLES', 'variables must be a JSON object')
  if (operationName != null && typeof operationName !== 'string') throw new PermgateError('PERMGATE_ERR_REQUEST_SHAPE', 'operationName must be a string')
  if (extensions != null && !isObject(extensions)) throw new PermgateError('PERMGATE_ERR_REQUEST_SHAPE', 'extensions must be a JSON object')
  return { query, variables: variables ?? undefined, operationName: operationName ?? undefined, extensions: extensions ?? undefined }
}

/** The forwarded subscribe/start: only what was decided. */
export function operationMessage(protocol: WsProtocol, id: string, r: GraphQLRequest): string {
  const payload: Record<string, unknown> = { query: r.query }
  if (r.operationName !== undefined) payload.operationName = r.operationName
  if (r.variables !== undefined) payload.variables = r.variables
  if (r.extensions !== undefined) payload.extensions = r.extensions
  return JSON.stringify({ ...idOf(id), type: VOCABULARY[protocol].subscribe, payload })
}

export type { ErrorEntry } from '../../egress/graphql-errors.js'

/** A coded error as an error entry, as HTTP answers it (an internal error keeps its text for the log). */
export function errorEntry(e: unknown, decisionId: string | undefined): ErrorEntry {
  return errorEntryOf(e, decisionId, 'internal error: the operation was not forwarded')
}

/** The `id` member of a message about operation `id`: none for the id-less legacy operation. */
function idOf(id: string): { id?: string } {
  return id === ID_LESS ? {} : { id }
}

/** A stop of operation `id`, as the protocol spells it (id-less for the id-less legacy operation). */
export function stopMessage(protocol: WsProtocol, id: string): string {
  return JSON.stringify({ ...idOf(id), type: VOCABULARY[protocol].stop })
}

/** The error for one operation id: graphql-ws sends a list, the legacy protocol one error. */
export function errorMessage(protocol: WsProtocol, id: string, errors: readonly ErrorEntry[]): string {
  return JSON.stringify({ ...idOf(id), type: 'error', payload: protocol === GRAPHQL_TRANSPORT_WS ? errors : errors[0] })
}

/** Legacy: the connection-level error, sent before closing. */
export function connectionErrorMessage(entry: ErrorEntry): string {
  return JSON.stringify({ type: 'connection_error', payload: entry })
}

/** Whether `ws` may send this close code (1000, 3000-4999); 1001 too, permgate's own shutdown. */
export function relayableCode(code: number): boolean {
  return code === 1000 || code === 1001 || (code >= 3000 && code <= 4999)
}

/** A close reason within the 123 bytes a close frame allows. */
export function closeReason(reason: string): string {
  const b = Buffer.from(reason, 'utf8')
  return b.length <= 123 ? reason : b.subarray(0, 120).toString('utf8').replace(/\uFFFD$/, '') + '...'
}
