import { thrown } from '../../helpers/errors.js'
import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { loadServeConfig } from '../../../src/config/load.js'
import {
  DEFAULT_API_KEY_LENGTH, DEFAULT_GRAPHQL_PATH, DEFAULT_HOST, DEFAULT_MAX_BATCH_SIZE, DEFAULT_MAX_BODY_BYTES, DEFAULT_PORT,
  DEFAULT_MAX_JSON_DEPTH, DEFAULT_UPSTREAM_TIMEOUT_MS, DEFAULT_WS_MAX_CONNECTIONS, DEFAULT_WS_MAX_LIFETIME_MS, DEFAULT_WS_MAX_SOCKET_BYTES, type ServeConfig,
} from '../../../src/config/schema.js'
import { PermgateError, type ErrorCode } from '../../../src/errors.js'
import { cidrsContain } from '../../../src/config/cidr.js'
import { tempFiles } from '../../helpers/tmp.js'
import { testPki } from '../../helpers/tls.js'

/** loadServeConfig only checks that these files exist; what they hold is read later. */
function workspace(extra: Record<string, string> = {}): string {
  return tempFiles({ 'policy.yaml': 'name: test\n', 'bindings.yaml': 'subjects: {}\n', 'jwt.pem': 'pem', 'jwk.json': '{}', 'secret': 's\n', ...extra })
}

/** The minimal valid command line, relative to `dir`. */
const base = ['--policy', 'policy.yaml', '--bindings', 'bindings.yaml', '--upstream', 'http://127.0.0.1:4000/graphql']

function expectCode(fn: () => unknown, code: ErrorCode, path?: string): PermgateError {
  const e = thrown(fn)
  expect(e.code).toBe(code)
  if (path !== undefined) expect(e.place?.path).toBe(path)
  return e
}

