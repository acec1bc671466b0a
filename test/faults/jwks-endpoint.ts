import { createServer, type Server as HttpServer, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import type { JWK } from 'jose'

/**
 * A JWK set on 127.0.0.1, on one port for its life, that can go down (every connection is reset
 * as it arrives, so the fetch fails), hang (requests are taken and never answered) and come back
 * up. It counts the fetches it sees in every state, so a test asserts how often permgate asked.
 */
export class JwksEndpoint {
  #keys: JWK[]
  #state: 'up' | 'down' | 'hanging' = 'up'
  #fetches = 0
  readonly #server: HttpServer
  readonly #held = new Set<ServerResponse>()

  private constructor(keys: JWK[]) {
    this.#keys = keys
    this.#server = createServer((_req, res) => {
      this.#fetches += 1
      if (this.#state === 'hanging') return void this.#held.add(res)
      res.writeHead(200, { 'content-type': 'application/jwk-set+json' }).end(JSON.stringify({ keys: this.#keys }))
    })
    this.#server.on('connection', (socket) => {
      if (this.#state !== 'down') return
      this.#fetches += 1
      socket.destroy()
    })
  }

  static async start(keys: JWK[]): Promise<JwksEndpoint> {
    const e = new JwksEndpoint(keys)
    await new Promise<void>((resolve, reject) => {
      e.#server.once('error', reject)
      e.#server.listen(0, '127.0.0.1', () => resolve())
    })
    return e
  }

  get url(): string {
    return `http://127.0.0.1:${(this.#server.address() as AddressInfo).port}/.well-known/jwks.json`
  }

  /** Fetches seen: requests answered or held, and connections reset while down. */
  get fetches(): number {
    return this.#fetches
  }

  setKeys(keys: JWK[]): void {
    this.#keys = keys
  }

  /** Serves the set. */
  up(): void {
    this.#enter('up')
  }

  /** Resets every connection as it arrives (a crashed identity provider). */
  down(): void {
    this.#enter('down')
  }

  /** Takes requests and never answers them (a stuck identity provider). */
  hang(): void {
    this.#enter('hanging')
  }

  async close(): Promise<void> {
    this.#enter('down')
    await new Promise<void>((resolve) => this.#server.close(() => resolve()))
  }

  /** Drops every connection of the state before, so the next fetch meets the new one. */
  #enter(state: 'up' | 'down' | 'hanging'): void {
    this.#state = state
    for (const res of this.#held) res.destroy()
    this.#held.clear()
    this.#server.closeAllConnections()
  }
}
