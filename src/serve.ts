import { readFileSync } from 'node:fs'
import type { FastifyInstance } from 'fastify'
import { buildAdminApp } from './admin.js'
import { buildApp, type AppDeps } from './app.js'
import { SYSTEM_CLOCK, type Clock } from './clock.js'
import { DecisionLog } from './telemetry/decision-log.js'
import { compileActive, Reloader } from './reload.js'
import { Metrics } from './telemetry/metrics.js'
import type { ServeConfig } from './config/schema.js'
import { PermgateError } from './errors.js'
import { WARNINGS } from './warnings.js'
import { IdentityResolver } from './identity/resolver.js'
import type { IdentityOptions, JwtOptions } from './identity/types.js'
import { DocumentCache } from './operation/cache.js'
import { Authorizer, loadAuthorizer } from './policy/authorizer.js'
import { PgBindingsStore } from './bindings/pg/store.js'
import { isDatabaseUrl } from './config/load.js'
import { compilePolicy } from './policy/compile.js'
import { loadPolicy } from './policy/load.js'

/**
 * Loads and compiles everything a configuration names; any problem stops the start. `clock` is
 * what identity (token expiry, the JWK set's refetching) and the reload poller run on.
 */
export async function prepare(config: ServeConfig, clock: Clock = SYSTEM_CLOCK): Promise<AppDeps> {
  let metrics: Metrics | undefined
  // bindings from PostgreSQL: one store for the process's life, shared by every policy version
  const store = isDatabaseUrl(config.bindings)
    ? await PgBindingsStore.open({ url: config.bindings, cacheTtlMs: config.bindingsCacheTtlMs, maxStalenessMs: config.bindingsMaxStalenessMs, clock })
    : undefined
  const reloader = new Reloader(
    config,
    compileActive(config, store),
    (r) => {
      metrics?.reloads.inc({ result: r.ok ? 'success' : 'error' })
      if (!r.ok) process.stderr.write(`permgate: warning ${WARNINGS.PERMGATE_WARN_RELOAD_FAILED.code}: reload failed, the previous policy keeps serving: ${r.code}: ${r.message}\n`)
    },
    config.reloadPollMs,
    store,
    clock,
  )
  const authorizer = (): Authorizer => reloader.active.authorizer
  const identity = await IdentityResolver.create(identityOptions(config), () => authorizer().store, clock)
  const d = config.decisionLog
  const decisionLog = d.sink === 'off'
    ? undefined
    : new DecisionLog({
        sink: d.sink === 'stdout' ? 'stdout' : { file: d.sink.file, rotateBytes: d.rotateBytes, retentionDays: d.retentionDays },
        allowedSampleRate: d.sampleRate,
      })
  const documents = new DocumentCache()
  metrics = new Metrics(
    () => {
      const a = authorizer().stats()
      return { documents: documents.stats(), tokens: identity.stats(), principals: a, decisions: a.decisions }
    },
    () => authorizer().policy.revision,
    () => decisionLog?.stats(),
  )
  if (store !== undefined) metrics.bindingsDatabase(() => store.stats())
  // the shadow policy decides with the same bindings (whose roles it must know)
  const shadow = config.shadowPolicy === undefined
    ? undefined
    : store === undefined
      ? loadAuthorizer(config.shadowPolicy, [], config.bindings)
      : new Authorizer(compilePolicy(loadPolicy(config.shadowPolicy)), store)
  return {
    authorizer,
    routes: () => reloader.active.routes,
    identity,
    documents,
    metrics,
    reloader,
    ...(decisionLog ? { decisionLog } : {}),
    ...(shadow ? { shadow } : {}),
    ...(store ? { bindingsStore: store } : {}),
  }
}


export function identityOptions(config: ServeConfig): IdentityOptions {
  const opts: IdentityOptions = { apiKeyLength: config.apiKeyLength }
  if (config.cookieName !== undefined) opts.cookieName = config.cookieName
  const j = config.jwt
  if (j === undefined) return opts
  const jwt: JwtOptions = { algorithms: [...j.algorithms], clockToleranceSec: j.clockToleranceSec, subjectClaim: j.subjectClaim }
  if (j.publicKeyFile !== undefined) jwt.publicKeyPem = readKeyFile(j.publicKeyFile, 'jwtPublicKey').toString('utf8')
  if (j.jwkFile !== undefined) {
    try {
      jwt.jwk = JSON.parse(readKeyFile(j.jwkFile, 'jwtJwk').toString('utf8')) as Record<string, unknown>
    } catch (e) {
      if (e instanceof PermgateError) throw e
      throw new PermgateError('PERMGATE_ERR_CONFIG_INVALID', `jwtJwk: the file is not a JSON JWK: ${(e as Error).message}`, { path: 'jwtJwk' })
    }
  }
  // A secret file usually ends with a newline that is not part of the secret.
  if (j.secretFile !== undefined) jwt.secret = new Uint8Array(Buffer.from(readKeyFile(j.secretFile, 'jwtSecretFile').toString('utf8').replace(/\r?\n$/, ''), 'utf8'))
  if (j.jwksUrl !== undefined) jwt.jwksUrl = j.jwksUrl
  if (j.jwksCa !== undefined) jwt.jwksCa = j.jwksCa
  if (j.issuer !== undefined) jwt.issuer = j.issuer
  if (j.audience !== undefined) jwt.audience = j.audience
  if (j.groupsClaim !== undefined) jwt.groupsClaim = j.groupsClaim
  opts.jwt = jwt
  return opts
}

function readKeyFile(file: string, key: string): Buffer {
  try {
    return readFileSync(file)
  } catch (e) {
    throw new PermgateError('PERMGATE_ERR_CONFIG_FILE', `${key}: cannot read ${file}: ${(e as Error).message}`, { path: key })
  }
}

export interface Server {
  readonly app: FastifyInstance
  /** The address it listens on, e.g. http://127.0.0.1:8080 */
  readonly url: string
  /** The admin server's address (/metrics, /healthz, /readyz). */
  readonly adminUrl: string
  close(): Promise<void>
}

/** Prepares, builds and listens. SIGTERM/SIGINT drain in-flight requests, then exit. */
export async function startServer(config: ServeConfig, opts: { handleSignals?: boolean; clock?: Clock } = {}): Promise<Server> {
  const deps = await prepare(config, opts.clock)
  const app = buildApp(config, deps)
  const admin = buildAdminApp(config, deps, deps.metrics as Metrics)
  const url = await app.listen({ host: config.host, port: config.port })
  const adminUrl = await admin.listen({ host: config.admin.host, port: config.admin.port })
  const p = deps.authorizer().policy
  app.log.info({ policy: p.name, revision: p.revision, upstream: config.upstream.origin + (config.upstream.graphqlPath ?? '') }, `permgate listening on ${url} (admin: ${adminUrl})`)
  const reloader = deps.reloader
  reloader?.start()
  if (opts.handleSignals) {
    process.on('SIGHUP', () => reloader?.reload())
    const stop = (signal: string): void => {
      app.log.info(`${signal}: draining for at most ${config.shutdownGraceMs} ms`)
      setTimeout(() => process.exit(0), config.shutdownGraceMs).unref()
      reloader?.stop()
      void Promise.all([app.close(), admin.close()]).then(() => process.exit(0))
    }
    process.once('SIGTERM', () => stop('SIGTERM'))
    process.once('SIGINT', () => stop('SIGINT'))
  }
  return {
    app,
    url,
    adminUrl,
    close: async () => {
      reloader?.stop()
      await Promise.all([app.close(), admin.close()])
    },
  }
}