describe('loadServeConfig: defaults and flags', () => {
  it('the minimal command line gives the documented defaults', () => {
    const dir = workspace()
    const c = loadServeConfig(base, dir)
    expect(c).toMatchObject({
      policy: join(dir, 'policy.yaml'),
      bindings: join(dir, 'bindings.yaml'),
      overlays: [],
      host: DEFAULT_HOST,
      port: DEFAULT_PORT,
      graphqlPath: DEFAULT_GRAPHQL_PATH,
      jwt: undefined,
      cookieName: undefined,
      apiKeyLength: DEFAULT_API_KEY_LENGTH,
      maxBodyBytes: DEFAULT_MAX_BODY_BYTES,
      maxBatchSize: DEFAULT_MAX_BATCH_SIZE,
      upstreamTimeoutMs: DEFAULT_UPSTREAM_TIMEOUT_MS,
      routes: [],
      stripHeaders: [],
      errorsAs200: false,
      logLevel: 'info',
    })
  })

  it('trustedProxies are compiled once, into the frozen config (none: undefined)', () => {
    const dir = workspace()
    expect(loadServeConfig(base, dir).trustedProxyRanges).toBeUndefined()
    const c = loadServeConfig([...base, '--trusted-proxy', '10.0.0.0/8', '--trusted-proxy', '::1'], dir)
    expect(c.trustedProxies).toEqual(['10.0.0.0/8', '::1'])
    expect(c.trustedProxyRanges).toBeDefined()
    expect(cidrsContain(c.trustedProxyRanges!, '10.1.2.3')).toBe(true)
    expect(cidrsContain(c.trustedProxyRanges!, '192.0.2.1')).toBe(false)
    expect(cidrsContain(c.trustedProxyRanges!, '::1')).toBe(true)
  })

  it('the JSON depth and WebSocket limits: named defaults, flags, bounds', () => {
    const dir = workspace()
    expect(loadServeConfig(base, dir)).toMatchObject({
      maxJsonDepth: DEFAULT_MAX_JSON_DEPTH,
      wsMaxLifetimeMs: DEFAULT_WS_MAX_LIFETIME_MS,
      wsMaxConnections: DEFAULT_WS_MAX_CONNECTIONS,
      wsMaxSocketBytes: DEFAULT_WS_MAX_SOCKET_BYTES,
    })
    const c = loadServeConfig([...base, '--max-json-depth', '10', '--ws-max-lifetime-ms', '60000', '--ws-max-connections', '5', '--ws-max-socket-bytes', '65536'], dir)
    expect([c.maxJsonDepth, c.wsMaxLifetimeMs, c.wsMaxConnections, c.wsMaxSocketBytes]).toEqual([10, 60000, 5, 65536])
    for (const [flag, v] of [['--max-json-depth', '1'], ['--ws-max-lifetime-ms', '0'], ['--ws-max-connections', '0'], ['--ws-max-socket-bytes', '1024']]) {
      expectCode(() => loadServeConfig([...base, flag!, v!], dir), 'PERMGATE_ERR_CONFIG_INVALID')
    }
  })

  it('relative file flags resolve against cwd; absolute ones are kept', () => {
    const dir = workspace()
    const other = workspace()
    const c = loadServeConfig([...base, '--bindings', join(other, 'bindings.yaml')], dir)
    expect(c.policy).toBe(join(dir, 'policy.yaml'))
    expect(c.bindings).toBe(join(other, 'bindings.yaml'))
  })

  it('--upstream with a path gives the origin and the upstream GraphQL path', () => {
    const dir = workspace()
    const at = (u: string): ServeConfig['upstream'] => loadServeConfig([...base, '--upstream', u], dir).upstream
    expect(at('http://h:4000/graphql')).toEqual({ origin: 'http://h:4000', graphqlPath: '/graphql' })
    expect(at('https://houston.example.com/v1/')).toEqual({ origin: 'https://houston.example.com', graphqlPath: '/v1' })
    expect(at('http://h:4000')).toEqual({ origin: 'http://h:4000', graphqlPath: undefined })
    expect(at('http://h:4000/')).toEqual({ origin: 'http://h:4000', graphqlPath: undefined })
  })

  it('a bad --upstream is CONFIG_INVALID', () => {
    const dir = workspace()
    for (const u of ['not a url', 'ftp://h/graphql', 'http://h/graphql?x=1', 'http://user:pw@h/graphql', 'http://h/graphql#f']) {
      expectCode(() => loadServeConfig([...base, '--upstream', u], dir), 'PERMGATE_ERR_CONFIG_INVALID', 'upstream')
    }
  })

  it('lists: repeated flags, and comma-separated values', () => {
    const dir = workspace({ 'a.yaml': '', 'b.yaml': '' })
    const c = loadServeConfig([...base, '--strip-header', 'X-User-Id', '--strip-header', 'x-roles', '--overlay', 'a.yaml', '--overlay', 'b.yaml'], dir)
    expect(c.stripHeaders).toEqual(['x-user-id', 'x-roles'])
    expect(c.overlays).toEqual([join(dir, 'a.yaml'), join(dir, 'b.yaml')])
    const j = loadServeConfig([...base, '--jwt-public-key', 'jwt.pem', '--jwt-algorithms', 'RS256, ES256'], dir)
    expect(j.jwt?.algorithms).toEqual(['RS256', 'ES256'])
  })

  it('--errors-as-200 is a boolean flag', () => {
    const dir = workspace()
    expect(loadServeConfig([...base, '--errors-as-200'], dir).errorsAs200).toBe(true)
    expectCode(() => loadServeConfig([...base, '--errors-as-200=yes'], dir), 'PERMGATE_ERR_CLI_USAGE')
  })

  it('JWT settings: the key source picks the default algorithm; dependent flags are kept', () => {
    const dir = workspace()
    const pem = loadServeConfig([...base, '--jwt-public-key', 'jwt.pem', '--jwt-issuer', 'https://i', '--jwt-audience', 'a', '--jwt-subject-claim', 'uuid'], dir).jwt
    expect(pem).toMatchObject({ algorithms: ['RS256'], publicKeyFile: join(dir, 'jwt.pem'), issuer: 'https://i', audience: 'a', subjectClaim: 'uuid', clockToleranceSec: 30 })
    const hs = loadServeConfig([...base, '--jwt-secret-file', 'secret'], dir).jwt
    expect(hs).toMatchObject({ algorithms: ['HS256'], secretFile: join(dir, 'secret'), subjectClaim: 'sub' })
    const jwks = loadServeConfig([...base, '--jwks-url', 'https://issuer.example/.well-known/jwks.json'], dir).jwt
    expect(jwks).toMatchObject({ algorithms: ['RS256'], jwksUrl: 'https://issuer.example/.well-known/jwks.json' })
  })
})

