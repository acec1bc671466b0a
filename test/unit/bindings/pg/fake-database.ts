import type { Query } from '../../../../src/bindings/pg/queries.js'

interface Pending {
  readonly name: string | undefined
  readonly values: readonly unknown[] | undefined
  readonly resolve: (rows: readonly object[]) => void
  readonly reject: (e: unknown) => void
}

/** Lets the promise callbacks queued so far run (no timer: microtasks only). */
export const settle = async (): Promise<void> => {
  for (let i = 0; i < 20; i++) await Promise.resolve()
}

/** A database that answers nothing by itself: each query waits until the test answers it. */
export class FakeDatabase {
  readonly #pending: Pending[] = []
  /** Queries made so far, by name. */
  readonly asked: (string | undefined)[] = []

  readonly query: Query = (name, _text, values) =>
    new Promise((resolve, reject) => {
      this.asked.push(name)
      this.#pending.push({ name, values, resolve: resolve as (rows: readonly object[]) => void, reject })
    })

  /** The names of the queries waiting for an answer, once what is queued has run. */
  async waiting(): Promise<(string | undefined)[]> {
    await settle()
    return this.#pending.map((q) => q.name)
  }

  /** Answers the oldest query (it must be named `name`) with `rows`; returns its parameters. */
  async answer(name: string, rows: readonly object[]): Promise<readonly unknown[] | undefined> {
    const q = await this.#take(name)
    q.resolve(rows)
    await settle()
    return q.values
  }

  /** Fails the oldest query (it must be named `name`). */
  async fail(name: string, e: unknown): Promise<void> {
    const q = await this.#take(name)
    q.reject(e)
    await settle()
  }

  async #take(name: string): Promise<Pending> {
    await settle()
    const q = this.#pending.shift()
    if (q === undefined) throw new Error(`no query pending (wanted ${name})`)
    if (q.name !== name) throw new Error(`the pending query is ${q.name}, not ${name}`)
    return q
  }
}
