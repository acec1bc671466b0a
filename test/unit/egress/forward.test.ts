import type { IncomingHttpHeaders } from 'node:http'
import { errors } from 'undici'
import { describe, expect, it } from 'vitest'
import { ANONYMOUS } from '../../../src/identity/types.js'
import { forwardHeaders, headerHygiene, isLocalForwardingError } from '../../../src/egress/forward.js'

const COOKIE = 'astronomer_example_com_auth'
const hygiene = headerHygiene(['x-user-id', 'x_remote_user'], COOKIE)
const forward = (headers: IncomingHttpHeaders): IncomingHttpHeaders => forwardHeaders({ ...headers }, hygiene, ANONYMOUS, 'd-1', false, '127.0.0.1', undefined)

describe('forwardHeaders', () => {
  // A header name as CGI/WSGI/Rack read it: `_` and `.` are `-`.
  it.each([
    ['x-permgate_subject'],
    ['x-permgate.subject'],
    ['x_permgate_anything'],
    ['x_user_id'],
    ['x.user.id'],
    ['x-user_id'],
    ['x-remote-user'],
    ['x.remote_user'],
    ['x_http_method_override'],
    ['x-http-method'],
    ['x-method-override'],
    ['expect'],
    ['keep-alive'],
    ['te'],
    ['trailer'],
    ['proxy-connection'],
    ['upgrade'],
  ])('%s is not forwarded', (name) => {
    expect(forward({ [name]: 'x' })[name]).toBeUndefined()
  })

  it('names that only look close are forwarded: x_permgate (no separator after it), x-user-idx, accept_language', () => {
    const out = forward({ x_permgate: 'a', 'x-user-idx': 'b', accept_language: 'c' })
    expect([out.x_permgate, out['x-user-idx'], out.accept_language]).toEqual(['a', 'b', 'c'])
  })

  it('the credential cookie is removed when an Authorization header is present, other cookies kept', () => {
    expect(forward({ authorization: 'Bearer t', cookie: `a=1; ${COOKIE}=other; b=2` }).cookie).toBe('a=1; b=2')
    expect(forward({ authorization: 'Bearer t', cookie: `${COOKIE}=other` }).cookie).toBeUndefined()
    // a cookie whose name only contains the configured one stays
    expect(forward({ authorization: 'Bearer t', cookie: `x${COOKIE}=1` }).cookie).toBe(`x${COOKIE}=1`)
  })

  it('without an Authorization header the cookie decided: the Cookie header is forwarded as sent', () => {
    expect(forward({ cookie: `a=1; ${COOKIE}=mine` }).cookie).toBe(`a=1; ${COOKIE}=mine`)
  })

  it('no cookie is touched when no cookie name is configured', () => {
    const out = forwardHeaders({ authorization: 'Bearer t', cookie: `${COOKIE}=x` }, headerHygiene([], undefined), ANONYMOUS, 'd-1', false, undefined, undefined)
    expect(out.cookie).toBe(`${COOKIE}=x`)
  })
})

describe('isLocalForwardingError', () => {
  // reply-from hands undici's error on as the `cause` of its own
  const wrapped = (cause: Error): Error => new Error(cause.message, { cause })
  it.each([
    ['InvalidArgumentError (a header undici refuses)', new errors.InvalidArgumentError('invalid keep-alive header')],
    ['NotSupportedError (expect)', new errors.NotSupportedError('expect header not supported')],
    ['RequestContentLengthMismatchError', new errors.RequestContentLengthMismatchError()],
  ])('%s is local', (_name, e) => {
    expect(isLocalForwardingError(wrapped(e))).toBe(true)
    expect(isLocalForwardingError(e)).toBe(true)
  })

  it.each([
    ['a refused connection', Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1'), { code: 'ECONNREFUSED' })],
    ['a socket error', new errors.SocketError('other side closed')],
    ['a headers timeout', new errors.HeadersTimeoutError()],
    ['a connect timeout', new errors.ConnectTimeoutError()],
  ])("%s is the upstream's", (_name, e) => {
    expect(isLocalForwardingError(wrapped(e))).toBe(false)
  })
})
