import { readFileSync } from 'node:fs'
import { SYSTEM_CLOCK, type Clock, type TimerHandle } from './clock.js'
import { DEFAULT_RELOAD_POLL_MS } from './config/keys.js'
import type { ServeConfig } from './config/schema.js'
import { isPermgateError, PermgateError } from './errors.js'
import { FilePoller } from './file-poller.js'
import { compileRoutes, type CompiledRoute } from './ingress/routes.js'
import type { BindingsStore } from './bindings/types.js'
import { Authorizer, loadAuthorizer } from './policy/authorizer.js'
import { compilePolicy } from './policy/compile.js'
import { loadPolicy } from './policy/load.js'

/** The version requests are decided with: swapped whole. */
export interface Active {
  readonly authorizer: Authorizer
  readonly routes: readonly CompiledRoute[]
}

export type ReloadResult = { readonly ok: true; readonly revision: string } | { readonly ok: false; readonly code: string; readonly message: string }

/**
 * Compiles the policy, overlays, bindings and routes a configuration names, beside whatever is
 * active. With a database store (`store`), the bindings are the store's: only the policy is new.
 */
export function compileActive(config: ServeConfig, store?: BindingsStore): Active {
  const authorizer = store === undefined
    ? loadAuthorizer(config.policy, config.overlays, config.bindings)
    : new Authorizer(compilePolicy(loadPolicy(config.policy, { overlays: config.overlays })), store)
  return { authorizer, routes: compileRoutes(config.routes, authorizer.policy) }
}

/**
 * A bindings file with nothing in it (empty, or only blanks and comments) reads as "no
 * bindings"; on a reload it is refused: a file being rewritten in place, or cut short by a full
 * disk, is empty for a while, and swapping it in would take every role from everyone at once.
 * (To remove every binding, write `subjects: {}`.)
 */
function refuseEmptyBindings(file: string): void {
  let text: string
  try {
    text = readFileSync(file, 'utf8')
  } catch {
    return // unreadable: loading it reports that, coded
  }
  if (text.split('\n').every((line) => /^\s*(#|$)/.test(line))) {
    throw new PermgateError('PERMGATE_ERR_BINDINGS_SHAPE', 'the bindings file is empty: the loaded bindings keep serving (to remove every binding, write `subjects: {}`)', { file })
  }
}

/**
 * Hot reload: on a change to any file the active version was built from (or SIGHUP), a new
 * version is validated and compiled beside the old one, then swapped in at once. An invalid
 * file leaves the old version serving; the coded error is reported and counted.
 */
export class Reloader {
  #active: Active
  readonly #config: ServeConfig
  readonly #onResult: (r: ReloadResult) => void
  readonly #poller: FilePoller
  #timer: TimerHandle | undefined
  readonly #pollMs: number
  readonly #clock: Clock
  /** The database store, when the bindings come from one (it follows changes itself). */
  readonly #store: BindingsStore | undefined
  readonly #listeners = new Set<() => void>()

  /** `clock` runs the polls and the pause after a change (a test's fake one moves only when advanced). */
  constructor(config: ServeConfig, initial: Active, onResult: (r: ReloadResult) => void, pollMs = DEFAULT_RELOAD_POLL_MS, store?: BindingsStore, clock: Clock = SYSTEM_CLOCK) {
    this.#config = config
    this.#active = initial
    this.#onResult = onResult
    this.#pollMs = pollMs
    this.#store = store
    this.#clock = clock
    this.#poller = new FilePoller(clock, pollMs, () => {
      // several files of one edit land together: reload once, shortly after the last
      if (this.#timer !== undefined) clock.clearTimeout(this.#timer)
      this.#timer = clock.setTimeout(() => {
        this.#timer = undefined
        this.reload()
      }, Math.min(100, this.#pollMs))
    })
  }

  get active(): Active {
    return this.#active
  }

  /** Calls `listener` after every successful swap (open WebSockets re-check what they hold); returns its removal. */
  onChange(listener: () => void): () => void {
    this.#listeners.add(listener)
    return () => this.#listeners.delete(listener)
  }

  /** Reloads now. Synchronous: the swap is one assignment, between two requests. */
  reload(): ReloadResult {
    let result: ReloadResult
    try {
      if (this.#store === undefined) refuseEmptyBindings(this.#config.bindings)
      const next = compileActive(this.#config, this.#store)
      this.#active = next
      this.#watch()
      result = { ok: true, revision: next.authorizer.policy.revision }
    } catch (e) {
      result = { ok: false, code: isPermgateError(e) ? e.code : 'PERMGATE_ERR_INTERNAL', message: (e as Error).message }
    }
    this.#onResult(result)
    if (result.ok) for (const l of this.#listeners) l()
    return result
  }

  /** Watches the files of the active version (policy manifest, roles, rules, overlays, bindings). */
  start(): void {
    this.#watch()
  }

  stop(): void {
    this.#poller.stop()
    if (this.#timer !== undefined) this.#clock.clearTimeout(this.#timer)
    this.#timer = undefined
  }

  #watch(): void {
    const src = this.#active.authorizer.policy.source
    const bindings = this.#store === undefined ? this.#config.bindings : ''
    this.#poller.watch([src.manifestPlace.file ?? '', src.rolesFrom, src.rulesFrom, ...src.overlays, bindings].filter(Boolean))
  }
}

