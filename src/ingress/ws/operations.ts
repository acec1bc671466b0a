// decide, for a WebSocket: a subscribe/start is checked against the socket's limits, read as an
// operation and decided by the pipeline once its principal's bindings are in memory; after a
// policy or bindings change the socket's credential is resolved again and every running
// operation decided again. The answers are the protocol's (an error for the id, a close).
import { denialEntries } from '../../egress/graphql-errors.js'
import { PermgateError } from '../../errors.js'
import type { Principal } from '../../identity/types.js'
import type { ExtractedOperation } from '../../policy/operation.js'
import type { GraphQLRequest } from '../graphql-request.js'
import type { Exchange } from '../pipeline.js'
import type { Connection } from './connection.js'
import { badMessage, CLOSE, errorEntry, errorMessage, ID_LESS, operationMessage, readOperation, readOperationId, stopMessage, type Message } from './protocols.js'

/** An operation running upstream, kept to decide it again when the policy or bindings change. */
export interface Running {
  readonly op: ExtractedOperation
  readonly request: GraphQLRequest
  /** The size of the message that started it: what the socket holds for it. */
  readonly bytes: number
}

/** An operation waiting for its principal's bindings. */
interface Pending {
  readonly c: Connection
  readonly id: string
  readonly running: Running
  readonly x: Exchange
}

function refuse(c: Connection, id: string, x: Exchange, e: unknown): void {
  c.send(errorMessage(c.protocol, id, [errorEntry(e, x.decisionId)]))
}

/** A subscribe (graphql-transport-ws) or start (legacy) from a ready socket. */
export function startOperation(c: Connection, m: Message, bytes: number): void {
  const { pipeline, log, maxSubscriptions, config } = c.relay
  const id = readOperationId(m, c.legacy)
  if (id === ID_LESS) {
    // as subscriptions-transport-ws: a second id-less start replaces the first (stopped upstream)
    if (c.release(ID_LESS)) c.upstream!.send(stopMessage(c.protocol, ID_LESS))
  } else if (c.active.has(id)) {
    throw new PermgateError('PERMGATE_ERR_WEBSOCKET_DUPLICATE_ID', `Subscriber for ${id} already exists`)
  }
  const x = c.exchange()
  let limit: PermgateError | undefined
  if (c.active.size >= maxSubscriptions) {
    limit = new PermgateError('PERMGATE_ERR_WEBSOCKET_TOO_MANY_SUBSCRIPTIONS', `at most ${maxSubscriptions} operations may run at once on one socket`)
  } else if (c.bytes + bytes > config.wsMaxSocketBytes) {
    // what a socket holds for its operations is bounded, not just their number
    limit = new PermgateError('PERMGATE_ERR_WEBSOCKET_TOO_MUCH_HELD', `the operations running on this socket would hold more than ${config.wsMaxSocketBytes} bytes`)
  }
  if (limit !== undefined) {
    pipeline.enforced(x, limit, 'none', log)
    return refuse(c, id, x, limit)
  }
  const ip = pipeline.ipDenied(c.ctx)
  if (ip !== undefined && !pipeline.refused(x, ip, 'none', log)) return refuse(c, id, x, ip)
  let request: GraphQLRequest | undefined
  let op: ExtractedOperation
  try {
    request = readOperation(m.payload)
    op = pipeline.operation(request.query, request.operationName)
  } catch (e) {
    // graphql-ws: a subscribe whose payload is not an operation is a protocol violation
    if (!c.legacy && request === undefined && e instanceof PermgateError && (e.code === 'PERMGATE_ERR_REQUEST_SHAPE' || e.code === 'PERMGATE_ERR_GRAPHQL_VARIABLES')) {
      throw badMessage(`invalid subscribe payload: ${e.message}`)
    }
    pipeline.enforced(x, e, 'none', log)
    return refuse(c, id, x, e)
  }
  const running: Running = { op, request, bytes }
  // a database store may have to load the principal's bindings first: the id is held meanwhile
  c.hold(id, running)
  pipeline.prepare<Pending>(c.principal, { c, id, running, x }, prepared, unprepared)
}

function prepared(p: Pending): void {
  const { c, id, running, x } = p
  // stopped while its bindings were loading: never started
  if (c.active.get(id) !== running) return
  c.release(id)
  if (c.state === 'ready') c.guard(() => decideOperation(c, id, running, x))
}

function unprepared(p: Pending, e: unknown): void {
  const { c, id, x } = p
  c.release(id)
  c.relay.pipeline.enforced(x, e, 'none', c.relay.log)
  if (c.state === 'ready') refuse(c, id, x, e)
}

/** decide, then answer: forwarded upstream (and held until it ends), or the denial for its id. */
export function decideOperation(c: Connection, id: string, running: Running, x: Exchange): void {
  const { pipeline, log } = c.relay
  const d = pipeline.decide(x, running.op, running.request.variables, log)
  if (!d.allowed && !pipeline.dryRun) return c.send(errorMessage(c.protocol, id, denialEntries(d, x.decisionId)))
  c.forward(id, running, operationMessage(c.protocol, id, running.request))
}

/**
 * After a policy or bindings change: the credential is resolved again (an API key deleted, a
 * token no longer valid: closed 4403) and every running operation decided again with the
 * current policy and bindings; one no longer allowed is stopped upstream, and the client gets
 * the protocol's error for its id. One pass at a time; a change during a pass runs another.
 */
export function revalidate(c: Connection): void {
  if (c.state !== 'connecting' && c.state !== 'ready') return
  if (c.revalidating) return void (c.again = true)
  c.revalidating = true
  c.relay.pipeline.identify(c.credential, c, reidentified, revalidationFailed)
}

function passDone(c: Connection): void {
  c.revalidating = false
  if (c.again) {
    c.again = false
    revalidate(c)
  }
}

function revalidationFailed(c: Connection, e: unknown): void {
  passDone(c)
  if (c.state === 'closed') return
  if (c.relay.pipeline.refused(c.exchange(), e, 'none', c.relay.log)) return
  if (!(e instanceof PermgateError)) return c.fail(e, 'Internal error', CLOSE.INTERNAL)
  // a store that cannot answer is no revocation: the socket closes all the same (deny on doubt)
  c.fail(e, 'Credential revoked', CLOSE.FORBIDDEN)
}

function reidentified(c: Connection, p: Principal): void {
  if (c.state === 'closed') return passDone(c)
  c.principal = p
  c.guard(() => {
    passDone(c)
    if (c.state !== 'ready') return
    const { pipeline } = c.relay
    for (const [id, r] of [...c.active]) {
      const x = c.exchange()
      const d = pipeline.recheck(x, r.op, r.request.variables)
      if (d.allowed || pipeline.dryRun) continue
      c.release(id)
      c.upstream?.send(stopMessage(c.protocol, id))
      c.send(errorMessage(c.protocol, id, denialEntries(d, x.decisionId)))
    }
  })
}