describe('loadServeConfig: the --config file', () => {
  it('flags win over the config file; keys only in the file are kept', () => {
    const dir = workspace()
    writeFileSync(join(dir, 'permgate.yaml'), 'upstream: http://from-file:1/graphql\nport: 9000\nlogLevel: debug\nmaxBatchSize: 3\nerrorsAs200: true\n')
    const c = loadServeConfig(['--config', 'permgate.yaml', '--policy', 'policy.yaml', '--bindings', 'bindings.yaml', '--port', '1234', '--upstream', 'http://from-flag:2/gql'], dir)
    expect(c.port).toBe(1234)
    expect(c.upstream).toEqual({ origin: 'http://from-flag:2', graphqlPath: '/gql' })
    expect(c.logLevel).toBe('debug')
    expect(c.maxBatchSize).toBe(3)
    expect(c.errorsAs200).toBe(true)
  })

  it('relative paths in the config file resolve against its directory, not cwd', () => {
    const cwd = workspace()
    const confDir = workspace({ 'overlay.yaml': '' })
    mkdirSync(join(confDir, 'keys'))
    writeFileSync(join(confDir, 'keys', 'jwt.pem'), 'pem')
    writeFileSync(
      join(confDir, 'permgate.yaml'),
      'policy: policy.yaml\nbindings: ./bindings.yaml\noverlays: [overlay.yaml]\njwtPublicKey: keys/jwt.pem\nupstream: http://h:1/graphql\n',
    )
    const c = loadServeConfig(['--config', join(confDir, 'permgate.yaml')], cwd)
    expect(c.policy).toBe(join(confDir, 'policy.yaml'))
    expect(c.bindings).toBe(join(confDir, 'bindings.yaml'))
    expect(c.overlays).toEqual([join(confDir, 'overlay.yaml')])
    expect(c.jwt?.publicKeyFile).toBe(join(confDir, 'keys', 'jwt.pem'))
    // A flag given alongside still resolves against cwd.
    expect(loadServeConfig(['--config', join(confDir, 'permgate.yaml'), '--bindings', 'bindings.yaml'], cwd).bindings).toBe(join(cwd, 'bindings.yaml'))
  })

  it('the config file path itself is relative to cwd', () => {
    const dir = workspace()
    mkdirSync(join(dir, 'conf'))
    writeFileSync(join(dir, 'conf', 'permgate.yaml'), 'policy: ../policy.yaml\nbindings: ../bindings.yaml\nupstream: http://h:1\n')
    const c = loadServeConfig(['--config', 'conf/permgate.yaml'], dir)
    expect(c.policy).toBe(join(dir, 'policy.yaml'))
  })

  it('routes are read from the config file', () => {
    const dir = workspace()
    writeFileSync(
      join(dir, 'permgate.yaml'),
      [
        'routes:',
        '  - { prefix: /v1/status/, access: public }',
        '  - { method: get, prefix: /v1/deployments, access: permission, permissions: [deployment.logs.get], scope: { kind: deployment, segment: 2 } }',
        '  - { methods: [POST, PUT], prefix: /v1/ws, access: permission, permissions: [a.b.c, d.e.f], op: OR }',
      ].join('\n'),
    )
    const c = loadServeConfig([...base, '--config', 'permgate.yaml'], dir)
    expect(c.routes).toEqual([
      { methods: ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'], prefix: '/v1/status', access: 'public', permissions: [], op: 'AND', scope: undefined },
      { methods: ['GET'], prefix: '/v1/deployments', access: 'permission', permissions: ['deployment.logs.get'], op: 'AND', scope: { kind: 'deployment', segment: 2 } },
      { methods: ['POST', 'PUT'], prefix: '/v1/ws', access: 'permission', permissions: ['a.b.c', 'd.e.f'], op: 'OR', scope: undefined },
    ])
  })

  it('an unknown config key is PERMGATE_ERR_CONFIG_UNKNOWN_KEY naming the key', () => {
    const dir = workspace()
    writeFileSync(join(dir, 'permgate.yaml'), 'upstream: http://h:1\nupstreamTimeout: 5\n')
    const e = expectCode(() => loadServeConfig([...base, '--config', 'permgate.yaml'], dir), 'PERMGATE_ERR_CONFIG_UNKNOWN_KEY', 'upstreamTimeout')
    expect(e.place?.file).toBe(join(dir, 'permgate.yaml'))
  })

  it.each(['constructor', 'toString', 'hasOwnProperty', '__proto__'])('a key inherited from Object.prototype (%s) is unknown too', (key) => {
    const dir = workspace()
    writeFileSync(join(dir, 'permgate.yaml'), `${key}: { upstream: "http://h:1" }\n`)
    expectCode(() => loadServeConfig([...base, '--config', 'permgate.yaml'], dir), 'PERMGATE_ERR_CONFIG_UNKNOWN_KEY', key)
  })

  it('an unknown key in a route is PERMGATE_ERR_CONFIG_UNKNOWN_KEY naming the route and key', () => {
    const dir = workspace()
    writeFileSync(join(dir, 'permgate.yaml'), 'routes:\n  - { prefix: /a, access: public }\n  - { prefix: /b, access: public, role: X }\n')
    expectCode(() => loadServeConfig([...base, '--config', 'permgate.yaml'], dir), 'PERMGATE_ERR_CONFIG_UNKNOWN_KEY', 'routes[1].role')
  })

  it.each([
    ['not a list', 'routes: { prefix: /a }\n', 'routes'],
    ['no access', 'routes:\n  - { prefix: /a }\n', 'routes[0]'],
    ['permission without permissions', 'routes:\n  - { prefix: /a, access: permission }\n', 'routes[0]'],
    ['permissions on a public route', 'routes:\n  - { prefix: /a, access: public, permissions: [a.b.c] }\n', 'routes[0]'],
    ['a relative prefix', 'routes:\n  - { prefix: a/b, access: public }\n', 'routes[0]'],
    ['a dot segment in the prefix', 'routes:\n  - { prefix: /a/../b, access: public }\n', 'routes[0]'],
    ['percent-encoding in the prefix', 'routes:\n  - { prefix: /a%2Fb, access: public }\n', 'routes[0]'],
    ['an unknown method', 'routes:\n  - { method: TRACE, prefix: /a, access: public }\n', 'routes[0]'],
    ['an empty method list', 'routes:\n  - { methods: [], prefix: /a, access: public }\n', 'routes[0]'],
    ['a bad op', 'routes:\n  - { prefix: /a, access: permission, permissions: [a.b.c], op: XOR }\n', 'routes[0]'],
    ['a bad scope kind', 'routes:\n  - { prefix: /a, access: permission, permissions: [a.b.c], scope: { kind: team, segment: 1 } }\n', 'routes[0].scope'],
    ['a negative segment', 'routes:\n  - { prefix: /a, access: permission, permissions: [a.b.c], scope: { kind: workspace, segment: -1 } }\n', 'routes[0].scope'],
  ])('a route with %s is CONFIG_INVALID', (_name, yaml, path) => {
    const dir = workspace()
    writeFileSync(join(dir, 'permgate.yaml'), yaml)
    expectCode(() => loadServeConfig([...base, '--config', 'permgate.yaml'], dir), 'PERMGATE_ERR_CONFIG_INVALID', path)
  })

  it('a config file that cannot be read, is not YAML or is not a map is PERMGATE_ERR_CONFIG_FILE', () => {
    const dir = workspace({ 'list.yaml': '- a\n- b\n', 'bad.yaml': 'a: [\n' })
    for (const f of ['missing.yaml', 'list.yaml', 'bad.yaml']) {
      expectCode(() => loadServeConfig([...base, '--config', f], dir), 'PERMGATE_ERR_CONFIG_FILE')
    }
  })

  it('an empty config file is no settings', () => {
    const dir = workspace({ 'empty.yaml': '' })
    expect(loadServeConfig([...base, '--config', 'empty.yaml'], dir).port).toBe(DEFAULT_PORT)
  })
})

describe('loadServeConfig: contradictions and errors', () => {
  const dir = workspace()
  const load = (...args: string[]) => () => loadServeConfig([...base, ...args], dir)

  it('two JWT key sources: PERMGATE_ERR_CONFIG_CONTRADICTION', () => {
    expectCode(load('--jwt-public-key', 'jwt.pem', '--jwt-secret-file', 'secret'), 'PERMGATE_ERR_CONFIG_CONTRADICTION')
    expectCode(load('--jwt-jwk', 'jwk.json', '--jwks-url', 'https://i/jwks'), 'PERMGATE_ERR_CONFIG_CONTRADICTION')
    expectCode(load('--jwt-public-key', 'jwt.pem', '--jwks-url', 'https://i/jwks'), 'PERMGATE_ERR_CONFIG_CONTRADICTION')
  })

  it('one key source in the file and another as a flag: still two', () => {
    const d = workspace()
    writeFileSync(join(d, 'permgate.yaml'), 'jwtSecretFile: secret\n')
    expectCode(() => loadServeConfig([...base, '--config', 'permgate.yaml', '--jwt-public-key', 'jwt.pem'], d), 'PERMGATE_ERR_CONFIG_CONTRADICTION')
  })

  it('an algorithm that does not fit the key: PERMGATE_ERR_CONFIG_CONTRADICTION (RS256/HS256 confusion)', () => {
    expectCode(load('--jwt-algorithms', 'HS256', '--jwt-public-key', 'jwt.pem'), 'PERMGATE_ERR_CONFIG_CONTRADICTION', 'jwtAlgorithms')
    expectCode(load('--jwt-algorithms', 'RS256,HS256', '--jwt-public-key', 'jwt.pem'), 'PERMGATE_ERR_CONFIG_CONTRADICTION', 'jwtAlgorithms')
    expectCode(load('--jwt-algorithms', 'HS256', '--jwks-url', 'https://i/jwks'), 'PERMGATE_ERR_CONFIG_CONTRADICTION', 'jwtAlgorithms')
    expectCode(load('--jwt-algorithms', 'RS256', '--jwt-secret-file', 'secret'), 'PERMGATE_ERR_CONFIG_CONTRADICTION', 'jwtAlgorithms')
  })

  it('an unsupported algorithm (none among them) is CONFIG_INVALID', () => {
    expectCode(load('--jwt-algorithms', 'none', '--jwt-public-key', 'jwt.pem'), 'PERMGATE_ERR_CONFIG_INVALID', 'jwtAlgorithms')
    expectCode(load('--jwt-algorithms', 'RS1', '--jwt-public-key', 'jwt.pem'), 'PERMGATE_ERR_CONFIG_INVALID', 'jwtAlgorithms')
  })

  it('JWT settings without any JWT key: PERMGATE_ERR_CONFIG_CONTRADICTION', () => {
    expectCode(load('--jwt-issuer', 'https://i'), 'PERMGATE_ERR_CONFIG_CONTRADICTION', 'jwtIssuer')
    expectCode(load('--jwt-audience', 'a'), 'PERMGATE_ERR_CONFIG_CONTRADICTION', 'jwtAudience')
    expectCode(load('--jwt-algorithms', 'RS256'), 'PERMGATE_ERR_CONFIG_CONTRADICTION', 'jwtAlgorithms')
    expectCode(load('--jwt-groups-claim', 'teams'), 'PERMGATE_ERR_CONFIG_CONTRADICTION', 'jwtGroupsClaim')
  })

  it('a bad --jwks-url is CONFIG_INVALID', () => {
    expectCode(load('--jwks-url', 'not a url'), 'PERMGATE_ERR_CONFIG_INVALID', 'jwksUrl')
    expectCode(load('--jwks-url', 'file:///etc/jwks.json'), 'PERMGATE_ERR_CONFIG_INVALID', 'jwksUrl')
  })

  it('a file that does not exist: PERMGATE_ERR_CONFIG_FILE naming the key', () => {
    expectCode(load('--policy', 'nope.yaml'), 'PERMGATE_ERR_CONFIG_FILE', 'policy')
    expectCode(load('--bindings', 'nope.yaml'), 'PERMGATE_ERR_CONFIG_FILE', 'bindings')
    expectCode(load('--overlay', 'nope.yaml'), 'PERMGATE_ERR_CONFIG_FILE', 'overlays')
    expectCode(load('--jwt-public-key', 'nope.pem'), 'PERMGATE_ERR_CONFIG_FILE', 'jwtPublicKey')
    expectCode(load('--jwt-secret-file', 'nope'), 'PERMGATE_ERR_CONFIG_FILE', 'jwtSecretFile')
  })

  it('a required setting missing: PERMGATE_ERR_CONFIG_MISSING naming it', () => {
    expectCode(() => loadServeConfig(['--policy', 'policy.yaml', '--bindings', 'bindings.yaml'], dir), 'PERMGATE_ERR_CONFIG_MISSING', 'upstream')
    expectCode(() => loadServeConfig(['--bindings', 'bindings.yaml', '--upstream', 'http://h:1'], dir), 'PERMGATE_ERR_CONFIG_MISSING', 'policy')
    expectCode(() => loadServeConfig(['--policy', 'policy.yaml', '--upstream', 'http://h:1'], dir), 'PERMGATE_ERR_CONFIG_MISSING', 'bindings')
  })

  it.each([
    ['--port', '65536'],
    ['--port=-1', ''],
    ['--port', '80a'],
    ['--port', '1.5'],
    ['--port', ''],
    ['--max-body-bytes', '0'],
    ['--max-batch-size', '1001'],
    ['--upstream-timeout-ms', '0'],
    ['--api-key-length', 'x'],
    ['--jwt-clock-tolerance', '3601'],
  ])('%s %j is CONFIG_INVALID', (flag, value) => {
    const key = { '--port': 'port', '--port=-1': 'port', '--max-body-bytes': 'maxBodyBytes', '--max-batch-size': 'maxBatchSize', '--upstream-timeout-ms': 'upstreamTimeoutMs', '--api-key-length': 'apiKeyLength', '--jwt-clock-tolerance': 'jwtClockToleranceSec' }[flag]
    const extra = flag === '--jwt-clock-tolerance' ? ['--jwt-public-key', 'jwt.pem'] : []
    expectCode(load(...extra, ...(flag.includes('=') ? [flag] : [flag, value])), 'PERMGATE_ERR_CONFIG_INVALID', key)
  })

  it('a port of the wrong type in the config file is CONFIG_INVALID', () => {
    const d = workspace()
    writeFileSync(join(d, 'permgate.yaml'), 'port: [80]\n')
    expectCode(() => loadServeConfig([...base, '--config', 'permgate.yaml'], d), 'PERMGATE_ERR_CONFIG_INVALID', 'port')
    writeFileSync(join(d, 'permgate.yaml'), 'errorsAs200: "yes"\n')
    expectCode(() => loadServeConfig([...base, '--config', 'permgate.yaml'], d), 'PERMGATE_ERR_CONFIG_INVALID', 'errorsAs200')
  })

  it('ports 0 and 65535 are valid', () => {
    expect(loadServeConfig([...base, '--port', '0'], dir).port).toBe(0)
    expect(loadServeConfig([...base, '--port', '65535'], dir).port).toBe(65535)
  })

  it('a bad --graphql-path is CONFIG_INVALID', () => {
    for (const p of ['graphql', '/graph ql', '//graphql', '/graphql?x', '/a%2Fb']) {
      expectCode(load('--graphql-path', p), 'PERMGATE_ERR_CONFIG_INVALID', 'graphqlPath')
    }
  })

  it('an unknown flag, a positional argument or a missing flag value: PERMGATE_ERR_CLI_USAGE', () => {
    expectCode(load('--upstream-url', 'http://h:1'), 'PERMGATE_ERR_CLI_USAGE')
    expectCode(load('serve'), 'PERMGATE_ERR_CLI_USAGE')
    expectCode(load('--port'), 'PERMGATE_ERR_CLI_USAGE')
    // config-file keys are not flags
    expectCode(load('--routes', 'x'), 'PERMGATE_ERR_CLI_USAGE')
  })
})

describe('loadServeConfig: the result is frozen', () => {
  it('the config and everything in it cannot be changed', () => {
    const dir = workspace()
    writeFileSync(
      join(dir, 'permgate.yaml'),
      'routes:\n  - { method: GET, prefix: /v1/deployments, access: permission, permissions: [deployment.logs.get], scope: { kind: deployment, segment: 2 } }\n',
    )
    const c = loadServeConfig([...base, '--config', 'permgate.yaml', '--jwt-public-key', 'jwt.pem', '--strip-header', 'x-user-id'], dir)
    expect(Object.isFrozen(c)).toBe(true)
    for (const part of [c.upstream, c.overlays, c.stripHeaders, c.routes, c.jwt, c.jwt?.algorithms]) expect(Object.isFrozen(part)).toBe(true)
    const rule = c.routes[0]!
    for (const part of [rule, rule.methods, rule.permissions, rule.scope]) expect(Object.isFrozen(part)).toBe(true)
    expect(() => {
      ;(c as { port: number }).port = 1
    }).toThrow(TypeError)
    expect(() => {
      ;(rule as { access: string }).access = 'public'
    }).toThrow(TypeError)
    expect(() => {
      ;(rule.methods as string[]).push('DELETE')
    }).toThrow(TypeError)
    expect(c.routes[0]!.access).toBe('permission')
  })
})

describe('loadServeConfig: TLS to the upstream and to the JWK set', () => {
  const pki = testPki()
  const https = ['--policy', 'policy.yaml', '--bindings', 'bindings.yaml', '--upstream', 'https://upstream.internal:4000/graphql']
  const load = (...args: string[]) => () => loadServeConfig([...https, ...args], workspace({ 'ca.pem': pki.caPem, 'key.pem': pki.key, 'bundle.pem': pki.caPem + pki.key, 'not.pem': 'not a certificate\n' }))

  it('by default the certificate is verified against Node\'s CA store, by its URL\'s host', () => {
    expect(load()().upstreamTls).toEqual({ ca: undefined, serverName: undefined, insecureSkipVerify: false })
    expect(load('--jwks-url', 'https://issuer/jwks')().jwt?.jwksCa).toBeUndefined()
  })

  it('--upstream-ca-file and --jwks-ca-file are read at start (relative to the working directory), as PEM certificates', () => {
    const c = load('--upstream-ca-file', 'ca.pem', '--upstream-server-name', 'gql.upstream.internal', '--jwks-url', 'https://issuer/jwks', '--jwks-ca-file', 'ca.pem')()
    expect(c.upstreamTls).toEqual({ ca: pki.caPem, serverName: 'gql.upstream.internal', insecureSkipVerify: false })
    expect(c.jwt?.jwksCa).toBe(pki.caPem)
    expect(Object.isFrozen(c.upstreamTls)).toBe(true)
  })

  it('in the config file, relative to the file; upstreamInsecureSkipVerify is a boolean', () => {
    const dir = workspace()
    mkdirSync(join(dir, 'etc'))
    writeFileSync(join(dir, 'etc', 'ca.pem'), pki.caPem)
    writeFileSync(join(dir, 'etc', 'permgate.yaml'), 'upstreamCaFile: ca.pem\nupstreamServerName: upstream.internal\n')
    expect(loadServeConfig([...https, '--config', 'etc/permgate.yaml'], dir).upstreamTls.ca).toBe(pki.caPem)
    writeFileSync(join(dir, 'etc', 'insecure.yaml'), 'upstreamInsecureSkipVerify: true\n')
    expect(loadServeConfig([...https, '--config', 'etc/insecure.yaml'], dir).upstreamTls.insecureSkipVerify).toBe(true)
    writeFileSync(join(dir, 'etc', 'yes.yaml'), 'upstreamInsecureSkipVerify: "yes"\n')
    expectCode(() => loadServeConfig([...https, '--config', 'etc/yes.yaml'], dir), 'PERMGATE_ERR_CONFIG_INVALID', 'upstreamInsecureSkipVerify')
  })

  it('a CA file that is missing, not PEM certificates, or holds a private key: refused at start', () => {
    expectCode(load('--upstream-ca-file', 'nope.pem'), 'PERMGATE_ERR_CONFIG_FILE', 'upstreamCaFile')
    expectCode(load('--upstream-ca-file', 'not.pem'), 'PERMGATE_ERR_CONFIG_INVALID', 'upstreamCaFile')
    expectCode(load('--upstream-ca-file', 'key.pem'), 'PERMGATE_ERR_CONFIG_INVALID', 'upstreamCaFile')
    expectCode(load('--upstream-ca-file', 'bundle.pem'), 'PERMGATE_ERR_CONFIG_INVALID', 'upstreamCaFile')
    expectCode(load('--jwks-url', 'https://issuer/jwks', '--jwks-ca-file', 'not.pem'), 'PERMGATE_ERR_CONFIG_INVALID', 'jwksCaFile')
  })

  it('--upstream-server-name must be a DNS name (SNI carries no IP address)', () => {
    for (const name of ['127.0.0.1', '::1', 'https://upstream.internal', 'upstream.internal:443', '-bad.internal']) {
      expectCode(load(`--upstream-server-name=${name}`), 'PERMGATE_ERR_CONFIG_INVALID', 'upstreamServerName')
    }
  })

  it('contradictions, by name', () => {
    // a CA is only used to verify: skipping verification and trusting a CA cannot both hold
    expectCode(load('--upstream-insecure-skip-verify', '--upstream-ca-file', 'ca.pem'), 'PERMGATE_ERR_CONFIG_CONTRADICTION', 'upstreamInsecureSkipVerify')
    // TLS settings beside a plaintext upstream would protect nothing
    const plain = ['--upstream', 'http://127.0.0.1:4000/graphql']
    expectCode(load(...plain, '--upstream-ca-file', 'ca.pem'), 'PERMGATE_ERR_CONFIG_CONTRADICTION', 'upstreamCaFile')
    expectCode(load(...plain, '--upstream-server-name', 'upstream.internal'), 'PERMGATE_ERR_CONFIG_CONTRADICTION', 'upstreamServerName')
    expectCode(load(...plain, '--upstream-insecure-skip-verify'), 'PERMGATE_ERR_CONFIG_CONTRADICTION', 'upstreamInsecureSkipVerify')
    // the JWK set's CA needs an https:// JWK set URL
    expectCode(load('--jwks-ca-file', 'ca.pem'), 'PERMGATE_ERR_CONFIG_CONTRADICTION', 'jwksCaFile')
    expectCode(load('--jwks-url', 'http://issuer/jwks', '--jwks-ca-file', 'ca.pem'), 'PERMGATE_ERR_CONFIG_CONTRADICTION', 'jwksCaFile')
    expectCode(load('--jwt-public-key', 'jwt.pem', '--jwks-ca-file', 'ca.pem'), 'PERMGATE_ERR_CONFIG_CONTRADICTION', 'jwksCaFile')
  })
})
