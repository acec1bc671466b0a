/**
 * Before any load: one warm request through each reference proxy must come back as the upstream
 * answers it directly, status 200 and the same body byte for byte. The rounds then check every
 * status (a proxy answering 200 with another body would otherwise pass them).
 */
import { GRAPHQL_PATH } from './request-sets.js'

export interface Contender {
  readonly label: string
  readonly port: number
}

/** One POST of `body` (with `token`) to each contender, compared with the upstream's own answer. */
export async function checkAnswers(upstreamPort: number, contenders: readonly Contender[], body: string, token: string): Promise<void> {
  const post = async (port: number): Promise<{ status: number; text: string }> => {
    const r = await fetch(`http://127.0.0.1:${port}${GRAPHQL_PATH}`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` }, body })
    return { status: r.status, text: await r.text() }
  }
  const expected = await post(upstreamPort)
  if (expected.status !== 200) throw new Error(`upstream direct: status ${expected.status}, expected 200`)
  for (const c of contenders) {
    const got = await post(c.port)
    if (got.status !== 200) throw new Error(`${c.label}: status ${got.status}, expected 200`)
    if (got.text !== expected.text) throw new Error(`${c.label}: the body is not the upstream's (${JSON.stringify(got.text.slice(0, 120))})`)
  }
}
