/**
 * The baseline proxy: fastify and @fastify/http-proxy with their defaults, no authorization.
 * permgate is built on the same two. Usage: node plain-proxy.js <upstream origin>
 */
import proxy from '@fastify/http-proxy'
import Fastify from 'fastify'
import { failStart, portOf, serveUsage } from './target-ipc.js'

async function main(): Promise<void> {
  const upstream = process.argv[2]
  if (upstream === undefined) throw new Error('usage: plain-proxy.js <upstream origin>')
  const app = Fastify()
  const ipc = serveUsage(app.server)
  await app.register(proxy, { upstream, prefix: '/' })
  await app.listen({ host: '127.0.0.1', port: 0 })
  ipc.ready(portOf(app.server))
}

main().catch(failStart)
