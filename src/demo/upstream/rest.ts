// Stand-ins for Houston's REST routes, mounted under the GraphQL path as Houston mounts them
// (../shared/houston/endpoints.md §5): enough for a client, nginx auth_request or a Docker client
// to get an answer of the right shape through permgate. They decide nothing: permgate does.

/** An answer of a stand-in: status, JSON or text body, extra headers. */
export interface RestAnswer {
  readonly status: number
  readonly body: unknown
  readonly headers?: Readonly<Record<string, string>>
}

type StandIn = (method: string, query: URLSearchParams) => RestAnswer

const OK: RestAnswer = { status: 200, body: {} }

/** By the path below the GraphQL path (`/v1`), as Houston 0.3x serves them. */
const ROUTES: Readonly<Record<string, StandIn>> = {
  '/healthz': () => OK,
  // nginx auth_request: Houston answers 200 with the Airflow JWT it mints (here a placeholder)
  '/authorization': () => ({ status: 200, body: {}, headers: { authorization: 'Bearer demo-airflow-token' } }),
  // Docker token auth: the token JSON (Houston signs a registry JWT; here a placeholder)
  '/registry/authorization': (_m, q) => ({ status: 200, body: { token: 'demo-registry-token', expires_in: 3600, issued_at: new Date(0).toISOString(), scope: q.getAll('scope') } }),
  '/registry/events': () => OK,
  '/alerts': () => OK,
  '/metrics': () => ({ status: 200, body: '# HELP houston_up demo\nhouston_up 1\n', headers: { 'content-type': 'text/plain; version=0.0.4' } }),
  '/oauth/redirect': () => ({ status: 200, body: '<!doctype html><title>redirect</title>', headers: { 'content-type': 'text/html' } }),
  '/oauth/callback': () => ({ status: 302, body: '', headers: { location: '/oauth' } }),
  '/oauth/start': () => ({ status: 302, body: '', headers: { location: 'https://idp.invalid/authorize' } }),
}

/** The stand-in answer for a path below `graphqlPath`, or undefined when Houston has no such route. */
export function restAnswer(graphqlPath: string, path: string, method: string, query: URLSearchParams): RestAnswer | undefined {
  if (!path.startsWith(`${graphqlPath}/`)) return undefined
  const route = path.slice(graphqlPath.length).replace(/\/+$/, '')
  return ROUTES[route]?.(method, query)
}
